// The actor-state page, rendered by a real headless browser (Debian's chromium): it must
// fetch /actors and draw the supervisor, both processor actors and the writers.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  eventually,
  getSummary,
  namespace,
  newPayment,
  postPayment,
  startProcessors,
  startTestApp,
} from '../fixtures/pipeline';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

function renderedDom(url: string): Promise<string> {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'chromium-'))}`,
    '--virtual-time-budget=5000',
    '--dump-dom',
    url,
  ];
  return new Promise((resolve, reject) =>
    execFile(CHROMIUM!, args, { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(new Error(`chromium failed: ${err.message}`)) : resolve(stdout),
    ),
  );
}

t.test(
  'GET /actors.html renders the live actor tree',
  { skip: CHROMIUM ? false : 'chromium is not installed (apt-get install -y chromium)' },
  async (t) => {
    const processors = await startProcessors(t);
    const app = await startTestApp(t, {
      ...namespace(t),
      instanceId: 'page-a',
      defaultUrl: processors.url.default,
      fallbackUrl: processors.url.fallback,
      writerCount: 3,
    });
    for (let i = 0; i < 3; i++) await postPayment(app.url, newPayment(1));
    t.ok(await eventually(async () => (await getSummary(app.url)).default.totalRequests === 3));
    const dom = await renderedDom(`${app.url}/actors.html`);
    t.match(dom, /Actor tree of <span id="instance">page-a<\/span>/, 'the instance name, filled in by the page');
    t.match(dom, /id="supervisor"/, 'the supervisor');
    for (const name of ['processor-default', 'processor-fallback', 'writer-0', 'writer-1', 'writer-2'])
      t.match(dom, new RegExp(`data-name="${name}"`), name);
    t.match(dom, /<span class="closed">closed<\/span>/, 'breaker state drawn');
    t.match(dom, /<td>accepted<\/td><td>3<\/td>/, 'the supervisor counted 3 payments');
    t.match(dom, /updated \d{4}-\d{2}-\d{2}T/, 'the refresh ran');
  },
);
