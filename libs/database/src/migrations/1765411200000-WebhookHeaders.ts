import { MigrationInterface, QueryRunner } from 'typeorm';

/** webhooks.headers: custom delivery headers, a JSON map sealed like the secret (so text, not jsonb). */
export class WebhookHeaders1765411200000 implements MigrationInterface {
  name = 'WebhookHeaders1765411200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "headers" text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "headers"`);
  }
}
