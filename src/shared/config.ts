// The one place where the app's settings are declared, documented and read.
// Every setting comes from an environment variable, has a type and a default,
// and is read once at start-up (loadConfig). The table in docs/settings.md lists
// the same entries; `node dist/src/config.js` prints them.

import { hostname } from 'node:os';
import { LOG_LEVELS } from './log';

type Kind = 'string' | 'int' | 'number' | 'bool';

interface Setting<K extends Kind> {
  env: string;
  kind: K;
  default: K extends 'string' ? string : K extends 'bool' ? boolean : number;
  doc: string;
}

function setting<K extends Kind>(env: string, kind: K, dflt: Setting<K>['default'], doc: string): Setting<K> {
  return { env, kind, default: dflt, doc };
}

export const settings = {
  instanceId: setting(
    'INSTANCE_ID',
    'string',
    '',
    'Name of this instance in logs, Redis keys and metrics; empty means `<hostname>-<pid>`.',
  ),
  port: setting('PORT', 'int', 9999, 'TCP port the HTTP front end listens on (ignored when SOCKET_PATH is set).'),
  socketPath: setting('SOCKET_PATH', 'string', '', 'Unix socket path to listen on instead of TCP (used behind Nginx).'),
  databaseUrl: setting(
    'DATABASE_URL',
    'string',
    'postgres://postgres@127.0.0.1:5432/test',
    'PostgreSQL connection string.',
  ),
  databaseSchema: setting(
    'DATABASE_SCHEMA',
    'string',
    'public',
    'Schema holding the payments table (tests use their own).',
  ),
  databasePoolSize: setting('DATABASE_POOL_SIZE', 'int', 4, 'Connections in the Postgres pool of one instance.'),
  databaseSummaryPoolSize: setting(
    'DATABASE_SUMMARY_POOL_SIZE',
    'int',
    1,
    'Connections of a Postgres pool of its own for GET /payments-summary, beside DATABASE_POOL_SIZE: summaries ' +
      'wait for each other, never for a payment look-up or write (0: they share that pool).',
  ),
  databaseQueryTimeoutMs: setting(
    'DATABASE_QUERY_TIMEOUT_MS',
    'int',
    5000,
    'A Postgres query not answered by then fails and its connection is dropped (a Postgres that drops packets ' +
      'without a reset would otherwise hold a connection until the kernel gives up on it); 0: no limit.',
  ),
  storeWaitMs: setting(
    'STORE_WAIT_MS',
    'int',
    30000,
    'At start, how long to wait for Postgres and Redis to answer before giving up (an orchestrator may start ' +
      'the instance first); 0 gives up at the first refusal.',
  ),
  redisUrl: setting(
    'REDIS_URL',
    'string',
    'redis://127.0.0.1:6379',
    'Redis connection string (ignored when REDIS_SENTINELS is set).',
  ),
  redisSentinels: setting(
    'REDIS_SENTINELS',
    'string',
    '',
    'Redis Sentinel addresses, `host:port,host:port`: when set, the instance asks them for the primary of ' +
      'REDIS_MASTER_NAME and follows it through a fail-over (docs/deploy.md, Past one host).',
  ),
  redisMasterName: setting('REDIS_MASTER_NAME', 'string', 'rinha', 'The primary the sentinels watch, by name.'),
  redisMinReplicas: setting(
    'REDIS_MIN_REPLICAS',
    'int',
    0,
    'A claim or an assignment counts only once this many replicas have it too (WAIT): what a promoted replica ' +
      'must hold. 0 (one Redis) waits for none.',
  ),
  redisReplicaWaitMs: setting(
    'REDIS_REPLICA_WAIT_MS',
    'int',
    500,
    'How long a write waits for REDIS_MIN_REPLICAS; past it the write fails and is tried again (new payments ' +
      'get 503 meanwhile).',
  ),
  redisPrefix: setting(
    'REDIS_PREFIX',
    'string',
    'rinha:',
    'Prefix of every Redis key, so several deployments (or tests) can share one Redis.',
  ),
  defaultUrl: setting(
    'PROCESSOR_DEFAULT_URL',
    'string',
    'http://127.0.0.1:8001',
    'Base URL of the default Payment Processor.',
  ),
  fallbackUrl: setting(
    'PROCESSOR_FALLBACK_URL',
    'string',
    'http://127.0.0.1:8002',
    'Base URL of the fallback Payment Processor.',
  ),
  processorTimeoutMs: setting(
    'PROCESSOR_TIMEOUT_MS',
    'int',
    8000,
    'How long one payment call may take before its outcome is treated as unknown.',
  ),
  processorConnections: setting(
    'PROCESSOR_CONNECTIONS',
    'int',
    512,
    'Most open connections to one processor (undici pool size).',
  ),
  processorMaxInFlight: setting(
    'PROCESSOR_MAX_IN_FLIGHT',
    'int',
    512,
    'Most payments in flight to one processor at once; more wait in the supervisor (keep it <= ' +
      'PROCESSOR_CONNECTIONS, so none waits for a connection).',
  ),
  processorSendRate: setting(
    'PROCESSOR_SEND_RATE',
    'int',
    400,
    'Most payments one instance sends to processors per second (0: no limit). Steady traffic stays below it; a ' +
      'backlog drains at this pace instead of in one burst that would use up the CPU quota and stall the HTTP ' +
      'thread too.',
  ),
  consistencyHorizonMs: setting(
    'CONSISTENCY_HORIZON_MS',
    'int',
    1500,
    'A processor whose delay reaches this is not used: its records would land too close to the 2 s consistency window.',
  ),
  slowMarginMs: setting(
    'SLOW_MARGIN_MS',
    'int',
    30,
    "A payment unanswered this long beyond the processor's expected delay (or four times the answers' spread, if " +
      'more) marks it slow, sooner than the horizon: payments sent meanwhile would land late.',
  ),
  defaultWaitMs: setting(
    'DEFAULT_WAIT_MS',
    'int',
    60000,
    'How long a payment may wait for default to be usable before it goes to fallback.',
  ),
  breakerFailureThreshold: setting(
    'BREAKER_FAILURE_THRESHOLD',
    'int',
    3,
    "Consecutive failures that open a processor's circuit breaker.",
  ),
  breakerCooldownMs: setting(
    'BREAKER_COOLDOWN_MS',
    'int',
    500,
    'How long an open breaker waits before letting one probe payment through.',
  ),
  healthIntervalMs: setting(
    'HEALTH_INTERVAL_MS',
    'int',
    5000,
    'Interval between health checks of one processor, for all instances together (the processors allow 1 per 5 s).',
  ),
  heartbeatMs: setting(
    'HEARTBEAT_MS',
    'int',
    1000,
    'Interval at which an instance tells Redis it is alive; 3 missed beats make its pending payments claimable.',
  ),
  intakeFlushMs: setting(
    'INTAKE_FLUSH_MS',
    'int',
    0,
    'Most time an accepted payment waits before it is written to Redis (0: the next event-loop turn).',
  ),
  ackWhenDurable: setting(
    'ACK_WHEN_DURABLE',
    'bool',
    false,
    "Answer 202 only once the payment's claim has landed in Redis (503 if it fails), instead of at once: no crash " +
      'window, for a Redis round trip and a thread hop in every answer.',
  ),
  maxNotDurable: setting(
    'MAX_NOT_DURABLE',
    'int',
    5000,
    'Most payments answered 202 and not yet durable in Redis that an instance holds in memory; at this many, new ' +
      'payments get 503 until Redis has taken them.',
  ),
  maxHeld: setting(
    'MAX_HELD',
    'int',
    10_000,
    'Most payments an instance holds in memory between their claim and their row in Postgres (waiting for a ' +
      'look-up, a processor or a writer): the core heap peaked at 24, 27 and 34 MB with 2,000, 10,000 and 20,000 ' +
      'held. At this many, new payments get 503 (reason held) until it holds 10 % fewer, and the payments of dead ' +
      'instances wait in Redis until there is room for them.',
  ),
  writerCount: setting(
    'WRITER_COUNT',
    'int',
    1,
    'Batching writer actors flushing processed payments to Postgres (one carries 1,000s per second: an INSERT per ' +
      'flush, not per payment).',
  ),
  writerBatchSize: setting('WRITER_BATCH_SIZE', 'int', 500, 'Most rows in one INSERT.'),
  writerFlushMs: setting(
    'WRITER_FLUSH_MS',
    'int',
    200,
    'Most time a processed payment waits before its writer flushes (a summary flushes every writer first, and the ' +
      'payment stays in Redis until then, so this only sets how many rows share an INSERT).',
  ),
  summaryBarrierMs: setting(
    'SUMMARY_BARRIER_MS',
    'int',
    250,
    'Most time a summary waits for every live instance to flush its writers.',
  ),
  dedupeRebuildMs: setting(
    'DEDUPE_REBUILD_MS',
    'int',
    1000,
    'Most time a rebuild of the dedupe memory (after Redis lost its data) waits for every live instance to put ' +
      'back the payments it holds; one slower than this (hung) has them left out until it answers. Claims wait ' +
      'meanwhile, so this bounds how long accepted payments stay in memory only.',
  ),
  dedupeWindowMs: setting(
    'DEDUPE_WINDOW_MS',
    'int',
    120000,
    'How long Redis remembers an accepted correlationId (payments still pending are remembered until recorded); a ' +
      're-post after that is caught by one look-up in the payments table per claim batch. Bounds Redis memory: about ' +
      '88 bytes per id for at most 1.25 windows (docs/operations.md, Running for months).',
  ),
  lookupBatchMs: setting(
    'LOOKUP_BATCH_MS',
    'int',
    10,
    'Most time a claimed payment waits to share its look-up in the payments table with others (0: a look-up ' +
      'per claim as soon as the last one answered). Delays the processing, not the answer: one query per 10 ms ' +
      'instead of one per claim.',
  ),
  logRepeatMs: setting(
    'LOG_REPEAT_MS',
    'int',
    10000,
    'A failure that repeats (claims, look-ups, writer flushes, assignments, heartbeats) is logged at most once per ' +
      'this interval, with its count.',
  ),
  maxBodyBytes: setting('MAX_BODY_BYTES', 'int', 1024, 'Largest request body accepted; larger ones get 413.'),
  coreThread: setting(
    'CORE_THREAD',
    'bool',
    true,
    'Run the payment core (actors, processors, Redis, Postgres) in a worker thread, so the HTTP thread only answers.',
  ),
  coreNice: setting(
    'CORE_NICE',
    'int',
    10,
    'Nice value of the core thread (0-19; 0 leaves it alone): the HTTP thread of the same instance then runs ' +
      'first when both are ready, so answers do not wait behind payment work.',
  ),
  coreOldSpaceMb: setting('CORE_OLD_SPACE_MB', 'int', 48, 'Old-generation heap limit of the core thread, in MB.'),
  coreYoungSpaceMb: setting(
    'CORE_YOUNG_SPACE_MB',
    'int',
    6,
    "Young-generation size of the core thread, in MB (three semi-spaces' worth).",
  ),
  warmUpRounds: setting(
    'WARM_UP_ROUNDS',
    'int',
    2000,
    'Rounds of harmless work on the hot paths (Redis scripts on scratch keys, look-ups of unknown ids, parsing) ' +
      'before the instance listens, so that compiling them does not happen under the first requests (0: none).',
  ),
  cpuProfileDir: setting(
    'CPU_PROFILE_DIR',
    'string',
    '',
    'When set, each thread writes a CPU profile there when the instance stops: <instance>-http.cpuprofile and ' +
      '<instance>-core.cpuprofile (summarise with tools/bench/profile-summary.js).',
  ),
  eventLoopSampleMs: setting(
    'EVENT_LOOP_SAMPLE_MS',
    'int',
    100,
    'How often each thread samples its event-loop delay for /metrics. Each sample wakes the thread: at 10 an idle ' +
      'instance used 1.2 % of a CPU, at 100 about 0.5 %; a shorter delay is seen when it overlaps a sample.',
  ),
  adminToken: setting(
    'ADMIN_TOKEN',
    'string',
    '',
    'When set, POST /purge-payments, /actors and every /instances/<id>/... route need `Authorization: Bearer ' +
      '<token>` (401 without it), and so does a summary longer than SUMMARY_OPEN_WINDOW_MS; payments, bounded ' +
      'summaries, /health and /metrics stay open. Empty: all open (the contest). The durable and multi-host ' +
      'Compose files refuse to start without it.',
  ),
  summaryOpenWindowMs: setting(
    'SUMMARY_OPEN_WINDOW_MS',
    'int',
    3_600_000,
    'With ADMIN_TOKEN set, a GET /payments-summary over a longer window, or without from or to, needs the token ' +
      '(400 SUMMARY_WINDOW_TOO_LONG without it): a long summary scans that many rows. Without ADMIN_TOKEN every ' +
      'window is open.',
  ),
  logLevel: setting('LOG_LEVEL', 'string', 'info', 'Lowest level logged: debug, info, warn, error or silent.'),
} as const;

type Settings = typeof settings;
type ValueOf<S> =
  S extends Setting<infer K> ? (K extends 'string' ? string : K extends 'bool' ? boolean : number) : never;
export type Config = { readonly [P in keyof Settings]: ValueOf<Settings[P]> };

export class ConfigError extends Error {}

function parse(s: Setting<Kind>, raw: string): string | number | boolean {
  switch (s.kind) {
    case 'string':
      return raw;
    case 'bool':
      if (/^(1|true|yes)$/i.test(raw)) return true;
      if (/^(0|false|no)$/i.test(raw)) return false;
      throw new ConfigError(`${s.env} must be true or false, got "${raw}"`);
    case 'int':
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || (s.kind === 'int' && !Number.isInteger(n)) || n < 0) {
        throw new ConfigError(
          `${s.env} must be a non-negative ${s.kind === 'int' ? 'integer' : 'number'}, got "${raw}"`,
        );
      }
      return n;
    }
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(settings) as [string, Setting<Kind>][]) {
    const raw = env[s.env];
    out[key] = raw === undefined || raw === '' ? s.default : parse(s, raw);
  }
  if ((out.coreNice as number) > 19) throw new ConfigError(`CORE_NICE must be at most 19, got "${env.CORE_NICE}"`);
  if (!(LOG_LEVELS as readonly string[]).includes(out.logLevel as string))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  if (!out.instanceId) out.instanceId = `${hostname()}-${process.pid}`;
  return Object.freeze({ ...(out as Config), ...overrides });
}

/** The settings as a Markdown table, for docs/settings.md. */
export function settingsTable(): string {
  const rows = Object.values(settings).map(
    (s: Setting<Kind>) => `| \`${s.env}\` | ${s.kind} | \`${String(s.default)}\` | ${s.doc} |`,
  );
  return ['| variable | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

if (require.main === module) console.log(settingsTable());
