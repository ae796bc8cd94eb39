import { MigrationInterface, QueryRunner } from 'typeorm';
import { addColumnsOnline } from './online-migration';

/** Rows marked per statement (and per transaction) by the backfill. */
const BACKFILL_BATCH = 5_000;

/**
 * Marks the next batch of failed deliveries after $1 (by primary key, $2 rows) as exhausted when
 * they ended. Returns the batch's last id (null: none left).
 */
const BACKFILL_SQL = `
  WITH batch AS (
    SELECT id FROM "deliveries" WHERE id > $1::uuid ORDER BY id LIMIT $2
  ), marked AS (
    UPDATE "deliveries" d SET "exhausted_at" = d."updated_at"
      FROM batch b
     WHERE d.id = b.id AND d."status" = 'failed' AND d."exhausted_at" IS NULL
  )
  SELECT max(id::text) AS last FROM batch`;

/**
 * When a delivery first ended failed (README → Operational events): set once and kept when the
 * delivery is recovered, so delivery.exhausted is published once in a delivery's life, and an attempt
 * of a recovered delivery is known as one (the owner's action caused it). Deliveries that failed
 * before this published theirs already. Online, like every migration that touches a table the worker
 * writes (README → Operations → Start-up and shutdown): the column is added under a short lock
 * timeout, and rows from before are marked in batches of BACKFILL_BATCH, each its own transaction.
 */
export class DeliveryExhaustedOnce1766275200000 implements MigrationInterface {
  name = 'DeliveryExhaustedOnce1766275200000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await addColumnsOnline(
      queryRunner,
      `ALTER TABLE "deliveries" ADD COLUMN IF NOT EXISTS "exhausted_at" TIMESTAMP WITH TIME ZONE`,
    );
    for (let after = '00000000-0000-0000-0000-000000000000'; ;) {
      const [{ last }] = (await queryRunner.query(BACKFILL_SQL, [after, BACKFILL_BATCH])) as Array<{
        last: string | null;
      }>;
      if (last === null) break;
      after = last;
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN IF EXISTS "exhausted_at"`);
  }
}
