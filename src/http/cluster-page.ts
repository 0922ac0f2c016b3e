// GET /cluster.html: every instance of the cluster on one page, redrawn every second from GET /cluster:
// whether each is alive and takes payments (and why not), its stores, counts, actors with their mailboxes
// and breakers, and a two-minute trend; a status that has stopped coming is marked stale.
import { PAGE_HELPERS, refreshEverySecond } from './page-script';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cluster</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.2rem}h2{font-size:1.05rem;margin:0 0 .3rem}
.instances{display:flex;flex-wrap:wrap;gap:1rem}
.instance{border:1px solid #ccc;border-radius:6px;padding:.6rem .9rem;min-width:22rem}
.instance.is-stale{background:#f4f4f4;color:#666}
.badge{display:inline-block;border-radius:4px;padding:0 .4rem;margin-left:.3rem;font-size:.85rem;color:#fff}
.live{background:#187a2f}.gone{background:#b3261e}.unknown{background:#777}.stale{background:#a86400}
.ok,.closed{color:#187a2f}.refusing,.open,.failing,.full,.down,.read-only,.unreplicated{color:#b3261e}
.half-open,.slow{color:#a86400}
table{border-collapse:collapse;margin:.3rem 0}td,th{padding:0 .8rem 0 0;text-align:left}
svg{display:block;margin-top:.3rem}
</style></head>
<body><h1>Cluster, as <span id="answered-by">…</span> sees it</h1>
<div id="updated"></div><div id="redis"></div><div class="instances" id="instances">loading…</div>
<script>${PAGE_HELPERS}
function span(cls, text) { return '<span class="' + esc(cls) + '">' + esc(text) + '</span>'; }
function badges(v) {
  var live = v.live === null ? '<span class="badge unknown">heartbeat unknown</span>'
    : v.live ? '<span class="badge live">live</span>' : '<span class="badge gone">heartbeat gone</span>';
  var stale = v.stale ? '<span class="badge stale">stale: last heard ' + (v.ageMs / 1000).toFixed(1) +
    ' s ago</span>' : '';
  return live + stale;
}
function actors(s) {
  var rows = '<tr><th>actor</th><th>mailbox</th><th>state</th></tr>' +
    '<tr><td>supervisor</td><td>' + s.mailbox + '</td><td>' + s.waiting + ' waiting</td></tr>';
  s.processors.forEach(function (p) {
    var b = p.breaker;
    var state = span(b.state, b.state) + ', ' + b.consecutiveFailures + ' failures' +
      (b.state === 'open' ? ', probe in ' + b.msUntilProbe + ' ms' : '');
    rows += '<tr data-actor="' + esc(p.name) + '"><td>' + esc(p.name) + '</td><td>' + p.mailbox + '</td><td>' +
      state + '</td></tr>';
  });
  s.writers.forEach(function (w) {
    rows += '<tr data-actor="' + esc(w.name) + '"><td>' + esc(w.name) + '</td><td>' + w.mailbox + '</td><td>' +
      w.buffered + ' buffered, ' + w.failedFlushes + ' failed flushes</td></tr>';
  });
  if (s.unanswered > 0) rows += '<tr><td colspan="3">' + s.unanswered + ' busy, not answering</td></tr>';
  return '<table class="actors">' + rows + '</table>';
}
// Accepted per second between points, and payments held, as two lines over the trend's time.
function trend(points) {
  if (points.length < 2) return '<div class="trend">trend: gathering</div>';
  var w = 320, h = 60, t0 = points[0].at, t1 = points[points.length - 1].at;
  var rates = points.slice(1).map(function (p, i) {
    var dt = (p.at - points[i].at) / 1000; return { at: p.at, v: dt > 0 ? (p.accepted - points[i].accepted) / dt : 0 };
  });
  var held = points.map(function (p) { return { at: p.at, v: p.held }; });
  function line(values, color, dash) {
    var max = Math.max.apply(null, values.map(function (x) { return x.v; }).concat([1]));
    var xy = values.map(function (x) {
      return ((x.at - t0) / Math.max(1, t1 - t0) * w).toFixed(1) + ',' + (h - x.v / max * (h - 4) - 2).toFixed(1);
    });
    return '<polyline fill="none" stroke="' + color + '" stroke-width="1.5"' +
      (dash ? ' stroke-dasharray="' + dash + '"' : '') + ' points="' + xy.join(' ') + '"/>';
  }
  var last = rates[rates.length - 1].v;
  return '<div class="trend">last ' + Math.round((t1 - t0) / 1000) + ' s: <span style="color:#1f5fbf">' +
    last.toFixed(0) + ' accepted/s</span>, <span style="color:#a86400">' + held[held.length - 1].v +
    ' held</span></div><svg width="' + w + '" height="' + h + '">' + line(rates, '#1f5fbf') +
    line(held, '#a86400', '4 3') + '</svg>';
}
function instance(v) {
  var st = v.status, s = st.supervisor;
  var taking = st.refusing ? span('refusing', 'refusing: ' + st.refusing) : span('ok', 'taking payments');
  return '<section class="instance' + (v.stale ? ' is-stale' : '') + '" data-instance="' + esc(st.instance) + '">' +
    '<h2>' + esc(st.instance) + badges(v) + '</h2><div class="intake">' + taking + '</div><table>' +
    row('Redis', span(st.stores.redis, st.stores.redis)) +
    row('Postgres', span(st.stores.postgres, st.stores.postgres)) + row('waiting', s.waiting) +
    row('in flight', 'default ' + s.inFlight.default + ', fallback ' + s.inFlight.fallback) +
    row('not durable', '<span class="not-durable">' + s.claiming + '</span>') + row('held', s.held) +
    row('writer lag', s.oldestUnwrittenMs + ' ms') + row('accepted', s.accepted) + '</table>' +
    actors(s) + trend(st.trend) + '</section>';
}
function render(data) {
  document.getElementById('answered-by').textContent = data.answeredBy;
  document.getElementById('updated').textContent = 'updated ' + data.time;
  document.getElementById('redis').innerHTML = data.redis === 'ok' ? ''
    : span('down', 'Redis does not answer: only this instance is shown');
  document.getElementById('instances').innerHTML = data.instances.map(instance).join('');
}
${refreshEverySecond('cluster')}
</script></body></html>`;

export function clusterPage(): string {
  return PAGE;
}
