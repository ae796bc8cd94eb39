/**
 * npm run demo: end to end in one command. Starts the built API and worker and a local receiver,
 * mints a token, creates a webhook, publishes an event, and prints the delivery as received with
 * its signature verified by the independent `standardwebhooks` package. Then an operational event:
 * an endpoint that answers 503, and a second webhook told `webhook.failing` about it, shown as
 * received and as a Slack webhook gets it (README → Operational events). Like npm start, it states the
 * development defaults in one line and starts its processes with DEVELOPMENT_LAUNCH naming the notices
 * that line states (README → Quick start).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Webhook } from 'standardwebhooks';
import { loadConfig, loadConfigOrExit, queueTarget } from '@app/config';
import { EventPublisher, PlatformEvent } from '@app/events';
// The worker's own Slack rendering: what it sends to a hooks.slack.com URL.
import { slackMessage } from '@app/slack';
import { developmentLaunch, redisAppendonlyOff } from './development-defaults';

const DIST = join(__dirname, '..', '..', '..', 'dist', 'apps');
const BROKEN_PATH = '/webhooks/broken';
const OPS_PATH = '/webhooks/ops';

interface Arrival {
  headers: IncomingHttpHeaders;
  body: string;
}

/** The first request to one path of the receiver, and how the receiver reports it. */
function arrival(): [Promise<Arrival>, (request: Arrival) => void] {
  let report: (request: Arrival) => void = () => undefined;
  const arrived = new Promise<Arrival>((resolve) => (report = resolve));
  return [arrived, report];
}

function within<T>(promise: Promise<T>, message: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
const children: ChildProcess[] = [];
const cleanups: Array<() => void> = [];

function step(message: string): void {
  process.stdout.write(`\n▶ ${message}\n`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHealth(url: string, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(url)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not become healthy at ${url}`);
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // No key configured: the demo's processes get a random one of their own rather than the development
  // secret, so a clean demo prints no warning about it.
  const demoSecret = config.jwt.usingDevelopmentSecret ? randomBytes(32).toString('base64url') : undefined;
  const secret = demoSecret ?? config.jwt.secret;
  if (!secret)
    throw new Error('the demo mints an HS256 token: set JWT_SECRET (or nothing, for the development secret)');
  const [apiPort, workerPort] = [await freePort(), await freePort()];

  step('Starting a local receiver');
  const [received, deliver] = arrival();
  const [opsReceived, deliverOps] = arrival();
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.url === BROKEN_PATH) {
        response.statusCode = 503;
        return response.end('down for maintenance');
      }
      response.end('thanks');
      (request.url === OPS_PATH ? deliverOps : deliver)({ headers: request.headers, body });
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const receiverUrl = `${origin}/webhooks/apitree`;
  cleanups.push(() => receiver.close());
  process.stdout.write(`  listening on ${receiverUrl}\n`);

  step(`Starting the API (:${apiPort}) and a worker (:${workerPort})`);
  // The receiver is on loopback, which production refuses (SSRF guard): allowed for the demo only.
  const env = {
    ...process.env,
    ...(demoSecret === undefined ? {} : { JWT_SECRET: demoSecret }),
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    WORKER_PORT: String(workerPort),
    DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true',
    // Retries 200 ms apart, so the broken endpoint's 4th failure comes within a second.
    DELIVERY_RETRY_SCHEDULE: '200ms,200ms,200ms,200ms',
    LOG_LEVEL: 'warn',
  };
  // What the processes will run with (their own JWT secret, say), stated once: printed whatever LOG_LEVEL is.
  const launch = config.production
    ? developmentLaunch(config, undefined)
    : developmentLaunch(loadConfig(env), await redisAppendonlyOff(config));
  Object.assign(env, launch.env);
  if (launch.line !== null) process.stdout.write(`  ${launch.line}\n`);
  for (const app of ['api', 'worker']) {
    children.push(
      spawn(process.execPath, [join(DIST, app, 'src', 'main.js')], {
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      }),
    );
  }
  await waitForHealth(`http://127.0.0.1:${apiPort}/health`, 'API');
  await waitForHealth(`http://127.0.0.1:${workerPort}/health`, 'worker');

  step('Minting a token for user demo-user (scope webhook)');
  const token = jwt.sign({ sub: 'demo-user', nickname: 'demo', scope: 'webhook' }, secret, {
    algorithm: 'HS256',
    expiresIn: 600,
    ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
    ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
  });
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${apiPort}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
    });

  step('POST /webhooks');
  const created = await api('/webhooks', {
    method: 'POST',
    body: JSON.stringify({ url: receiverUrl, events: [{ name: 'api.created' }] }),
  });
  const webhook = (await created.json()) as { id: string; secret: string };
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(webhook)}`);
  process.stdout.write(
    `  201 ${JSON.stringify({ id: webhook.id, url: receiverUrl, secret: `${webhook.secret.slice(0, 12)}…` })}\n`,
  );

  step('Publishing api.created to the events queue (EventPublisher)');
  const eventId = await publishApiCreated(config, { id: 'pets-api', name: 'Pets API' });
  process.stdout.write(`  event id ${eventId}\n`);

  step('Waiting for the delivery');
  const delivery = await within(received, 'no delivery within 20 s');
  for (const name of [
    'content-type',
    'user-agent',
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
    'x-apitree-event',
    'x-apitree-delivery',
  ]) {
    process.stdout.write(`  ${name}: ${String(delivery.headers[name])}\n`);
  }
  process.stdout.write(`  body: ${delivery.body}\n`);
  const verified = new Webhook(webhook.secret).verify(delivery.body, {
    'webhook-id': String(delivery.headers['webhook-id']),
    'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
    'webhook-signature': String(delivery.headers['webhook-signature']),
  });
  process.stdout.write(
    `\n✔ signature verified with standardwebhooks: ${(verified as { name: string }).name} ${(verified as { id: string }).id}\n`,
  );

  step(`GET /webhooks/${webhook.id}: the attempt as recorded`);
  const deadline = Date.now() + 10_000;
  let lastDelivery: unknown = null;
  while (lastDelivery === null && Date.now() < deadline) {
    lastDelivery = ((await (await api(`/webhooks/${webhook.id}`)).json()) as { lastDelivery: unknown })
      .lastDelivery;
    if (lastDelivery === null) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.stdout.write(`  lastDelivery: ${JSON.stringify(lastDelivery)}\n`);
  await api(`/webhooks/${webhook.id}`, { method: 'DELETE' });

  await operationalDemo(api, origin, opsReceived, () =>
    publishApiCreated(config, { id: 'orders-api', name: 'Orders API' }),
  );
}

type Api = (path: string, init?: RequestInit) => Promise<Response>;

/** An endpoint that answers 503, and a second webhook of the same user told about it. */
async function operationalDemo(
  api: Api,
  origin: string,
  opsReceived: Promise<Arrival>,
  publish: () => Promise<string>,
): Promise<void> {
  step('Operational events: an endpoint in trouble, and a second webhook told about it');
  const create = async (url: string, events: string[]) => {
    const response = await api('/webhooks', {
      method: 'POST',
      body: JSON.stringify({ url, events: events.map((name) => ({ name })) }),
    });
    const body = (await response.json()) as { id: string; secret: string };
    if (response.status !== 201) throw new Error(`create failed: ${response.status} ${JSON.stringify(body)}`);
    process.stdout.write(`  201 ${JSON.stringify({ id: body.id, url, events })}\n`);
    return body;
  };
  const broken = await create(`${origin}${BROKEN_PATH}`, ['api.created']);
  const watcher = await create(`${origin}${OPS_PATH}`, ['webhook.failing']);
  const eventId = await publish();
  process.stdout.write(
    `  published api.created ${eventId}: the first endpoint answers 503, retried every 200 ms\n`,
  );

  step('webhook.failing, received by the second webhook at the 4th failure in a row');
  const notice = await within(opsReceived, 'no webhook.failing within 20 s');
  const event = new Webhook(watcher.secret).verify(notice.body, {
    'webhook-id': String(notice.headers['webhook-id']),
    'webhook-timestamp': String(notice.headers['webhook-timestamp']),
    'webhook-signature': String(notice.headers['webhook-signature']),
  }) as PlatformEvent;
  process.stdout.write(`  body: ${notice.body}\n`);
  process.stdout.write(`\n✔ signature verified with standardwebhooks: ${event.name} ${event.id}\n`);

  step('The same event as a Slack incoming webhook (https://hooks.slack.com/…) subscribed to it gets it');
  const slack = slackMessage(event);
  process.stdout.write(`  text: ${slack.text}\n`);
  process.stdout.write(`  blocks: ${JSON.stringify(slack.blocks)}\n`);
  for (const id of [broken.id, watcher.id]) await api(`/webhooks/${id}`, { method: 'DELETE' });
}

async function publishApiCreated(
  config: ReturnType<typeof loadConfigOrExit>,
  resource: { id: string; name: string },
): Promise<string> {
  const publisher = new EventPublisher(queueTarget(config));
  try {
    return await publisher.publish({
      name: 'api.created',
      user: { id: 'demo-user', nickname: 'demo' },
      resourceType: 'Api',
      resource,
      ownerId: 'demo-user',
    });
  } finally {
    await publisher.close();
  }
}

async function stopChildren(): Promise<void> {
  for (const cleanup of cleanups) cleanup();
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

main()
  .then(stopChildren)
  .catch(async (error: unknown) => {
    process.stderr.write(`\n✘ demo failed: ${(error as Error).message}\n`);
    await stopChildren();
    process.exit(1);
  });
