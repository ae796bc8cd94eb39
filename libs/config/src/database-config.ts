import type { AppConfig } from './app-config';
import { ConfigError, EnvReader } from './env-reader';
import { formatDuration, parseDuration } from './duration';

const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'];
/** The modes node-postgres alone would treat as verify-full (with a warning), unlike libpq. */
const LIBPQ_SSL_MODES = ['prefer', 'require', 'verify-ca'];

/**
 * `sslmode` means what libpq and the managed PostgreSQL services document: `require` encrypts
 * without checking the certificate (checked against `sslrootcert` when given), `verify-full`
 * checks it and the host name (`prefer` encrypts too, but unlike libpq never falls back to plain
 * text: node-postgres has no fallback). node-postgres alone treats `require` as `verify-full`, so a
 * managed database's URL would fail; `uselibpqcompat=true` tells it to follow libpq.
 */
export function parseDatabaseUrl(reader: EnvReader): string {
  const text = reader.url('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/event_api', [
    'postgres:',
    'postgresql:',
  ]) as string;
  const url = new URL(text);
  const mode = url.searchParams.get('sslmode');
  if (mode === null) return text;
  if (!SSL_MODES.includes(mode)) {
    throw new ConfigError('DATABASE_URL', `sslmode must be one of ${SSL_MODES.join(', ')}, got "${mode}"`);
  }
  if (!LIBPQ_SSL_MODES.includes(mode) || url.searchParams.has('uselibpqcompat')) return text;
  if (mode === 'verify-ca' && !url.searchParams.has('sslrootcert')) {
    throw new ConfigError(
      'DATABASE_URL',
      'sslmode=verify-ca needs sslrootcert=/path/to/ca.pem (the CA to verify against)',
    );
  }
  // Before any #fragment, where node-postgres would not see it.
  const fragmentAt = text.indexOf('#');
  const end = fragmentAt === -1 ? text.length : fragmentAt;
  return `${text.slice(0, end)}&uselibpqcompat=true${text.slice(end)}`;
}

/** Below PostgreSQL's limit for `statement_timeout` (a 32-bit count of milliseconds). */
const MAX_TIMEOUT_MS = 24 * 3_600_000;
const MIN_TIMEOUT_MS = 100;

function timeout(reader: EnvReader, name: string, fallback: string): number {
  const text = reader.raw(name) ?? fallback;
  const ms = parseDuration(text);
  if (ms === undefined || ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS) {
    throw new ConfigError(
      name,
      `must be a duration from ${formatDuration(MIN_TIMEOUT_MS)} to ${formatDuration(MAX_TIMEOUT_MS)} like 5s, got "${text}"`,
    );
  }
  return ms;
}

/**
 * The API's statements are key lookups and pages of at most 100 rows (milliseconds), so 5 s is a
 * thousand times their usual time, and 2 s for a pooled connection is ample when each is held that
 * briefly: past those the database is stuck, and an answer the client can retry beats a queue.
 * The worker's batch statements wait for each other's row locks and may run far longer than a
 * request, and it has nobody waiting on an answer: 60 s, for its connection wait too.
 */
export function parseDatabaseTimeouts(reader: EnvReader): AppConfig['databaseTimeouts'] {
  const worker = timeout(reader, 'WORKER_DB_STATEMENT_TIMEOUT', '60s');
  return {
    api: {
      statementMs: timeout(reader, 'DB_STATEMENT_TIMEOUT', '5s'),
      poolMs: timeout(reader, 'DB_POOL_TIMEOUT', '2s'),
    },
    worker: { statementMs: worker, poolMs: worker },
  };
}

/**
 * SQL connections per process. Deliveries share batched statements (a few in flight per batcher),
 * so the pool grows with DELIVERY_CONCURRENCY by one connection per ten in-flight deliveries,
 * not one per delivery: 15 at the default 50, 20 at 100.
 */
export function databasePoolSize(deliveryConcurrency: number): number {
  return 10 + Math.ceil(deliveryConcurrency / 10);
}
