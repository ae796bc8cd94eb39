/**
 * npm run demo: end to end in one command. Starts the built API and worker and a local receiver,
 * mints a token, creates a webhook, publishes an event, and prints the delivery as received with
 * its signature verified by the independent `standardwebhooks` package.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Webhook } from 'standardwebhooks';
import { loadConfigOrExit, queueTarget } from '@app/config';
import { EventPublisher } from '@app/events';

const DIST = join(__dirname, '..', '..', '..', 'dist', 'apps');
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
  let deliver: (delivery: { headers: IncomingHttpHeaders; body: string }) => void = () => undefined;
  const received = new Promise<{ headers: IncomingHttpHeaders; body: string }>(
    (resolve) => (deliver = resolve),
  );
  const receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      response.end('thanks');
      deliver({ headers: request.headers, body });
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/apitree`;
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
    LOG_LEVEL: 'warn',
  };
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
  const publisher = new EventPublisher(queueTarget(config));
  const eventId = await publisher.publish({
    name: 'api.created',
    user: { id: 'demo-user', nickname: 'demo' },
    resourceType: 'Api',
    resource: { id: 'pets-api', name: 'Pets API' },
    ownerId: 'demo-user',
  });
  await publisher.close();
  process.stdout.write(`  event id ${eventId}\n`);

  step('Waiting for the delivery');
  const delivery = await Promise.race([
    received,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no delivery within 20 s')), 20_000)),
  ]);
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
