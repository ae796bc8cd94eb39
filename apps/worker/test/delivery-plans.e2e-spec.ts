import { Client } from 'pg';
import { WAKE_NEXT_SQL } from '@app/database';
import { createTestDatabase, dropTestDatabase } from '@app/testing';
import {
  CLAIM_SQL,
  DELIVERY_STATE_SQL,
  EVENT_BODIES_SQL,
  RECORD_ATTEMPTS_SQL,
} from '../src/delivery/delivery.sql';
import { RELEASE_PARKED_SQL, STRANDED_SQL } from '../src/circuit/circuit.sql';
import { FAN_OUT_SQL } from '../src/fan-out/fan-out.sql';
import { DUE_DELIVERIES_SQL } from '../src/maintenance/sweeper';
import { STALLED_LINES_SQL } from '../src/fifo/fifo.sql';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Every (node type, relation, index) the plan touches, for assertions that read like the plan. */
function accesses(node: PlanNode, into: string[] = []): string[] {
  if (node['Relation Name'] || node['Index Name']) {
    into.push([node['Node Type'], node['Relation Name'] ?? '', node['Index Name'] ?? ''].join(' '));
  }
  for (const child of node.Plans ?? []) accesses(child, into);
  return into;
}

const BACKLOG = 20_000;

/**
 * The hot statements against a large pending backlog, with fresh and with stale statistics, as the
 * generic plans prepared statements settle on and as custom plans: each must use the index it was
 * written for. A flipped plan (the claim on IDX_deliveries_due) reads the whole backlog per call.
 */
describe('Hot-path plans stay put (e2e)', () => {
  let databaseUrl: string;
  let db: Client;
  let webhookId: string;
  let sampleIds: string[];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    // Statistics of an empty pipeline, then a backlog arrives before autovacuum notices it.
    await db.query('ANALYZE');
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO webhooks (owner_id, user_id, url, events, secret)
       VALUES ('plans', 'plans', 'https://x.example/', ARRAY['api.created'], 's') RETURNING id`,
    );
    webhookId = rows[0].id;
    await db.query(
      `INSERT INTO events (id, name, body) SELECT 'plan-' || g, 'api.created', '{}' FROM generate_series(1, $1) g`,
      [BACKLOG],
    );
    await db.query(
      `INSERT INTO deliveries (event_id, webhook_id) SELECT 'plan-' || g, $2 FROM generate_series(1, $1) g`,
      [BACKLOG, webhookId],
    );
    sampleIds = (await db.query<{ id: string }>('SELECT id FROM deliveries LIMIT 50')).rows.map((r) => r.id);
  }, 60_000);

  afterAll(async () => {
    await db.end();
    await dropTestDatabase(databaseUrl);
  });

  async function plan(text: string, args: string, mode: 'generic' | 'custom'): Promise<string[]> {
    await db.query(`SET plan_cache_mode = force_${mode}_plan`);
    await db.query('DEALLOCATE ALL');
    await db.query(`PREPARE hot AS ${text}`);
    const { rows } = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (FORMAT JSON) EXECUTE hot${args ? `(${args})` : ''}`,
    );
    return accesses(rows[0]['QUERY PLAN'][0].Plan);
  }

  const ids = () => `ARRAY[${sampleIds.map((id) => `'${id}'`).join(',')}]::uuid[]`;
  const texts = (value: string) => `ARRAY[${sampleIds.map(() => value).join(',')}]`;
  /** $18: the bodies recorded (null: the event's own, as for most attempts; else a Slack rendering). */
  const recordArgs = (bodies = 'NULL') =>
    [
      ids(),
      ids(),
      `ARRAY[${sampleIds.map(() => `'${webhookId}'`).join(',')}]::uuid[]`,
      `${texts(`'plan-1'`)}::text[]`,
      `${texts(`'api.created'`)}::text[]`,
      `${texts('true')}::boolean[]`,
      `${texts('200')}::int[]`,
      `${texts(`'OK'`)}::text[]`,
      `${texts('NULL')}::text[]`,
      `${texts('5')}::int[]`,
      `${texts(`'succeeded'`)}::text[]`,
      `${texts('NULL')}::timestamptz[]`,
      `${texts('false')}::boolean[]`,
      `${texts(`'https://x.example/'`)}::text[]`,
      '4',
      `${texts(`'https://x.example/'`)}::text[]`,
      `${texts(`'{}'`)}::jsonb[]`,
      `${texts(bodies)}::text[]`,
    ].join(', ');

  describe.each(['stale', 'fresh'] as const)('with %s statistics', (statistics) => {
    beforeAll(async () => {
      if (statistics === 'fresh') await db.query('ANALYZE');
    });

    it.each(['generic', 'custom'] as const)(
      'claim: by primary key, never the due index, and no event read (%s plan)',
      async (mode) => {
        const used = await plan(CLAIM_SQL.text, `${ids()}, 30000`, mode);
        expect(used.some((a) => a.includes('deliveries PK_deliveries'))).toBe(true);
        expect(used.join('\n')).not.toMatch(/IDX_deliveries_due|Seq Scan deliveries/);
        // Whether the event was erased is not the claim's question (delivery.sql.ts EVENT_ERASED).
        expect(used.join('\n')).not.toMatch(/ events /);
      },
    );

    it.each(['generic', 'custom'] as const)('event bodies: by primary key (%s plan)', async (mode) => {
      const used = await plan(EVENT_BODIES_SQL.text, `ARRAY['plan-1', 'plan-2']::text[]`, mode);
      expect(used.some((a) => a.includes('PK_events'))).toBe(true);
      expect(used.join('\n')).not.toMatch(/Seq Scan events/);
    });

    it.each(['generic', 'custom'] as const)('record: by primary key (%s plan)', async (mode) => {
      for (const bodies of ['NULL', `'{"text":"rendered"}'`]) {
        const used = await plan(RECORD_ATTEMPTS_SQL.text, recordArgs(bodies), mode);
        expect(used.some((a) => a.includes('deliveries PK_deliveries'))).toBe(true);
        expect([bodies, used.join('\n')]).not.toEqual([
          bodies,
          expect.stringMatching(/IDX_deliveries_due|Seq Scan (deliveries|events)/),
        ]);
      }
    });

    it.each(['generic', 'custom'] as const)('delivery state: by primary key (%s plan)', async (mode) => {
      const used = await plan(DELIVERY_STATE_SQL.text, `'${sampleIds[0]}'`, mode);
      expect(used.some((a) => a.includes('deliveries PK_deliveries'))).toBe(true);
    });

    it.each(['generic', 'custom'] as const)(
      'fan-out: never scans deliveries or events whole (%s plan)',
      async (mode) => {
        const used = await plan(
          FAN_OUT_SQL.text,
          [
            `ARRAY['plan-1', 'plan-new']::text[]`,
            `ARRAY['api.created', 'api.created']::text[]`,
            `ARRAY['{}', '{}']::text[]`,
            `ARRAY['f', 'f']::text[]`,
            `ARRAY[NULL, NULL]::uuid[]`,
            `ARRAY['plans', 'plans']::text[]`,
            `ARRAY[NULL, NULL]::text[]`,
            `ARRAY['2025-01-01T00:00:00Z', '2025-01-01T00:00:01Z']::timestamptz[]`,
            `ARRAY['plans', 'plans']::text[]`,
          ].join(', '),
          mode,
        );
        expect(used.join('\n')).not.toMatch(/Seq Scan (deliveries|events)|IDX_deliveries_due/);
      },
    );

    it('circuit: parked deliveries are reached through their own index, never scanned whole', async () => {
      const release = await plan(RELEASE_PARKED_SQL, `'${webhookId}', 1000`, 'custom');
      expect(release.join('\n')).not.toMatch(/Seq Scan deliveries|IDX_deliveries_due/);
      const stranded = await plan(STRANDED_SQL, '', 'custom');
      expect(stranded.some((a) => a.includes('IDX_deliveries_paused'))).toBe(true);
      expect(stranded.join('\n')).not.toMatch(/Seq Scan deliveries/);
    });

    it('ordered delivery: a line is reached through its own index, never the backlog', async () => {
      const wake = await plan(WAKE_NEXT_SQL, `'${webhookId}', false, 250`, 'custom');
      expect(wake.join('\n')).not.toMatch(/Seq Scan deliveries|IDX_deliveries_due|IDX_deliveries_webhook/);
      const stalled = await plan(STALLED_LINES_SQL, '100', 'custom');
      expect(stalled.some((a) => a.includes('IDX_deliveries_fifo'))).toBe(true);
      expect(stalled.join('\n')).not.toMatch(/Seq Scan deliveries/);
    });

    it('sweeper: the due index', async () => {
      for (const cursor of ['NULL, NULL', `now() - interval '1 hour', '${sampleIds[0]}'`]) {
        const used = await plan(DUE_DELIVERIES_SQL, `1000, ${cursor}`, 'custom');
        expect(used.some((a) => a.includes('IDX_deliveries_due'))).toBe(true);
      }
    });
  });
});
