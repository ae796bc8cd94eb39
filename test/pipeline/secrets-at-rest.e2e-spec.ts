import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { resealSecrets } from '@app/database';
import { encryptionKeyId, SecretBox } from '@app/signing';
import { bearer, createWebhook, HttpReceiver, mintToken, verifyDelivery } from '@app/testing';
import { createPipeline, createPipelineApi, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

const ROOT = join(__dirname, '..', '..');
const key = randomBytes(32);

/** Security → Secrets: with SECRETS_ENCRYPTION_KEY, no secret in plain text in any column. */
describe('Secrets at rest (e2e)', () => {
  let pipeline: Pipeline;
  const env = pipelineEnv('secrets-at-rest', { SECRETS_ENCRYPTION_KEY: key.toString('base64') });
  const receiver = new HttpReceiver();
  const apiId = randomUUID();
  const auth = bearer(mintToken({ sub: `sealed-${Date.now()}` }));

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(env);
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const stored = async (id: string) =>
    (
      await pipeline.dataSource.query<Array<{ secret: string; previous_secret: string | null }>>(
        'SELECT secret, previous_secret FROM webhooks WHERE id = $1',
        [id],
      )
    )[0];
  const create = (path: string) =>
    createWebhook(pipeline.api.http, auth, { url: `${receiver.url}${path}`, apiId, events: ['api.created'] });
  /** Every text column of every table that could hold it. */
  const foundAnywhere = async (secret: string) => {
    const base64 = secret.slice('whsec_'.length);
    const [row] = await pipeline.dataSource.query<Array<{ n: number }>>(
      `SELECT ((SELECT count(*) FROM webhooks w WHERE w::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM events e WHERE e::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM event_outbox o WHERE o::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM deliveries d WHERE d::text LIKE '%' || $1 || '%')
            + (SELECT count(*) FROM delivery_attempts a WHERE a::text LIKE '%' || $1 || '%'))::int AS n`,
      [base64],
    );
    return row.n;
  };

  it('stores secrets sealed, answers and signs with them in plain text', async () => {
    const webhook = await create('/sealed');
    expect(webhook.secret).toMatch(/^whsec_/);
    expect((await stored(webhook.id)).secret).toMatch(new RegExp(`^enc:v1:${encryptionKeyId(key)}:`));
    const read = await request(pipeline.api.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
    expect(read.body.secret).toBe(webhook.secret);

    const id = await pipeline.publisher.publish({
      name: 'api.created',
      user: { id: 'u' },
      resourceType: 'Api',
      resource: { id: apiId },
      apiId,
    });
    const received = await waitUntil(() =>
      Promise.resolve(receiver.requests.find((r) => r.url === '/sealed')),
    );
    expect(verifyDelivery(webhook.secret, received)).toMatchObject({ id });

    const rotated = await request(pipeline.api.http)
      .post(`/webhooks/${webhook.id}/secret`)
      .set(auth)
      .expect(200);
    const both = await stored(webhook.id);
    expect(both.secret).toMatch(/^enc:v1:/);
    expect(both.previous_secret).toMatch(/^enc:v1:/);
    expect(await foundAnywhere(webhook.secret)).toBe(0);
    expect(await foundAnywhere(rotated.body.secret as string)).toBe(0);
  });

  it('reads a row written before the key was set, and seals it when the webhook is next written', async () => {
    const webhook = await create('/legacy');
    const plain = 'whsec_' + randomBytes(32).toString('base64');
    await pipeline.dataSource.query('UPDATE webhooks SET secret = $2 WHERE id = $1', [webhook.id, plain]);
    expect(await foundAnywhere(plain)).toBe(1);
    const read = await request(pipeline.api.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
    expect(read.body.secret).toBe(plain);
    await request(pipeline.api.http)
      .put(`/webhooks/${webhook.id}`)
      .set(auth)
      .send({ custom: '{"a":1}' })
      .expect(200);
    const sealed = await stored(webhook.id);
    expect(sealed.secret).toMatch(/^enc:v1:/);
    expect(new SecretBox(key).open(sealed.secret)).toBe(plain);
    expect(await foundAnywhere(plain)).toBe(0);
  });

  it('npm run secrets:reencrypt moves every row to a new key; the old key can then go', async () => {
    const webhook = await create('/rekeyed');
    const newKey = randomBytes(32);
    // Rotation, step 1: every process runs with the new key and the old one for reading.
    const result = spawnSync('npx', ['tsx', 'apps/cli/src/reencrypt-secrets.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        DATABASE_URL: pipeline.api.config.databaseUrl,
        SECRETS_ENCRYPTION_KEY: newKey.toString('base64'),
        SECRETS_DECRYPTION_KEYS: key.toString('base64'),
        DB_MIGRATE_ON_START: 'false',
      },
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout.trim()).rewritten).toBeGreaterThanOrEqual(3);
    const rows = await pipeline.dataSource.query<Array<{ secret: string }>>('SELECT secret FROM webhooks');
    for (const row of rows) expect(row.secret.startsWith(`enc:v1:${encryptionKeyId(newKey)}:`)).toBe(true);
    // Step 2: the old key is gone; an API started with the new key alone opens everything.
    const rekeyed = await createPipelineApi({
      ...env,
      DATABASE_URL: pipeline.api.config.databaseUrl,
      SECRETS_ENCRYPTION_KEY: newKey.toString('base64'),
    });
    try {
      const read = await request(rekeyed.http).get(`/webhooks/${webhook.id}`).set(auth).expect(200);
      expect(read.body.secret).toBe(webhook.secret);
    } finally {
      await rekeyed.close();
    }
    // A second run has nothing to do.
    const box = new SecretBox(newKey);
    expect(await pipeline.dataSource.transaction((manager) => resealSecrets(manager, box))).toBe(0);
  });
});
