// `npm run check -- [options]`: the smoke check (tools/smoke/smoke-check.ts) against a deployment.
//   --url URL               the deployment (CHECK_URL, http://127.0.0.1:9999)
//   --default URL           the default processor's base URL, to compare summaries (PROCESSOR_DEFAULT_ADMIN_URL)
//   --fallback URL          the fallback processor's base URL (PROCESSOR_FALLBACK_ADMIN_URL)
//   --token T               the processors' admin token, X-Rinha-Token (TOKEN, 123)
// Exits 1 when any step fails, including when nothing answers at the URL. It purges nothing.
import { parseArgs } from 'node:util';
import { DEFAULT_SMOKE_OPTIONS, formatSmokeReport, runSmokeCheck } from '../smoke/smoke-check';

const env = process.env;
const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    default: { type: 'string' },
    fallback: { type: 'string' },
    token: { type: 'string' },
  },
});
const url = values.url ?? env.CHECK_URL ?? DEFAULT_SMOKE_OPTIONS.url;
const defaultUrl = values.default ?? env.PROCESSOR_DEFAULT_ADMIN_URL;
const fallbackUrl = values.fallback ?? env.PROCESSOR_FALLBACK_ADMIN_URL;
if (Boolean(defaultUrl) !== Boolean(fallbackUrl)) {
  console.error('give both processors (--default and --fallback) to compare summaries, or neither');
  process.exit(2);
}

runSmokeCheck({
  url,
  processors: defaultUrl && fallbackUrl ? { default: defaultUrl, fallback: fallbackUrl } : undefined,
  processorsToken: values.token ?? env.TOKEN ?? DEFAULT_SMOKE_OPTIONS.processorsToken,
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
