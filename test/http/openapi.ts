// The API document against the server, both ways: a valid OpenAPI 3.1 document (checked by a validator of
// the field, not by this project); every route and error code the server has is in it, and nothing else; and
// real answers of a running instance (Postgres, Redis, processors) validate against what it says.
import t, { type Test } from 'tap';
import { Validator } from '@seriousme/openapi-schema-validator';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { API_ERRORS } from '../../src/http/errors';
import { OPENAPI } from '../../src/http/openapi';
import { ROUTES } from '../../src/http/http-api';
import { newPayment, startAppWithProcessors } from '../fixtures/pipeline';

type Operation = { responses: Record<string, { content?: Record<string, { schema: object }>; headers?: object }> };
const paths = OPENAPI.paths as unknown as Record<string, Record<string, Operation>>;

t.test('a valid OpenAPI 3.1 document', async (t) => {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(OPENAPI));
  t.ok(result.valid, `valid: ${JSON.stringify(result.errors ?? [])}`);
  t.equal(validator.version, '3.1');
});

t.test('every route the server has is in it with its method, and nothing else', async (t) => {
  const documented = Object.entries(paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
  const served = Object.entries(ROUTES)
    .map(([path, route]) => `${route.method.toUpperCase()} ${path}`)
    .sort();
  t.same(documented, served);
});

t.test('every error code the server can answer is in it, and nothing else; each status is documented', async (t) => {
  const documented = [...OPENAPI.components.schemas.Error.properties.error.enum].sort();
  t.same(documented, Object.keys(API_ERRORS).sort());
  const statuses = new Set(
    Object.values(paths).flatMap((ops) => Object.values(ops).flatMap((o) => Object.keys(o.responses))),
  );
  for (const [code, spec] of Object.entries(API_ERRORS)) {
    // 404 has no route to be documented under; 405 and 500 are every route's `default`.
    const where =
      code === 'NOT_FOUND' ? 'the Error schema' : statuses.has(String(spec.status)) ? String(spec.status) : 'default';
    t.ok(where !== 'default' || statuses.has('default'), `${code} (${spec.status}): documented as ${where}`);
  }
});

/** A validator of JSON bodies against the document's own schemas (its refs resolved inside it). */
function bodyValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(OPENAPI, 'api');
  return (pointer: string, body: unknown) => {
    const validate = ajv.getSchema(`api#${pointer}`) ?? ajv.compile({ $ref: `api#${pointer}` });
    return validate(body) ? null : ajv.errorsText(validate.errors);
  };
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

interface Request {
  body?: string;
  headers?: Record<string, string>;
  query?: string;
}

/**
 * Asks the instance, checks the answer is documented for its route (or, for no route, an Error) and that its
 * body validates; notes which documented answers were seen.
 */
function answerChecker(t: Test, url: string, seen: Set<string>) {
  const validate = bodyValidator();
  return async (method: string, path: string, init: Request = {}, want?: number) => {
    const res = await fetch(`${url}${path}${init.query ?? ''}`, {
      method,
      body: init.body,
      headers: { 'content-type': 'application/json', ...init.headers },
    });
    const text = await res.text();
    const what = `${method} ${path}${init.query ?? ''} → ${res.status}`;
    if (want !== undefined) t.equal(res.status, want, what);
    const operation = paths[path]?.[method.toLowerCase()];
    if (!operation) return t.equal(validate('/components/schemas/Error', JSON.parse(text)), null, `${what}: an Error`);
    const status = String(res.status) in operation.responses ? String(res.status) : 'default';
    seen.add(`${method} ${path} ${status}`);
    const response = operation.responses[status];
    const type = (res.headers.get('content-type') ?? '').split(';')[0];
    if (!response.content) return t.equal(text, '', `${what}: no body, as documented`);
    t.ok(type in response.content, `${what}: ${type} is a documented content type`);
    if (type !== 'application/json') return;
    const operationPointer = `/paths/${escape(path)}/${method.toLowerCase()}`;
    const pointer = `${operationPointer}/responses/${status}/content/application~1json/schema`;
    t.equal(validate(pointer, JSON.parse(text)), null, `${what}: the body validates`);
    if (status === '503' && path === '/payments') t.equal(res.headers.get('retry-after'), '1', `${what}: Retry-After`);
  };
}

t.test('real answers of a running instance validate against it', async (t) => {
  const token = 'openapi-test-token';
  // Both processors failing and room for 2 held payments: a third payment is refused, as in production.
  const { processors, app } = await startAppWithProcessors(t, { adminToken: token, maxHeld: 2, maxBodyBytes: 200 });
  await processors.setFailure('default', true);
  await processors.setFailure('fallback', true);
  const admin = { authorization: `Bearer ${token}` };
  const lastMinute = () =>
    new URLSearchParams({ from: new Date(Date.now() - 60_000).toISOString(), to: new Date().toISOString() });
  const seen = new Set<string>();
  const check = answerChecker(t, app.url, seen);

  const pay = (body: unknown) => ({ body: typeof body === 'string' ? body : JSON.stringify(body) });
  await check('POST', '/payments', pay(newPayment()), 202);
  await check('POST', '/payments', pay('{"correlationId":'), 400);
  await check('POST', '/payments', pay({ ...newPayment(), amount: 0.001 }), 400);
  await check('POST', '/payments', pay({ ...newPayment(), extra: 'x'.repeat(300) }), 413);
  await check('GET', '/payments-summary', { query: `?${lastMinute().toString()}` }, 200);
  await check('GET', '/payments-summary', { query: '?from=yesterday' }, 400);
  await check('GET', '/payments-summary', {}, 400);
  await check('GET', '/payments-summary', { headers: admin }, 200);
  await check('GET', '/health', {}, 200);
  await check('GET', '/ready', {}, 200);
  await check('GET', '/metrics', {}, 200);
  await check('GET', '/actors', {}, 401);
  await check('GET', '/actors', { headers: admin }, 200);
  await check('GET', '/actors.html', {}, 200);
  await check('GET', '/cluster', {}, 401);
  await check('GET', '/cluster', { headers: admin }, 200);
  await check('GET', '/cluster.html', {}, 200);
  await check('GET', '/openapi.json', {}, 200);
  await check('GET', '/payments', {}, 405);
  await check('GET', '/no-such-route', {}, 404);
  // Held until the bound: then 503 with Retry-After, and not ready.
  await check('POST', '/payments', pay(newPayment()), 202);
  await new Promise((r) => setTimeout(r, 300));
  await check('POST', '/payments', pay(newPayment()), 503);
  await check('GET', '/ready', {}, 503);
  await check('POST', '/purge-payments', {}, 401);
  await check('POST', '/purge-payments', { headers: admin }, 200);
  const documented = Object.entries(paths).flatMap(([path, ops]) =>
    Object.entries(ops).flatMap(([method, op]) =>
      Object.keys(op.responses)
        .filter((status) => status !== 'default')
        .map((status) => `${method.toUpperCase()} ${path} ${status}`),
    ),
  );
  t.same(
    documented.filter((d) => !seen.has(d)).sort(),
    ['GET /health 503', 'GET /payments-summary 503', 'POST /purge-payments 503'],
    'every documented answer was seen but those of a store down or a stop (test/app.ts and test/e2e/faults.ts)',
  );
  const served = await (await fetch(`${app.url}/openapi.json`)).json();
  t.same(served, JSON.parse(JSON.stringify(OPENAPI)), 'GET /openapi.json serves this document');
});
