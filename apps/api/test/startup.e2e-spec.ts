import { Client } from 'pg';
import { MIGRATIONS } from '@app/database';
import {
  builtEntry,
  dropTestDatabase,
  freePort,
  startProcess,
  TEST_JWT_SECRET,
  waitForOutput,
} from '@app/testing';

function freshDatabaseUrl(): string {
  const url = new URL(process.env.EVENT_API_TEST_DATABASE_URL as string);
  url.pathname = `/event_api_test_${process.pid}_${Math.random().toString(16).slice(2, 10).padEnd(8, '0')}`;
  return url.toString();
}

describe('Process start-up (e2e, built processes)', () => {
  it.each([
    ['DELIVERY_TIMEOUT', 'soon'],
    ['PORT', '99999'],
    ['RATE_LIMIT', 'lots'],
    ['DATABASE_URL', 'mysql://db/x'],
    ['SECRETS_ENCRYPTION_KEY', 'too-short'],
    ['LOG_LEVEL', 'verbose'],
  ])('a bad %s stops the API with one line naming it', async (variable, value) => {
    const running = startProcess(builtEntry('api'), { [variable]: value, JWT_SECRET: TEST_JWT_SECRET });
    expect(await running.exited).toBe(1);
    const lines = running.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
  });

  it.each(['api', 'worker'] as const)(
    'a LOG_LEVEL pino does not take (verbose) stops the %s with the one configuration line',
    async (app) => {
      const running = startProcess(builtEntry(app), { LOG_LEVEL: 'verbose', JWT_SECRET: TEST_JWT_SECRET });
      expect(await running.exited).toBe(1);
      expect(running.output().trim().split('\n')).toEqual([
        'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
      ]);
    },
  );

  it('refuses to start in production without a JWT key', async () => {
    const running = startProcess(builtEntry('worker'), { NODE_ENV: 'production' });
    expect(await running.exited).toBe(1);
    expect(running.output().trim()).toMatch(/^Invalid configuration: JWT_SECRET .*production/);
  });

  it('API and worker started together on a missing database create and migrate it once, then stop cleanly on SIGTERM', async () => {
    const databaseUrl = freshDatabaseUrl();
    const env = {
      DATABASE_URL: databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: process.env.EVENT_API_TEST_QUEUE_PREFIX as string,
    };
    const port = String(await freePort());
    const workerPort = String(await freePort());
    const processes = [
      startProcess(builtEntry('api'), { ...env, PORT: port, HOST: '127.0.0.1' }),
      startProcess(builtEntry('worker'), { ...env, WORKER_PORT: workerPort, HOST: '127.0.0.1' }),
      startProcess(builtEntry('api'), { ...env, PORT: String(await freePort()), HOST: '127.0.0.1' }),
    ];
    try {
      await Promise.all([
        waitForOutput(processes[0], /Event-API listening/),
        waitForOutput(processes[1], /worker started/),
        waitForOutput(processes[2], /Event-API listening/),
      ]);
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', checks: { database: 'up', redis: 'up' } });
      const workerHealth = await fetch(`http://127.0.0.1:${workerPort}/health`);
      expect(workerHealth.status).toBe(200);
      expect(await workerHealth.json()).toEqual({ status: 'ok', checks: { database: 'up', redis: 'up' } });
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      const migrations = await client.query('SELECT name FROM typeorm_migrations ORDER BY id');
      await client.end();
      expect(migrations.rows.map((row: { name: string }) => row.name)).toEqual(
        MIGRATIONS.map((migration) => migration.name),
      );
      for (const running of processes) running.child.kill('SIGTERM');
      // Nest closes the app, then re-raises SIGTERM: ended by SIGTERM after a clean close, not killed.
      expect(await Promise.all(processes.map((running) => running.exited))).toEqual([
        'SIGTERM',
        'SIGTERM',
        'SIGTERM',
      ]);
    } finally {
      for (const running of processes) if (running.child.exitCode === null) running.child.kill('SIGKILL');
      await dropTestDatabase(databaseUrl);
    }
  });

  it('with DB_MIGRATE_ON_START=false a missing database is not created: one line says what to do', async () => {
    const databaseUrl = freshDatabaseUrl();
    const name = new URL(databaseUrl).pathname.slice(1);
    const running = startProcess(builtEntry('api'), {
      DATABASE_URL: databaseUrl,
      DB_MIGRATE_ON_START: 'false',
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    expect(await running.exited).toBe(1);
    expect(running.output().trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Event-API failed to start: PostgreSQL at .*/${name} \\(DATABASE_URL\\): database "${name}" does not exist\\. Create it, or set DB_MIGRATE_ON_START=true to have it created$`,
        ),
      ),
    ]);
    const admin = new URL(databaseUrl);
    admin.pathname = '/postgres';
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    await client.end();
    expect(exists.rowCount).toBe(0);
  });
});
