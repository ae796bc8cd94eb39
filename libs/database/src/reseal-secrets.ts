import type { EntityManager } from 'typeorm';
import type { SecretBox } from '@app/signing';

type Queryable = Pick<EntityManager, 'query'>;

const BATCH = 500;

/**
 * Rewrites webhook secrets (and custom headers) not yet stored the way the current key would store them: plain-text
 * rows from before SECRETS_ENCRYPTION_KEY was set, rows sealed with an older key. `ids` limits it to
 * those webhooks (the API reseals a webhook whenever it writes it); without, every row is visited
 * in batches (`npm run secrets:reencrypt`). `box` holds the current key and the older ones. Returns
 * how many rows were rewritten.
 */
export async function resealSecrets(db: Queryable, box: SecretBox, ids?: readonly string[]): Promise<number> {
  let rewritten = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db.query<
      Array<{ id: string; secret: string; previous_secret: string | null; headers: string | null }>
    >(
      `SELECT id, secret, previous_secret, headers FROM webhooks
        WHERE id > $1 AND ($2::uuid[] IS NULL OR id = ANY($2::uuid[]))
        ORDER BY id LIMIT $3 FOR NO KEY UPDATE`,
      [after, ids ?? null, BATCH],
    );
    for (const row of rows) {
      const stale = [row.secret, row.previous_secret, row.headers].some(
        (stored) => stored !== null && !box.isCurrent(stored),
      );
      if (!stale) continue;
      const reseal = (stored: string | null) => (stored === null ? null : box.seal(box.open(stored)));
      await db.query(`UPDATE webhooks SET secret = $2, previous_secret = $3, headers = $4 WHERE id = $1`, [
        row.id,
        reseal(row.secret),
        reseal(row.previous_secret),
        reseal(row.headers),
      ]);
      rewritten += 1;
    }
    if (rows.length < BATCH) return rewritten;
    after = rows[rows.length - 1].id;
  }
}
