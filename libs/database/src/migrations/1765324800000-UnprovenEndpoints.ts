import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * webhooks.first_success_at: endpoints that have never succeeded get a short retry schedule. Webhooks
 * that have succeeded before count as proven (their first success in the attempt log, or a successful
 * lastDelivery kept after the log was purged), so deploying this never shortens the schedule of a
 * healthy endpoint that happens to be failing right now.
 */
export class UnprovenEndpoints1765324800000 implements MigrationInterface {
  name = 'UnprovenEndpoints1765324800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" ADD "first_success_at" TIMESTAMP WITH TIME ZONE`);
    // Each webhook's attempts in created_at order (IDX_delivery_attempts_webhook_created), up to its
    // first success. A lastDelivery has no trustworthy time of its own to copy: now() stands in.
    await queryRunner.query(`
      UPDATE "webhooks" w SET "first_success_at" = s.at
        FROM (SELECT v.id, COALESCE(
                       (SELECT a.created_at FROM "delivery_attempts" a
                         WHERE a.webhook_id = v.id AND a.success ORDER BY a.created_at LIMIT 1),
                       CASE WHEN v.last_delivery -> 'success' = 'true'::jsonb THEN now() END) AS at
                FROM "webhooks" v) s
       WHERE w.id = s.id AND s.at IS NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "webhooks" DROP COLUMN "first_success_at"`);
  }
}
