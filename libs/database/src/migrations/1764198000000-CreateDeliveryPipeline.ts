import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateDeliveryPipeline1764198000000 implements MigrationInterface {
  name = 'CreateDeliveryPipeline1764198000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "previous_secret" text`);
    await queryRunner.query(
      `ALTER TABLE "webhooks" ADD "previous_secret_expires_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(`
      CREATE TABLE "events" (
        "id" text NOT NULL,
        "name" text NOT NULL,
        "body" text NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_events" PRIMARY KEY ("id")
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_events_created" ON "events" ("created_at")`);
    await queryRunner.query(`
      CREATE TABLE "deliveries" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "event_id" text NOT NULL,
        "webhook_id" uuid NOT NULL,
        "status" text NOT NULL DEFAULT 'pending',
        "attempts" integer NOT NULL DEFAULT 0,
        "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "locked_until" TIMESTAMP WITH TIME ZONE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_deliveries" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_deliveries_event_webhook" UNIQUE ("event_id", "webhook_id"),
        CONSTRAINT "CHK_deliveries_status" CHECK ("status" IN ('pending', 'succeeded', 'failed', 'dropped')),
        CONSTRAINT "FK_deliveries_event" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT "FK_deliveries_webhook" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_deliveries_due" ON "deliveries" ("next_attempt_at") WHERE "status" = 'pending'`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_deliveries_webhook" ON "deliveries" ("webhook_id")`);
    await queryRunner.query(`
      CREATE TABLE "delivery_attempts" (
        "id" uuid NOT NULL,
        "delivery_id" uuid NOT NULL,
        "webhook_id" uuid NOT NULL,
        "event_id" text NOT NULL,
        "event_name" text NOT NULL,
        "attempt" integer NOT NULL,
        "success" boolean NOT NULL,
        "status_code" integer,
        "response" text NOT NULL,
        "error" text,
        "duration_ms" integer NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_delivery_attempts" PRIMARY KEY ("id"),
        CONSTRAINT "FK_delivery_attempts_delivery" FOREIGN KEY ("delivery_id") REFERENCES "deliveries"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await queryRunner.query(
      `CREATE INDEX "IDX_delivery_attempts_webhook_created" ON "delivery_attempts" ("webhook_id", "created_at", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_delivery_attempts_created" ON "delivery_attempts" ("created_at")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_delivery_attempts_delivery" ON "delivery_attempts" ("delivery_id")`,
    );
    await queryRunner.query(`
      CREATE TABLE "event_outbox" (
        "id" uuid NOT NULL,
        "envelope" jsonb NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "PK_event_outbox" PRIMARY KEY ("id")
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "event_outbox"`);
    await queryRunner.query(`DROP TABLE "delivery_attempts"`);
    await queryRunner.query(`DROP TABLE "deliveries"`);
    await queryRunner.query(`DROP TABLE "events"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "previous_secret_expires_at"`);
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "previous_secret"`);
  }
}
