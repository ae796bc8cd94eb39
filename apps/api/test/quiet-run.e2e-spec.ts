import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import {
  builtEntry,
  createTestDatabase,
  dropTestDatabase,
  freePort,
  startProcess,
  waitForOutput,
  waitUntil,
} from '@app/testing';

/** Nest's own start-up narration: debug, never at info. */
const FRAMEWORK_CONTEXTS = [
  'NestFactory',
  'NestApplication',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
];

interface LogLine {
  level: number;
  msg: string;
  context?: string;
  name?: string;
}

/** Every line parsed; a line that is not JSON (a stack trace, a stray print) counts as an error. */
function parse(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        return { level: 60, msg: line };
      }
    });
}

/** What a clean run must never print, JSON or not (Nest's own logger prints `WARN`). */
const NOISE = /WARN|deferred|already released/;

/** The development defaults line of `npm start` and `npm run demo` (README → Quick start). */
const DEVELOPMENT_DEFAULTS =
  /^development defaults: fixed JWT secret \(npm run token signs with it\), (Redis without appendonly, )?apiId not checked against a Core-API$/;

/**
 * `npm start` as a user sees it out of the box (no JWT key, no Core-API, the local Redis as it is)
 * at LOG_LEVEL=info: the development defaults in one line, one line per process with its URLs,
 * nothing else, and a Ctrl-C that prints no warning and exits 0, even with an outbox relay pass in
 * flight in each process (it waits on a table lock this test holds).
 */
describe('npm start: quiet start-up, clean Ctrl-C (e2e, built processes)', () => {
  it('states the development defaults once, says where each process listens, then stops without a warning', async () => {
    const databaseUrl = await createTestDatabase();
    const [port, workerPort] = [await freePort(), await freePort()];
    const running = startProcess(builtEntry('start'), {
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-quiet`,
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKER_PORT: String(workerPort),
      // The relay passes stuck behind the lock end this long after Ctrl-C (a statement timeout).
      DB_STATEMENT_TIMEOUT: '2s',
      WORKER_DB_STATEMENT_TIMEOUT: '2s',
    });
    const holder = new Client({ connectionString: databaseUrl });
    const watcher = new Client({ connectionString: databaseUrl });
    try {
      await waitForOutput(running, /Event-API listening on/);
      await waitForOutput(running, /Event-API worker started/);
      const api = `http://127.0.0.1:${port}`;
      const worker = `http://127.0.0.1:${workerPort}`;
      // Read before any request: each request is a line of its own.
      const startup = parse(running.output());
      expect(startup.filter((line) => FRAMEWORK_CONTEXTS.includes(line.context ?? ''))).toEqual([]);
      expect(startup.filter((line) => line.level >= 40)).toEqual([]);
      expect(running.output()).not.toMatch(NOISE);
      expect(startup[0]).toMatchObject({
        level: 30,
        msg: expect.stringMatching(DEVELOPMENT_DEFAULTS) as unknown,
      });
      expect(
        startup
          .slice(1)
          .map((line) => `${line.level} ${line.msg}`)
          .sort(),
      ).toEqual([
        `30 Event-API listening on ${api} (docs ${api}/docs, health ${api}/health, metrics ${api}/metrics)`,
        `30 Event-API worker started (health ${worker}/health, metrics ${worker}/metrics, concurrency 50)`,
      ]);
      expect((await fetch(`${api}/docs`)).status).toBe(200);
      expect((await fetch(`${worker}/health`)).status).toBe(200);

      await Promise.all([holder.connect(), watcher.connect()]);
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE event_outbox IN ACCESS EXCLUSIVE MODE');
      // Each relay runs every second: wait until one pass of each process is stuck behind the lock.
      await waitUntil(
        async () => {
          const { rows } = await watcher.query<{ waiting: number }>(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM event_outbox%'`,
          );
          return rows[0].waiting >= 2;
        },
        10_000,
        'a relay pass waiting in the API and in the worker',
      );
      const startedBefore = running.output().length;
      running.child.kill('SIGINT');
      expect(await running.exited).toBe(0);
      expect(parse(running.output().slice(startedBefore)).filter((line) => line.level >= 40)).toEqual([]);
      expect(running.output()).not.toMatch(NOISE);
    } finally {
      await holder.end().catch(() => undefined);
      await watcher.end().catch(() => undefined);
      // Not SIGKILL: start.js passes SIGTERM on to the API and the worker, which would outlive it.
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGTERM');
        await running.exited;
      }
      await dropTestDatabase(databaseUrl);
    }
  });

  it('LOG_LEVEL=warn npm start: the development defaults line still prints, at warn, and nothing else does', async () => {
    const databaseUrl = await createTestDatabase();
    const [port, workerPort] = [await freePort(), await freePort()];
    const running = startProcess(builtEntry('start'), {
      DATABASE_URL: databaseUrl,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-quiet-warn`,
      HOST: '127.0.0.1',
      PORT: String(port),
      WORKER_PORT: String(workerPort),
      LOG_LEVEL: 'warn',
    });
    try {
      // Nothing at info to wait for: both up once both answer their health.
      await waitUntil(
        async () => {
          const up = await Promise.all(
            [`http://127.0.0.1:${port}/health`, `http://127.0.0.1:${workerPort}/health`].map((url) =>
              fetch(url).then(
                (response) => response.ok,
                () => false,
              ),
            ),
          );
          return up.every(Boolean);
        },
        20_000,
        'the API and the worker up',
      );
      // The processes log the fixed JWT secret at debug: this line is the one place it is said.
      expect(parse(running.output())).toEqual([
        expect.objectContaining({
          level: 40,
          name: 'event-api-start',
          msg: expect.stringMatching(DEVELOPMENT_DEFAULTS) as unknown,
        }),
      ]);
      running.child.kill('SIGINT');
      expect(await running.exited).toBe(0);
      expect(parse(running.output())).toHaveLength(1);
    } finally {
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGTERM');
        await running.exited;
      }
      await dropTestDatabase(databaseUrl);
    }
  });

  it('under a launcher, each process demotes only the notices DEVELOPMENT_LAUNCH names', async () => {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new Redis(redisUrl, { lazyConnect: true });
    await redis.connect();
    const appendonlyOff = /^aof_enabled:0\s*$/m.test(await redis.info('persistence'));
    await redis.quit();
    const databaseUrl = await createTestDatabase();
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-notices`,
      HOST: '127.0.0.1',
    };
    // A launcher that stated apiId only, and one that could not check appendonly.
    const api = startProcess(builtEntry('api'), {
      ...env,
      PORT: String(await freePort()),
      DEVELOPMENT_LAUNCH: 'apiId',
    });
    const worker = startProcess(builtEntry('worker'), {
      ...env,
      WORKER_PORT: String(await freePort()),
      DEVELOPMENT_LAUNCH: 'jwt,apiId',
    });
    try {
      await waitForOutput(api, /Event-API listening on/);
      await waitForOutput(worker, /Event-API worker started/);
      const apiLines = parse(api.output());
      expect(apiLines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            level: 40,
            msg: expect.stringMatching(/fixed DEVELOPMENT secret/) as unknown,
          }),
        ]),
      );
      expect(apiLines.filter((line) => /^apiId webhooks: NOT checked/.test(line.msg))).toEqual([]);
      expect(parse(worker.output()).filter((line) => /^Redis appendonly is off/.test(line.msg))).toEqual(
        appendonlyOff ? [expect.objectContaining({ level: 40 })] : [],
      );
    } finally {
      for (const running of [api, worker]) running.child.kill('SIGTERM');
      await Promise.all([api.exited, worker.exited]);
      await dropTestDatabase(databaseUrl);
    }
  });

  it('started directly (npm run start:api / start:worker), the processes keep their warnings', async () => {
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const redis = new Redis(redisUrl, { lazyConnect: true });
    await redis.connect();
    const appendonlyOff = /^aof_enabled:0\s*$/m.test(await redis.info('persistence'));
    await redis.quit();
    const databaseUrl = await createTestDatabase();
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-direct`,
      HOST: '127.0.0.1',
    };
    const api = startProcess(builtEntry('api'), { ...env, PORT: String(await freePort()) });
    const worker = startProcess(builtEntry('worker'), { ...env, WORKER_PORT: String(await freePort()) });
    try {
      await waitForOutput(api, /Event-API listening on/);
      await waitForOutput(worker, /Event-API worker started/);
      expect(parse(api.output())).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            level: 40,
            msg: expect.stringMatching(/fixed DEVELOPMENT secret/) as unknown,
          }),
          expect.objectContaining({
            level: 30,
            msg: expect.stringMatching(/^apiId webhooks: NOT checked/) as unknown,
          }),
        ]),
      );
      expect(parse(worker.output()).filter((line) => /^Redis appendonly is off/.test(line.msg))).toEqual(
        appendonlyOff ? [expect.objectContaining({ level: 40 })] : [],
      );
    } finally {
      for (const running of [api, worker]) running.child.kill('SIGTERM');
      await Promise.all([api.exited, worker.exited]);
      await dropTestDatabase(databaseUrl);
    }
  });
});

/**
 * `npm run demo` (its build step aside): the whole path, verified, with the development defaults in
 * one line of its own and not one warning from the API or the worker it starts.
 */
describe('npm run demo: a clean run (e2e, built processes)', () => {
  it('verifies both deliveries and prints no warning', async () => {
    const databaseUrl = await createTestDatabase();
    const running = startProcess(
      require.resolve('tsx/cli'),
      {
        DATABASE_URL: databaseUrl,
        REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
        QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-demo`,
      },
      [join(__dirname, '..', '..', 'cli', 'src', 'demo.ts')],
    );
    try {
      expect({ exit: await running.exited, output: running.output() }).toMatchObject({ exit: 0 });
      const output = running.output();
      expect(output.match(/^✔ signature verified with standardwebhooks: /gm)).toHaveLength(2);
      expect(output.match(/^ {2}development defaults: .*$/gm)).toEqual([
        expect.stringMatching(
          /^ {2}development defaults: (Redis without appendonly, )?apiId not checked against a Core-API, receiver URLs on private networks allowed$/,
        ) as unknown,
      ]);
      expect(output.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
      expect(output).not.toMatch(NOISE);
    } finally {
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGTERM');
        await running.exited;
      }
      await dropTestDatabase(databaseUrl);
    }
  }, 90_000);
});
