// `npm run replay -- [options]` (`--help` lists them): the official test replayed. Exits 2 when the run lagged or
// found an inconsistency, 1 when it could not run.
import { readOptions } from '../kit/options';
import { DEFAULT_REPLAY_OPTIONS as D, runReplay } from '../replay/run';

const o = readOptions('npm run replay -- [options]: the official test replayed', {
  backend: { kind: 'string', default: D.backendUrl, env: 'BACKEND_URL', help: 'the deployment under test' },
  default: {
    kind: 'string',
    default: D.processorUrls.default,
    env: 'PROCESSOR_DEFAULT_ADMIN_URL',
    help: "the default processor's admin URL",
  },
  fallback: {
    kind: 'string',
    default: D.processorUrls.fallback,
    env: 'PROCESSOR_FALLBACK_ADMIN_URL',
    help: "the fallback processor's admin URL",
  },
  token: { kind: 'string', default: D.token, env: 'TOKEN', help: "the processors' admin token" },
  scale: { kind: 'number', default: 1, env: 'SCALE', help: '1: 300 s and 603 VUs; 0.1: 30 s and 60 VUs, same stages' },
  'max-vus': { kind: 'optional', env: 'MAX_REQUESTS', help: 'the most virtual users (603 x scale)' },
  out: { kind: 'string', default: D.outDir, env: 'OUT_DIR', help: 'where final-results.json and report.html go' },
  participant: { kind: 'string', default: D.participant, env: 'PARTICIPANT', help: 'the name in the report' },
  horizon: {
    kind: 'number',
    default: D.horizonMs,
    env: 'CONSISTENCY_HORIZON_MS',
    help: 'the delay (ms) above which the oracle does not use default',
  },
  'check-every': {
    kind: 'optional',
    env: 'CHECK_EVERY_MS',
    help: 'ms between two consistency checks (the official 10 s x scale); 200 asks five times a second',
  },
});

function checkEvery(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 1) {
    console.error(`--check-every must be a number of milliseconds, at least 1; got "${raw}"`);
    process.exit(2);
  }
  return ms;
}

runReplay({
  backendUrl: o.backend,
  processorUrls: { default: o.default, fallback: o.fallback },
  token: o.token,
  scale: o.scale,
  maxVus: o['max-vus'] === undefined ? undefined : Number(o['max-vus']),
  outDir: o.out,
  participant: o.participant,
  horizonMs: o.horizon,
  checkEveryMs: checkEvery(o['check-every']),
}).then(
  (r) => process.exit(r.results.lag.lag === 0 && r.results.multa.composicao.num_inconsistencias === 0 ? 0 : 2),
  (err) => {
    console.error(`replay failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
