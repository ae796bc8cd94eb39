import type { EntityManager } from 'typeorm';
import type { LastDelivery } from './entities/webhook.entity';

type Queryable = Pick<EntityManager, 'query'>;

/** The API's `lastDelivery` of one attempt (retention writes the same shape in SQL). */
export function lastDeliveryOf(attempt: {
  success: boolean;
  statusCode: number | null;
  response: string;
  error: string | null;
  at: Date;
}): LastDelivery {
  return {
    success: attempt.success,
    statusCode: attempt.statusCode,
    response: attempt.error ?? attempt.response,
    timestamp: attempt.at.toISOString(),
  };
}

interface LatestAttemptRow {
  webhook_id: string;
  success: boolean;
  status_code: number | null;
  response: string;
  error: string | null;
  created_at: Date;
}

/**
 * `lastDelivery` is read from the attempt log (one index probe per webhook) rather than written to
 * the webhook row after every attempt: a busy webhook would otherwise serialize all its deliveries
 * on that one row's lock. The column keeps the last attempt of webhooks whose log was purged
 * (retention fills it in before deleting).
 */
export async function attachLastDeliveries<T extends { id: string; lastDelivery: LastDelivery | null }>(
  db: Queryable,
  webhooks: T[],
): Promise<T[]> {
  if (webhooks.length === 0) return webhooks;
  const rows = await db.query<LatestAttemptRow[]>(
    `SELECT w.id AS webhook_id, a.success, a.status_code, a.response, a.error, a.created_at
       FROM unnest($1::uuid[]) AS w(id)
       CROSS JOIN LATERAL (
         SELECT success, status_code, response, error, created_at FROM delivery_attempts
          WHERE webhook_id = w.id ORDER BY created_at DESC, id DESC LIMIT 1) a`,
    [webhooks.map((webhook) => webhook.id)],
  );
  const latest = new Map(rows.map((row) => [row.webhook_id, row]));
  for (const webhook of webhooks) {
    const row = latest.get(webhook.id);
    if (row) {
      webhook.lastDelivery = lastDeliveryOf({
        success: row.success,
        statusCode: row.status_code,
        response: row.response,
        error: row.error,
        at: row.created_at,
      });
    }
  }
  return webhooks;
}
