import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ordered delivery (README → Ordered delivery): webhooks.ordering; a fifo webhook's deliveries wait
 * as `queued` in publish order (published_at, then fifo_seq from a sequence) until it is their turn.
 * Both new delivery columns are nullable without a default, so adding them rewrites nothing.
 */
export class FifoOrdering1765584000000 implements MigrationInterface {
  name = 'FifoOrdering1765584000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "ordering" text NOT NULL DEFAULT 'none'`);
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD CONSTRAINT "CHK_webhooks_ordering" CHECK ("ordering" IN ('none', 'fifo'))`,
    );
    await queryRunner.query(`ALTER TABLE "deliveries" ADD "published_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "deliveries" ADD "fifo_seq" bigint`);
    await queryRunner.query(`CREATE SEQUENCE IF NOT EXISTS "deliveries_fifo_seq"`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP CONSTRAINT "CHK_deliveries_status"`);
    await queryRunner.query(
      `ALTER TABLE "deliveries" ADD CONSTRAINT "CHK_deliveries_status" CHECK ("status" IN ('pending', 'paused', 'queued', 'succeeded', 'failed', 'dropped'))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_deliveries_fifo" ON "deliveries" ("webhook_id", "published_at", "fifo_seq") WHERE "fifo_seq" IS NOT NULL AND "status" IN ('queued', 'pending', 'paused')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_deliveries_fifo"`);
    await queryRunner.query(`UPDATE "deliveries" SET "status" = 'pending' WHERE "status" = 'queued'`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP CONSTRAINT "CHK_deliveries_status"`);
    await queryRunner.query(
      `ALTER TABLE "deliveries" ADD CONSTRAINT "CHK_deliveries_status" CHECK ("status" IN ('pending', 'paused', 'succeeded', 'failed', 'dropped'))`,
    );
    await queryRunner.query(`DROP SEQUENCE IF EXISTS "deliveries_fifo_seq"`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "fifo_seq"`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "published_at"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP CONSTRAINT "CHK_webhooks_ordering"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "ordering"`);
  }
}
