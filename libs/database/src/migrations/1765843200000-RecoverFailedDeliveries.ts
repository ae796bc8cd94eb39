import { MigrationInterface, QueryRunner } from 'typeorm';

/** A webhook's failed deliveries by when they ended, for the window of POST /webhooks/{id}/recover. */
export class RecoverFailedDeliveries1765843200000 implements MigrationInterface {
  name = 'RecoverFailedDeliveries1765843200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "IDX_deliveries_failed" ON "deliveries" ("webhook_id", "updated_at") WHERE "status" = 'failed'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_deliveries_failed"`);
  }
}
