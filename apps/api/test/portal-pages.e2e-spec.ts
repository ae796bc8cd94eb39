import request from 'supertest';
import { bearer, builtEntry, mintToken, startProcess, TEST_JWT_SECRET } from '@app/testing';
import { createTestApi, TestApi } from './helpers/test-app';
import { linkPath, portalLogin } from './helpers/portal';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors";

describe('Portal pages: static files and security headers (e2e)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await createTestApi();
  });
  afterAll(() => api.close());

  it('serves the page shell to a session, with the strict CSP and no caching', async () => {
    const browser = await portalLogin(api.http);
    const page = await request(api.http).get('/portal/').set('Cookie', browser.cookie).expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<script src="/portal/app.js"');
    expect(page.headers['content-security-policy']).toBe(`${CSP} 'none'`);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it.each([
    ['/portal/app.js', /^(text|application)\/javascript/],
    ['/portal/app.css', /^text\/css/],
  ])('serves %s from the build with the same headers', async (path, type) => {
    const response = await request(api.http).get(path).expect(200);
    expect(response.headers['content-type']).toMatch(type);
    expect(response.headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('tells a browser without a session to open a link, with 401 and no redirect', async () => {
    const response = await request(api.http).get('/portal/').expect(401);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.text).toContain('Open the portal from ApiTree’s dashboard');
    expect(response.headers.location).toBeUndefined();
    expect(response.headers['content-security-policy']).toMatch(/^default-src 'none'/);
    const stale = await request(api.http)
      .get('/portal/')
      .set('Cookie', `portal_session=${'A'.repeat(43)}`)
      .expect(401);
    expect(stale.text).toContain('Not signed in');
  });

  it('reloads once from its own page a link opened from another site (SameSite=Strict withheld the cookie)', async () => {
    const first = await request(api.http).get('/portal/').set('Sec-Fetch-Site', 'cross-site').expect(200);
    expect(first.text).toContain('<meta http-equiv="refresh" content="0">');
    // The reload is same-origin: without a session it ends on the 401 page, never a loop.
    await request(api.http).get('/portal/').set('Sec-Fetch-Site', 'same-origin').expect(401);
  });

  it('without PUBLIC_BASE_URL, outside production, over plain HTTP: a link to the Host asked, a cookie without Secure', async () => {
    const minted = await request(api.http)
      .post('/portal/sessions')
      .set(bearer(mintToken()))
      .set('Host', 'localhost:3000')
      .expect(201);
    expect(minted.body.url).toMatch(/^http:\/\/localhost:3000\/portal\/login\?token=/);
    const login = await request(api.http).get(linkPath(minted.body.url)).expect(303);
    expect(String(login.headers['set-cookie'])).not.toContain('Secure');
    const hostile = await request(api.http)
      .post('/portal/sessions')
      .set(bearer(mintToken()))
      .set('Host', 'evil.example/path?x=<b>')
      .expect(400);
    expect(hostile.body).toEqual({
      code: 400,
      message: 'Host header is not a plain host[:port]; set PUBLIC_BASE_URL',
    });
  });

  it('moves /portal to /portal/', async () => {
    const response = await request(api.http).get('/portal').expect(301);
    expect(response.headers.location).toBe('/portal/');
  });

  it('does not serve index.html, dotfiles or anything outside the assets by path', async () => {
    for (const path of [
      '/portal/index.html',
      '/portal/.env',
      '/portal/../package.json',
      '/portal/%2e%2e/package.json',
    ]) {
      const response = await request(api.http).get(path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
  });

  it('puts the headers on the login and API answers too', async () => {
    const login = await request(api.http).get('/portal/login').expect(401);
    expect(login.headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect(login.headers['referrer-policy']).toBe('no-referrer');
    const data = await request(api.http).get('/portal/api/session').expect(401);
    expect(data.headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect(data.headers['cache-control']).toBe('no-store');
  });

  it('leaves the REST API’s headers alone', async () => {
    const response = await request(api.http).get('/health');
    expect(response.headers['content-security-policy']).toBeUndefined();
  });

  it('takes frame-ancestors from PORTAL_FRAME_ANCESTORS', async () => {
    const embedded = await createTestApi({
      PORTAL_FRAME_ANCESTORS: "'self' https://dashboard.apitree.com https://*.apitree.dev:8443",
    });
    try {
      const response = await request(embedded.http).get('/portal/app.js').expect(200);
      expect(response.headers['content-security-policy']).toBe(
        `${CSP} 'self' https://dashboard.apitree.com https://*.apitree.dev:8443`,
      );
      expect(response.headers['x-frame-options']).toBeUndefined();
    } finally {
      await embedded.close();
    }
  });

  it('refuses to start with a PORTAL_FRAME_ANCESTORS that is not a source list, in one line (built API)', async () => {
    const running = startProcess(builtEntry('api'), {
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: process.env.EVENT_API_TEST_DATABASE_URL as string,
      PORTAL_FRAME_ANCESTORS: "https://a.example; script-src 'unsafe-inline'",
    });
    expect(await running.exited).toBe(1);
    expect(running.output().trim()).toBe(
      "Invalid configuration: PORTAL_FRAME_ANCESTORS must be 'none', 'self' or space-separated origins such as " +
        'https://app.example.com ("https://a.example;" is not an origin), got "https://a.example; script-src \'unsafe-inline\'"',
    );
  });
});
