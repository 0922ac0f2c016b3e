// `npm run hosts:test`: the multi-host proofs, each on a fresh layout of network namespaces (root
// needed, as for `ip netns`), printed as PASS / FAIL with its figures. Exit code 1 if any failed.
import { execFileSync } from 'node:child_process';
import { appCutOff, appPaused, postgresCutOff, primaryKilled } from './proofs';
import { removeAll } from './network';
import { Steps, verdict } from '../kit/steps';
import { readOptions } from '../kit/options';
import { ensureNginx } from '../launcher/services';

function prerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error('the hosts are network namespaces: run as root');
  execFileSync('ip', ['-V'], { stdio: 'ignore' });
  execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  ensureNginx(console.log);
}

const options = readOptions(
  'npm run hosts:test -- [cases]: the multi-host proofs in network namespaces (root needed)',
  { cases: { kind: 'list', help: 'run only the cases whose name holds one of these words (also as arguments)' } },
  ['cases'],
);

async function main(): Promise<void> {
  prerequisites();
  const steps = new Steps(async () => '');
  const only = options.cases;
  const cases: [string, () => Promise<{ ok: boolean; detail: string }>][] = [
    [
      'the Redis primary SIGKILLed: a replica is promoted, the instances follow, nothing lost or doubled',
      primaryKilled,
    ],
    ['an app host cut off past the heartbeat TTL, then back: its payments taken over, none sent twice', appCutOff],
    ['an app host paused (SIGSTOP) past the TTL, then resumed: the same', appPaused],
    ['Postgres cut off for 30 s: payments wait, none lost, the summary right afterwards', postgresCutOff],
  ];
  for (const [name, run] of cases)
    if (only.length === 0 || only.some((o) => name.includes(o))) await steps.step(name, run);
  removeAll();
  console.log(verdict('hosts test', steps.results, 'case'));
  process.exitCode = steps.failed ? 1 : 0;
}

main().catch((err) => {
  removeAll();
  console.error(err);
  process.exit(1);
});
