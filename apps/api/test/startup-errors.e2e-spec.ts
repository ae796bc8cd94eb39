import {
  builtEntry,
  freePort,
  RunningProcess,
  startProcess,
  TEST_JWT_SECRET,
  waitForOutput,
} from '@app/testing';

/** A local port nobody listens on: refused at once, so these tests take no time. */
async function deadUrl(scheme: 'redis' | 'postgres', path = ''): Promise<string> {
  return `${scheme}://${scheme === 'redis' ? '' : 'postgres'}:hunter2-secret@127.0.0.1:${await freePort()}${path}`;
}

const env = (): Record<string, string> => ({
  JWT_SECRET: TEST_JWT_SECRET,
  DATABASE_URL: process.env.EVENT_API_TEST_DATABASE_URL as string,
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  QUEUE_PREFIX: process.env.EVENT_API_TEST_QUEUE_PREFIX as string,
  HOST: '127.0.0.1',
});

/** The lines that say why start-up failed: exactly one is expected, whatever was logged before it. */
function failureLines(running: RunningProcess): string[] {
  return running
    .output()
    .split('\n')
    .filter((line) => /failed to start/.test(line));
}

describe('Start-up with PostgreSQL or Redis out of reach (e2e, built processes)', () => {
  it('the worker exits with one line naming Redis, the URL (password masked) and the fix', async () => {
    const redisUrl = await deadUrl('redis');
    const port = new URL(redisUrl).port;
    const running = startProcess(builtEntry('worker'), {
      ...env(),
      REDIS_URL: redisUrl,
      WORKER_PORT: String(await freePort()),
    });
    expect(await running.exited).toBe(1);
    expect(running.output().trim().split('\n')).toEqual([
      `Event-API worker failed to start: Cannot reach Redis at redis://:••••@127.0.0.1:${port} (REDIS_URL): connect ECONNREFUSED 127.0.0.1:${port}. Start Redis there, or set REDIS_URL to where it runs`,
    ]);
  });

  it('the API starts, warns once naming Redis and the URL, and reports redis down', async () => {
    const redisUrl = await deadUrl('redis');
    const port = String(await freePort());
    const running = startProcess(builtEntry('api'), { ...env(), REDIS_URL: redisUrl, PORT: port });
    try {
      await waitForOutput(running, /Cannot reach Redis/);
      const warnings = running
        .output()
        .split('\n')
        .filter((line) => line.includes('Cannot reach Redis'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0])).toMatchObject({
        level: 40,
        msg: expect.stringMatching(
          /^Cannot reach Redis at redis:\/\/:••••@127\.0\.0\.1:\d+ \(REDIS_URL\): connect ECONNREFUSED .*Start Redis there, or set REDIS_URL to where it runs; until then the API keeps answering/,
        ) as unknown,
      });
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(await health.json()).toMatchObject({ checks: { database: 'up', redis: 'down' } });
      expect(running.output()).not.toContain('hunter2-secret');
    } finally {
      running.child.kill('SIGKILL');
      await running.exited;
    }
  });

  it.each([
    ['api', 'Event-API', {}],
    ['worker', 'Event-API worker', {}],
    ['api', 'Event-API', { DB_MIGRATE_ON_START: 'false' }],
    ['worker', 'Event-API worker', { DB_MIGRATE_ON_START: 'false' }],
  ] as const)(
    'the %s exits with one line naming PostgreSQL, the URL (password masked) and the fix (%j)',
    async (app, name, extra) => {
      const databaseUrl = await deadUrl('postgres', '/event_api');
      const port = new URL(databaseUrl).port;
      const running = startProcess(builtEntry(app), {
        ...env(),
        ...extra,
        DATABASE_URL: databaseUrl,
        PORT: String(await freePort()),
        WORKER_PORT: String(await freePort()),
      });
      expect(await running.exited).toBe(1);
      expect(failureLines(running)).toEqual([
        `${name} failed to start: Cannot reach PostgreSQL at postgres://postgres:••••@127.0.0.1:${port}/event_api (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:${port}. Start PostgreSQL there, or set DATABASE_URL to where it runs`,
      ]);
      expect(running.output()).not.toContain('hunter2-secret');
    },
  );
});
