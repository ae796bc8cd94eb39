/**
 * npm run bench:fifo: what ordered delivery costs (README → Ordered delivery). A database of its own,
 * the shared Redis under a prefix of its own, `--workers` worker processes (default 1) and one
 * webhook with `--ordering` (default fifo) whose receiver, in this process, answers after `--latency`
 * ms (default 20). `--events` events (default 500) are published at once; prints one JSON line:
 * deliveries/s from the first request to the last, the most requests ever in flight, and whether
 * they arrived in publish order.
 *
 *   npm run bench:fifo -- [--ordering fifo|none] [--events 500] [--latency 20] [--workers 1]
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfigOrExit } from '@app/config';
import { prepareDatabase } from '@app/database';
import { EventPublisher } from '@app/events';
import { fail, parseArgs } from './args';
import { deleteKeys, dropDatabase, log, ROOT, sleep } from './bench-support';

const { flags } = parseArgs(process.argv.slice(2));
const ORDERING = flags.get('ordering') ?? 'fifo';
const EVENTS = Number(flags.get('events') ?? 500);
const LATENCY_MS = Number(flags.get('latency') ?? 20);
const WORKERS = Number(flags.get('workers') ?? 1);
if (ORDERING !== 'fifo' && ORDERING !== 'none') fail('--ordering must be fifo or none');
for (const [name, value] of [
  ['events', EVENTS],
  ['workers', WORKERS],
] as const) {
  if (!Number.isInteger(value) || value < 1) fail(`--${name} must be a positive integer`);
}
if (!Number.isInteger(LATENCY_MS) || LATENCY_MS < 0) fail('--latency must be a whole number of ms');
const OWNER = 'bench-fifo';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const dbUrl = new URL(config.databaseUrl);
  dbUrl.pathname = `/event_api_fifo_${runId}`;
  const databaseUrl = dbUrl.toString();
  const prefix = `bench-fifo-${runId}`;
  const received: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let first = 0;
  let last = 0;
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      first ||= Date.now();
      setTimeout(() => {
        received.push((JSON.parse(Buffer.concat(chunks).toString()) as { id: string }).id);
        last = Date.now();
        inFlight -= 1;
        response.end('OK');
      }, LATENCY_MS);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const children: ChildProcess[] = [];
  const db = new Client({ connectionString: databaseUrl });
  const publisher = new EventPublisher({ redisUrl: config.redisUrl, prefix });
  try {
    await prepareDatabase(databaseUrl);
    await db.connect();
    await db.query(
      `INSERT INTO webhooks (owner_id, user_id, url, events, secret, ordering, first_success_at)
       VALUES ($1, $1, $2, ARRAY['api.created'], 'whsec_x', $3, now())`,
      [OWNER, url, ORDERING],
    );
    for (let i = 0; i < WORKERS; i += 1) {
      children.push(
        spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'worker', 'src', 'main.js')], {
          env: {
            ...process.env,
            DATABASE_URL: databaseUrl,
            QUEUE_PREFIX: prefix,
            DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
            WORKER_PORT: '0',
            HOST: '127.0.0.1',
            LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        }),
      );
    }
    await sleep(3000);
    log(`publishing ${EVENTS} events to one webhook with ordering ${ORDERING}, ${LATENCY_MS} ms receiver…`);
    const ids = await publisher.publishBulk(
      Array.from({ length: EVENTS }, (_, i) => ({
        name: 'api.created' as const,
        user: { id: OWNER },
        resourceType: 'Api',
        resource: { id: `e-${i}` },
        ownerId: OWNER,
      })),
    );
    const started = Date.now();
    while (received.length < EVENTS) {
      if (Date.now() - started > 600_000) throw new Error(`${received.length} of ${EVENTS} in 10 minutes`);
      await sleep(100);
    }
    const seconds = (last - first) / 1000;
    process.stdout.write(
      `${JSON.stringify({
        ordering: ORDERING,
        events: EVENTS,
        receiverMs: LATENCY_MS,
        workers: WORKERS,
        seconds: Math.round(seconds * 10) / 10,
        deliveriesPerSec: Math.round((EVENTS / seconds) * 10) / 10,
        maxInFlight,
        inPublishOrder: received.every((id, index) => id === ids[index]),
      })}\n`,
    );
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await sleep(1500);
    await publisher.close();
    await db.end().catch(() => undefined);
    receiver.close();
    await deleteKeys(config.redisUrl, prefix).catch((error: Error) => log(`cleanup: ${error.message}`));
    await dropDatabase(config.databaseUrl, dbUrl.pathname.slice(1)).catch((error: Error) =>
      log(`cleanup: ${error.message}`),
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:fifo failed: ${(error as Error).message}\n`);
  process.exit(1);
});
