import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, createWebhook, HttpReceiver, mintToken } from '@app/testing';
import { createPipeline, ownerEvent, Pipeline, pipelineEnv, waitUntil } from './helpers/pipeline';

/** README → API → Entitlements: leaving an organization stops its events at the member's webhooks. */
describe('membership loss through the pipeline (e2e)', () => {
  let pipeline: Pipeline;
  const receiver = new HttpReceiver();

  beforeAll(async () => {
    await receiver.start();
    pipeline = await createPipeline(pipelineEnv('membership'));
  });
  afterAll(async () => {
    await pipeline.close();
    await receiver.stop();
  });

  const requestsTo = (path: string) => receiver.requests.filter((r) => r.url === path);

  it('the first token without the organization stops its deliveries and tells the owner', async () => {
    const sub = `leaver-${randomUUID()}`;
    const org = `org-${randomUUID()}`;
    const member = bearer(mintToken({ sub, orgs: [org] }));
    const colleague = bearer(mintToken({ sub: `stays-${randomUUID()}`, orgs: [org] }));
    const create = (auth: Record<string, string>, path: string, events: string[], userId?: string) =>
      createWebhook(pipeline.api.http, auth, { url: `${receiver.url}${path}`, events, userId });
    const orgHook = (await create(member, '/leaver-org', ['api.created'], org)).id;
    await create(member, '/leaver-own', ['webhook.disabled']);
    await create(colleague, '/colleague-org', ['api.created'], org);

    await pipeline.publisher.publish(ownerEvent(org));
    await waitUntil(() => Promise.resolve(requestsTo('/leaver-org').length === 1 || undefined));

    // Any request with the member's new token (here: a list) is enough.
    await request(pipeline.api.http)
      .get('/webhooks')
      .set(bearer(mintToken({ sub, orgs: [] })))
      .expect(200);
    const notice = await waitUntil(() => Promise.resolve(requestsTo('/leaver-own')[0]));
    expect(JSON.parse(notice.body)).toMatchObject({
      name: 'webhook.disabled',
      resource: { id: orgHook, active: false, disabledReason: 'membership', userId: org },
    });

    await pipeline.publisher.publish(ownerEvent(org));
    // The colleague, still a member, gets the second event; by then the leaver's would have come too.
    await waitUntil(() => Promise.resolve(requestsTo('/colleague-org').length === 2 || undefined));
    expect(requestsTo('/leaver-org')).toHaveLength(1);
  });
});
