import request from 'supertest';
import { bearer, createWebhook, HttpReceiver, mintToken } from '@app/testing';
import { createPipeline, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

const SLACK_TOKEN = 'aBcDeFgHiJkLmNoPqRsTuVwX';
const SLACK = `https://hooks.slack.com/services/T0123ABCD/B0123EFGH/${SLACK_TOKEN}`;
const HOOK_KEY = 'xk4qd8t7mjbzfgy3w1n5hoaec6';

/**
 * Credential URLs beyond the API's own answers (README → Security → Credential URLs): lifecycle
 * events go to the owner's other endpoints with the URL masked, and a receiver echoing its secret
 * path in its response shows it masked to webhook.readonly.
 */
describe('Credential URLs in events and the delivery log (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver((incoming, response) => {
    // A receiver that echoes what it was asked, key included.
    response.statusCode = incoming.url.startsWith('/in?') ? 401 : 200;
    response.end(response.statusCode === 401 ? `unknown token in ${incoming.url}` : 'ok');
  });
  const sub = `urlmask-${Date.now()}`;
  const manager = bearer(mintToken({ sub, scope: 'webhook' }));
  const viewer = bearer(mintToken({ sub, scope: 'webhook.readonly' }));

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('urlmask'));
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const create = (url: string, events: string[]) =>
    createWebhook(pipeline.api.http, manager, { url, events });

  const lifecycle = (name: string, id: string) =>
    waitUntil(() =>
      Promise.resolve(
        receiver.requests
          .filter((r) => r.url === '/watch')
          .map((r) => ({
            raw: r.body,
            event: JSON.parse(r.body) as { name: string; resource: { id: string; url: string } },
          }))
          .find(({ event }) => event.name === name && event.resource.id === id),
      ),
    );

  it("webhook.created and webhook.updated carry a Slack URL masked to the owner's other endpoints", async () => {
    await create(`${receiver.url}/watch`, ['webhook.created', 'webhook.updated']);
    const slack = await create(SLACK, ['plan.created']);
    await request(pipeline.api.http)
      .put(`/webhooks/${slack.id}`)
      .set(manager)
      .send({ custom: '{"team":"platform"}' })
      .expect(200);
    for (const name of ['webhook.created', 'webhook.updated']) {
      const { raw, event } = await lifecycle(name, slack.id);
      expect(event.resource.url).toBe('https://hooks.slack.com/services/••••uVwX');
      expect(raw).not.toContain(SLACK_TOKEN);
    }
  });

  it('webhook.created carries a Discord URL masked however it is spelled (www., %77, //, a trailing dot)', async () => {
    const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ01';
    for (const url of [
      `https://discord.com/api/%77ebhooks/123456789012345678/${token}`,
      `https://www.discord.com/api/webhooks/123456789012345678/${token}`,
      `https://Discord.com./api//webhooks/123456789012345678/${token}`,
    ]) {
      const hook = await create(url, ['plan.created']);
      const { raw, event } = await lifecycle('webhook.created', hook.id);
      expect(event.resource.url).toMatch(/\/••••yZ01$/);
      expect(raw).not.toContain(token.slice(0, 16));
    }
  });

  it('a response echoing the secret path is masked for webhook.readonly, whole for managers', async () => {
    const hook = await create(`${receiver.url}/in?token=${HOOK_KEY}`, ['api.created']);
    await request(pipeline.api.http).post(`/webhooks/${hook.id}/ping`).set(manager).expect(202);
    const log = (auth: Record<string, string>) =>
      waitUntil(async () => {
        const response = await request(pipeline.api.http)
          .get(`/webhooks/${hook.id}/deliveries`)
          .set(auth)
          .expect(200);
        return response.body.items.length > 0 ? response : undefined;
      });

    const viewed = await log(viewer);
    expect(viewed.body.items[0]).toMatchObject({
      statusCode: 401,
      response: 'unknown token in /in?token=••••',
    });
    expect(viewed.text).not.toContain(HOOK_KEY);
    const one = await request(pipeline.api.http).get(`/webhooks/${hook.id}`).set(viewer).expect(200);
    expect(one.body.url).toBe(`${receiver.url}/in?token=••••aec6`);
    expect(one.body.lastDelivery.response).toBe('unknown token in /in?token=••••');
    expect(one.text).not.toContain(HOOK_KEY);

    const managed = await log(manager);
    expect(managed.body.items[0].response).toBe(`unknown token in /in?token=${HOOK_KEY}`);
    const whole = await request(pipeline.api.http).get(`/webhooks/${hook.id}`).set(manager).expect(200);
    expect(whole.body.lastDelivery.response).toBe(`unknown token in /in?token=${HOOK_KEY}`);
  });
});
