import request from 'supertest';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const SLACK_TOKEN = 'aBcDeFgHiJkLmNoPqRsTuVwX';
const SLACK = `https://hooks.slack.com/services/T0123ABCD/B0123EFGH/${SLACK_TOKEN}`;
const GOOGLE_KEY = 'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI';
const GOOGLE = `https://chat.googleapis.com/v1/spaces/AAAAb1c2d3e/messages?key=${GOOGLE_KEY}&token=tok`;

/**
 * Webhook URLs that are credentials (README → Security → Credential URLs): whoever holds a Slack
 * hook URL can post to the channel, so webhook.readonly tokens see it masked; managers see it whole.
 */
describe('Credential URLs in API responses (e2e)', () => {
  let api: TestApi;
  const sub = `mask-${Math.random().toString(36).slice(2)}`;
  const manager = bearer(mintToken({ sub, scope: 'webhook' }));
  const viewer = bearer(mintToken({ sub, scope: 'webhook.readonly' }));
  let slack: { id: string };

  beforeAll(async () => {
    api = await createTestApi({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' });
    for (const url of [GOOGLE, SLACK]) {
      const created = await request(api.http)
        .post('/webhooks')
        .set(manager)
        .send({ url, events: [{ name: 'api.created' }] })
        .expect(201);
      expect(created.body.url).toBe(url);
      slack = created.body;
    }
  });
  afterAll(() => api.close());

  it('webhook.readonly sees the URLs masked in the list and in one webhook', async () => {
    const list = await request(api.http).get('/webhooks').set(viewer).expect(200);
    expect(list.body.map((webhook: { url: string }) => webhook.url)).toEqual([
      'https://hooks.slack.com/services/••••uVwX',
      'https://chat.googleapis.com/v1/spaces/AAAAb1c2d3e/messages?key=••••qsHI&token=••••',
    ]);
    const one = await request(api.http).get(`/webhooks/${slack.id}`).set(viewer).expect(200);
    expect(one.body.url).toBe('https://hooks.slack.com/services/••••uVwX');
    for (const body of [list.text, one.text]) {
      expect(body).not.toContain(SLACK_TOKEN);
      expect(body).not.toContain(GOOGLE_KEY);
    }
  });

  it('webhook (who manages them) sees them whole', async () => {
    const list = await request(api.http).get('/webhooks').set(manager).expect(200);
    expect(list.body.map((webhook: { url: string }) => webhook.url)).toEqual([SLACK, GOOGLE]);
    const one = await request(api.http).get(`/webhooks/${slack.id}`).set(manager).expect(200);
    expect(one.body.url).toBe(SLACK);
  });

  it('a masked URL sent back is refused, and the webhook keeps its URL', async () => {
    for (const url of [
      'https://hooks.slack.com/services/••••uVwX',
      'https://hooks.slack.com/services/%E2%80%A2%E2%80%A2%E2%80%A2%E2%80%A2uVwX',
    ]) {
      const response = await request(api.http)
        .put(`/webhooks/${slack.id}`)
        .set(manager)
        .send({ url })
        .expect(400);
      expect(response.body.errors).toEqual([
        { field: 'url', message: 'url must be the full URL, not a masked one (•••• hides a credential)' },
      ]);
      await request(api.http)
        .post('/webhooks')
        .set(manager)
        .send({ url, events: [{ name: 'api.created' }] })
        .expect(400);
    }
    const one = await request(api.http).get(`/webhooks/${slack.id}`).set(manager).expect(200);
    expect(one.body.url).toBe(SLACK);
  });
});

/** The same rule however a hook URL is spelled: host case, a trailing dot, www., percent-escapes, `//`. */
describe('Credential URLs spelled otherwise (e2e)', () => {
  let api: TestApi;
  const sub = `mask-spelled-${Math.random().toString(36).slice(2)}`;
  const manager = bearer(mintToken({ sub, scope: 'webhook' }));
  const viewer = bearer(mintToken({ sub, scope: 'webhook.readonly' }));
  const TOKEN = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ01';
  const URLS = [
    `https://discord.com/api/%77ebhooks/123456789012345678/${TOKEN}`,
    `https://www.discord.com/api/webhooks/123456789012345678/${TOKEN}`,
    `https://DISCORD.com./api//webhooks/123456789012345678/${TOKEN}`,
    `https://canary.discordapp.com/api/v10/webhooks/123456789012345678/${TOKEN}`,
  ];

  beforeAll(async () => {
    api = await createTestApi({ DELIVERY_ALLOW_PRIVATE_NETWORKS: 'true' });
    for (const url of URLS) {
      await request(api.http)
        .post('/webhooks')
        .set(manager)
        .send({ url, events: [{ name: 'api.created' }] })
        .expect(201);
    }
  });
  afterAll(() => api.close());

  it('webhook.readonly never sees the token', async () => {
    const list = await request(api.http).get('/webhooks').set(viewer).expect(200);
    expect(list.body).toHaveLength(URLS.length);
    expect(list.text).not.toContain(TOKEN.slice(0, 16));
    for (const webhook of list.body as Array<{ url: string }>) expect(webhook.url).toMatch(/••••yZ01$/);
  });
});
