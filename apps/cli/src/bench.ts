/**
 * npm run bench: the delivery benchmark (SPEC §11). One worker process, a local receiver process,
 * the real queue and database; prints progress to stderr and one JSON result line last.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Pool } from 'undici';
import { loadConfigOrExit, redisOptionsFromUrl } from '@app/config';
import { prepareDatabase } from '@app/database';

const CONCURRENCY = 50;
const DELIVERIES_PER_SCENARIO = Number(process.env.BENCH_DELIVERIES ?? 4000);
const FANOUTS = [1, 10, 30];
const ROOT = join(__dirname, '..', '..', '..');

const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function startReceiver(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'bench-receiver.ts')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve) =>
    child.stdout?.once('data', (chunk: Buffer) =>
      resolve({ child, url: `http://127.0.0.1:${chunk.toString().trim()}` }),
    ),
  );
}

async function stats(url: string): Promise<{ received: number; firstSeen: Record<string, number> }> {
  return (await fetch(`${url}/__stats`)).json() as Promise<{
    received: number;
    firstSeen: Record<string, number>;
  }>;
}

/** Raw ceiling: one process, keep-alive, same concurrency, no queue, no database. */
async function measureCeiling(url: string, total: number): Promise<number> {
  const pool = new Pool(url, { connections: CONCURRENCY });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < total) {
        next += 1;
        const response = await pool.request({
          path: '/ceiling',
          method: 'POST',
          body: '{"bench":true}',
          headers: { 'content-type': 'application/json' },
        });
        await response.body.dump();
      }
    }),
  );
  const perSec = total / ((performance.now() - started) / 1000);
  await pool.close();
  return perSec;
}

/** Reference: a bare BullMQ consumer with the same HTTP client and no database. */
async function measureReference(
  url: string,
  redisUrl: string,
  prefix: string,
  total: number,
): Promise<number> {
  const connection = redisOptionsFromUrl(redisUrl);
  const queue = new Queue('reference', { prefix, connection });
  for (let offset = 0; offset < total; offset += 500) {
    await queue.addBulk(
      Array.from({ length: Math.min(500, total - offset) }, (_, i) => ({
        name: 'post',
        data: { n: offset + i },
        opts: { removeOnComplete: true },
      })),
    );
  }
  const pool = new Pool(url, { connections: CONCURRENCY });
  let done = 0;
  const started = performance.now();
  const finished = new Promise<void>((resolve) => {
    const worker = new Worker(
      'reference',
      async (job) => {
        const response = await pool.request({
          path: '/reference',
          method: 'POST',
          body: JSON.stringify(job.data),
          headers: { 'content-type': 'application/json' },
        });
        await response.body.dump();
      },
      { prefix, connection: { ...connection, maxRetriesPerRequest: null }, concurrency: CONCURRENCY },
    );
    worker.on('completed', () => {
      done += 1;
      if (done === total) void worker.close().then(resolve);
    });
  });
  await finished;
  const perSec = total / ((performance.now() - started) / 1000);
  await Promise.all([pool.close(), queue.obliterate({ force: true }).then(() => queue.close())]);
  return perSec;
}

async function publishEvents(
  queue: Queue,
  owner: string,
  count: number,
  ids: string[],
): Promise<Map<string, number>> {
  const publishedAt = new Map<string, number>();
  for (let offset = 0; offset < count; offset += 500) {
    const batch = ids.slice(offset, offset + 500);
    const now = Date.now();
    await queue.addBulk(
      batch.map((id) => ({
        name: 'api.created',
        data: {
          id,
          name: 'api.created',
          user: { id: owner },
          resourceType: 'Api',
          resource: { id, name: 'Bench API' },
          ownerId: owner,
        },
        opts: { jobId: id },
      })),
    );
    for (const id of batch) publishedAt.set(id, now);
  }
  return publishedAt;
}

async function waitForAttempts(
  db: Client,
  owner: string,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM delivery_attempts a JOIN webhooks w ON w.id = a.webhook_id WHERE w.owner_id = $1`,
      [owner],
    );
    if (rows[0].n >= expected) return;
    if (Date.now() > deadline)
      throw new Error(`only ${rows[0].n} of ${expected} deliveries recorded in time`);
    await sleep(50);
  }
}

async function createWebhooks(db: Client, owner: string, url: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO webhooks (owner_id, user_id, url, events, secret)
     SELECT $1, $1, $2, ARRAY['api.created'], 'whsec_' || encode(gen_random_bytes_compat(32), 'base64') FROM generate_series(1, $3)`,
    [owner, `${url}/hook`, count],
  );
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function rssMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field));
  return Math.round(Number(line?.replace(/\D+/g, '') ?? 0) / 1024);
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const dbUrl = new URL(config.databaseUrl);
  dbUrl.pathname = `/event_api_bench_${runId}`;
  const databaseUrl = dbUrl.toString();
  const prefix = `event-api-bench-${runId}`;
  const children: ChildProcess[] = [];
  const db = new Client({ connectionString: databaseUrl });
  try {
    log(`database ${dbUrl.pathname.slice(1)}, queue prefix ${prefix}`);
    await prepareDatabase(databaseUrl);
    await db.connect();
    await db.query(
      `CREATE OR REPLACE FUNCTION gen_random_bytes_compat(n int) RETURNS bytea LANGUAGE sql AS $$ SELECT decode(string_agg(lpad(to_hex((random()*255)::int), 2, '0'), ''), 'hex') FROM generate_series(1, n) $$`,
    );
    const receiver = await startReceiver();
    children.push(receiver.child);

    log('raw HTTP ceiling…');
    const ceilingPerSec = await measureCeiling(receiver.url, 20_000);
    log(`ceiling ${Math.round(ceilingPerSec)}/s`);
    log('bare BullMQ consumer reference…');
    const referencePerSec = await measureReference(receiver.url, config.redisUrl, prefix, 10_000);
    log(`reference ${Math.round(referencePerSec)}/s`);

    const worker = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        QUEUE_PREFIX: prefix,
        DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
        DELIVERY_CONCURRENCY: String(CONCURRENCY),
        WORKER_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(worker);
    const events = new Queue('events', { prefix, connection: redisOptionsFromUrl(config.redisUrl) });
    await sleep(1500);

    const fanout: Array<{ webhooksPerEvent: number; deliveriesPerSec: number }> = [];
    for (const webhooksPerEvent of FANOUTS) {
      const owner = `bench-fanout-${webhooksPerEvent}`;
      await createWebhooks(db, owner, receiver.url, webhooksPerEvent);
      const count = Math.ceil(DELIVERIES_PER_SCENARIO / webhooksPerEvent);
      const ids = Array.from({ length: count }, (_, i) => `${owner}-${i}`);
      const started = performance.now();
      await publishEvents(events, owner, count, ids);
      await waitForAttempts(db, owner, count * webhooksPerEvent, 300_000);
      const deliveriesPerSec = (count * webhooksPerEvent) / ((performance.now() - started) / 1000);
      fanout.push({ webhooksPerEvent, deliveriesPerSec: Math.round(deliveriesPerSec) });
      log(`fan-out ${webhooksPerEvent}: ${Math.round(deliveriesPerSec)} deliveries/s`);
    }

    const offeredPerSec = Math.max(10, Math.round(Math.min(fanout[0].deliveriesPerSec * 0.5, 500)));
    log(`latency at ${offeredPerSec} events/s…`);
    const owner = 'bench-latency';
    await createWebhooks(db, owner, receiver.url, 1);
    const total = offeredPerSec * 5;
    const publishedAt = new Map<string, number>();
    const started = Date.now();
    for (let i = 0; i < total; i += 1) {
      const due = started + (i * 1000) / offeredPerSec;
      if (due > Date.now()) await sleep(due - Date.now());
      const id = `${owner}-${i}`;
      publishedAt.set(id, Date.now());
      await events.add(
        'api.created',
        {
          id,
          name: 'api.created',
          user: { id: owner },
          resourceType: 'Api',
          resource: { id },
          ownerId: owner,
        },
        { jobId: id },
      );
    }
    await waitForAttempts(db, owner, total, 120_000);
    const seen = (await stats(receiver.url)).firstSeen;
    const latencies = [...publishedAt].map(([id, at]) => (seen[id] ?? Infinity) - at).sort((a, b) => a - b);
    const workerRssMb = rssMb(worker.pid as number, 'VmHWM');
    await events.close();

    process.stdout.write(
      `${JSON.stringify({
        ceilingPerSec: Math.round(ceilingPerSec),
        referencePerSec: Math.round(referencePerSec),
        fanout,
        latencyMs: { offeredPerSec, p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
        workerRssMb,
        deliveriesPerScenario: DELIVERIES_PER_SCENARIO,
        concurrency: CONCURRENCY,
      })}\n`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(500);
    await db.end().catch(() => undefined);
    await dropDatabase(config.databaseUrl, dbUrl.pathname.slice(1)).catch((error: Error) =>
      log(`cleanup: ${error.message}`),
    );
    await deleteKeys(config.redisUrl, prefix).catch((error: Error) => log(`cleanup: ${error.message}`));
  }
}

async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.end();
}

async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exit(1);
});
