// The API as clients and operators see it, in OpenAPI 3.1, served at GET /openapi.json. Written by
// hand, not generated from the routes: test/http/openapi.ts checks it against the server both ways
// (every route and error code the server has is here, and nothing else) and validates real answers.

const json = (schema: object) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = (description: string) => ({ description, content: json(ref('Error')) });

/** Every error code a client can see (src/http/errors.ts), as the document lists them. */
const ERROR_CODES = [
  'INVALID_JSON',
  'BODY_NOT_OBJECT',
  'MISSING_FIELD',
  'UNKNOWN_FIELD',
  'INVALID_CORRELATION_ID',
  'INVALID_AMOUNT',
  'INVALID_TIMESTAMP',
  'INVALID_WINDOW',
  'SUMMARY_WINDOW_TOO_LONG',
  'BODY_TOO_LARGE',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'SHUTTING_DOWN',
  'STORE_UNAVAILABLE',
  'INTERNAL',
];

const unauthorized = {
  description:
    'ADMIN_TOKEN is set and the request has no `Authorization: Bearer <ADMIN_TOKEN>` (error UNAUTHORIZED, with ' +
    '`WWW-Authenticate: Bearer`).',
  headers: { 'WWW-Authenticate': { schema: { type: 'string', const: 'Bearer' } } },
  content: json(ref('Error')),
};

const timestamp = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type: 'string', examples: ['2025-07-10T12:34:56.000Z'] },
});

/** Both routes an admin token guards when it is set; open when ADMIN_TOKEN is empty (the contest). */
const adminOnly = [{ adminToken: [] }, {}];

/** What any route may answer besides its own: another method (405, with Allow), or an unexpected error (500). */
const ANY_ROUTE = error('METHOD_NOT_ALLOWED (405, with `Allow`), or INTERNAL (500).');

/** Each operation with the answers every route may give. */
function withDefaults<P extends Record<string, Record<string, { responses: object }>>>(paths: P): P {
  for (const operations of Object.values(paths))
    for (const op of Object.values(operations)) Object.assign(op.responses, { default: ANY_ROUTE });
  return paths;
}

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'rinha-actors',
    version: '0.1.0',
    summary: 'A payment intermediary for the Rinha de Backend 2025 contract',
    description:
      'Payments are taken at once (202) and forwarded to one of two payment processors (default, cheaper; ' +
      'fallback). The summary equals, to the cent, what the processors recorded. Every route is also served under ' +
      '`/instances/{instance}` (one instance by name, through Nginx), where each needs the admin token when ' +
      'ADMIN_TOKEN is set.',
  },
  servers: [{ url: 'http://localhost:9999', description: 'npm start, or docker compose up' }],
  paths: withDefaults({
    '/payments': {
      post: {
        summary: 'Take a payment',
        requestBody: { required: true, content: json(ref('PaymentRequest')) },
        responses: {
          '202': { description: 'Taken: it will be forwarded and recorded once (no body).' },
          '400': error(
            'Bad input, nothing taken: INVALID_JSON, BODY_NOT_OBJECT, MISSING_FIELD, UNKNOWN_FIELD, ' +
              'INVALID_CORRELATION_ID or INVALID_AMOUNT.',
          ),
          '413': error('BODY_TOO_LARGE: the body is larger than MAX_BODY_BYTES.'),
          '503': {
            description:
              'Not taken; retrying with the same correlationId is safe. STORE_UNAVAILABLE (Redis refuses writes, or ' +
              'MAX_NOT_DURABLE or MAX_HELD reached; `detail` says which) or SHUTTING_DOWN.',
            headers: {
              'Retry-After': {
                description: 'Seconds to wait (STORE_UNAVAILABLE only).',
                schema: { type: 'string', const: '1' },
              },
            },
            content: json(ref('Error')),
          },
        },
      },
    },
    '/payments-summary': {
      get: {
        summary: 'Totals per processor, as the processors recorded them',
        description:
          'Counts the payments whose requestedAt lies in [from, to] (both inclusive, both optional) and that were ' +
          'answered before the summary was asked. With ADMIN_TOKEN set, a window longer than ' +
          'SUMMARY_OPEN_WINDOW_MS, or without from or to, needs the token.',
        parameters: [
          timestamp('from', 'ISO-8601; without a zone, UTC.'),
          timestamp('to', 'ISO-8601; without a zone, UTC.'),
        ],
        security: adminOnly,
        responses: {
          '200': { description: 'The totals.', content: json(ref('PaymentsSummary')) },
          '400': error('INVALID_TIMESTAMP, INVALID_WINDOW, or SUMMARY_WINDOW_TOO_LONG (without the admin token).'),
          '503': error('STORE_UNAVAILABLE: Postgres could not answer.'),
        },
      },
    },
    '/purge-payments': {
      post: {
        summary: 'Erase every payment of our store (Postgres and Redis)',
        security: adminOnly,
        responses: {
          '200': {
            description: 'Purged.',
            content: json({
              type: 'object',
              properties: { message: { type: 'string' } },
              required: ['message'],
              additionalProperties: false,
            }),
          },
          '401': unauthorized,
          '503': error('STORE_UNAVAILABLE: Postgres or Redis could not be emptied.'),
        },
      },
    },
    '/health': {
      get: {
        summary: 'Liveness',
        responses: {
          '200': { description: 'Alive.', content: json(ref('Health')) },
          '503': { description: 'Shutting down.', content: json(ref('Health')) },
        },
      },
    },
    '/ready': {
      get: {
        summary: 'Readiness: whether this instance takes payments now',
        responses: {
          '200': { description: 'Taking payments.', content: json(ref('Readiness')) },
          '503': { description: 'It would refuse a payment, and why.', content: json(ref('Readiness')) },
        },
      },
    },
    '/metrics': {
      get: {
        summary: "Prometheus metrics of the instance that answers (both of its threads')",
        responses: {
          '200': {
            description: 'The text exposition format.',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/actors': {
      get: {
        summary: "The instance's live actor tree",
        security: adminOnly,
        responses: {
          '200': {
            description: 'The supervisor, its processor actors (breaker, health) and writers, with their mailboxes.',
            content: json({
              type: 'object',
              properties: {
                instance: { type: 'string' },
                time: { type: 'string', format: 'date-time' },
                supervisor: { type: 'object' },
              },
              required: ['instance', 'time', 'supervisor'],
            }),
          },
          '401': unauthorized,
        },
      },
    },
    '/actors.html': {
      get: {
        summary: 'A page that draws /actors every second',
        responses: {
          '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
        },
      },
    },
    '/cluster': {
      get: {
        summary: 'Every instance of the cluster: alive, taking payments or why not, stores, actors, a trend',
        security: adminOnly,
        responses: {
          '200': {
            description:
              "Each instance's last status published to Redis (every HEARTBEAT_MS), this one's read now; a status " +
              'older than three heartbeats is stale. With Redis unreachable, only this instance.',
            content: json({
              type: 'object',
              properties: {
                time: { type: 'string', format: 'date-time' },
                answeredBy: { type: 'string' },
                redis: { enum: ['ok', 'unreachable'] },
                staleAfterMs: { type: 'integer' },
                instances: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      status: { type: 'object' },
                      live: { type: ['boolean', 'null'] },
                      ageMs: { type: 'number' },
                      stale: { type: 'boolean' },
                    },
                    required: ['status', 'live', 'ageMs', 'stale'],
                  },
                },
              },
              required: ['time', 'answeredBy', 'redis', 'staleAfterMs', 'instances'],
            }),
          },
          '401': unauthorized,
        },
      },
    },
    '/cluster.html': {
      get: {
        summary: 'A page that draws /cluster every second',
        responses: {
          '200': { description: 'The page.', content: { 'text/html': { schema: { type: 'string' } } } },
        },
      },
    },
    '/openapi.json': {
      get: {
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1.', content: json({ type: 'object' }) } },
      },
    },
  }),
  components: {
    securitySchemes: {
      adminToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'ADMIN_TOKEN, when it is set; without it every route is open.',
      },
    },
    schemas: {
      PaymentRequest: {
        type: 'object',
        properties: {
          correlationId: { type: 'string', format: 'uuid' },
          amount: {
            type: 'number',
            exclusiveMinimum: 0,
            maximum: 10_000_000,
            description: 'At most 2 decimals.',
          },
        },
        required: ['correlationId', 'amount'],
        additionalProperties: false,
      },
      ProcessorTotals: {
        type: 'object',
        properties: { totalRequests: { type: 'integer', minimum: 0 }, totalAmount: { type: 'number', minimum: 0 } },
        required: ['totalRequests', 'totalAmount'],
        additionalProperties: false,
      },
      PaymentsSummary: {
        type: 'object',
        properties: { default: ref('ProcessorTotals'), fallback: ref('ProcessorTotals') },
        required: ['default', 'fallback'],
        additionalProperties: false,
      },
      Health: {
        type: 'object',
        properties: {
          status: { enum: ['ok', 'shutting-down'] },
          instance: { type: 'string' },
          startedAt: { type: 'string', format: 'date-time' },
          time: { type: 'string', format: 'date-time' },
        },
        required: ['status', 'instance', 'startedAt', 'time'],
        additionalProperties: false,
      },
      Readiness: {
        type: 'object',
        properties: {
          status: { enum: ['ready', 'not-ready'] },
          reason: { enum: ['full', 'down', 'read-only', 'unreplicated', 'backlog', 'held', 'shutting-down'] },
        },
        required: ['status'],
        additionalProperties: false,
      },
      Error: {
        type: 'object',
        properties: {
          error: { enum: ERROR_CODES },
          message: { type: 'string' },
          detail: { type: 'string' },
        },
        required: ['error', 'message'],
        additionalProperties: false,
      },
    },
  },
};
