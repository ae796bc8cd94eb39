import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Erasure finds a user's stored events (README → API → Erasure): each event row keeps its envelope's
 * `ownerId` and `user.id` beside the body, each with an index, and `erased_at` marks a row whose body
 * an erasure removed (kept, so that a re-publish of the id delivers nothing). The portal's sessions
 * and links get an index on their user. Rows from before are filled in from their bodies: the
 * delivered Event has a fixed key order (`user` fourth, `ownerId` last), so both are read with an
 * anchored pattern, never by parsing the body as jsonb (which refuses some bodies, README → Payload
 * filters); a body of another shape gives null.
 */
export class ErasureByOwner1766188800000 implements MigrationInterface {
  name = 'ErasureByOwner1766188800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "events" ADD "owner_id" text, ADD "user_id" text, ADD "erased_at" TIMESTAMP WITH TIME ZONE`,
    );
    await queryRunner.query(
      String.raw`UPDATE "events" SET
         "user_id" = (substring("body" from '^\{"id":"(?:[^"\\]|\\.)*","name":"[^"]*","timestamp":"[^"]*","user":\{"id":("(?:[^"\\]|\\.)*")'))::jsonb #>> '{}',
         "owner_id" = (substring("body" from ',"ownerId":("(?:[^"\\]|\\.)*")\}$'))::jsonb #>> '{}'`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_events_owner" ON "events" ("owner_id") WHERE "owner_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_events_user" ON "events" ("user_id") WHERE "user_id" IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_portal_sessions_user" ON "portal_sessions" ("user_id")`);
    await queryRunner.query(`CREATE INDEX "IDX_portal_links_user" ON "portal_links" ("user_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."IDX_portal_links_user"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_portal_sessions_user"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_events_user"`);
    await queryRunner.query(`DROP INDEX "public"."IDX_events_owner"`);
    await queryRunner.query(
      `ALTER TABLE "events" DROP COLUMN "erased_at", DROP COLUMN "user_id", DROP COLUMN "owner_id"`,
    );
  }
}
