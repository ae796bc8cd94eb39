import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, MIGRATIONS, prepareDatabase } from '@app/database';
import { createTestDatabase, dropTestDatabase } from '@app/testing';

describe('Database schema (e2e)', () => {
  let dataSource: DataSource;
  beforeAll(async () => {
    dataSource = new DataSource(
      buildDataSourceOptions({ databaseUrl: process.env.EVENT_API_TEST_DATABASE_URL as string, poolSize: 2 }),
    );
    await dataSource.initialize();
  });
  afterAll(() => dataSource.destroy());

  it('migrations and entities agree (no pending schema change)', async () => {
    const sql = await dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('has no pending migrations', async () => {
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('enforces the rules in the database too', async () => {
    const insert = (column: string, value: string) => {
      const base: Record<string, string> = {
        owner_id: "'u'",
        user_id: "'u'",
        url: "'https://x.example/'",
        events: "ARRAY['api.created']",
        secret: "'s'",
      };
      const values = { ...base, [column]: value };
      return dataSource.query(
        `INSERT INTO webhooks (${Object.keys(values).join(', ')}) VALUES (${Object.values(values).join(', ')})`,
      );
    };
    await expect(insert('events', 'ARRAY[]::text[]')).rejects.toThrow(
      /CHK_webhooks_events_not_empty|violates/,
    );
    await expect(insert('disabled_reason', "'bored'")).rejects.toThrow(/CHK_webhooks_disabled_reason/);
    await expect(insert('custom', `'${'x'.repeat(10_001)}'`)).rejects.toThrow(/CHK_webhooks_custom_length/);
    await expect(insert('api_id', "'not-a-uuid'")).rejects.toThrow(/uuid/);
    await expect(insert('url', `'https://x.example/${'a'.repeat(1000)}'`)).rejects.toThrow(
      /CHK_webhooks_url_length/,
    );
    await expect(insert('owner_id', 'NULL')).rejects.toThrow(/null value/);
  });

  it('has the indexes the owner list and the fan-out need', async () => {
    const rows: Array<{ indexname: string; indexdef: string }> = await dataSource.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'webhooks'`,
    );
    const names = rows.map((row) => row.indexname);
    expect(names).toEqual(
      expect.arrayContaining([
        'IDX_webhooks_owner_created',
        'IDX_webhooks_api_active',
        'IDX_webhooks_user_active',
        'IDX_webhooks_events',
      ]),
    );
    expect(rows.find((row) => row.indexname === 'IDX_webhooks_events')?.indexdef).toContain('USING gin');
  });
});

/**
 * A database of the describe block's own, migrated to the latest migration, for tests that undo
 * migrations to try one of them on rows written as before it.
 */
function ownMigratedDatabase(): { readonly dataSource: DataSource; readonly url: string } {
  let databaseUrl = '';
  let dataSource: DataSource | undefined;
  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    dataSource = new DataSource(buildDataSourceOptions({ databaseUrl, poolSize: 2 }));
    await dataSource.initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await dropTestDatabase(databaseUrl);
  });
  return {
    get dataSource(): DataSource {
      if (!dataSource) throw new Error('the database is set up in beforeAll');
      return dataSource;
    },
    get url(): string {
      return databaseUrl;
    },
  };
}

describe('Migration UnprovenEndpoints (e2e)', () => {
  const database = ownMigratedDatabase();

  it('counts webhooks that have succeeded before as proven, so their schedules stay whole', async () => {
    // Back to just before it: the migrations after it are undone first.
    const index = MIGRATIONS.findIndex((migration) => migration.name === 'UnprovenEndpoints1765324800000');
    for (let undo = MIGRATIONS.length - index; undo > 0; undo -= 1)
      await database.dataSource.undoLastMigration();
    const webhook = async (name: string, lastDelivery: object | null) =>
      (
        await database.dataSource.query<Array<{ id: string }>>(
          `INSERT INTO webhooks (owner_id, user_id, url, events, secret, last_delivery)
           VALUES ('m', 'm', $1, ARRAY['api.created'], 's', $2) RETURNING id`,
          [`https://${name}.example/`, lastDelivery],
        )
      )[0].id;
    const attempts = async (webhookId: string, successes: boolean[]) => {
      const eventId = `backfill-${webhookId}`;
      await database.dataSource.query(
        `INSERT INTO events (id, name, body) VALUES ($1, 'api.created', '{}')`,
        [eventId],
      );
      const [{ id }] = await database.dataSource.query<Array<{ id: string }>>(
        'INSERT INTO deliveries (event_id, webhook_id) VALUES ($1, $2) RETURNING id',
        [eventId, webhookId],
      );
      for (const [index, success] of successes.entries()) {
        await database.dataSource.query(
          `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_name, attempt, success,
                                          response, duration_ms, created_at)
           VALUES (gen_random_uuid(), $1, $2, $3, 'api.created', $4, $5, '', 1, $6)`,
          [id, webhookId, eventId, index + 1, success, new Date(Date.UTC(2026, 0, 1 + index))],
        );
      }
    };
    const succeededInLog = await webhook('log', { success: false, statusCode: 500 });
    await attempts(succeededInLog, [false, true, false]);
    const failedInLog = await webhook('failed', null);
    await attempts(failedInLog, [false, false]);
    const succeededBeforePurge = await webhook('purged', { success: true, statusCode: 200 });
    const failedBeforePurge = await webhook('purged-failed', { success: false, statusCode: 500 });
    const untried = await webhook('new', null);

    // As prepareDatabase runs them: each in its own transaction, unless it runs without one.
    await database.dataSource.runMigrations({ transaction: 'each' });
    const rows = await database.dataSource.query<Array<{ id: string; first_success_at: Date | null }>>(
      'SELECT id, first_success_at FROM webhooks',
    );
    const proven = new Map(rows.map((row) => [row.id, row.first_success_at]));
    expect(proven.get(succeededInLog)).toEqual(new Date(Date.UTC(2026, 0, 2)));
    expect(proven.get(succeededBeforePurge)).toEqual(expect.any(Date));
    for (const id of [failedInLog, failedBeforePurge, untried]) expect(proven.get(id)).toBeNull();
  });
});

describe('Migration ErasureByOwner (e2e)', () => {
  const database = ownMigratedDatabase();
  const backToBefore = async () => {
    const index = MIGRATIONS.findIndex((migration) => migration.name === 'ErasureByOwner1766188800000');
    for (let undo = MIGRATIONS.length - index; undo > 0; undo -= 1)
      await database.dataSource.undoLastMigration();
  };

  it("fills in each stored event's ownerId, and user.id where it is not the owner, from its body, whatever the body holds", async () => {
    await backToBefore();
    // Bodies as the fan-out writes them (JSON.stringify of the Event, fixed key order).
    const body = (event: Record<string, unknown>) =>
      JSON.stringify({ id: 'x', name: 'api.created', timestamp: '2026-01-02T03:04:05.000Z', ...event });
    const rows: Array<[string, string]> = [
      [
        'owned',
        body({
          user: { id: 'u"1', nickname: 'n' },
          resourceType: 'Api',
          resource: { ownerId: 'no' },
          ownerId: 'o\\1',
        }),
      ],
      [
        'api',
        body({ user: { id: 'u2' }, resourceType: 'Api', resource: { a: ',"ownerId":"no"}' }, apiId: 'a' }),
      ],
      // jsonb refuses NUL: the pattern reads past it.
      [
        'nul',
        body({ user: { id: 'u3' }, resourceType: 'Api', resource: { text: 'a\u0000b' }, ownerId: 'o3' }),
      ],
      // The owner acted: found by its owner, no user_id (no entry in IDX_events_user).
      ['self', body({ user: { id: 'o4' }, resourceType: 'Api', resource: {}, ownerId: 'o4' })],
      ['other', '{}'],
    ];
    for (const [id, text] of rows) {
      await database.dataSource.query(`INSERT INTO events (id, name, body) VALUES ($1, 'api.created', $2)`, [
        id,
        text,
      ]);
    }
    // The service's own event names no user who acted: `system` is kept for none of them.
    await database.dataSource.query(
      `INSERT INTO events (id, name, body) VALUES ('service', 'webhook.failing', $1)`,
      [
        JSON.stringify({
          id: 'service',
          name: 'webhook.failing',
          timestamp: '2026-01-02T03:04:05.000Z',
          user: { id: 'system', nickname: 'ApiTree' },
          resourceType: 'Webhook',
          resource: {},
          ownerId: 'o5',
        }),
      ],
    );
    await database.dataSource.runMigrations({ transaction: 'each' });
    const filled = await database.dataSource.query<
      Array<{ id: string; owner: string | null; user: string | null }>
    >('SELECT id, owner_id AS owner, user_id AS user FROM events ORDER BY id');
    expect(filled).toEqual([
      { id: 'api', owner: null, user: 'u2' },
      { id: 'nul', owner: 'o3', user: 'u3' },
      { id: 'other', owner: null, user: null },
      { id: 'owned', owner: 'o\\1', user: 'u"1' },
      { id: 'self', owner: 'o4', user: null },
      { id: 'service', owner: 'o5', user: null },
    ]);
  });

  it('runs online: events stay writable and readable throughout, every row of a large table is filled in', async () => {
    await backToBefore();
    const ROWS = 50_000;
    await database.dataSource.query(
      `INSERT INTO events (id, name, body)
       SELECT 'bulk-' || g, 'api.created',
              '{"id":"bulk-' || g || '","name":"api.created","timestamp":"2026-01-02T03:04:05.000Z","user":{"id":"u' ||
              (g % 7) || '"},"resourceType":"Api","resource":{"n":' || g || '},"ownerId":"u' || (g % 5) || '"}'
         FROM generate_series(1, $1::int) g`,
      [ROWS],
    );
    // A fan-out and a delivery meanwhile: each insert and read may wait 500 ms at most for a lock (in
    // one transaction, the backfill of 50,000 rows holds the table for over a second).
    const probe = new Client({ connectionString: database.url });
    await probe.connect();
    await probe.query(`SET lock_timeout = '500ms'`);
    let migrating = true;
    let rounds = 0;
    const probing = (async () => {
      while (migrating) {
        await probe.query(`INSERT INTO events (id, name, body) VALUES ($1, 'api.created', '{}')`, [
          `probe-${rounds}`,
        ]);
        await probe.query(`SELECT body FROM events WHERE id = 'bulk-1'`);
        rounds += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      await database.dataSource.runMigrations({ transaction: 'each' });
    } finally {
      migrating = false;
      await probing.finally(() => probe.end());
    }
    expect(rounds).toBeGreaterThan(5);
    const [counts] = await database.dataSource.query<Array<Record<string, number>>>(
      `SELECT count(*) FILTER (WHERE owner_id IS NOT NULL)::int AS owners,
              count(*) FILTER (WHERE user_id IS NOT NULL)::int AS others,
              count(*) FILTER (WHERE user_id IS NULL AND owner_id IS NOT NULL)::int AS own
         FROM events WHERE id LIKE 'bulk-%'`,
    );
    // u(g % 7) acted for u(g % 5): the same id when g % 35 < 5.
    const own = Array.from({ length: ROWS }, (_, i) => i + 1).filter((g) => g % 7 === g % 5).length;
    expect(counts).toEqual({ owners: ROWS, others: ROWS - own, own });
    const indexes = await database.dataSource.query<Array<{ name: string; valid: boolean }>>(
      `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname IN ('IDX_events_owner', 'IDX_events_user', 'IDX_portal_sessions_user', 'IDX_portal_links_user')
        ORDER BY c.relname`,
    );
    expect(indexes).toEqual(
      ['IDX_events_owner', 'IDX_events_user', 'IDX_portal_links_user', 'IDX_portal_sessions_user'].map(
        (name) => ({ name, valid: true }),
      ),
    );
  }, 60_000);
});

describe('Migrating a fresh database from several processes at once (e2e)', () => {
  it('every one finishes: those waiting for the lock hold no snapshot a concurrent index build waits for', async () => {
    const url = new URL(process.env.EVENT_API_TEST_DATABASE_URL as string);
    url.pathname = `/event_api_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    try {
      const started = Date.now();
      const applied = await Promise.race([
        Promise.all([1, 2, 3].map(() => prepareDatabase(url.toString()))),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('the migrations did not finish within 20 s')), 20_000),
        ),
      ]);
      expect(applied.map((names) => names.length).sort((a, b) => b - a)).toEqual([MIGRATIONS.length, 0, 0]);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      await dropTestDatabase(url.toString());
    }
  }, 30_000);
});
