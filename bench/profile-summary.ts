// Where a CPU profile's time went: self time by function and by package (node_modules
// folder, node internals, this project's files, GC, idle).
// Run: node dist/bench/profile-summary.js <file.cpuprofile> [rows=25]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function packageOf(url: string, fn: string): string {
  if (fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)') return fn;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:') || url === '') return 'node internals';
  return 'project';
}

/** The profile's self time by package and by function, as lines of text. */
export function summariseProfile(file: string, rows = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const pkg = packageOf(url, functionName);
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    total += us;
    if (pkg !== '(idle)') busy += us;
  }
  const out: string[] = [];
  const show = (m: Map<string, number>, n: number) =>
    [...m].filter(([k]) => k !== '(idle)' && !k.startsWith('(idle) ')).sort((a, b) => b[1] - a[1]).slice(0, n).forEach(([k, us]) => out.push(`${(us / 1000).toFixed(0).padStart(8)} ms  ${((100 * us) / busy).toFixed(1).padStart(5)} % of busy  ${k}`));
  out.push(`profile: ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(2)} s`, '', 'by package (self time):');
  show(byPackage, 20);
  out.push('', 'by function (self time):');
  show(byFunction, rows);
  return out.join('\n');
}

/** Busy (not idle) time of a profile, in seconds. */
export function busySeconds(file: string): number {
  const first = summariseProfile(file, 0).split('\n')[0];
  return Number(/busy ([\d.]+) s/.exec(first)?.[1] ?? NaN);
}

if (require.main === module) {
  const [file, rowsArg] = process.argv.slice(2);
  console.log(summariseProfile(file, Number(rowsArg ?? 25)));
}
