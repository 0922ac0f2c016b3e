// `npm run replay -- [options]` (`--help` lists them): the official test replayed.
import { parseArgs } from 'node:util';
import { DEFAULT_REPLAY_OPTIONS, runReplay } from '../replay/run';

const USAGE = `npm run replay -- [options]: the official test replayed. Options (or environment):
  --backend URL     (BACKEND_URL, http://127.0.0.1:9999)
  --default URL     (PROCESSOR_DEFAULT_ADMIN_URL, http://127.0.0.1:8001)
  --fallback URL    (PROCESSOR_FALLBACK_ADMIN_URL, http://127.0.0.1:8002)
  --token T         (TOKEN, 123)
  --scale S         (SCALE, 1: 300 s and 603 VUs; 0.1: 30 s and 60 VUs, same stage proportions)
  --max-vus N       (MAX_REQUESTS, 603 x scale)
  --out DIR         (OUT_DIR, reports): final-results.json and report.html
  --participant P   (PARTICIPANT, anonymous)
  --horizon MS      (CONSISTENCY_HORIZON_MS, 1500): the delay above which the oracle does not use default
  --check-every MS  (CHECK_EVERY_MS, the official 10 s x scale): pause between two consistency checks; 200 asks
                    five times a second for the whole run`;

const env = process.env;
const { values } = parseArgs({
  options: {
    backend: { type: 'string' },
    default: { type: 'string' },
    fallback: { type: 'string' },
    token: { type: 'string' },
    scale: { type: 'string' },
    'max-vus': { type: 'string' },
    out: { type: 'string' },
    participant: { type: 'string' },
    horizon: { type: 'string' },
    'check-every': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function checkEvery(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 1) {
    console.error(`--check-every must be a number of milliseconds, at least 1; got "${raw}"`);
    process.exit(1);
  }
  return ms;
}

runReplay({
  backendUrl: values.backend ?? env.BACKEND_URL ?? DEFAULT_REPLAY_OPTIONS.backendUrl,
  processorUrls: {
    default: values.default ?? env.PROCESSOR_DEFAULT_ADMIN_URL ?? DEFAULT_REPLAY_OPTIONS.processorUrls.default,
    fallback: values.fallback ?? env.PROCESSOR_FALLBACK_ADMIN_URL ?? DEFAULT_REPLAY_OPTIONS.processorUrls.fallback,
  },
  token: values.token ?? env.TOKEN ?? DEFAULT_REPLAY_OPTIONS.token,
  scale: Number(values.scale ?? env.SCALE ?? 1),
  maxVus: (values['max-vus'] ?? env.MAX_REQUESTS) ? Number(values['max-vus'] ?? env.MAX_REQUESTS) : undefined,
  outDir: values.out ?? env.OUT_DIR ?? DEFAULT_REPLAY_OPTIONS.outDir,
  participant: values.participant ?? env.PARTICIPANT ?? DEFAULT_REPLAY_OPTIONS.participant,
  horizonMs: Number(values.horizon ?? env.CONSISTENCY_HORIZON_MS ?? DEFAULT_REPLAY_OPTIONS.horizonMs),
  checkEveryMs: checkEvery(values['check-every'] ?? env.CHECK_EVERY_MS),
}).then(
  (r) => process.exit(r.results.lag.lag === 0 && r.results.multa.composicao.num_inconsistencias === 0 ? 0 : 2),
  (err) => {
    console.error(`replay failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
