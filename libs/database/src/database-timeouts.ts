import { DatabaseError } from 'pg';
import { EntityManager, QueryFailedError } from 'typeorm';

/** Why a statement did not run: its own time ran out, a lock wait did, or no pooled connection came. */
export type DatabaseTimeout = 'statement' | 'lock' | 'pool';

const PG_QUERY_CANCELED = '57014';
const PG_LOCK_NOT_AVAILABLE = '55P03';
/** pg-pool's errors carry no code: waiting for an idle connection, connecting a new one. */
const POOL_TIMEOUT_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
];

/** Whether `error` is one of the database limits (README → Configuration) rather than a fault. */
export function databaseTimeoutOf(error: unknown): DatabaseTimeout | undefined {
  const cause: unknown = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (cause instanceof DatabaseError) {
    if (cause.code === PG_QUERY_CANCELED) return 'statement';
    if (cause.code === PG_LOCK_NOT_AVAILABLE) return 'lock';
    return undefined;
  }
  return cause instanceof Error && POOL_TIMEOUT_MESSAGES.includes(cause.message) ? 'pool' : undefined;
}

/**
 * For the rest of the caller's transaction: no limit on running time, `lockTimeoutMs` on each lock
 * wait. For the few statements whose work grows with the data (a webhook's whole delivery history,
 * a retention pass, a switched-off webhook's backlog): a limit on running time would refuse them
 * for ever once the data is large enough, while waiting on a lock is what stalls the others.
 */
export async function liftStatementTimeout(
  manager: Pick<EntityManager, 'query'>,
  lockTimeoutMs: number,
): Promise<void> {
  await manager.query(
    `SELECT set_config('statement_timeout', '0', true), set_config('lock_timeout', $1, true)`,
    [String(Math.round(lockTimeoutMs))],
  );
}

/** PostgreSQL going away (class 08, shutdown, too many connections) or a retryable conflict. */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const NODE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);
/** node-postgres' own words for a connection that ended under a query. */
const PG_CONNECTION_LOST = [
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
];

/**
 * Whether `error` says PostgreSQL could not be reached or gave up on the statement for reasons a
 * retry can fix (restart, failover, too many connections, deadlock, serialization): a 503 the
 * caller may retry, never a 500.
 */
export function databaseUnavailable(error: unknown): boolean {
  const cause: unknown = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (cause instanceof DatabaseError) {
    return cause.code !== undefined && (cause.code.startsWith('08') || PG_UNAVAILABLE.has(cause.code));
  }
  if (!(cause instanceof Error)) return false;
  const code = (cause as NodeJS.ErrnoException).code;
  return (code !== undefined && NODE_UNAVAILABLE.has(code)) || PG_CONNECTION_LOST.includes(cause.message);
}
