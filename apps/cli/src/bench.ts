/**
 * npm run bench: the delivery benchmark (README → Performance). Worker processes, a receiver process, the
 * real queue and database; progress and the CPU split go to stderr, one JSON result line comes last.
 *
 *   npm run bench -- [--concurrency 100] [--deliveries 10000] [--rate 1000] [--seconds 5] [--workers 1]
 *                    [--fanouts 1,10,30] [--hanging-backlog 1000] [--cpu-prof DIR]
 *   (--cpu-prof: workers write V8 CPU profiles there when they stop)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfigOrExit } from '@app/config';
import { EventJobData, openQueue, QueueName, redisOptionsFromUrl, TypedQueue } from '@app/queue';
import { prepareDatabase } from '@app/database';
import { fail, parseArgs } from './args';
import { measureChainReference, measureCeiling, measureReference } from './bench-reference';
import {
  coresBetween,
  CpuGroups,
  CpuSample,
  deleteKeys,
  dropDatabase,
  log,
  percentile,
  redisPid,
  ROOT,
  rssMb,
  sampleCpu,
  sleep,
  startReceiver,
} from './bench-support';

const { flags } = parseArgs(process.argv.slice(2));
function numberFlag(name: string, fallback: number): number {
  const value = Number(flags.get(name) ?? fallback);
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a positive integer`);
  return value;
}
const CONCURRENCY = numberFlag('concurrency', 100);
const DELIVERIES = numberFlag('deliveries', Number(process.env.BENCH_DELIVERIES ?? 10_000));
const OFFERED_PER_SEC = numberFlag('rate', 1000);
const OFFERED_SECONDS = numberFlag('seconds', 5);
const WORKERS = numberFlag('workers', 1);
const FANOUTS = (flags.get('fanouts') ?? '1,10,30').split(',').map(Number);
if (FANOUTS.some((n) => !Number.isInteger(n) || n < 1)) fail('--fanouts must be a list like 1,10,30');
const CPU_PROFILE_DIR = flags.get('cpu-prof');
const HANGING_BACKLOG = numberFlag('hanging-backlog', 1000);
/** The isolation scenario's healthy tenant: events at this rate for this long. */
const ISOLATION_EVENTS = 100;
const ISOLATION_PER_SEC = 20;
/**
 * Tenants of the one-webhook-per-event scenarios (fan-out 1 and latency), events taking turns: a
 * single endpoint would measure DELIVERY_ENDPOINT_CONCURRENCY, not the pipeline.
 */
const SINGLE_TENANTS = 100;

/** An `events` job as the bench publishes it. */
interface Event extends EventJobData {
  id: string;
  name: 'api.created';
  user: { id: string };
  resourceType: 'Api';
  resource: { id: string; name: string; visibility: 'public' };
  ownerId: string;
}

const event = (owner: string, id: string): Event => ({
  id,
  name: 'api.created',
  user: { id: owner },
  resourceType: 'Api',
  resource: { id, name: 'Bench API', visibility: 'public' },
  ownerId: owner,
});

/**
 * `count` webhooks subscribed to api.created, all posting to /<path>/<owner> on the receiver, for
 * `owner`, or for each of `tenants` owners `<owner>.<n>` (a multi-tenant load: one endpoint each,
 * as the per-endpoint cap of fair delivery expects), with `filter` as their payload filter.
 */
async function createWebhooks(
  db: Client,
  owner: string,
  url: string,
  count: number,
  {
    path = 'hook',
    tenants = 1,
    filter = null,
  }: { path?: string; tenants?: number; filter?: object | null } = {},
): Promise<void> {
  await db.query(
    `INSERT INTO webhooks (owner_id, user_id, url, events, secret, filter)
     SELECT o.owner, o.owner, $2, ARRAY['api.created'], 'whsec_' || encode(sha256(random()::text::bytea), 'base64'), $5::jsonb
       FROM (SELECT CASE WHEN $4 = 1 THEN $1 ELSE $1 || '.' || t END AS owner FROM generate_series(1, $4) t) o,
            generate_series(1, $3)`,
    [owner, `${url}/${path}/${owner}`, count, tenants, filter === null ? null : JSON.stringify(filter)],
  );
}

/** The owner of the n-th event of a scenario with `tenants` tenants (as createWebhooks names them). */
const tenantOf = (owner: string, n: number, tenants: number) =>
  tenants === 1 ? owner : `${owner}.${(n % tenants) + 1}`;

/**
 * Publishes `count` events for `owner` at `perSec`, in 10 ms ticks (each tick whatever the
 * schedule says is due by then); returns when each was published.
 */
async function publishAtRate(
  events: TypedQueue<typeof QueueName.Events>,
  owner: string,
  count: number,
  perSec: number,
  tenants = 1,
): Promise<Map<string, number>> {
  const publishedAt = new Map<string, number>();
  const started = Date.now();
  for (let sent = 0; sent < count;) {
    const due = Math.min(count, Math.floor(((Date.now() - started) / 1000) * perSec) + 1);
    const jobs = [];
    for (; sent < due; sent += 1) {
      const id = `${owner}-${sent}`;
      publishedAt.set(id, Date.now());
      jobs.push({
        name: 'api.created',
        data: event(tenantOf(owner, sent, tenants), id),
        opts: { jobId: id },
      });
    }
    if (jobs.length > 0) await events.addBulk(jobs);
    await sleep(10);
  }
  return publishedAt;
}

/** Publish → first receipt of each event, sorted, from the receiver's record. */
async function receiptLatencies(receiverUrl: string, publishedAt: Map<string, number>): Promise<number[]> {
  const seen = (await (await fetch(`${receiverUrl}/__stats`)).json()) as {
    firstSeen: Record<string, number>;
  };
  return [...publishedAt].map(([id, at]) => (seen.firstSeen[id] ?? Infinity) - at).sort((a, b) => a - b);
}

/**
 * Waits until `expected` deliveries of `owner` were received and their attempts recorded. The
 * receiver's counter is polled first, so PostgreSQL is only counted once near the end: a count over
 * the attempts every few ms while the scenario runs would be CPU taken from the product measured.
 */
async function waitForAttempts(
  db: Client,
  receiverUrl: string,
  owner: string,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const received = Number(await (await fetch(`${receiverUrl}/__count/hook/${owner}`)).text());
    if (received >= expected) break;
    if (Date.now() > deadline) throw new Error(`only ${received} of ${expected} deliveries received in time`);
    await sleep(20);
  }
  for (;;) {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM delivery_attempts
        WHERE webhook_id IN (SELECT id FROM webhooks WHERE owner_id = $1 OR owner_id LIKE $1 || '.%')`,
      [owner],
    );
    if (rows[0].n >= expected) return;
    if (Date.now() > deadline)
      throw new Error(`only ${rows[0].n} of ${expected} deliveries recorded in time`);
    await sleep(20);
  }
}

function describeCpu(cores: CpuSample, perSec: number): string {
  const parts = Object.entries(cores).map(
    ([who, used]) => `${who} ${used.toFixed(2)} cores (${Math.round((used / perSec) * 1e6)} µs/delivery)`,
  );
  return parts.join(', ');
}

/** Payload filters: 1 → 30 where half the webhooks filter the event out (README → Performance). */
const FILTERED_WEBHOOKS = 30;

/**
 * The 1 → 30 scenario's events again, for 30 webhooks with payload filters: 15 the event contains,
 * 15 it does not. Each event is delivered 15 times; events/s compares with the unfiltered 1 → 30.
 */
async function measureFiltered(
  db: Client,
  events: TypedQueue<typeof QueueName.Events>,
  receiverUrl: string,
  groups: CpuGroups,
) {
  const owner = 'bench-filtered';
  const half = FILTERED_WEBHOOKS / 2;
  await createWebhooks(db, owner, receiverUrl, half, { filter: { resource: { visibility: 'public' } } });
  await createWebhooks(db, owner, receiverUrl, half, { filter: { resource: { visibility: 'private' } } });
  const count = Math.ceil(DELIVERIES / FILTERED_WEBHOOKS);
  const before = sampleCpu(groups);
  const started = performance.now();
  for (let offset = 0; offset < count; offset += 500) {
    const ids = Array.from({ length: Math.min(500, count - offset) }, (_, i) => `${owner}-${offset + i}`);
    await events.addBulk(
      ids.map((id) => ({ name: 'api.created', data: event(owner, id), opts: { jobId: id } })),
    );
  }
  await waitForAttempts(db, receiverUrl, owner, count * half, 300_000);
  const seconds = (performance.now() - started) / 1000;
  const deliveriesPerSec = Math.round((count * half) / seconds);
  return {
    webhooksPerEvent: FILTERED_WEBHOOKS,
    filteredOut: half,
    eventsPerSec: Math.round(count / seconds),
    deliveriesPerSec,
    cpuCores: coresBetween(before, sampleCpu(groups), seconds),
  };
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
    log(
      `database ${dbUrl.pathname.slice(1)}, queue prefix ${prefix}, ${WORKERS} worker(s), concurrency ${CONCURRENCY}`,
    );
    await prepareDatabase(databaseUrl);
    await db.connect();
    const receiver = await startReceiver();
    children.push(receiver.child);

    log('raw HTTP ceiling…');
    const ceilingPerSec = await measureCeiling(receiver.url, 20_000, CONCURRENCY);
    log(`ceiling ${Math.round(ceilingPerSec)}/s`);
    const referenceGroups: CpuGroups = {
      worker: [],
      receiver: [receiver.child.pid as number],
      redis: await redisPid(config.redisUrl),
    };
    const run = {
      url: receiver.url,
      redisUrl: config.redisUrl,
      prefix,
      total: 10_000,
      concurrency: CONCURRENCY,
    };
    // The reference consumers run in this process: their CPU shows as `bench`.
    const measured = async (what: string, measure: () => Promise<number>): Promise<number> => {
      log(`${what}…`);
      const start = { cpu: sampleCpu(referenceGroups), at: performance.now() };
      const perSec = await measure();
      const seconds = (performance.now() - start.at) / 1000;
      const cores = coresBetween(start.cpu, sampleCpu(referenceGroups), seconds);
      log(`${what}: ${Math.round(perSec)}/s; ${describeCpu(cores, perSec)}`);
      return perSec;
    };
    const referencePerSec = await measured('bare BullMQ consumer reference', () => measureReference(run));
    const chainReferencePerSec = await measured('event job → delivery job chain, no database', () =>
      measureChainReference(run),
    );

    const workers = Array.from({ length: WORKERS }, () =>
      spawn(
        process.execPath,
        [
          ...(CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : []),
          join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js'),
        ],
        {
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
        },
      ),
    );
    children.push(...workers);
    const groups: CpuGroups = {
      worker: workers.map((worker) => worker.pid as number),
      receiver: [receiver.child.pid as number],
      redis: await redisPid(config.redisUrl),
    };
    const events = openQueue(QueueName.Events, { prefix, connection: redisOptionsFromUrl(config.redisUrl) });
    await sleep(2000);

    const fanout: Array<{ webhooksPerEvent: number; deliveriesPerSec: number; cpuCores: CpuSample }> = [];
    for (const webhooksPerEvent of FANOUTS) {
      const owner = `bench-fanout-${webhooksPerEvent}`;
      // One webhook per event: a hundred tenants of one endpoint each, taking turns.
      const tenants = webhooksPerEvent === 1 ? SINGLE_TENANTS : 1;
      await createWebhooks(db, owner, receiver.url, webhooksPerEvent, { tenants });
      const count = Math.ceil(DELIVERIES / webhooksPerEvent);
      const before = sampleCpu(groups);
      const started = performance.now();
      for (let offset = 0; offset < count; offset += 500) {
        const ids = Array.from({ length: Math.min(500, count - offset) }, (_, i) => `${owner}-${offset + i}`);
        await events.addBulk(
          ids.map((id, i) => ({
            name: 'api.created',
            data: event(tenantOf(owner, offset + i, tenants), id),
            opts: { jobId: id },
          })),
        );
      }
      await waitForAttempts(db, receiver.url, owner, count * webhooksPerEvent, 300_000);
      const seconds = (performance.now() - started) / 1000;
      const deliveriesPerSec = Math.round((count * webhooksPerEvent) / seconds);
      const cpuCores = coresBetween(before, sampleCpu(groups), seconds);
      fanout.push({ webhooksPerEvent, deliveriesPerSec, cpuCores });
      log(
        `fan-out ${webhooksPerEvent}: ${deliveriesPerSec} deliveries/s; ${describeCpu(cpuCores, deliveriesPerSec)}`,
      );
    }

    const filtered = await measureFiltered(db, events, receiver.url, groups);
    const unfiltered = fanout.find((f) => f.webhooksPerEvent === FILTERED_WEBHOOKS);
    log(
      `fan-out ${FILTERED_WEBHOOKS}, ${FILTERED_WEBHOOKS / 2} filtering the event out: ${filtered.eventsPerSec} events/s, ${filtered.deliveriesPerSec} deliveries/s${
        unfiltered
          ? ` (unfiltered: ${Math.round(unfiltered.deliveriesPerSec / FILTERED_WEBHOOKS)} events/s)`
          : ''
      }; ${describeCpu(filtered.cpuCores, filtered.deliveriesPerSec)}`,
    );

    log(`latency at ${OFFERED_PER_SEC} events/s offered for ${OFFERED_SECONDS} s…`);
    const owner = 'bench-latency';
    await createWebhooks(db, owner, receiver.url, 1, { tenants: SINGLE_TENANTS });
    const total = OFFERED_PER_SEC * OFFERED_SECONDS;
    const before = sampleCpu(groups);
    const started = Date.now();
    const publishedAt = await publishAtRate(events, owner, total, OFFERED_PER_SEC, SINGLE_TENANTS);
    await waitForAttempts(db, receiver.url, owner, total, 120_000);
    const latencySeconds = (Date.now() - started) / 1000;
    const latencyCpu = coresBetween(before, sampleCpu(groups), latencySeconds);
    const latencies = await receiptLatencies(receiver.url, publishedAt);
    const latencyMs = {
      offeredPerSec: OFFERED_PER_SEC,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
    log(
      `latency p50 ${latencyMs.p50} ms, p99 ${latencyMs.p99} ms; ${describeCpu(latencyCpu, OFFERED_PER_SEC)}`,
    );
    const workerRssMb = Math.max(...workers.map((worker) => rssMb(worker.pid as number, 'VmHWM')));

    // Last, since its hanging attempts outlive it: another tenant's endpoint never answers and has
    // a backlog, while a healthy tenant publishes at a steady rate.
    log(
      `isolation: a hanging endpoint with ${HANGING_BACKLOG} events queued, a healthy one at ${ISOLATION_PER_SEC}/s…`,
    );
    await createWebhooks(db, 'bench-hanging', receiver.url, 1, { path: 'hang' });
    await publishAtRate(events, 'bench-hanging', HANGING_BACKLOG, 100_000);
    await createWebhooks(db, 'bench-isolation', receiver.url, 1);
    const healthyAt = await publishAtRate(events, 'bench-isolation', ISOLATION_EVENTS, ISOLATION_PER_SEC);
    await waitForAttempts(db, receiver.url, 'bench-isolation', ISOLATION_EVENTS, 60_000);
    const healthy = await receiptLatencies(receiver.url, healthyAt);
    const isolation = {
      p50: percentile(healthy, 50),
      p99: percentile(healthy, 99),
      max: healthy[healthy.length - 1],
      hangingBacklog: HANGING_BACKLOG,
      healthyEvents: ISOLATION_EVENTS,
      healthyPerSec: ISOLATION_PER_SEC,
    };
    log(
      `isolation: healthy tenant p50 ${isolation.p50} ms, p99 ${isolation.p99} ms, max ${isolation.max} ms`,
    );
    await events.close();

    process.stdout.write(
      `${JSON.stringify({
        ceilingPerSec: Math.round(ceilingPerSec),
        referencePerSec: Math.round(referencePerSec),
        chainReferencePerSec: Math.round(chainReferencePerSec),
        fanout,
        filteredFanout: filtered,
        latencyMs: { ...latencyMs, cpuCores: latencyCpu },
        isolation,
        workerRssMb,
        ratioToReference: fanout.map((f) => Math.round((f.deliveriesPerSec / referencePerSec) * 100) / 100),
        ratioToChainReference: fanout.map(
          (f) => Math.round((f.deliveriesPerSec / chainReferencePerSec) * 100) / 100,
        ),
        deliveriesPerScenario: DELIVERIES,
        concurrency: CONCURRENCY,
        workers: WORKERS,
      })}\n`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(1000);
    await db.end().catch(() => undefined);
    await dropDatabase(config.databaseUrl, dbUrl.pathname.slice(1)).catch((error: Error) =>
      log(`cleanup: ${error.message}`),
    );
    await deleteKeys(config.redisUrl, prefix).catch((error: Error) => log(`cleanup: ${error.message}`));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).message}\n`);
  process.exit(1);
});
