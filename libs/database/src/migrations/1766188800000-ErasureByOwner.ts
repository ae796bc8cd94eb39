import { MigrationInterface, QueryRunner } from 'typeorm';
import { addColumnsOnline, createIndexConcurrently } from './online-migration';

/** Rows filled in per statement (and per transaction) by the backfill. */
const BACKFILL_BATCH = 5_000;

/**
 * Fills in the next batch after $1 (by primary key, $2 rows): `owner_id` and `user_id` read from
 * the body with anchored patterns (the delivered Event has a fixed key order, `user` fourth,
 * `ownerId` last), never by parsing the body as jsonb (which refuses some bodies, README → Payload
 * filters); a body of another shape gives null. `user_id` only where it is not the owner, and
 * never the `system` of the service's own events, as fan-out writes it. Returns the batch's last id (null: none left).
 */
const BACKFILL_SQL = String.raw`
  WITH batch AS (
    SELECT id FROM "events" WHERE id > $1 ORDER BY id LIMIT $2
  ), parsed AS (
    SELECT e.id, e.name,
           (substring(e."body" from ',"ownerId":("(?:[^"\\]|\\.)*")\}$'))::jsonb #>> '{}' AS owner_id,
           (substring(e."body" from '^\{"id":"(?:[^"\\]|\\.)*","name":"[^"]*","timestamp":"[^"]*","user":\{"id":("(?:[^"\\]|\\.)*")'))::jsonb #>> '{}' AS user_id
      FROM "events" e JOIN batch b ON b.id = e.id
     WHERE e."erased_at" IS NULL
  ), filled AS (
    UPDATE "events" e
       SET "owner_id" = p.owner_id,
           "user_id" = CASE WHEN p.user_id = 'system' AND (p.name LIKE 'webhook.%' OR p.name LIKE 'delivery.%')
                            THEN NULL ELSE NULLIF(p.user_id, p.owner_id) END
      FROM parsed p
     WHERE e.id = p.id AND (p.owner_id IS NOT NULL OR p.user_id IS NOT NULL)
  )
  SELECT max(id) AS last FROM batch`;

/**
 * Erasure finds a user's stored events (README → API → Erasure): each event row keeps its envelope's
 * `ownerId`, and its `user.id` where that is someone else (who acted for the owner: an organization's
 * member, a publisher), each with an index, and `erased_at` marks a row whose body an erasure removed
 * (kept, so that a re-publish of the id delivers nothing). The portal's sessions and links get an
 * index on their user.
 *
 * Online, since the API runs it at start-up while the previous release may still be delivering
 * (README → Operations → Start-up and shutdown): not in one transaction (`transaction = false`), so
 * no lock is held across it. The columns are added (a catalog change: the ACCESS EXCLUSIVE lock is
 * held for milliseconds, and asked for with a short lock_timeout so that waiting for a long
 * transaction never queues the fan-out behind it; retried), rows from before are filled in from their
 * bodies in batches of BACKFILL_BATCH, each its own transaction, and the indexes are built
 * CONCURRENTLY. Each step can be run again: should the migration stop halfway, the next start
 * repeats it from the beginning (an index a failed concurrent build left invalid is dropped and
 * built again).
 */
export class ErasureByOwner1766188800000 implements MigrationInterface {
  name = 'ErasureByOwner1766188800000';
  transaction = false;

  async up(queryRunner: QueryRunner): Promise<void> {
    await addColumnsOnline(
      queryRunner,
      `ALTER TABLE "events" ADD COLUMN IF NOT EXISTS "owner_id" text, ADD COLUMN IF NOT EXISTS "user_id" text,
         ADD COLUMN IF NOT EXISTS "erased_at" TIMESTAMP WITH TIME ZONE`,
    );
    for (let after = ''; ;) {
      const [{ last }] = (await queryRunner.query(BACKFILL_SQL, [after, BACKFILL_BATCH])) as Array<{
        last: string | null;
      }>;
      if (last === null) break;
      after = last;
    }
    await createIndexConcurrently(
      queryRunner,
      'IDX_events_owner',
      `ON "events" ("owner_id") WHERE "owner_id" IS NOT NULL`,
    );
    await createIndexConcurrently(
      queryRunner,
      'IDX_events_user',
      `ON "events" ("user_id") WHERE "user_id" IS NOT NULL`,
    );
    await createIndexConcurrently(
      queryRunner,
      'IDX_portal_sessions_user',
      `ON "portal_sessions" ("user_id")`,
    );
    await createIndexConcurrently(queryRunner, 'IDX_portal_links_user', `ON "portal_links" ("user_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."IDX_portal_links_user"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."IDX_portal_sessions_user"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."IDX_events_user"`);
    await queryRunner.query(`DROP INDEX IF EXISTS "public"."IDX_events_owner"`);
    await queryRunner.query(
      `ALTER TABLE "events" DROP COLUMN IF EXISTS "erased_at", DROP COLUMN IF EXISTS "user_id",
         DROP COLUMN IF EXISTS "owner_id"`,
    );
  }
}
