// An earlier commit's build, so that a benchmark can run it beside this one in the same run.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../launcher/nginx-config';

/** This checkout's instance entry point (run `npm run build` first). */
export function thisBuild(): string {
  return join(repoRoot(), 'dist', 'src', 'main.js');
}

/**
 * The instance entry point of `commit`, built once into a cache directory in the temp dir (its
 * runtime packages are this checkout's). Its place moved with the service/tools split; both are found.
 */
export function buildCommit(commit: string): string {
  const root = repoRoot();
  const sha = execFileSync('git', ['-C', root, 'rev-parse', '--verify', `${commit}^{commit}`], { encoding: 'utf8' })
    .trim()
    .slice(0, 12);
  const dir = join(tmpdir(), `rinha-build-${sha}`);
  const main = join(dir, 'dist', 'src', 'main.js');
  if (existsSync(main)) return main;
  mkdirSync(dir, { recursive: true });
  execSync(`git -C ${JSON.stringify(root)} archive ${sha} | tar -x -C ${JSON.stringify(dir)}`);
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
      stdio: 'ignore',
    });
  } catch {
    // Type errors still emit JavaScript; only a missing entry point is fatal.
  }
  if (!existsSync(main)) throw new Error(`building ${commit} in ${dir} did not produce ${main}`);
  return main;
}
