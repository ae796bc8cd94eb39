import { Client } from 'pg';
import {
  builtEntry,
  createTestDatabase,
  dropTestDatabase,
  freePort,
  startProcess,
  TEST_JWT_SECRET,
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

/**
 * `npm start` as a user sees it at LOG_LEVEL=info: one line per process with its URLs, no
 * framework narration, and a Ctrl-C that prints no warning and exits 0, even with an outbox relay
 * pass in flight in each process (it waits on a table lock this test holds).
 */
describe('npm start: quiet start-up, clean Ctrl-C (e2e, built processes)', () => {
  it('says where each process listens, then stops without a warning', async () => {
    const databaseUrl = await createTestDatabase();
    const [port, workerPort] = [await freePort(), await freePort()];
    const running = startProcess(builtEntry('start'), {
      DATABASE_URL: databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
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
      expect((await fetch(`${api}/docs`)).status).toBe(200);
      expect((await fetch(`${worker}/health`)).status).toBe(200);

      const startup = parse(running.output());
      expect(
        startup.filter((line) => line.level === 30 && /^Event-API/.test(line.msg)).map((l) => l.msg),
      ).toEqual(
        expect.arrayContaining([
          `Event-API listening on ${api} (docs ${api}/docs, health ${api}/health, metrics ${api}/metrics)`,
          `Event-API worker started (health ${worker}/health, metrics ${worker}/metrics, concurrency 50)`,
        ]),
      );
      expect(startup.filter((line) => FRAMEWORK_CONTEXTS.includes(line.context ?? ''))).toEqual([]);
      expect(startup.filter((line) => line.level >= 50)).toEqual([]);

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
});
