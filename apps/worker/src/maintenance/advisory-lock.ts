import type { DataSource, QueryRunner } from 'typeorm';

/**
 * Runs `task` on one connection holding the session advisory lock `key`, or returns `whenBusy` at
 * once when another worker holds it: maintenance passes run one at a time across the fleet.
 */
export async function whileHoldingLock<T>(
  dataSource: DataSource,
  key: number,
  whenBusy: T,
  task: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [key])) as Array<{
      locked: boolean;
    }>;
    if (!locked) return whenBusy;
    try {
      return await task(runner);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [key]);
    }
  } finally {
    await runner.release();
  }
}
