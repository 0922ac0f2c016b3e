// `npm run check -- [options]` (`--help` lists them): the smoke check (tools/smoke/smoke-check.ts) against a
// deployment.
// Exits 1 when any step fails, including when nothing answers at the URL. It purges nothing.
import { readOptions } from '../kit/options';
import { DEFAULT_SMOKE_OPTIONS, formatSmokeReport, runSmokeCheck } from '../smoke/smoke-check';

const values = readOptions('npm run check -- [options]: the smoke check against a deployment (it purges nothing)', {
  url: { kind: 'string', default: DEFAULT_SMOKE_OPTIONS.url, env: 'CHECK_URL', help: 'the deployment' },
  default: {
    kind: 'optional',
    env: 'PROCESSOR_DEFAULT_ADMIN_URL',
    help: "the default processor's base URL, to compare summaries",
  },
  fallback: { kind: 'optional', env: 'PROCESSOR_FALLBACK_ADMIN_URL', help: "the fallback processor's base URL" },
  token: {
    kind: 'string',
    default: DEFAULT_SMOKE_OPTIONS.processorsToken,
    env: 'TOKEN',
    help: "the processors' admin token, X-Rinha-Token",
  },
});
const { url, default: defaultUrl, fallback: fallbackUrl } = values;
if (Boolean(defaultUrl) !== Boolean(fallbackUrl)) {
  console.error('give both processors (--default and --fallback) to compare summaries, or neither');
  process.exit(2);
}

runSmokeCheck({
  url,
  processors: defaultUrl && fallbackUrl ? { default: defaultUrl, fallback: fallbackUrl } : undefined,
  processorsToken: values.token,
}).then(
  (steps) => {
    console.log(formatSmokeReport(steps, url));
    process.exit(steps.every((s) => s.ok) ? 0 : 1);
  },
  (err: Error) => {
    console.error(`smoke check of ${url} could not run: ${err.message}`);
    process.exit(1);
  },
);
