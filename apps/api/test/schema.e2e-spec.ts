import { DataSource } from 'typeorm';
import { buildDataSourceOptions, MIGRATIONS } from '@app/database';
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
function ownMigratedDatabase(): { readonly dataSource: DataSource } {
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

    await database.dataSource.runMigrations();
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

  it("fills in each stored event's ownerId and user.id from its body, whatever the body holds", async () => {
    const index = MIGRATIONS.findIndex((migration) => migration.name === 'ErasureByOwner1766188800000');
    for (let undo = MIGRATIONS.length - index; undo > 0; undo -= 1)
      await database.dataSource.undoLastMigration();
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
      ['other', '{}'],
    ];
    for (const [id, text] of rows) {
      await database.dataSource.query(`INSERT INTO events (id, name, body) VALUES ($1, 'api.created', $2)`, [
        id,
        text,
      ]);
    }
    await database.dataSource.runMigrations();
    const filled = await database.dataSource.query<
      Array<{ id: string; owner: string | null; user: string | null }>
    >('SELECT id, owner_id AS owner, user_id AS user FROM events ORDER BY id');
    expect(filled).toEqual([
      { id: 'api', owner: null, user: 'u2' },
      { id: 'nul', owner: 'o3', user: 'u3' },
      { id: 'other', owner: null, user: null },
      { id: 'owned', owner: 'o\\1', user: 'u"1' },
    ]);
  });
});
