import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  bearer,
  builtEntry,
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
 * Operations → Start-up and shutdown: on SIGTERM the API drains: a request in flight finishes with its real answer, new
 * connections are refused, then the process exits after a clean close.
 */
describe('API drain on SIGTERM (e2e, built process)', () => {
  it('finishes the request in flight, refuses new connections, exits cleanly', async () => {
    const databaseUrl = await createTestDatabase();
    // A Core-API that takes 1.5 s: a create in flight while SIGTERM arrives.
    const coreApi = new HttpReceiver((_incoming, response) => {
      setTimeout(() => response.end('{}'), 1_500);
    });
    await coreApi.start();
    const port = await freePort();
    const api = startProcess(builtEntry('api'), {
      DATABASE_URL: databaseUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: `${process.env.EVENT_API_TEST_QUEUE_PREFIX}-drain`,
      CORE_API_URL: coreApi.url,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    try {
      await waitForOutput(api, /Event-API listening/);
      const inFlight = fetch(`http://127.0.0.1:${port}/webhooks`, {
        method: 'POST',
        headers: { ...bearer(mintToken()), 'content-type': 'application/json' },
        body: JSON.stringify({
          url: 'https://a.example/',
          apiId: randomUUID(),
          events: [{ name: 'api.created' }],
        }),
      });
      await coreApi.waitFor(1);
      api.child.kill('SIGTERM');
      // Until the listener is closed a new connection may still be accepted; then it is refused.
      const refused = await new Promise<boolean>((resolve) => {
        const deadline = Date.now() + 1_000;
        const attempt = () => {
          const socket = connect(port, '127.0.0.1');
          socket.once('connect', () => {
            socket.destroy();
            if (Date.now() > deadline) resolve(false);
            else setTimeout(attempt, 50);
          });
          socket.once('error', () => resolve(true));
        };
        attempt();
      });
      expect(refused).toBe(true);
      const response = await inFlight;
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({ url: 'https://a.example/' });
      expect(await api.exited).toBe('SIGTERM');
      const errors = api
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && (JSON.parse(line) as { level: number }).level >= 50);
      expect(errors).toEqual([]);
    } finally {
      api.child.kill('SIGKILL');
      await coreApi.stop();
      await dropTestDatabase(databaseUrl);
    }
  }, 30_000);
});
