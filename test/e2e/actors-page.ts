// The actor-state page, rendered by a real headless browser (Debian's chromium): it must
// fetch /actors and draw the supervisor, both processor actors and the writers.
import t from 'tap';
import {
  eventually,
  getSummary,
  namespace,
  newPayment,
  postPayment,
  startProcessors,
  startTestApp,
} from '../fixtures/pipeline';
import { needsChromium, renderedDom } from '../fixtures/chromium';

t.test('GET /actors.html renders the live actor tree', needsChromium, async (t) => {
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
});
