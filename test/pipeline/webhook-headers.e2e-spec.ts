import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { resealSecrets } from '@app/database';
import { encryptionKeyId, SecretBox } from '@app/signing';
import { bearer, HttpReceiver, mintToken, verifyDelivery } from '@app/testing';
import { DeliveryStore } from '../../apps/worker/src/delivery/delivery.store';
import { createPipeline, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

const key = randomBytes(32);
const CREDENTIAL = `Bearer ${randomBytes(16).toString('hex')}`;

/**
 * Receiving webhooks → The request: a webhook's custom headers reach the receiver with a valid
 * signature; with SECRETS_ENCRYPTION_KEY their values are in no column in plain text.
 */
describe('Custom headers through the pipeline (e2e)', () => {
  let pipeline: Pipeline;
  const env = pipelineEnv('webhook-headers', { SECRETS_ENCRYPTION_KEY: key.toString('base64') });
  const receiver = new HttpReceiver();
  const apiId = randomUUID();
  const auth = bearer(mintToken({ sub: `headers-${Date.now()}` }));

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(env);
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const publish = () =>
    pipeline.publisher.publish({
      name: 'api.created',
      user: { id: 'u' },
      resourceType: 'Api',
      resource: { id: apiId },
      apiId,
    });
  const receivedFor = (eventId: string) =>
    waitUntil(() => Promise.resolve(receiver.requests.find((r) => r.headers['webhook-id'] === eventId)));
  const storedHeaders = async (id: string) =>
    (
      await pipeline.dataSource.query<Array<{ headers: string | null }>>(
        'SELECT headers FROM webhooks WHERE id = $1',
        [id],
      )
    )[0].headers;
  /** Every row of every table that could hold it, as text. */
  const foundAnywhere = async (text: string) => {
    const [row] = await pipeline.dataSource.query<Array<{ n: number }>>(
      `SELECT ((SELECT count(*) FROM webhooks w WHERE w::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM events e WHERE e::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM event_outbox o WHERE o::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM deliveries d WHERE d::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM delivery_attempts a WHERE a::text LIKE '%' || $1 || '%'))::int AS n`,
      [text],
    );
    return row.n;
  };

  it('sends them with every delivery, signed as usual, and stores them sealed; a PUT takes effect', async () => {
    const created = await request(pipeline.api.http)
      .post('/webhooks')
      .set(auth)
      .send({
        url: `${receiver.url}/custom`,
        apiId,
        events: [{ name: 'api.created' }],
        headers: { Authorization: CREDENTIAL, 'X-Team': 'platform' },
      })
      .expect(201);
    const webhook = created.body as { id: string; secret: string };

    const first = await receivedFor(await publish());
    expect(first.headers).toMatchObject({
      authorization: CREDENTIAL,
      'x-team': 'platform',
      'user-agent': 'ApiTree-Webhooks/2.0',
      'content-type': 'application/json',
      'x-apitree-event': 'api.created',
    });
    expect(verifyDelivery(webhook.secret, first)).toMatchObject({ name: 'api.created' });

    expect(await storedHeaders(webhook.id)).toMatch(new RegExp(`^enc:v1:${encryptionKeyId(key)}:`));
    expect(await foundAnywhere(CREDENTIAL.slice('Bearer '.length))).toBe(0);

    await request(pipeline.api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ headers: { 'X-Other': 'two' } })
      .expect(200);
    const second = await receivedFor(await publish());
    expect(second.headers['x-other']).toBe('two');
    expect(second.headers.authorization).toBeUndefined();
    expect(second.headers['x-team']).toBeUndefined();
    expect(verifyDelivery(webhook.secret, second)).toMatchObject({ name: 'api.created' });
  });

  it('leaves out a header stored before its name was reserved, once where the stored value is opened', async () => {
    const created = await request(pipeline.api.http)
      .post('/webhooks')
      .set(auth)
      .send({
        url: `${receiver.url}/reserved`,
        apiId,
        events: [{ name: 'api.created' }],
        headers: { 'X-Key': 'kept' },
      })
      .expect(201);
    const webhook = created.body as { id: string; secret: string };
    // As a row written before Content-Encoding and X-ApiTree were reserved holds them.
    const sealed = new SecretBox(key).seal(
      JSON.stringify({ 'X-Key': 'kept', 'Content-Encoding': 'gzip', 'X-ApiTree': 'old' }),
    );
    await pipeline.dataSource.query('UPDATE webhooks SET headers = $2 WHERE id = $1', [webhook.id, sealed]);

    const eventId = await publish();
    const received = await waitUntil(() =>
      Promise.resolve(
        receiver.requests.find((r) => r.url === '/reserved' && r.headers['webhook-id'] === eventId),
      ),
    );
    expect(received.headers['x-key']).toBe('kept');
    expect(received.headers['content-encoding']).toBeUndefined();
    expect(received.headers['x-apitree']).toBeUndefined();
    expect(verifyDelivery(webhook.secret, received)).toMatchObject({ name: 'api.created' });

    // The worker's opened copy holds the headers as sent: nothing is left to filter per request.
    const [delivery] = await pipeline.dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM deliveries WHERE webhook_id = $1',
      [webhook.id],
    );
    const state = await pipeline.worker.app.get(DeliveryStore).find(delivery.id);
    expect(state?.headers).toEqual({ 'X-Key': 'kept' });
  });

  it('secrets:reencrypt reseals them under a new key', async () => {
    const created = await request(pipeline.api.http)
      .post('/webhooks')
      .set(auth)
      .send({
        url: `${receiver.url}/rekeyed`,
        apiId,
        events: [{ name: 'api.created' }],
        headers: { 'X-Key': 'rekeyed-value' },
      })
      .expect(201);
    const id = (created.body as { id: string }).id;
    const newKey = randomBytes(32);
    const box = new SecretBox(newKey, [key]);
    await pipeline.dataSource.transaction((manager) => resealSecrets(manager, box, [id]));
    const sealed = (await storedHeaders(id)) as string;
    expect(sealed).toMatch(new RegExp(`^enc:v1:${encryptionKeyId(newKey)}:`));
    expect(JSON.parse(new SecretBox(newKey).open(sealed))).toEqual({ 'X-Key': 'rekeyed-value' });
  });
});
