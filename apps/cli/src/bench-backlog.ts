/**
 * npm run bench:backlog: what a dead endpoint with a large backlog costs (README → Performance).
 * One worker, a private redis-server (so its command counter is ours alone), a database of its own.
 * An endpoint that refuses connections gets `--backlog` events (default 100,000); once they are all
 * fanned out, it watches for `--seconds` (default 30) and prints one JSON line: Redis commands/s,
 * delivery rows written/s, attempts/s, and the worker's RSS.
 *
 *   npm run bench:backlog -- [--backlog 100000] [--seconds 30]
 */
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { loadConfigOrExit } from '@app/config';
import { prepareDatabase } from '@app/database';
import { openQueue, QueueName } from '@app/queue';
import { fail, parseArgs } from './args';
import { dropDatabase, log, ROOT, rssMb, sleep } from './bench-support';

const { flags } = parseArgs(process.argv.slice(2));
const BACKLOG = Number(flags.get('backlog') ?? 100_000);
const WINDOW_SECONDS = Number(flags.get('seconds') ?? 30);
if (!Number.isInteger(BACKLOG) || BACKLOG < 1) fail('--backlog must be a positive integer');
if (!Number.isInteger(WINDOW_SECONDS) || WINDOW_SECONDS < 1) fail('--seconds must be a positive integer');
/** Nothing listens on port 1: every attempt is refused at once, as for an endpoint that is down. */
const DEAD_URL = 'http://127.0.0.1:1/dead';
const OWNER = 'bench-dead';

async function redisCommands(redis: Redis): Promise<number> {
  return Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1]);
}

async function deliveryWrites(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT n_tup_ins + n_tup_upd + n_tup_del AS n FROM pg_stat_user_tables WHERE relname = 'deliveries'`,
  );
  return Number(rows[0]?.n ?? 0);
}

async function count(db: Client, sql: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql);
  return rows[0].n;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const dbUrl = new URL(config.databaseUrl);
  dbUrl.pathname = `/event_api_backlog_${runId}`;
  const databaseUrl = dbUrl.toString();
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const redisUrl = `redis://127.0.0.1:${port}`;
  const children: ChildProcess[] = [];
  const db = new Client({ connectionString: databaseUrl });
  let redis: Redis | undefined;
  try {
    children.push(
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      ),
    );
    await sleep(500);
    redis = new Redis(redisUrl);
    await prepareDatabase(databaseUrl);
    await db.connect();
    await db.query(
      `INSERT INTO webhooks (owner_id, user_id, url, events, secret) VALUES ($1, $1, $2, ARRAY['api.created'], 'whsec_x')`,
      [OWNER, DEAD_URL],
    );
    const worker = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js')], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl,
        DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
        WORKER_PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(worker);
    await sleep(2000);
    const rssIdle = rssMb(worker.pid as number, 'VmRSS');

    log(`publishing ${BACKLOG} events for an endpoint that refuses connections…`);
    const events = openQueue(QueueName.Events, {
      prefix: config.queuePrefix,
      connection: { host: '127.0.0.1', port },
    });
    const started = Date.now();
    for (let offset = 0; offset < BACKLOG; offset += 1000) {
      const jobs = Array.from({ length: Math.min(1000, BACKLOG - offset) }, (_, i) => {
        const id = `dead-${offset + i}`;
        const data = {
          id,
          name: 'api.created',
          user: { id: OWNER },
          resourceType: 'Api',
          resource: { id },
          ownerId: OWNER,
        };
        return { name: 'api.created', data, opts: { jobId: id } };
      });
      await events.addBulk(jobs);
    }
    // Settled: every event fanned out, and nothing left on the deliveries queue but delayed retries.
    const deliveriesQueue = openQueue(QueueName.Deliveries, {
      prefix: config.queuePrefix,
      connection: { host: '127.0.0.1', port },
    });
    for (;;) {
      const fannedOut = await count(db, 'SELECT count(*)::int AS n FROM deliveries');
      const { waiting, active } = await deliveriesQueue.getJobCounts('waiting', 'active');
      const eventsLeft = await events.getWaitingCount();
      if (fannedOut >= BACKLOG && waiting + active === 0 && eventsLeft === 0) break;
      if (Date.now() - started > 600_000)
        throw new Error(`not settled in 10 minutes (${fannedOut} fanned out)`);
      await sleep(500);
    }
    const settledSeconds = (Date.now() - started) / 1000;
    let parked = await count(db, `SELECT count(*)::int AS n FROM deliveries WHERE status = 'paused'`);
    log(`settled in ${settledSeconds.toFixed(1)} s: ${parked} parked; watching for ${WINDOW_SECONDS} s…`);
    // The last parks are still being written as the queue empties, and table statistics lag by a
    // second or so: the window starts once both are behind.
    await sleep(10_000);

    parked = await count(db, `SELECT count(*)::int AS n FROM deliveries WHERE status = 'paused'`);
    const before = {
      commands: await redisCommands(redis),
      writes: await deliveryWrites(db),
      attempts: await count(db, 'SELECT count(*)::int AS n FROM delivery_attempts'),
      rss: rssMb(worker.pid as number, 'VmRSS'),
    };
    await sleep(WINDOW_SECONDS * 1000);
    const after = {
      commands: await redisCommands(redis),
      writes: await deliveryWrites(db),
      attempts: await count(db, 'SELECT count(*)::int AS n FROM delivery_attempts'),
      rss: rssMb(worker.pid as number, 'VmRSS'),
    };
    const perSec = (a: number, b: number) => Math.round(((b - a) / WINDOW_SECONDS) * 10) / 10;
    const { rows: states } = await db.query<{ status: string; due: boolean; n: number }>(
      `SELECT status, next_attempt_at <= now() AS due, count(*)::int AS n FROM deliveries GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    await Promise.all([events.close(), deliveriesQueue.close()]);
    process.stdout.write(
      `${JSON.stringify({
        backlog: BACKLOG,
        settledSeconds: Math.round(settledSeconds),
        parked,
        deliveries: Object.fromEntries(
          states.map((row) => [`${row.status}${row.due ? '' : ' (not due)'}`, row.n]),
        ),
        window: {
          seconds: WINDOW_SECONDS,
          // Our own reads of INFO and the counts above are a few of these.
          redisCommandsPerSec: perSec(before.commands, after.commands),
          deliveryRowsWrittenPerSec: perSec(before.writes, after.writes),
          attemptsPerSec: perSec(before.attempts, after.attempts),
        },
        workerRssMb: {
          idle: rssIdle,
          settled: before.rss,
          end: after.rss,
          peak: rssMb(worker.pid as number, 'VmHWM'),
        },
      })}\n`,
    );
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    redis?.disconnect();
    await sleep(1000);
    await db.end().catch(() => undefined);
    await dropDatabase(config.databaseUrl, dbUrl.pathname.slice(1)).catch((error: Error) =>
      log(`cleanup: ${error.message}`),
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:backlog failed: ${(error as Error).message}\n`);
  process.exit(1);
});
