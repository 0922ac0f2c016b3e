// GET /actors.html: a small page that renders GET /actors (the live actor tree of
// the instance that answers) and refreshes itself every second.
import { PAGE_HELPERS, refreshEverySecond } from './page-script';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Actors</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.2rem}.actor{border:1px solid #ccc;border-radius:6px;padding:.5rem .8rem;margin:.4rem 0 .4rem 1.5rem}
.name{font-weight:600}.closed{color:#187a2f}.open{color:#b3261e}.half-open{color:#a86400}
table{border-collapse:collapse}td{padding:0 .8rem 0 0}
</style></head>
<body><h1>Actor tree of <span id="instance">…</span></h1><div id="updated"></div><div id="tree">loading…</div>
<script>${PAGE_HELPERS}
function render(data) {
  var s = data.supervisor;
  var html = '<div class="actor" id="supervisor"><div class="name">supervisor</div><table>' +
    row('mailbox', s.mailbox) + row('waiting', s.waiting) + row('claiming', s.claiming) +
    row('oldest waiting', s.oldestWaitingMs + ' ms') +
    row('in flight', 'default ' + s.inFlight.default + ', fallback ' + s.inFlight.fallback) +
    row('accepted', s.accepted) + row('duplicates', s.duplicates) + '</table>';
  s.processors.forEach(function (p) {
    var h = p.health
      ? (p.health.failing ? 'failing' : 'ok') + ', ' + p.health.minResponseTime + ' ms, by ' +
        esc(p.health.checkedBy) + ' at ' + new Date(p.health.checkedAt).toISOString()
      : 'not yet seen';
    var breaker = '<span class="' + p.breaker.state + '">' + p.breaker.state + '</span>' +
      (p.unavailable ? ' (' + p.unavailable + ')' : '');
    html += '<div class="actor processor" data-name="' + esc(p.name) + '">' +
      '<div class="name">' + esc(p.name) + '</div><table>' +
      row('breaker', breaker) + row('estimated delay', p.estimatedDelayMs + ' ms') + row('health', h) +
      row('in flight', p.inFlight) + row('pinned', p.pinned) + row('mailbox', p.mailbox) +
      row('recorded', p.recordedTotal) + row('returned', p.returnedTotal) + '</table></div>';
  });
  s.writers.forEach(function (w) {
    html += '<div class="actor writer" data-name="' + esc(w.name) + '">' +
      '<div class="name">' + esc(w.name) + '</div><table>' +
      row('pending batch', w.buffered) + row('mailbox', w.mailbox) + row('rows written', w.rowsWritten) +
      row('last batch', w.lastBatchSize + ' rows in ' + w.lastFlushMs.toFixed(2) + ' ms') +
      row('failed flushes', w.failedFlushes) + '</table></div>';
  });
  document.getElementById('tree').innerHTML = html + '</div>';
  document.getElementById('instance').textContent = data.instance;
  document.getElementById('updated').textContent = 'updated ' + data.time;
}
${refreshEverySecond('actors')}
</script></body></html>`;

export function inspectPage(): string {
  return PAGE;
}
