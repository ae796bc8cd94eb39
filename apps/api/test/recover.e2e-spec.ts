import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, createWebhook, mintToken } from '@app/testing';
import { createOfflineTestApi, createQueuedTestApi, QueuedTestApi } from './helpers/test-app';

/**
 * POST /webhooks/{id}/recover without a worker: what it accepts, what it changes in PostgreSQL and
 * what it queues (README → API → Recovering failed deliveries). Delivery through the worker:
 * test/pipeline/recover.
 */
describe('POST /webhooks/{id}/recover (e2e)', () => {
  let api: QueuedTestApi;
  beforeAll(async () => {
    api = await createQueuedTestApi('recover', { ACTION_DELIVERY_LIMIT: '3000/1m' });
  });
  afterAll(() => api.close());

  const user = () => {
    const sub = `recover-${randomUUID()}`;
    return { sub, auth: bearer(mintToken({ sub })) };
  };
  const recover = (id: string, auth: Record<string, string>, body: unknown) =>
    request(api.http)
      .post(`/webhooks/${id}/recover`)
      .set(auth)
      .send(body as object);
  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

  /** `count` deliveries to `webhookId` that ended failed at `endedAt`, as the worker leaves them. */
  async function failedDeliveries(webhookId: string, count: number, endedAt: Date): Promise<string[]> {
    const rows = await api.dataSource.query<Array<{ id: string }>>(
      `WITH e AS (
         INSERT INTO events (id, name, body)
         SELECT 'recover-' || gen_random_uuid(), 'api.created', '{}' FROM generate_series(1, $2)
         RETURNING id)
       INSERT INTO deliveries (event_id, webhook_id, status, attempts, next_attempt_at, updated_at)
       SELECT id, $1, 'failed', 4, $3, $3 FROM e RETURNING id`,
      [webhookId, count, endedAt],
    );
    return rows.map((row) => row.id);
  }

  const statuses = async (ids: string[]) =>
    (
      await api.dataSource.query<Array<{ status: string }>>(
        `SELECT status FROM deliveries WHERE id = ANY($1::uuid[])`,
        [ids],
      )
    ).map((row) => row.status);

  it('makes the failed deliveries of the window pending again, queues one job each, and answers 202 {deliveries: N}', async () => {
    const { auth } = user();
    const webhook = await createWebhook(api.http, auth);
    const inWindow = await failedDeliveries(webhook.id, 3, minutesAgo(30));
    const before = await failedDeliveries(webhook.id, 2, minutesAgo(90));
    const [succeeded] = await failedDeliveries(webhook.id, 1, minutesAgo(30));
    await api.dataSource.query(`UPDATE deliveries SET status = 'succeeded' WHERE id = $1`, [succeeded]);
    const [dropped] = await failedDeliveries(webhook.id, 1, minutesAgo(30));
    await api.dataSource.query(`UPDATE deliveries SET status = 'dropped' WHERE id = $1`, [dropped]);

    const response = await recover(webhook.id, auth, { since: minutesAgo(60).toISOString() }).expect(202);
    expect(response.body).toEqual({ deliveries: 3 });
    expect(await statuses(inWindow)).toEqual(['pending', 'pending', 'pending']);
    expect(await statuses(before)).toEqual(['failed', 'failed']);
    expect(await statuses([succeeded, dropped])).toEqual(expect.arrayContaining(['succeeded', 'dropped']));
    const jobs = await Promise.all(inWindow.map((id) => api.deliveries.getJob(id)));
    expect(jobs.map((job) => job?.data)).toEqual(
      inWindow.map((deliveryId) => ({ deliveryId, webhookId: webhook.id })),
    );
    // Their attempt counters stay: new attempts are numbered after the old ones.
    const [row] = await api.dataSource.query<Array<{ attempts: number }>>(
      `SELECT max(attempts)::int AS attempts FROM deliveries WHERE id = ANY($1::uuid[])`,
      [inWindow],
    );
    expect(row.attempts).toBe(4);

    // The same window again: they are not failed any more, so nothing is sent twice.
    await recover(webhook.id, auth, { since: minutesAgo(60).toISOString() }).expect(202, { deliveries: 0 });
    // A window that excludes them (until is exclusive) finds nothing either.
    await recover(webhook.id, auth, {
      since: minutesAgo(120).toISOString(),
      until: minutesAgo(100).toISOString(),
    }).expect(202, { deliveries: 0 });
    expect(await statuses(before)).toEqual(['failed', 'failed']);
  });

  it('two concurrent calls for the same window recover each delivery once between them', async () => {
    const { auth } = user();
    const webhook = await createWebhook(api.http, auth);
    const ids = await failedDeliveries(webhook.id, 200, minutesAgo(5));
    const since = minutesAgo(10).toISOString();
    const answers = await Promise.all([
      recover(webhook.id, auth, { since }),
      recover(webhook.id, auth, { since }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([202, 202]);
    expect(answers[0].body.deliveries + answers[1].body.deliveries).toBe(200);
    expect(new Set(await statuses(ids))).toEqual(new Set(['pending']));
  });

  it('paces a large recovery: a thousand deliveries due per second, the later ones as delayed jobs', async () => {
    const { auth } = user();
    const webhook = await createWebhook(api.http, auth);
    const ids = await failedDeliveries(webhook.id, 2_500, minutesAgo(5));
    await recover(webhook.id, auth, { since: minutesAgo(10).toISOString() }).expect(202, {
      deliveries: 2_500,
    });
    const waves = await api.dataSource.query<Array<{ wave: number; n: number }>>(
      `SELECT round(extract(epoch FROM next_attempt_at - min(next_attempt_at) OVER ()))::int AS wave, 1 AS n
         FROM deliveries WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const perWave = new Map<number, number>();
    for (const { wave } of waves) perWave.set(wave, (perWave.get(wave) ?? 0) + 1);
    expect([...perWave.entries()].sort(([a], [b]) => a - b)).toEqual([
      [0, 1_000],
      [1, 1_000],
      [2, 500],
    ]);
    // Each job waits for its row's due time: a later wave is not taken before its second.
    const due = await api.dataSource.query<Array<{ id: string; at: Date }>>(
      `SELECT id, next_attempt_at AS at FROM deliveries WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    const jobs = new Map(
      (await Promise.all(ids.map((id) => api.deliveries.getJob(id)))).map((job) => [job?.id, job]),
    );
    const early = due.filter(({ id, at }) => {
      const job = jobs.get(id);
      return !job || job.timestamp + job.delay < at.getTime() - 50;
    });
    expect(early).toEqual([]);
  });

  it('takes at most what is left of ACTION_DELIVERY_LIMIT, then answers 429 with Retry-After', async () => {
    const small = await createQueuedTestApi('recover-budget', { ACTION_DELIVERY_LIMIT: '2/1m' });
    try {
      const { auth } = user();
      const webhook = await createWebhook(small.http, auth);
      const ids = await failedDeliveries(webhook.id, 3, minutesAgo(5));
      const since = minutesAgo(10).toISOString();
      const call = () =>
        request(small.http).post(`/webhooks/${webhook.id}/recover`).set(auth).send({ since });
      await call().expect(202, { deliveries: 2 });
      const refused = await call().expect(429);
      expect(refused.body).toEqual({
        code: 429,
        message: expect.stringMatching(
          /^Too many deliveries caused by your own actions: at most 2 per 60 s .*none left to recover/,
        ),
      });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await statuses(ids)).sort()).toEqual(['failed', 'pending', 'pending']);
    } finally {
      await small.close();
    }
  });

  describe('refuses, changing nothing', () => {
    let auth: Record<string, string>;
    let webhookId: string;
    let ids: string[];
    beforeAll(async () => {
      auth = user().auth;
      webhookId = (await createWebhook(api.http, auth)).id;
      ids = await failedDeliveries(webhookId, 2, minutesAgo(5));
    });

    const since = () => minutesAgo(10).toISOString();
    const invalid = async (body: unknown, field: string, message: RegExp) => {
      const response = await recover(webhookId, auth, body).expect(400);
      expect(response.body).toEqual({
        code: 400,
        message: expect.stringMatching(message),
        errors: [{ field, message: expect.stringMatching(message) }],
      });
    };

    it.each([
      ['no since', {}, 'since', /^since is required/],
      ['since null', { since: null }, 'since', /^since is required/],
      ['a number', { since: 1767225600000 }, 'since', /^since must be an ISO 8601 date-time/],
      ['30 February', { since: '2026-02-30T00:00:00Z' }, 'since', /^since must be an ISO 8601 date-time/],
      ['a date without time', { since: '2026-12-01' }, 'since', /^since must be an ISO 8601 date-time/],
      ['no time zone', { since: '2026-12-01T00:00:00' }, 'since', /^since must be an ISO 8601 date-time/],
      ['words', { since: 'yesterday' }, 'since', /^since must be an ISO 8601 date-time/],
      ['a huge string', { since: `2026-12-01T00:00:00Z${'0'.repeat(50_000)}` }, 'since', /^since must be/],
      ['an array', { since: ['2026-12-01T00:00:00Z'] }, 'since', /^since must be an ISO 8601 date-time/],
      [
        'a bad until',
        { since: new Date().toISOString(), until: '2026-13-01T00:00:00Z' },
        'until',
        /^until must be/,
      ],
      ['until null', { since: new Date().toISOString(), until: null }, 'until', /^until must be/],
      [
        'an unknown field',
        { since: new Date().toISOString(), status: 'failed' },
        'status',
        /status should not exist/,
      ],
    ])('%s → 400', async (_name, body, field, message) => invalid(body, field, message));

    it('since not before until → 400', async () => {
      const at = minutesAgo(5).toISOString();
      await invalid({ since: at, until: at }, 'until', /^since must be before until/);
      await invalid(
        { since: at, until: minutesAgo(6).toISOString() },
        'until',
        /^since must be before until/,
      );
    });

    it('since in the future → 400 (until is at most now)', async () => {
      const future = new Date(Date.now() + 3_600_000).toISOString();
      await invalid({ since: future }, 'until', /^since must be before until/);
    });

    it('since older than DELIVERY_LOG_RETENTION → 400 naming the limit', async () => {
      await invalid(
        { since: new Date(Date.now() - 31 * 86_400_000).toISOString() },
        'since',
        /^since must be within DELIVERY_LOG_RETENTION \(30d\): not before \d{4}-/,
      );
    });

    it('malformed JSON, a body that is not an object, another content type → 400, 400, 415', async () => {
      for (const body of ['{"since":', '[]', '"2026-12-01T00:00:00Z"']) {
        const response = await request(api.http)
          .post(`/webhooks/${webhookId}/recover`)
          .set(auth)
          .set('Content-Type', 'application/json')
          .send(body)
          .expect(400);
        expect(response.body).toEqual(expect.objectContaining({ code: 400, message: expect.any(String) }));
      }
      await request(api.http)
        .post(`/webhooks/${webhookId}/recover`)
        .set(auth)
        .set('Content-Type', 'text/plain')
        .send(`since=${since()}`)
        .expect(415);
    });

    it('another owner’s, an unknown or a malformed webhook id → 404', async () => {
      for (const id of [webhookId, randomUUID()]) {
        await recover(id, id === webhookId ? user().auth : auth, { since: since() }).expect(404, {
          code: 404,
          message: 'Webhook not found',
        });
      }
      await recover('not-a-uuid', auth, { since: since() }).expect(404);
    });

    it('a webhook.readonly token → 403', async () => {
      const readonly = bearer(mintToken({ sub: 'someone', scope: 'webhook.readonly' }));
      const response = await recover(webhookId, readonly, { since: since() }).expect(403);
      expect(response.body).toEqual({ code: 403, message: expect.any(String) });
    });

    it('an inactive webhook → 409 saying to activate it first', async () => {
      const inactive = await createWebhook(api.http, auth, { active: false });
      const [id] = await failedDeliveries(inactive.id, 1, minutesAgo(5));
      await recover(inactive.id, auth, { since: since() }).expect(409, {
        code: 409,
        message: 'Webhook is inactive: activate it to recover',
      });
      expect(await statuses([id])).toEqual(['failed']);
    });

    it('left every delivery of the refused calls failed', async () => {
      expect(await statuses(ids)).toEqual(['failed', 'failed']);
    });
  });

  it('is in the OpenAPI document: webhook scope, a request example, 202 {deliveries}, each error', async () => {
    const document = (await request(api.http).get('/openapi.json').expect(200)).body;
    const operation = document.paths['/webhooks/{id}/recover'].post;
    expect(operation.security).toEqual([{ bearer: [] }, { oauth2: ['webhook'] }]);
    expect(operation.requestBody.content['application/json'].examples.window.value).toEqual({
      since: expect.any(String),
      until: expect.any(String),
    });
    expect(operation.responses['202'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RecoveredDeliveries',
    });
    expect(Object.keys(operation.responses).sort()).toEqual(
      ['202', '400', '401', '403', '404', '409', '413', '415', '429', '500', '503'].sort(),
    );
    expect(document.components.schemas.RecoverRequest.required).toEqual(['since']);
  });

  it('with Redis unreachable still answers 202: the deliveries are pending in PostgreSQL for the sweeper', async () => {
    const offline = await createOfflineTestApi(`${api.config.queuePrefix}-offline`);
    try {
      const { auth } = user();
      const webhook = await createWebhook(api.http, auth);
      const ids = await failedDeliveries(webhook.id, 2, minutesAgo(5));
      await request(offline.http)
        .post(`/webhooks/${webhook.id}/recover`)
        .set(auth)
        .send({ since: minutesAgo(10).toISOString() })
        .expect(202, { deliveries: 2 });
      expect(await statuses(ids)).toEqual(['pending', 'pending']);
    } finally {
      await offline.close();
    }
  });

  it('a future until counts as now', async () => {
    const { auth } = user();
    const webhook = await createWebhook(api.http, auth);
    await failedDeliveries(webhook.id, 1, minutesAgo(1));
    await recover(webhook.id, auth, {
      since: minutesAgo(5).toISOString(),
      until: '9999-12-31T23:59:59Z',
    }).expect(202, { deliveries: 1 });
  });
});
