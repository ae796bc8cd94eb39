import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each attempt sent (README → Pings, redeliveries, the delivery log, secret rotation): its
 * headers (custom header values redacted), its URL (credentials masked), and its body only where it
 * differs from the event's. Attempts made before this stay null: "not recorded".
 */
export class AttemptRequests1766102400000 implements MigrationInterface {
  name = 'AttemptRequests1766102400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "delivery_attempts" ADD "request_url" text, ADD "request_headers" jsonb, ADD "request_body" text`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "delivery_attempts" DROP COLUMN "request_body", DROP COLUMN "request_headers", DROP COLUMN "request_url"`,
    );
  }
}
