import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/database';

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
