// The cluster page, rendered by a real headless browser (Debian's chromium) against two instances run as
// the built app, sharing a Redis of the test's own: what it shows with both up, once one is killed, and
// once Redis is full. Each state's screenshot is saved under .tap/screenshots/ and named in the output.
import t, { type Test } from 'tap';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { childEnv, startChild } from '../fixtures/child-instance';
import { needsChromium, renderedDom, screenshot } from '../fixtures/chromium';
import { eventually, namespace, newPayment, postPayment, sleep, startProcessors } from '../fixtures/pipeline';
import { fillUp, ownRedis, REDIS_SERVER } from '../fixtures/redis-servers';
import { existsSync } from 'node:fs';

const SCREENSHOTS = join(__dirname, '..', '..', '.tap', 'screenshots');
const skip = needsChromium.skip || (existsSync(REDIS_SERVER) ? false : `needs ${REDIS_SERVER}`);

/** The section the page drew for one instance. */
function sectionOf(dom: string, instance: string): string {
  const start = dom.indexOf(`data-instance="${instance}"`);
  return start < 0 ? '' : dom.slice(start, dom.indexOf('</section>', start));
}

async function render(t: Test, url: string, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `cluster-${name}.png`);
  await screenshot(`${url}/cluster.html`, file);
  t.comment(`screenshot: ${file}`);
  return renderedDom(`${url}/cluster.html`);
}

t.test('GET /cluster.html: every instance, one killed, then Redis full', { skip }, async (t) => {
  const processors = await startProcessors(t);
  const redis = await ownRedis(t);
  await redis.admin.config('SET', 'maxmemory', String(256 * 1024 * 1024));
  const ns = namespace(t);
  // Stale past three heartbeats: 1.5 s, so that a busy machine does not make a live instance look stale.
  const env = (id: string) => childEnv(id, ns, processors, { REDIS_URL: redis.url, HEARTBEAT_MS: '500' });
  const app1 = await startChild(t, env('app1'));
  const app2 = await startChild(t, env('app2'));
  for (let i = 0; i < 20; i++) await Promise.all([app1, app2].map((a) => postPayment(a.url, newPayment(1))));
  await sleep(1500); // a few statuses published, so the trend has points

  const both = await render(t, app1.url, 'both-up');
  t.match(both, /Cluster, as <span id="answered-by">app1<\/span> sees it/, 'the instance that answers');
  for (const id of ['app1', 'app2']) {
    const s = sectionOf(both, id);
    t.match(s, /class="badge live">live</, `${id}: live`);
    t.notMatch(s, /badge stale/, `${id}: not stale`);
    t.match(s, /<span class="ok">taking payments<\/span>/, `${id}: taking payments`);
    t.match(s, /Redis<\/td><td><span class="ok">ok</, `${id}: Redis ok`);
    t.match(s, /Postgres<\/td><td><span class="ok">ok</, `${id}: Postgres ok`);
    t.match(
      s,
      new RegExp(
        'data-actor="processor-default"><td>processor-default</td><td>\\d+</td>' +
          '<td><span class="closed">closed</span>, 0 failures',
      ),
      `${id}: default's breaker, with its failures`,
    );
    t.match(s, /data-actor="writer-0"/, `${id}: its writers`);
    t.match(s, /accepted<\/td><td>20</, `${id}: 20 accepted`);
    t.match(s, /<svg/, `${id}: a trend`);
  }

  app2.child.kill('SIGKILL');
  await sleep(2500); // past three heartbeats of 500 ms: its alive key has expired, its status is stale
  const killed = await render(t, app1.url, 'app2-killed');
  const gone = sectionOf(killed, 'app2');
  t.match(gone, /class="badge gone">heartbeat gone</, 'app2: its heartbeat is gone');
  t.match(gone, /class="badge stale">stale: last heard \d+\.\d s ago</, 'app2: marked stale, with the age');
  t.match(sectionOf(killed, 'app1'), /class="badge live">live</, 'app1: still live');

  await fillUp(redis.admin);
  const refused = await eventually(async () => (await postPayment(app1.url, newPayment(1))).status === 503, 10_000);
  t.ok(refused, 'Redis full: app1 answers 503');
  await sleep(2000); // past three heartbeats with Redis full
  const full = await render(t, app1.url, 'redis-full');
  const own = sectionOf(full, 'app1');
  t.match(own, /<span class="refusing">refusing: full<\/span>/, 'app1: refusing, and why');
  t.match(own, /Redis<\/td><td><span class="full">full</, 'app1: Redis full');
  t.notMatch(own, /badge stale/, 'app1: its own status is fresh, though it cannot publish it');
  t.match(own, /class="badge live">live</, 'app1: still live, its heartbeat kept though Redis takes no writes');
  await redis.admin.config('SET', 'maxmemory', '0');
});
