import request from 'supertest';
import { EVENT_CATALOG } from '@app/events';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

const SPEC_EVENTS = [
  'api.created',
  'api.updated',
  'api.deleted',
  'release.created',
  'release.released',
  'release.deprecated',
  'plan.created',
  'plan.subscribed',
  'plan.unsubscribed',
  'user.created',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.disabled',
  'webhook.ping',
];

describe('GET /events (e2e)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(() => api.close());

  it('serves the event catalog from its one definition, to either scope', async () => {
    for (const scope of ['webhook', 'webhook.readonly']) {
      const response = await request(api.http)
        .get('/events')
        .set(bearer(mintToken({ scope })))
        .expect(200);
      expect(response.body.map((entry: { name: string }) => entry.name)).toEqual(SPEC_EVENTS);
      expect(response.body).toHaveLength(EVENT_CATALOG.length);
      for (const entry of response.body) {
        expect(Object.keys(entry).sort()).toEqual(['description', 'name', 'resourceType']);
        expect(entry.description.length).toBeGreaterThan(5);
      }
    }
  });

  it('needs a scope', async () => {
    await request(api.http)
      .get('/events')
      .set(bearer(mintToken({ scope: 'other' })))
      .expect(403);
  });
});
