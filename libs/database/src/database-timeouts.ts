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
