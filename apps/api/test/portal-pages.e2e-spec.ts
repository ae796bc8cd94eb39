import request from 'supertest';
import { createTestApi, TestApi } from './helpers/test-app';
import { portalLogin } from './helpers/portal';

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
});
