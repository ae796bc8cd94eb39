import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestDatabase, dropTestDatabase } from '@app/testing';
import { Retention } from '../../apps/worker/src/maintenance/retention';
import { createTestWorker, pipelineEnv, TestWorker } from './helpers/pipeline';

describe('Delivery log retention (e2e)', () => {
  let databaseUrl: string;
  let worker: TestWorker;
  let dataSource: DataSource;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    worker = await createTestWorker(
      pipelineEnv('retention', { DATABASE_URL: databaseUrl, DELIVERY_LOG_RETENTION: '1h' }),
    );
    dataSource = worker.app.get(DataSource);
  });
  afterAll(async () => {
    await worker.close();
    await dropTestDatabase(databaseUrl);
  });

  async function seed(
    ageMs: number,
    status: 'pending' | 'succeeded',
  ): Promise<{ eventId: string; deliveryId: string; webhookId: string }> {
    const at = new Date(Date.now() - ageMs);
    const [webhook] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO webhooks (owner_id, user_id, url, events, secret) VALUES ('u', 'u', 'https://x.example/', ARRAY['api.created'], 's') RETURNING id`,
    );
    const eventId = randomUUID();
    await dataSource.query(
      `INSERT INTO events (id, name, body, created_at) VALUES ($1, 'api.created', '{}', $2)`,
      [eventId, at],
    );
    const [delivery] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO deliveries (event_id, webhook_id, status, updated_at, created_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`,
      [eventId, webhook.id, status, at],
    );
    await dataSource.query(
      `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_name, attempt, success, response, duration_ms, created_at)
       VALUES ($1, $2, $3, $4, 'api.created', 1, true, 'OK', 5, $5)`,
      [randomUUID(), delivery.id, webhook.id, eventId, at],
    );
    return { eventId, deliveryId: delivery.id, webhookId: webhook.id };
  }

  const count = async (table: string, column: string, value: string) =>
    (
      await dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`,
        [value],
      )
    )[0].n;

  it('deletes attempts, finished deliveries and their events older than DELIVERY_LOG_RETENTION', async () => {
    const old = await seed(2 * 3_600_000, 'succeeded');
    const recent = await seed(60_000, 'succeeded');
    const oldButPending = await seed(2 * 3_600_000, 'pending');

    const deleted = await worker.app.get(Retention).purge();

    expect(deleted).toBeGreaterThanOrEqual(4);
    expect(await count('delivery_attempts', 'delivery_id', old.deliveryId)).toBe(0);
    expect(await count('deliveries', 'id', old.deliveryId)).toBe(0);
    expect(await count('events', 'id', old.eventId)).toBe(0);
    // Its webhook keeps the last attempt as lastDelivery.
    const [webhook] = await dataSource.query<
      Array<{ last_delivery: { success: boolean; statusCode: number } }>
    >(`SELECT w.last_delivery FROM webhooks w WHERE w.id = $1`, [old.webhookId]);
    expect(webhook.last_delivery).toMatchObject({ success: true, response: 'OK' });
    expect(await count('delivery_attempts', 'delivery_id', recent.deliveryId)).toBe(1);
    expect(await count('deliveries', 'id', recent.deliveryId)).toBe(1);
    // A delivery still being retried keeps its event (it will be sent again) but not its old attempts.
    expect(await count('deliveries', 'id', oldButPending.deliveryId)).toBe(1);
    expect(await count('events', 'id', oldButPending.eventId)).toBe(1);
    expect(await count('delivery_attempts', 'delivery_id', oldButPending.deliveryId)).toBe(0);
  });
});
