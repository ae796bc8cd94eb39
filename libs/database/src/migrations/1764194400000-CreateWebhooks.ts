import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateWebhooks1764194400000 implements MigrationInterface {
  name = 'CreateWebhooks1764194400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "webhooks" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "owner_id" text NOT NULL,
        "owner_nickname" text,
        "user_id" text NOT NULL,
        "api_id" uuid,
        "url" text NOT NULL,
        "events" text array NOT NULL,
        "active" boolean NOT NULL DEFAULT true,
        "custom" text,
        "secret" text NOT NULL,
        "disabled_reason" text,
        "failing_since" TIMESTAMP WITH TIME ZONE,
        "last_delivery" jsonb,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_webhooks" PRIMARY KEY ("id"),
        CONSTRAINT "CHK_webhooks_events_not_empty" CHECK (cardinality("events") > 0),
        CONSTRAINT "CHK_webhooks_url_length" CHECK (char_length("url") <= 1000),
        CONSTRAINT "CHK_webhooks_custom_length" CHECK ("custom" IS NULL OR char_length("custom") <= 10000),
        CONSTRAINT "CHK_webhooks_disabled_reason" CHECK ("disabled_reason" IN ('gone', 'failing'))
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_webhooks_owner_created" ON "webhooks" ("owner_id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_webhooks_api_active" ON "webhooks" ("api_id") WHERE "active" AND "api_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_webhooks_user_active" ON "webhooks" ("user_id") WHERE "active" AND "api_id" IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_webhooks_events" ON "webhooks" USING GIN ("events")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhooks"`);
  }
}
