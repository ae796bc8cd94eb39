import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When a delivery first ended failed (README → Operational events): set once and kept when the
 * delivery is recovered, so delivery.exhausted is published once in a delivery's life, and an attempt
 * of a recovered delivery is known as one (the owner's action caused it). Deliveries that failed
 * before this published theirs already.
 */
export class DeliveryExhaustedOnce1766275200000 implements MigrationInterface {
  name = 'DeliveryExhaustedOnce1766275200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "deliveries" ADD "exhausted_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(
      `UPDATE "deliveries" SET "exhausted_at" = "updated_at" WHERE "status" = 'failed'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "deliveries" DROP COLUMN "exhausted_at"`);
  }
}
