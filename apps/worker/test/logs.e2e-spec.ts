import { randomUUID } from 'node:crypto';
import {
  bearer,
  builtEntry,
  ConnectProxy,
  createTestDatabase,
  dropTestDatabase,
  freePort,
  HttpReceiver,
  mintToken,
  startProcess,
  TEST_JWT_SECRET,
  waitForOutput,
} from '@app/testing';

/**
 * The built processes at the most verbose level, through a whole flow (create, rotate, deliver,
 * a 410 that disables): one JSON line per attempt with its ids, never a secret or a token in any
 * line (README → Security, README → Operations → Logs and health), and no error-level line on a clean
 * start and shutdown.
 */
describe('Logs of the running processes (e2e)', () => {
  it('carry ids, never secrets or tokens; a clean run logs no error', async () => {
    const databaseUrl = await createTestDatabase();
    const receiver = new HttpReceiver((incoming, response) => {
      response.statusCode = incoming.url === '/gone' ? 410 : 200;
      response.end('ok');
    });
    await receiver.start();
    const env = {
      DATABASE_URL: databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-logs`,
      DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
      LOG_LEVEL: 'trace',
      HOST: '127.0.0.1',
    };
    const port = String(await freePort());
    const api = startProcess(builtEntry('api'), { ...env, PORT: port });
    const worker = startProcess(builtEntry('worker'), { ...env, WORKER_PORT: String(await freePort()) });
    const token = mintToken({ sub: `logs-${randomUUID()}` });
    const base = `http://127.0.0.1:${port}`;
    const call = async (method: string, path: string, body?: object) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    try {
      await Promise.all([waitForOutput(api, /Event-API listening/), waitForOutput(worker, /worker started/)]);
      const secrets: string[] = [];
      const ids: string[] = [];
      for (const path of ['/ok', '/gone']) {
        const created = await call('POST', '/webhooks', {
          url: `${receiver.url}${path}`,
          events: [{ name: 'api.created' }],
        });
        expect(created.status).toBe(201);
        secrets.push(created.body.secret as string);
        ids.push(created.body.id as string);
      }
      const rotated = await call('POST', `/webhooks/${ids[0]}/secret`);
      secrets.push(rotated.body.secret as string);
      for (const id of ids) expect((await call('POST', `/webhooks/${id}/ping`)).status).toBe(202);
      await waitForOutput(worker, /"statusCode":410[^\n]*"msg":"delivery attempt"/);
      await waitForOutput(worker, /"statusCode":200[^\n]*"msg":"delivery attempt"/);

      api.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      await Promise.all([api.exited, worker.exited]);
      const output = api.output() + worker.output();
      for (const secret of secrets) {
        expect(output).not.toContain(secret.slice('whsec_'.length));
      }
      expect(output).not.toContain(token);
      expect(output).not.toContain(token.split('.')[2]);

      const lines = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const attempts = lines.filter((line) => line.msg === 'delivery attempt');
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      for (const attempt of attempts) {
        expect(attempt).toEqual(
          expect.objectContaining({
            deliveryId: expect.any(String),
            attemptId: expect.any(String),
            eventId: expect.any(String),
            webhookId: expect.any(String),
            attempt: expect.any(Number),
            success: expect.any(Boolean),
            durationMs: expect.any(Number),
          }),
        );
      }
      expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
    } finally {
      api.child.kill('SIGKILL');
      worker.child.kill('SIGKILL');
      await receiver.stop();
      await dropTestDatabase(databaseUrl);
    }
  }, 60_000);

  it('show credential URLs masked: a Slack hook path never appears whole (LOG_LEVEL=trace)', async () => {
    const slackToken = 'aBcDeFgHiJkLmNoPqRsTuVwX';
    const discordToken = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ01';
    const urls = [
      `https://hooks.slack.com/services/T0123ABCD/B0123EFGH/${slackToken}`,
      `https://discord.com/api/webhooks/123456789012345678/${discordToken}`,
    ];
    const databaseUrl = await createTestDatabase();
    // Refuses every target but 127.0.0.1: the attempts fail fast, without leaving the machine.
    const proxy = new ConnectProxy();
    const env = {
      DATABASE_URL: databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-logs-urls`,
      DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
      DELIVERY_PROXY: await proxy.start(),
      LOG_LEVEL: 'trace',
      HOST: '127.0.0.1',
    };
    const port = String(await freePort());
    const api = startProcess(builtEntry('api'), { ...env, PORT: port });
    const worker = startProcess(builtEntry('worker'), { ...env, WORKER_PORT: String(await freePort()) });
    const auth = {
      ...bearer(mintToken({ sub: `logs-${randomUUID()}` })),
      'content-type': 'application/json',
    };
    try {
      await Promise.all([waitForOutput(api, /Event-API listening/), waitForOutput(worker, /worker started/)]);
      for (const url of urls) {
        const created = await fetch(`http://127.0.0.1:${port}/webhooks`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ url, events: [{ name: 'webhook.updated' }] }),
        });
        expect(created.status).toBe(201);
        const { id } = (await created.json()) as { id: string };
        // A lifecycle event too: webhook.updated goes to the other webhook through the worker.
        const updated = await fetch(`http://127.0.0.1:${port}/webhooks/${id}`, {
          method: 'PUT',
          headers: auth,
          body: JSON.stringify({ custom: '{}' }),
        });
        expect(updated.status).toBe(200);
        const pinged = await fetch(`http://127.0.0.1:${port}/webhooks/${id}/ping`, {
          method: 'POST',
          headers: auth,
        });
        expect(pinged.status).toBe(202);
      }
      await waitForOutput(worker, /discord\.com[^\n]*"msg":"delivery attempt"/);
      await waitForOutput(worker, /hooks\.slack\.com[^\n]*"msg":"delivery attempt"/);

      api.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      await Promise.all([api.exited, worker.exited]);
      const output = api.output() + worker.output();
      expect(output).not.toContain(slackToken);
      expect(output).not.toContain(discordToken);
      expect(output).not.toContain('T0123ABCD/B0123EFGH');
      const logged = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'delivery attempt')
        .map((line) => line.url);
      expect(new Set(logged)).toEqual(
        new Set(['https://hooks.slack.com/services/••••uVwX', 'https://discord.com/api/webhooks/••••yZ01']),
      );
    } finally {
      api.child.kill('SIGKILL');
      worker.child.kill('SIGKILL');
      await proxy.stop();
      await dropTestDatabase(databaseUrl);
    }
  }, 60_000);
});
