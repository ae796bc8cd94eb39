import request from 'supertest';
import { buildConnector, Client } from 'undici';
import { bearer, ConnectProxy, createWebhook, mintToken, RawReceiver } from '@app/testing';
import { HttpSender } from '../../apps/worker/src/delivery/http-sender';
import { guardedConnector } from '../../apps/worker/src/delivery/response-guard';
import { createPipeline, ownerEvent, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

const OK = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 8\r\n\r\nreceived';
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const PROCESSING = 'HTTP/1.1 102 Processing\r\n\r\n';
const HINTS =
  'HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\nlink: </app.js>; rel=preload\r\n\r\n';
const SERVER_ERROR = 'HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\n\r\nboom';

/** Interim responses are skipped: the final response is what the attempt records. */
const ANSWERED = [
  { path: '/continue', bytes: CONTINUE + OK, statusCode: 200, response: 'received' },
  {
    path: '/several',
    bytes: PROCESSING + HINTS + CONTINUE + CONTINUE + OK,
    statusCode: 200,
    response: 'received',
  },
  { path: '/hints', bytes: `${HINTS}HTTP/1.1 204 No Content\r\n\r\n`, statusCode: 204, response: '' },
  { path: '/continue-500', bytes: CONTINUE + SERVER_ERROR, statusCode: 500, response: 'boom' },
];

/** Answers no client can use: a failed attempt with one fixed text, and the endpoint counts as up. */
const REFUSED = [
  { path: '/status-000', bytes: 'HTTP/1.1 000 Zero\r\ncontent-length: 2\r\n\r\nok', error: 'status 000' },
  { path: '/status-099', bytes: 'HTTP/1.1 099 Low\r\ncontent-length: 2\r\n\r\nok', error: 'status 099' },
  { path: '/status-600', bytes: 'HTTP/1.1 600 High\r\ncontent-length: 2\r\n\r\nok', error: 'status 600' },
  { path: '/status-99', bytes: 'HTTP/1.1 99 Low\r\n\r\n', error: 'malformed status line' },
  {
    path: '/status-abc',
    bytes: 'HTTP/1.1 abc\r\ncontent-length: 2\r\n\r\nok',
    error: 'malformed status line',
  },
  { path: '/garbage', bytes: 'SSH-2.0-OpenSSH_9.6\r\n', error: 'malformed status line' },
  {
    path: '/switching',
    bytes: 'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n',
    error: '101 Switching Protocols without an upgrade request',
  },
  {
    path: '/switching-bare',
    bytes: `${CONTINUE}HTTP/1.1 101 Switching Protocols\r\n\r\n`,
    error: '101 Switching Protocols without an upgrade request',
  },
  {
    path: '/header-char',
    bytes: 'HTTP/1.1 200 OK\r\nx-note: a\u0001b\r\ncontent-length: 2\r\n\r\nok',
    error: 'malformed headers',
  },
  {
    path: '/header-overflow',
    bytes: `HTTP/1.1 200 OK\r\nx-pad: ${'a'.repeat(20 * 1024)}\r\ncontent-length: 2\r\n\r\nok`,
    error: 'headers over 16 KiB',
  },
  {
    path: '/content-length',
    bytes: 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
    error: 'body does not match content-length',
  },
  {
    path: '/chunked',
    bytes: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n',
    error: 'malformed chunked body',
  },
];

interface AttemptRow {
  attempt: number;
  success: boolean;
  status_code: number | null;
  response: string;
  error: string | null;
}

describe('Receivers outside the happy path: interim responses and malformed answers (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new RawReceiver();
  const early = new RawReceiver({ greeting: CONTINUE });
  const owner = `odd-${Date.now()}`;
  const auth = bearer(mintToken({ sub: owner }));

  beforeAll(async () => {
    await Promise.all([receiver.start(), early.start()]);
    for (const { path, bytes } of [...ANSWERED, ...REFUSED]) receiver.answer(path, { bytes });
    early.answer('/early', { bytes: OK });
    // Two unreachable attempts in a row would pause an endpoint: none of these may.
    pipeline = await createPipeline(
      pipelineEnv('odd-responses', {
        DELIVERY_RETRY_SCHEDULE: '200ms,200ms',
        DELIVERY_CIRCUIT_THRESHOLD: '2',
      }),
    );
  });
  afterAll(async () => {
    await pipeline.close();
    await Promise.all([receiver.stop(), early.stop()]);
  });

  const createHook = async (url: string): Promise<string> =>
    (await createWebhook(pipeline.api.http, auth, { url })).id;

  /** The delivery's attempts once it has reached a final state. */
  const finished = (webhookId: string) =>
    waitUntil(
      async () => {
        const [delivery] = await pipeline.dataSource.query<Array<{ status: string }>>(
          'SELECT status FROM deliveries WHERE webhook_id = $1',
          [webhookId],
        );
        if (delivery?.status !== 'succeeded' && delivery?.status !== 'failed') return undefined;
        const attempts = await pipeline.dataSource.query<AttemptRow[]>(
          `SELECT attempt, success, status_code, response, error FROM delivery_attempts
            WHERE webhook_id = $1 ORDER BY attempt`,
          [webhookId],
        );
        return { status: delivery.status, attempts };
      },
      15_000,
      `the delivery to webhook ${webhookId} to finish`,
    );

  it('records every answer by its final response, or as a fixed invalid-response failure', async () => {
    const ids = new Map<string, string>();
    for (const { path } of [...ANSWERED, ...REFUSED]) ids.set(path, await createHook(receiver.url + path));
    const earlyId = await createHook(`${early.url}/early`);
    await pipeline.publisher.publish(ownerEvent(owner));

    for (const { path, statusCode, response } of ANSWERED) {
      const { status, attempts } = await finished(ids.get(path)!);
      const success = statusCode < 300;
      expect({ path, status }).toEqual({ path, status: success ? 'succeeded' : 'failed' });
      expect(attempts).toHaveLength(success ? 1 : 3);
      for (const attempt of attempts) {
        expect({ path, ...attempt }).toMatchObject({
          path,
          success,
          status_code: statusCode,
          response,
          error: null,
        });
      }
    }
    expect(await finished(earlyId)).toMatchObject({
      status: 'succeeded',
      attempts: [{ success: true, status_code: 200, response: 'received', error: null }],
    });

    for (const { path, error } of REFUSED) {
      const text = `invalid response: ${error}`;
      const { status, attempts } = await finished(ids.get(path)!);
      expect({ path, status, attempts: attempts.length }).toEqual({ path, status: 'failed', attempts: 3 });
      for (const attempt of attempts) {
        expect({ path, ...attempt }).toEqual({
          path,
          attempt: attempt.attempt,
          success: false,
          status_code: null,
          response: text,
          error: text,
        });
      }
      const webhook = await request(pipeline.api.http)
        .get(`/webhooks/${ids.get(path)}`)
        .set(auth)
        .expect(200);
      expect({ path, ...webhook.body }).toMatchObject({
        path,
        active: true,
        lastDelivery: { success: false, statusCode: null, response: text },
        deliveryHealth: { pausedUntil: null },
      });
      expect(webhook.body.deliveryHealth.state).not.toBe('paused');
    }
    expect(receiver.count('/status-000')).toBe(3);
  });
});

describe('HttpSender: interim responses on kept-alive, tunnelled and TLS connections', () => {
  const senders: HttpSender[] = [];
  const receivers: RawReceiver[] = [];
  const proxy = new ConnectProxy();
  let proxyUrl: string;

  const receiverWith = async (options: ConstructorParameters<typeof RawReceiver>[0] = {}) => {
    const created = new RawReceiver(options);
    receivers.push(created);
    await created.start();
    return created;
  };
  const senderWith = (through?: string) => {
    const created = new HttpSender({ timeoutMs: 2_000, allowPrivateNetworks: true, proxyUrl: through });
    senders.push(created);
    return created;
  };
  const post = (sender: HttpSender, url: string) =>
    sender.send(url, '{"hello":"world"}', { 'content-type': 'application/json' });

  beforeAll(async () => {
    proxyUrl = await proxy.start();
  });
  afterAll(async () => {
    await Promise.all(senders.map((sender) => sender.close()));
    await Promise.all(receivers.map((receiver) => receiver.stop()));
    await proxy.stop();
  });

  it('keeps the connection after a response that began with interim ones', async () => {
    const receiver = await receiverWith();
    receiver.answer('/keep', { bytes: CONTINUE + HINTS + OK, keepOpen: true });
    const sender = senderWith();
    for (let i = 0; i < 3; i += 1) {
      expect(await post(sender, `${receiver.url}/keep`)).toMatchObject({
        statusCode: 200,
        response: 'received',
      });
    }
    expect(receiver.connections).toBe(1);
  });

  it('skips interim responses and refuses a bad status through DELIVERY_PROXY', async () => {
    const receiver = await receiverWith({ greeting: PROCESSING });
    receiver.answer('/continue', { bytes: CONTINUE + OK });
    receiver.answer('/status-000', { bytes: 'HTTP/1.1 000 Zero\r\n\r\n' });
    const sender = senderWith(proxyUrl);
    expect(await post(sender, `${receiver.url}/continue`)).toMatchObject({
      statusCode: 200,
      response: 'received',
    });
    expect(await post(sender, `${receiver.url}/status-000`)).toMatchObject({
      statusCode: null,
      error: 'invalid response: status 000',
    });
    // A URL aimed at an SSH port: its banner comes before any request, with the proxy's answer.
    const ssh = await receiverWith({ greeting: 'SSH-2.0-OpenSSH_9.6\r\n' });
    expect(await post(sender, `${ssh.url}/`)).toMatchObject({
      statusCode: null,
      error: 'invalid response: malformed status line',
    });
  });

  it('guards TLS connections the same way', async () => {
    const receiver = await receiverWith({ tls: true, greeting: CONTINUE });
    receiver.answer('/continue', { bytes: CONTINUE + OK, keepOpen: true });
    receiver.answer('/status-600', { bytes: 'HTTP/1.1 600 High\r\n\r\n' });
    const client = new Client(receiver.url, {
      connect: guardedConnector(buildConnector({ rejectUnauthorized: false })),
    });
    try {
      const response = await client.request({ path: '/continue', method: 'POST', body: '{}' });
      expect({ statusCode: response.statusCode, body: await response.body.text() }).toEqual({
        statusCode: 200,
        body: 'received',
      });
      await expect(client.request({ path: '/status-600', method: 'POST', body: '{}' })).rejects.toMatchObject(
        {
          message: 'invalid response: status 600',
        },
      );
    } finally {
      await client.close();
    }
  });
});
