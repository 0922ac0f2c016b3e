// What the operators' pages (/actors.html, /cluster.html) share in their script: escaping, table rows, and the
// refresh every second from their JSON route, with the admin token taken from the page's URL fragment.

/** Script helpers: esc (HTML-escapes a value) and row (a two-cell table row). */
export const PAGE_HELPERS = `
function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
function row(k, v) { return '<tr><td>' + k + '</td><td>' + v + '</td></tr>'; }`;

/**
 * Script that fetches `route` every second and hands its JSON to the page's render(). With ADMIN_TOKEN set, the
 * page is opened as <route>.html#token=<token>: the fragment never leaves the browser in a URL.
 */
export function refreshEverySecond(route: string): string {
  return `
var token = new URLSearchParams(location.hash.slice(1)).get('token');
function refresh() {
  fetch('${route}' + location.search, token ? { headers: { authorization: 'Bearer ' + token } } : {})
    .then(function (r) {
      if (r.status === 401) throw new Error('this instance needs its admin token: open this page as ' +
        '${route}.html#token=<ADMIN_TOKEN>');
      return r.json();
    }).then(render)
    .catch(function (e) { document.getElementById('updated').textContent = 'refresh failed: ' + e.message; });
}
refresh(); setInterval(refresh, 1000);`;
}
