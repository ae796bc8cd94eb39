import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * webhooks.filter: a JSON object an event's body must contain (jsonb `@>`) for the webhook to get
 * it; null delivers every subscribed event (README → Payload filters).
 */
export class WebhookFilter1765497600000 implements MigrationInterface {
  name = 'WebhookFilter1765497600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "filter" jsonb`);
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD CONSTRAINT "CHK_webhooks_filter_object" CHECK ("filter" IS NULL OR jsonb_typeof("filter") = 'object')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP CONSTRAINT "CHK_webhooks_filter_object"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "filter"`);
  }
}
