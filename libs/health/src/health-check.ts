/** `busy` (database only): it answers, but every pooled connection of the process is in use. */
export type CheckState = 'up' | 'busy' | 'down';

export interface HealthReport {
  status: 'ok' | 'error';
  checks: { database: CheckState; redis: CheckState };
}

export interface HealthProbes {
  /** Resolves `busy` when PostgreSQL answers but the process's pool is saturated. */
  database: () => Promise<'up' | 'busy'>;
  redis: () => Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function probe(run: () => Promise<unknown>): Promise<CheckState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    return (await Promise.race([run(), timeout])) === 'busy' ? 'busy' : 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The health answer of API and worker alike: both dependencies probed in parallel, time-boxed. A
 * busy database still counts as ok: it answers, and every instance sees the same contention, so
 * taking this one out of rotation would only turn prompt 503s into no answer at all.
 */
export async function runHealthChecks(probes: HealthProbes): Promise<HealthReport> {
  const [database, redis] = await Promise.all([probe(probes.database), probe(probes.redis)]);
  return { status: database !== 'down' && redis === 'up' ? 'ok' : 'error', checks: { database, redis } };
}
