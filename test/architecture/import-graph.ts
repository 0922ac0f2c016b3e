// The service's import graph, as the sources write it (every import and re-export between its files, type-only
// ones included): no circles, no arrow from a lower layer up to a higher one, nothing from tools/, and an HTTP
// thread that loads none of the core thread's drivers. Layers, from the bottom: the domain; what both threads
// share; the stores and the processor gateway; the actor kit; the processor and writer actors; the supervisor;
// the cluster (Redis between instances); the core thread; the HTTP thread; the composition roots.
import t from 'tap';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const LAYERS = [
  ['src/domain'],
  ['src/shared'],
  ['src/store', 'src/gateway'],
  ['src/actors/kit'],
  ['src/actors/processor', 'src/actors/writer'],
  ['src/actors/supervisor'],
  ['src/cluster'],
  ['src/core'],
  ['src/http'],
  ['src/app.ts', 'src/main.ts'],
];
/** Packages only the core thread may load. */
const CORE_DRIVERS = ['ioredis', 'pg', 'nact', 'undici'];

interface Edge {
  from: string;
  to: string;
  /** Loaded at run time (not `import type`, not only types). */
  runtime: boolean;
  /** import('...'): loaded when that code runs, not when the file is. */
  dynamic: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const IMPORT = /^(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/gm;

/** Whether an import clause brings in values (not only types). */
function loadsValues(typeKeyword: string | undefined, clause: string): boolean {
  if (typeKeyword) return false;
  const braces = /^\{([^}]*)\}$/s.exec(clause.trim());
  if (!braces) return true;
  const names = braces[1]
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return names.some((n) => !n.startsWith('type '));
}

/** Every edge out of a source file: to another source file, or to a package (its name). */
function edgesOf(file: string): Edge[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => {
    const spec = m[4] ?? m[5];
    const runtime = m[5] !== undefined || (m[1] === 'import' && loadsValues(m[2], m[3])) || m[1] === 'export';
    const dynamic = m[5] !== undefined;
    if (!spec.startsWith('.')) return { from: file, to: spec, runtime, dynamic };
    const base = normalize(join(dirname(file), spec));
    const to = [`${base}.ts`, join(base, 'index.ts')].find((c) => existsSync(join(ROOT, c))) ?? base;
    return { from: file, to, runtime, dynamic };
  });
}

const files = sources('src');
const edges = files.flatMap(edgesOf);
const layerOf = (f: string) => LAYERS.findIndex((l) => l.some((p) => f === p || f.startsWith(`${p}/`)));

/** Strongly connected components of two files or more (Tarjan): each is a circle of imports. */
function circles(): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (next.has(e.to)) next.get(e.from)!.push(e.to);
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    for (const w of next.get(v)!) {
      if (!order.has(w)) visit(w);
      if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, low.get(w)!));
    }
    if (low.get(v) !== order.get(v)) return;
    const component: string[] = [];
    for (let w = ''; w !== v;) component.push((w = stack.pop()!));
    if (component.length > 1) found.push(component);
  };
  for (const f of files) if (!order.has(f)) visit(f);
  return found;
}

t.test('every source file is in a layer', async (t) => {
  t.same(
    files.filter((f) => layerOf(f) < 0),
    [],
  );
});

t.test('no circle of imports', async (t) => {
  t.ok(edges.length > 200, `${edges.length} imports read from ${files.length} files`);
  t.same(circles(), [], 'no file imports, through others, a file that imports it');
});

t.test('no arrow up: a layer imports only from its own or lower ones', async (t) => {
  const upward = edges
    .filter((e) => e.to.startsWith('src/') && layerOf(e.to) > layerOf(e.from))
    .map((e) => `${e.from} -> ${e.to}`);
  t.same(upward, []);
});

t.test('src/ imports nothing from tools/', async (t) => {
  t.same(
    edges.filter((e) => e.to.startsWith('tools/')).map((e) => `${e.from} -> ${e.to}`),
    [],
  );
});

t.test("the HTTP thread loads none of the core thread's drivers, stores, actors or gateway", async (t) => {
  // What main.ts loads at run time, file by file (a dynamic import is the in-process core of the tests: left out).
  const loaded = new Set<string>();
  const visit = (f: string) => {
    if (loaded.has(f)) return;
    loaded.add(f);
    for (const e of edges) if (e.from === f && e.runtime && !e.dynamic && e.to.startsWith('src/')) visit(e.to);
  };
  visit('src/main.ts');
  const reached = edges.filter((e) => loaded.has(e.from) && e.runtime && !e.dynamic);
  t.same(
    reached.filter((e) => CORE_DRIVERS.includes(e.to)).map((e) => `${e.from} -> ${e.to}`),
    [],
    'no ioredis, pg, nact or undici',
  );
  t.same(
    [...loaded].filter((f) => /^src\/(store|actors|gateway|cluster)\//.test(f)),
    [],
    'no store, actor, processor client or cluster module',
  );
  t.ok(loaded.has('src/http/server.ts') && loaded.has('src/http/core-thread.ts'), 'it loads the front end');
});
