import request from 'supertest';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';

type Decision = 'public' | 'read' | 'write' | 'portal';

/**
 * The scope decision of every route (README → API → Authentication). The test reads the routes from the running
 * router: a route missing here fails it, so none ships without a decision.
 * read: `webhook` or `webhook.readonly`; write: `webhook` only; public: no token needed; portal: a browser route of
 * the portal (README → Portal), authenticated by its session cookie or a one-time link, never by a bearer token.
 */
const DECISIONS: Record<string, Decision> = {
  'GET /webhooks': 'read',
  'POST /webhooks': 'write',
  'GET /webhooks/:id': 'read',
  'PUT /webhooks/:id': 'write',
  'DELETE /webhooks/:id': 'write',
  'POST /webhooks/:id/ping': 'write',
  'GET /webhooks/:id/deliveries': 'read',
  'GET /webhooks/:id/deliveries/:attemptId': 'read',
  'GET /webhooks/:id/stats': 'read',
  'POST /webhooks/:id/deliveries/:deliveryId/redeliver': 'write',
  'POST /webhooks/:id/recover': 'write',
  'POST /webhooks/:id/secret': 'write',
  'DELETE /users/:userId/data': 'write',
  'GET /webhooks/:id/jwks': 'public',
  'GET /events': 'read',
  'GET /events/:name': 'read',
  'GET /health': 'public',
  'GET /metrics': 'public',
  'POST /portal/sessions': 'read',
  'GET /portal/login': 'portal',
  'POST /portal/logout': 'portal',
  'GET /portal/api/session': 'portal',
  'GET /portal': 'portal',
};

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('Route × scope matrix (e2e)', () => {
  let api: TestApi;
  let routes: string[];

  beforeAll(async () => {
    api = await createTestApi();
    const express = api.app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
    routes = express.router.stack
      .filter((layer) => layer.route)
      .flatMap((layer) =>
        Object.keys(layer.route?.methods ?? {}).map(
          (method) => `${method.toUpperCase()} ${layer.route?.path}`,
        ),
      )
      // Swagger UI's own assets and document are served outside Nest's router.
      .filter((route) => !route.includes('/docs') && !route.includes('openapi'));
  });
  afterAll(() => api.close());

  it('every route has a scope decision, and every decision a route', () => {
    expect(routes.length).toBeGreaterThan(5);
    expect([...routes].sort()).toEqual(Object.keys(DECISIONS).sort());
  });

  // Every token is this user's: a route about a user (erasure) is then about the caller itself.
  const sub = 'scope-matrix-user';
  const call = (route: string, headers: Record<string, string>) => {
    const [method, path] = route.split(' ');
    const url = path
      .replace(':userId', sub)
      .replace(':id', '3d1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b')
      .replace(':deliveryId', '4d1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b')
      // The portal's page shell lives at /portal/ (/portal only redirects there).
      .replace(/^\/portal$/, '/portal/');
    const test = request(api.http)
      [method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](url)
      .set(headers);
    return method === 'POST' || method === 'PUT' ? test.send({}) : test;
  };

  const tokens = {
    none: {},
    noScope: bearer(mintToken({ sub, scope: 'openid profile' })),
    readonly: bearer(mintToken({ sub, scope: 'webhook.readonly' })),
    write: bearer(mintToken({ sub, scope: 'webhook' })),
  };

  it.each(Object.entries(DECISIONS))('%s (%s)', async (route, decision) => {
    const status = async (headers: Record<string, string>) => (await call(route, headers)).status;
    if (decision === 'portal') {
      // Whatever the token, no session and no link: refused, never served.
      const statuses = await Promise.all(Object.values(tokens).map(status));
      for (const code of statuses) expect([400, 401]).toContain(code);
      return;
    }
    if (decision === 'public') {
      for (const headers of Object.values(tokens)) expect([401, 403]).not.toContain(await status(headers));
      return;
    }
    expect(await status(tokens.none)).toBe(401);
    expect(await status(tokens.noScope)).toBe(403);
    const readonly = await status(tokens.readonly);
    if (decision === 'read') expect([401, 403]).not.toContain(readonly);
    else expect(readonly).toBe(403);
    expect([401, 403]).not.toContain(await status(tokens.write));
  });
});
