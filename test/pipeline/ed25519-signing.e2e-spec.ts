import { createPublicKey, verify } from 'node:crypto';
import request from 'supertest';
import {
  bearer,
  createWebhook,
  HttpReceiver,
  mintToken,
  ReceivedRequest,
  verifyDelivery,
} from '@app/testing';
import { createPipeline, ownerEvent, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

interface Jwk {
  kty: string;
  crv: string;
  x: string;
  kid: string;
}

/** Long enough for a delivery to happen inside it under load, short enough to wait out. */
const OVERLAP_MS = 6_000;

/**
 * Receiving webhooks → Verifying Ed25519 signatures, end to end: the worker signs `v1a,`, and a real
 * receiver verifies every delivery with node:crypto and keys it fetches from the public JWKS route
 * over HTTP (no token, no shared secret), across a rotation and its expiry.
 */
describe('Ed25519 signatures verified with the JWKS (e2e)', () => {
  let pipeline: Pipeline;
  let apiUrl: string;
  const receiver = new HttpReceiver();
  /** Per received request: which JWKS kids verified which signature of its header. */
  const verdicts = new Map<ReceivedRequest, { kids: string[]; signatures: string[]; jwks: Jwk[] }>();

  const fetchJwks = async (webhookId: string): Promise<Jwk[]> => {
    const response = await fetch(`${apiUrl}/webhooks/${webhookId}/jwks`);
    if (response.status !== 200) return [];
    return ((await response.json()) as { keys: Jwk[] }).keys;
  };
  /** The receiver's own check: node:crypto with the JWK alone, never our signing code. */
  const verifiesWith = (jwk: Jwk, received: ReceivedRequest, signature: string) => {
    const [version, encoded] = signature.split(',');
    if (version !== 'v1a') return false;
    const data = `${received.headers['webhook-id'] as string}.${received.headers['webhook-timestamp'] as string}.${received.body}`;
    const key = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
    return verify(null, Buffer.from(data), key, Buffer.from(encoded, 'base64'));
  };

  beforeAll(async () => {
    pipeline = await createPipeline(
      pipelineEnv('ed25519-signing', { SECRET_ROTATION_OVERLAP: `${OVERLAP_MS}ms` }),
    );
    await pipeline.api.app.listen(0, '127.0.0.1');
    apiUrl = (await pipeline.api.app.getUrl()).replace('[::1]', '127.0.0.1');
    // A receiver that accepts only what verifies with a key of the webhook's JWKS.
    receiver.respondWith((received, response) => {
      const webhookId = received.url.split('/')[2];
      void fetchJwks(webhookId).then((jwks) => {
        const signatures = String(received.headers['webhook-signature']).split(' ');
        const kids = signatures.map(
          (signature) => jwks.find((jwk) => verifiesWith(jwk, received, signature))?.kid ?? '',
        );
        verdicts.set(received, { kids, signatures, jwks });
        response.statusCode = kids.some(Boolean) ? 204 : 401;
        response.end();
      });
    });
    await receiver.start();
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const user = () => {
    const sub = `ed-${Math.random().toString(36).slice(2)}`;
    return { sub, auth: bearer(mintToken({ sub, scope: 'webhook' })) };
  };
  const createHook = (auth: Record<string, string>, signing: string) =>
    createWebhook(pipeline.api.http, auth, { url: `${receiver.url}/hook/placeholder`, signing });
  /** Publishes one event for `owner` and waits for its verdict at the receiver. */
  const deliver = async (owner: string) => {
    const eventId = await pipeline.publisher.publish(ownerEvent(owner));
    return waitUntil(
      () =>
        Promise.resolve(
          [...verdicts.entries()].find(([received]) => received.headers['webhook-id'] === eventId),
        ),
      15_000,
      `the delivery of ${eventId}`,
    );
  };
  const deliveryStatus = async (webhookId: string) =>
    pipeline.dataSource.query<Array<{ status: string }>>(
      'SELECT status FROM deliveries WHERE webhook_id = $1 ORDER BY created_at',
      [webhookId],
    );

  it('every delivery verifies with the JWKS; during a rotation each key verifies its own signature', async () => {
    const { sub, auth } = user();
    const webhook = await createHook(auth, 'ed25519');
    // The receiver reads the webhook id from the path.
    await request(pipeline.api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ url: `${receiver.url}/hook/${webhook.id}` })
      .expect(200);

    const [first, before] = await deliver(sub);
    expect(before.signatures).toHaveLength(1);
    expect(before.signatures[0]).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(before.jwks).toHaveLength(1);
    expect(before.kids).toEqual([before.jwks[0].kid]);
    expect(JSON.stringify(first.headers)).not.toContain('whsk_');

    const rotated = await request(pipeline.api.http)
      .post(`/webhooks/${webhook.id}/secret`)
      .set(auth)
      .expect(200);
    const [, during] = await deliver(sub);
    expect(during.jwks.map((jwk) => jwk.x)).toEqual([
      Buffer.from((rotated.body.secret as string).slice(5), 'base64').toString('base64url'),
      before.jwks[0].x,
    ]);
    expect(during.signatures).toHaveLength(2);
    // Newest first: the new key signed the first signature, the previous key the second.
    expect(during.kids).toEqual([during.jwks[0].kid, before.jwks[0].kid]);

    // After the overlap the previous key leaves the JWKS and stops signing.
    await waitUntil(
      async () => (await fetchJwks(webhook.id)).length === 1,
      OVERLAP_MS + 10_000,
      'the previous key to expire',
    );
    const [, after] = await deliver(sub);
    expect(after.signatures).toHaveLength(1);
    expect(after.kids).toEqual([during.jwks[0].kid]);
    expect(after.jwks.find((jwk) => jwk.kid === before.jwks[0].kid)).toBeUndefined();

    // Every delivery was accepted by the verifying receiver.
    await waitUntil(async () => {
      const statuses = await deliveryStatus(webhook.id);
      return statuses.length === 3 && statuses.every((row) => row.status === 'succeeded');
    });
  });

  it('switching an HMAC webhook to ed25519 signs v1a and v1 alike during the overlap', async () => {
    const { sub, auth } = user();
    const webhook = await createHook(auth, 'hmac-sha256');
    const switched = await request(pipeline.api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ url: `${receiver.url}/hook/${webhook.id}`, signing: 'ed25519' })
      .expect(200);
    expect(switched.body.secret).toMatch(/^whpk_/);
    const [received, verdict] = await deliver(sub);
    expect(verdict.signatures.map((signature) => signature.split(',')[0])).toEqual(['v1a', 'v1']);
    expect(verdict.kids[0]).toBe(verdict.jwks[0].kid);
    // A receiver still on the HMAC secret verifies the same request with standardwebhooks.
    expect(verifyDelivery(webhook.secret, received)).toMatchObject({ name: 'api.created' });
  });
});
