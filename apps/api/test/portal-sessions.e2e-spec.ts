import request from 'supertest';
import { DataSource } from 'typeorm';
import { bearer, mintToken } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';
import { linkPath, portalLogin, sessionCookieOf } from './helpers/portal';

describe('Portal sessions: links, cookies, logout (e2e)', () => {
  let api: TestApi;
  let db: DataSource;
  beforeAll(async () => {
    api = await createTestApi({ PUBLIC_BASE_URL: 'https://events.example.com' });
    db = api.app.get(DataSource);
  });
  afterAll(() => api.close());

  const mint = (claims: Parameters<typeof mintToken>[0] = {}) =>
    request(api.http)
      .post('/portal/sessions')
      .set(bearer(mintToken(claims)));

  it.each(['webhook', 'webhook.readonly'])('mints a one-time link with scope %s', async (scope) => {
    const before = Date.now();
    const response = await mint({ scope }).expect(201);
    expect(response.body.url).toMatch(
      /^https:\/\/events\.example\.com\/portal\/login\?token=[A-Za-z0-9_-]{43}$/,
    );
    const expiresAt = Date.parse(response.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 15 * 60_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('stores only a hash of the link token and of the session id', async () => {
    const response = await mint().expect(201);
    const token = new URL(response.body.url).searchParams.get('token') as string;
    const login = await request(api.http).get(linkPath(response.body.url)).expect(303);
    const sessionId = sessionCookieOf(login.headers['set-cookie']).split('=')[1];
    const dump = JSON.stringify([
      await db.query(`SELECT * FROM portal_links`),
      await db.query(`SELECT * FROM portal_sessions`),
    ]);
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(sessionId);
  });

  it('refuses to mint without a token or with a token lacking the scope', async () => {
    await request(api.http).post('/portal/sessions').expect(401);
    const response = await mint({ scope: 'openid' }).expect(403);
    expect(response.body).toEqual({
      code: 403,
      message: 'Insufficient scope: requires webhook or webhook.readonly',
    });
  });

  it('sets an httpOnly, SameSite=Strict, Secure cookie scoped to /portal and redirects to the dashboard', async () => {
    const minted = await mint({ sub: 'ada', orgs: ['org-1'], nickname: 'Ada', scope: 'webhook' }).expect(201);
    const login = await request(api.http).get(linkPath(minted.body.url)).expect(303);
    expect(login.headers.location).toBe('/portal/');
    const [cookie] = login.headers['set-cookie'] as unknown as string[];
    const attributes = cookie.split('; ');
    expect(attributes[0]).toMatch(/^portal_session=[A-Za-z0-9_-]{43}$/);
    expect(attributes).toEqual(
      expect.arrayContaining(['Path=/portal', 'HttpOnly', 'SameSite=Strict', 'Secure']),
    );
    const session = await request(api.http)
      .get('/portal/api/session')
      .set('Cookie', attributes[0])
      .expect(200);
    expect(session.body).toEqual({
      user: { id: 'ada', nickname: 'Ada' },
      orgs: ['org-1'],
      scopes: ['webhook'],
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: expect.any(String),
    });
    expect(session.headers['cache-control']).toBe('no-store');
  });

  // Secure follows how browsers reach the API (README → Portal → Signing in). X-Forwarded-Proto is not
  // trusted: any client can send it, and a proxy that ends TLS is described by PUBLIC_BASE_URL.
  it.each([
    [
      'NODE_ENV=production without PUBLIC_BASE_URL',
      { NODE_ENV: 'production' },
      true,
      'https://portal.example',
    ],
    [
      'an http PUBLIC_BASE_URL, even in production',
      { NODE_ENV: 'production', PUBLIC_BASE_URL: 'http://portal.example:8080' },
      false,
      'http://portal.example:8080',
    ],
    ['neither, over plain HTTP, whatever X-Forwarded-Proto says', {}, false, 'http://portal.example'],
  ])('decides Secure from %s', async (_what, env, secure, origin) => {
    const other = await createTestApi(env);
    try {
      const minted = await request(other.http)
        .post('/portal/sessions')
        .set('Host', 'portal.example')
        .set('X-Forwarded-Proto', 'https')
        .set(bearer(mintToken()))
        .expect(201);
      expect(new URL(minted.body.url).origin).toBe(origin);
      const login = await request(other.http)
        .get(linkPath(minted.body.url))
        .set('X-Forwarded-Proto', 'https')
        .expect(303);
      const attributes = String(login.headers['set-cookie']).split('; ');
      expect(attributes.includes('Secure')).toBe(secure);
      const logout = await request(other.http)
        .post('/portal/logout')
        .set({
          Cookie: attributes[0],
          'x-csrf-token': (
            await request(other.http).get('/portal/api/session').set('Cookie', attributes[0]).expect(200)
          ).body.csrfToken,
          'Sec-Fetch-Site': 'same-origin',
        })
        .expect(204);
      expect(String(logout.headers['set-cookie']).split('; ').includes('Secure')).toBe(secure);
    } finally {
      await other.close();
    }
  });

  it('refuses a second use of a link with a small page and no cookie', async () => {
    const minted = await mint().expect(201);
    await request(api.http).get(linkPath(minted.body.url)).expect(303);
    const again = await request(api.http).get(linkPath(minted.body.url)).expect(410);
    expect(again.headers['content-type']).toMatch(/^text\/html/);
    expect(again.text).toContain('Link already used');
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('lets only one of two concurrent uses of a link open a session', async () => {
    const minted = await mint().expect(201);
    const path = linkPath(minted.body.url);
    const statuses = await Promise.all(
      Array.from({ length: 5 }, async () => (await request(api.http).get(path)).status),
    );
    expect(statuses.sort()).toEqual([303, 410, 410, 410, 410]);
  });

  it('refuses an expired link with 410', async () => {
    const minted = await mint().expect(201);
    await db.query(`UPDATE portal_links SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`);
    const response = await request(api.http).get(linkPath(minted.body.url)).expect(410);
    expect(response.text).toContain('Link expired');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it.each([
    ['unknown', `token=${'A'.repeat(43)}`],
    ['huge', `token=${'x'.repeat(8000)}`],
    ['non-ASCII', `token=${encodeURIComponent('ü'.repeat(43))}`],
    ['repeated', `token=${'A'.repeat(43)}&token=${'B'.repeat(43)}`],
    ['missing', ''],
  ])('refuses a %s link token with 401 and no session', async (_what, query) => {
    const response = await request(api.http).get(`/portal/login?${query}`).expect(401);
    expect(response.text).toContain('Link not valid');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a link token with control characters as any hostile query (400), echoing nothing', async () => {
    const response = await request(api.http).get('/portal/login?token=%00%ff<script>').expect(400);
    expect(response.text).not.toContain('<script>');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it('ends a session at its expiry', async () => {
    const browser = await portalLogin(api.http);
    await db.query(`UPDATE portal_sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
      browser.sub,
    ]);
    const response = await request(api.http)
      .get('/portal/api/session')
      .set('Cookie', browser.cookie)
      .expect(401);
    expect(response.body).toEqual({ code: 401, message: 'Access denied' });
  });

  it('never lets a session outlive the bearer token it was minted with', async () => {
    const token = mintToken({}, { expiresIn: 120 });
    const minted = await request(api.http).post('/portal/sessions').set(bearer(token)).expect(201);
    expect(Date.parse(minted.body.expiresAt)).toBeLessThanOrEqual(Date.now() + 120_000);
    const login = await request(api.http).get(linkPath(minted.body.url)).expect(303);
    const session = await request(api.http)
      .get('/portal/api/session')
      .set('Cookie', sessionCookieOf(login.headers['set-cookie']))
      .expect(200);
    expect(Date.parse(session.body.expiresAt)).toBeLessThanOrEqual(Date.now() + 120_000);
  });

  it('logs out: the session is deleted and the cookie cleared', async () => {
    const browser = await portalLogin(api.http);
    const response = await request(api.http).post('/portal/logout').set(browser.writeHeaders).expect(204);
    expect(String(response.headers['set-cookie'])).toMatch(/^portal_session=; Path=\/portal; Max-Age=0/);
    await request(api.http).get('/portal/api/session').set('Cookie', browser.cookie).expect(401);
    const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM portal_sessions WHERE user_id = $1`, [
      browser.sub,
    ]);
    expect(n).toBe(0);
  });

  it('refuses a logout without the CSRF token, keeping the session', async () => {
    const browser = await portalLogin(api.http);
    const response = await request(api.http).post('/portal/logout').set('Cookie', browser.cookie).expect(403);
    expect(response.body.code).toBe(403);
    await request(api.http).get('/portal/api/session').set('Cookie', browser.cookie).expect(200);
  });
});
