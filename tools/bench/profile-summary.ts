// Where a CPU profile's time went: self time by function and by package (node_modules
// folder, node internals, this project's files, GC, idle).
// Run: node dist/tools/bench/profile-summary.js <file.cpuprofile> [rows=25]
import { readOptions } from '../kit/options';
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

interface SelfTimes {
  totalUs: number;
  busyUs: number;
  byPackage: Map<string, number>;
  byFunction: Map<string, number>;
}

/** Self time (µs) of a profile, added up by package and by function. */
function selfTimes(file: string): SelfTimes {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const times: SelfTimes = { totalUs: 0, busyUs: 0, byPackage: new Map(), byFunction: new Map() };
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const pkg = packageOf(url, functionName);
    const key =
      `${functionName || '(anonymous)'} ` +
      `${url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
    times.byFunction.set(key, (times.byFunction.get(key) ?? 0) + us);
    times.byPackage.set(pkg, (times.byPackage.get(pkg) ?? 0) + us);
    times.totalUs += us;
    if (pkg !== '(idle)') times.busyUs += us;
  }
  return times;
}

/** The profile's self time by package and by function, as lines of text. */
export function summariseProfile(file: string, rows = 25): string {
  const { totalUs, busyUs, byPackage, byFunction } = selfTimes(file);
  const out: string[] = [];
  const show = (m: Map<string, number>, n: number) =>
    [...m]
      .filter(([k]) => k !== '(idle)' && !k.startsWith('(idle) '))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .forEach(([k, us]) =>
        out.push(
          `${(us / 1000).toFixed(0).padStart(8)} ms  ${((100 * us) / busyUs).toFixed(1).padStart(5)} % of busy  ${k}`,
        ),
      );
  out.push(
    `profile: ${(totalUs / 1e6).toFixed(1)} s, busy ${(busyUs / 1e6).toFixed(2)} s`,
    '',
    'by package (self time):',
  );
  show(byPackage, 20);
  out.push('', 'by function (self time):');
  show(byFunction, rows);
  return out.join('\n');
}

/** Busy (not idle) time of a profile, in seconds. */
export function busySeconds(file: string): number {
  return selfTimes(file).busyUs / 1e6;
}

if (require.main === module) {
  const o = readOptions(
    'node dist/tools/bench/profile-summary.js FILE [ROWS]: where a CPU profile spent its time',
    {
      file: { kind: 'optional', help: 'the .cpuprofile to read' },
      rows: { kind: 'number', default: 25, help: 'how many functions to list' },
    },
    ['file', 'rows'],
  );
  if (o.file === undefined) {
    console.error('which profile? give its file (--help)');
    process.exit(2);
  }
  console.log(summariseProfile(o.file, o.rows));
}
