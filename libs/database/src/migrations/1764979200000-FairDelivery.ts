import { MigrationInterface, QueryRunner } from 'typeorm';

/** Fair delivery: per-webhook throttle, the endpoint circuit, and deliveries parked while it is open. */
export class FairDelivery1764979200000 implements MigrationInterface {
  name = 'FairDelivery1764979200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "rate_limit" integer`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "paused_until" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "pause_count" integer NOT NULL DEFAULT 0`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "probe_delivery_id" uuid`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "probe_started_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "slow_since" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD CONSTRAINT "CHK_webhooks_rate_limit" CHECK ("rate_limit" IS NULL OR "rate_limit" BETWEEN 1 AND 10000)`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_webhooks_paused" ON "webhooks" ("paused_until") WHERE "paused_until" IS NOT NULL`,
    );
    await queryRunner.query(`ALTER TABLE "deliveries" DROP CONSTRAINT "CHK_deliveries_status"`);
    await queryRunner.query(
      `ALTER TABLE "deliveries" ADD CONSTRAINT "CHK_deliveries_status" CHECK ("status" IN ('pending', 'paused', 'succeeded', 'failed', 'dropped'))`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_deliveries_paused" ON "deliveries" ("webhook_id", "next_attempt_at") WHERE "status" = 'paused'`,
    );
    // The sweeper pages through due deliveries by (next_attempt_at, id).
    await queryRunner.query(`DROP INDEX "IDX_deliveries_due"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_deliveries_due" ON "deliveries" ("next_attempt_at", "id") WHERE "status" = 'pending'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_deliveries_due"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_deliveries_due" ON "deliveries" ("next_attempt_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(`DROP INDEX "IDX_deliveries_paused"`);
    await queryRunner.query(`UPDATE "deliveries" SET "status" = 'pending' WHERE "status" = 'paused'`);
    await queryRunner.query(`ALTER TABLE "deliveries" DROP CONSTRAINT "CHK_deliveries_status"`);
    await queryRunner.query(
      `ALTER TABLE "deliveries" ADD CONSTRAINT "CHK_deliveries_status" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'dropped'))`,
    );
    await queryRunner.query(`DROP INDEX "IDX_webhooks_paused"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP CONSTRAINT "CHK_webhooks_rate_limit"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "slow_since"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "probe_started_at"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "probe_delivery_id"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "pause_count"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "paused_until"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "rate_limit"`);
  }
}
