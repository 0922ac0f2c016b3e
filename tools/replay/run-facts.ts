// What a report says about its own run: the commit of the tree the replay ran from (the system under test,
// when it runs from the same checkout, as `npm start` does), Node's version, and every option of the run.
import { execFileSync } from 'node:child_process';

export interface RunFacts {
  commit: string;
  node: string;
  options: [string, string][];
}

/** The short commit of the working directory's checkout, marked when it has uncommitted changes. */
export function checkoutCommit(cwd = process.cwd()): string {
  try {
    const git = (args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();
    const commit = git(['rev-parse', '--short=12', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${commit} (with uncommitted changes)` : commit;
  } catch {
    return 'not a git checkout';
  }
}

function shown(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function runFacts(options: Record<string, unknown>, commit = checkoutCommit()): RunFacts {
  const listed = Object.entries(options)
    .filter(([, v]) => v !== undefined && typeof v !== 'function' && !(v instanceof Object && 'say' in v))
    // A token is a secret: the report says it was given, not what it is.
    .map(([k, v]): [string, string] => [k, /token/i.test(k) ? '(given)' : shown(v)]);
  return { commit, node: process.version, options: listed };
}
