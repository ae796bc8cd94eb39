export type CheckState = 'up' | 'down';

export interface HealthReport {
  status: 'ok' | 'error';
  checks: { database: CheckState; redis: CheckState };
}

export interface HealthProbes {
  database: () => Promise<unknown>;
  redis: () => Promise<unknown>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function probe(run: () => Promise<unknown>): Promise<CheckState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([run(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** The health answer of API and worker alike: both dependencies probed in parallel, time-boxed. */
export async function runHealthChecks(probes: HealthProbes): Promise<HealthReport> {
  const [database, redis] = await Promise.all([probe(probes.database), probe(probes.redis)]);
  return { status: database === 'up' && redis === 'up' ? 'ok' : 'error', checks: { database, redis } };
}
