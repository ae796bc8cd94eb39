import { QueryRunner } from 'typeorm';

/*
 * Steps of a migration that runs while the previous release still delivers (`transaction = false`):
 * no lock held across it, each step safe to run again.
 */

/** How long a column change may wait for its lock before it lets go and tries again. */
const ALTER_LOCK_TIMEOUT = '2s';
const ALTER_TRIES = 30;

/** The column change, waiting at most ALTER_LOCK_TIMEOUT for its lock each time it asks. */
export async function addColumnsOnline(queryRunner: QueryRunner, sql: string): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await queryRunner.query(`SET lock_timeout = '${ALTER_LOCK_TIMEOUT}'`);
      await queryRunner.query(sql);
      return;
    } catch (error) {
      // 55P03 lock_not_available: a long transaction holds the table; let the queue behind us go.
      if ((error as { code?: string }).code !== '55P03' || tries >= ALTER_TRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      await queryRunner.query('RESET lock_timeout');
    }
  }
}

/** CREATE INDEX CONCURRENTLY `name` `definition`, unless a valid one is there already. */
export async function createIndexConcurrently(
  queryRunner: QueryRunner,
  name: string,
  definition: string,
): Promise<void> {
  const [existing] = (await queryRunner.query(
    `SELECT i.indisvalid AS valid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid
      WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace`,
    [name],
  )) as Array<{ valid: boolean }>;
  if (existing?.valid) return;
  if (existing) await queryRunner.query(`DROP INDEX CONCURRENTLY "public"."${name}"`);
  await queryRunner.query(`CREATE INDEX CONCURRENTLY "${name}" ${definition}`);
}
