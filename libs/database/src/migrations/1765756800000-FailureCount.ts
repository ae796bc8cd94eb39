import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * webhooks.failure_count: failed attempts in a row, counted up to the webhook.failing threshold
 * and back to 0 on a success (README → Operational events).
 */
export class FailureCount1765756800000 implements MigrationInterface {
  name = 'FailureCount1765756800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "failure_count" integer NOT NULL DEFAULT 0`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "failure_count"`);
  }
}
