import type { BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { EVENT_CATALOG } from '@app/events';
import { bearer, createWebhook, CreatedWebhook, HttpReceiver, mintToken } from '@app/testing';
import { ownerEvent, Pipeline, waitUntil } from './helpers/pipeline';
import {
  accessibilityViolations,
  browserAvailable,
  PortalHarness,
  screenshot,
  startPortalHarness,
} from './helpers/portal-browser';

/**
 * The portal in headless Chromium against the real API and worker (README → Portal): a one-time link,
 * the pages, redelivery, a hostile receiver's answer and a hostile publisher's payload shown as text,
 * CSP, CSRF, read-only sessions and an accessibility pass. Screenshots land in test-output/portal/.
 * The log's actions, paging, webhook states and sign-out: portal-browser-actions.e2e-spec.ts.
 */
// Markup that would run if the portal ever parsed it as HTML.
const HOSTILE =
  '<script>window.__portalPwned = true</script><img src="x" onerror="window.__portalPwned = true">Thanks';

// A custom header value: a credential the attempt's details show as ••••.
const CUSTOM_HEADER_VALUE = 'portal-credential-0123';

const describeBrowser = browserAvailable() ? describe : describe.skip;

describeBrowser('the portal in a browser', () => {
  let harness: PortalHarness;
  let pipeline: Pipeline;
  let receiver: HttpReceiver;
  let origin: string;
  const sub = `portal-user-${Date.now()}`;
  const auth = bearer(mintToken({ sub, nickname: 'jdoe' }));
  let hook: CreatedWebhook;
  let link: string;
  let context: BrowserContext;
  let page: Page;

  const portalLink = (scope = 'webhook') => harness.portalLink(sub, scope);
  const newPage = () => harness.newPage();

  async function attemptCount(): Promise<number> {
    const response = await request(pipeline.api.http).get(`/webhooks/${hook.id}/deliveries`).set(auth);
    return (response.body as { items: unknown[] }).items.length;
  }

  /** Nothing the page was given became markup: no flag set, no element of its own, only the one module. */
  async function expectNothingRan(view: Page): Promise<void> {
    expect(await view.evaluate('window.__portalPwned')).toBe(undefined);
    expect(await view.locator('script').count()).toBe(1);
    expect(await view.locator('main img').count()).toBe(0);
  }

  beforeAll(async () => {
    receiver = new HttpReceiver((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(HOSTILE);
    });
    await receiver.start();
    harness = await startPortalHarness('portal-browser');
    ({ pipeline, origin } = harness);

    hook = await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/hooks/portal`,
      events: ['api.created', 'release.released'],
      custom: '{"team":"platform"}',
      headers: { 'X-Portal-Key': CUSTOM_HEADER_VALUE },
    });
    await createWebhook(pipeline.api.http, auth, {
      url: 'https://ci.example.org/webhooks/apitree',
      events: ['api.updated'],
      active: false,
    });
    await request(pipeline.api.http).post(`/webhooks/${hook.id}/ping`).set(auth).expect(202);
    await waitUntil(async () => (await attemptCount()) === 1, 15_000, 'the ping to be logged');
    link = await portalLink();
    [context, page] = await newPage();
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await receiver?.stop();
  });

  afterEach(() => {
    // No page error and no CSP violation in any test: the pages work under their own policy.
    expect(harness.pageErrors.splice(0)).toEqual([]);
  });

  it('opens a link on the webhooks list, under a strict Content-Security-Policy', async () => {
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/portal/');
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);

    await page.getByRole('link', { name: hook.url }).waitFor();
    await expect(page.getByText('Active', { exact: true }).count()).resolves.toBe(1);
    await expect(page.getByText('Disabled', { exact: true }).count()).resolves.toBe(1);
    await expect(page.getByRole('link', { name: 'New webhook' }).count()).resolves.toBe(1);
    const cookies = await context.cookies();
    expect(cookies.find((cookie) => cookie.name === 'portal_session')).toMatchObject({ httpOnly: true });
    await screenshot(page, 'webhooks');
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('refuses a link opened a second time', async () => {
    const [other, second] = await newPage();
    const response = await second.goto(link);
    expect(response?.status()).toBe(410);
    expect(await other.cookies()).toEqual([]);
    await screenshot(second, 'reused-link');
    await other.close();
  });

  it("shows a webhook's page with its chart and attempt log, a receiver's HTML as text", async () => {
    await page.getByRole('link', { name: hook.url }).click();
    await page.getByRole('heading', { name: 'Attempt log' }).waitFor();
    await page.locator('tr.attempt').first().waitFor();
    expect(await page.locator('tr.attempt').count()).toBe(1);
    const chart = page.getByRole('img', { name: /Last 24 hours/ });
    await expect(chart.getAttribute('aria-label')).resolves.toContain('1 successful and 0 failed');
    await page.getByText('1 succeeded').waitFor();
    await screenshot(page, 'webhook-viewport', false);

    await page.locator('tr.attempt').first().getByRole('button', { name: 'Details' }).click();
    const body = page.locator('pre.response-body');
    await body.waitFor();
    expect(await body.textContent()).toBe(HOSTILE);
    // The request as sent: its headers (a custom one's value redacted) and body, as text.
    const [ping] = (
      await request(pipeline.api.http).get(`/webhooks/${hook.id}/deliveries`).set(auth).expect(200)
    ).body.items as Array<{ id: string; eventId: string }>;
    const sent = (
      await request(pipeline.api.http).get(`/webhooks/${hook.id}/deliveries/${ping.id}`).set(auth).expect(200)
    ).body.request as { body: string };
    const detail = page.locator('tr.attempt-detail').first();
    const headerValue = (name: string) =>
      detail
        .getByRole('row')
        .filter({ has: page.getByRole('rowheader', { name, exact: true }) })
        .locator('td');
    await headerValue('webhook-id').waitFor();
    expect(await headerValue('webhook-id').textContent()).toBe(ping.eventId);
    expect(await headerValue('x-apitree-delivery').textContent()).toBe(ping.id);
    expect(await headerValue('X-Portal-Key').textContent()).toBe('••••');
    const requestBody = detail.locator('pre.code').filter({ hasText: ping.eventId }).first();
    expect(JSON.parse((await requestBody.textContent()) ?? '')).toEqual(JSON.parse(sent.body));
    expect(await detail.textContent()).not.toContain(CUSTOM_HEADER_VALUE);
    await expectNothingRan(page);
    await screenshot(page, 'webhook');
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('redelivers an attempt and shows the new one when it is made', async () => {
    await page.locator('tr.attempt').first().getByRole('button', { name: 'Redeliver' }).click();
    await page.locator('tr.attempt-new').waitFor({ timeout: 20_000 });
    expect(await page.locator('tr.attempt').count()).toBe(2);
    const [ping, again] = await receiver.waitFor(2);
    expect(again.headers['webhook-id']).toBe(ping.headers['webhook-id']);
    await page.getByText(/New attempt: delivered/).waitFor();
  });

  it('filters the attempt log', async () => {
    await page.getByLabel('Outcome').selectOption('false');
    await page.getByText('No attempts match these filters').waitFor();
    await page.getByLabel('Outcome').selectOption('true');
    await page.locator('tr.attempt').nth(1).waitFor();
    await page.getByLabel('Event').selectOption('api.created');
    await page.getByText('No attempts match these filters').waitFor();
    await page.getByLabel('Event').selectOption('');
    await page.locator('tr.attempt').nth(1).waitFor();
  });

  it('opens the recover form for an active webhook', async () => {
    await page.getByRole('button', { name: 'Recover failed' }).click();
    await page.getByLabel('Failed in').waitFor();
    expect(await page.getByLabel('Failed in').inputValue()).toBe('24');
    await page.getByRole('button', { name: 'Close' }).click();
    expect(await page.getByLabel('Failed in').count()).toBe(0);
  });

  it("shows a publisher's payload and the webhook's custom data as text, running nothing", async () => {
    const custom = JSON.stringify({ team: 'platform', note: HOSTILE });
    await request(pipeline.api.http).put(`/webhooks/${hook.id}`).set(auth).send({ custom }).expect(200);
    const eventId = await pipeline.publisher.publish({
      ...ownerEvent(sub),
      resource: { owner: sub, name: HOSTILE },
    });
    await waitUntil(async () => (await attemptCount()) === 3, 15_000, 'the event to be delivered');

    await page.reload();
    const customData = page.locator('.fact').filter({ hasText: 'Custom data' }).locator('pre');
    await customData.waitFor();
    expect(JSON.parse((await customData.textContent()) ?? '')).toEqual(JSON.parse(custom));
    const row = page.locator('tr.attempt').filter({ hasText: 'api.created' });
    await row.getByRole('button', { name: 'Details' }).click();
    const sent = page.locator('tr.attempt-detail pre.code').filter({ hasText: eventId });
    await sent.waitFor();
    const body = JSON.parse((await sent.textContent()) ?? '') as { resource: { name: string } };
    expect(body.resource.name).toBe(HOSTILE);
    await expectNothingRan(page);
  });

  it('rotates the secret and shows the new one only once', async () => {
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const secret = page.locator('[data-secret]');
    await secret.waitFor();
    expect(await secret.textContent()).toMatch(/^whsec_/);
    await page.reload();
    await page.getByRole('heading', { name: 'Attempt log' }).waitFor();
    expect(await page.locator('body').textContent()).not.toContain('whsec_');
  });

  it("shows the API's validation messages next to the fields, then creates a webhook", async () => {
    const invalid = { url: 'ftp://example.com/hook', events: [] };
    const expected = await request(pipeline.api.http).post('/webhooks').set(auth).send(invalid).expect(400);
    const messages = (field: string) =>
      (expected.body.errors as Array<{ field: string; message: string }>)
        .filter((error) => error.field.split('.')[0] === field)
        .map((error) => error.message);
    expect(messages('url').length).toBeGreaterThan(0);
    expect(messages('events').length).toBeGreaterThan(0);

    await page.goto(`${origin}/portal/#/webhooks/new`);
    await page.getByLabel('Payload URL').fill(invalid.url);
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.locator('#error-url:not(:empty)').waitFor();
    expect(await page.locator('#error-url').textContent()).toBe(messages('url').join(' '));
    expect(await page.locator('#error-events').textContent()).toBe(messages('events').join(' '));
    await expect(page.getByLabel('Payload URL').getAttribute('aria-invalid')).resolves.toBe('true');
    await screenshot(page, 'form-errors');
    expect(await accessibilityViolations(page)).toEqual([]);

    await page.getByLabel('Payload URL').fill(`${receiver.url}/hooks/second`);
    await page.getByRole('checkbox', { name: /release\.created/ }).check();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.locator('[data-secret]').waitFor();
    expect(await page.locator('[data-secret]').textContent()).toMatch(/^whsec_/);
    expect(await page.locator('h1').textContent()).toBe(`${receiver.url}/hooks/second`);

    // Edit: the fields the API refuses (a filter on a key events lack, a rate limit of 0) show its
    // messages there; good values are saved.
    const refused = await request(pipeline.api.http)
      .put(`/webhooks/${hook.id}`)
      .set(auth)
      .send({ rateLimit: 0, filter: { owner: '10123' } });
    expect(refused.status).toBe(400);
    const refusedMessages = (field: string) =>
      (refused.body.errors as Array<{ field: string; message: string }>)
        .filter((error) => error.field.split('.')[0] === field)
        .map((error) => error.message)
        .join(' ');
    expect(refusedMessages('filter')).toContain('filter.owner');
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByText('More settings').click();
    await page.getByLabel('Rate limit').fill('0');
    await page.getByLabel('Payload filter').fill('{"owner": "10123"}');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#error-filter:not(:empty)').waitFor();
    expect(await page.locator('#error-filter').textContent()).toBe(refusedMessages('filter'));
    expect(await page.locator('#error-rateLimit').textContent()).toBe(refusedMessages('rateLimit'));
    await expect(page.getByLabel('Payload filter').getAttribute('aria-invalid')).resolves.toBe('true');
    await screenshot(page, 'edit');
    expect(await accessibilityViolations(page)).toEqual([]);

    // Text that is not JSON is refused before it is sent, next to the field too.
    await page.getByLabel('Payload filter').fill('{"resource": ');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#error-filter:text-matches("^filter must be valid JSON")').waitFor();

    // A switch of signing is a rotation: the new key is shown once, as after a rotation.
    await page.getByLabel('Payload filter').fill('{"resource": {"visibility": "public"}}');
    await page.getByLabel('Rate limit').fill('5');
    await page.getByLabel('Signing').selectOption('ed25519');
    await page.getByLabel('Ordering').selectOption('fifo');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('5 deliveries per second').waitFor();
    // The whpk_ value is the public key (README → Verifying Ed25519 signatures): said so, with the JWKS
    // URL receivers can fetch it from, and no warning about a secret shown once.
    const publicKey = (await page.locator('[data-public-key]').textContent()) ?? '';
    expect(publicKey).toMatch(/^whpk_/);
    expect(await page.locator('[data-secret]').count()).toBe(0);
    const panel = page.locator('.secret-panel');
    expect(await panel.textContent()).toContain('The new public key:');
    expect(await panel.textContent()).toContain('This is the public key, not a secret');
    expect(await panel.textContent()).not.toMatch(/signing secret|only this once/);
    const editedId = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    const jwks = `${origin}/webhooks/${editedId}/jwks`;
    expect(await panel.locator('[data-jwks-url]').textContent()).toBe(jwks);
    const served = (await (await fetch(jwks)).json()) as { keys: Array<{ x: string }> };
    expect(served.keys[0].x).toBe(
      Buffer.from(publicKey.slice('whpk_'.length), 'base64').toString('base64url'),
    );
    await screenshot(page, 'signing-switched', { until: page.locator('.secret-panel') });
    await page.getByText('Ed25519', { exact: true }).waitFor();
    await page.getByText('FIFO, one at a time').waitFor();
    expect(await page.locator('pre.code').filter({ hasText: 'visibility' }).textContent()).toContain(
      '"public"',
    );
  });

  it('lists the event catalog with examples', async () => {
    await page.getByRole('link', { name: 'Event catalog' }).click();
    await page.getByRole('heading', { name: 'Event catalog' }).waitFor();
    expect(await page.locator('section.event').count()).toBe(EVENT_CATALOG.length);
    // Examples start closed; a click opens one.
    expect(await page.locator('section.event details.example').count()).toBe(EVENT_CATALOG.length);
    expect(await page.locator('section.event details.example[open]').count()).toBe(0);
    const first = page.locator('section.event').first();
    expect(await first.locator('pre').isVisible()).toBe(false);
    await screenshot(page, 'events');
    await first.getByText('Example payload').click();
    await first.locator('pre').waitFor();
    const example = await first.locator('pre').textContent();
    expect(example?.length).toBeGreaterThan(20);
    await screenshot(page, 'events-example', { until: first });
    expect(await accessibilityViolations(page)).toEqual([]);
  });

  it('shows a read-only session no secret and no write button', async () => {
    const [readonly, view] = await newPage();
    await view.goto(await portalLink('webhook.readonly'));
    await view.getByRole('link', { name: hook.url }).click();
    await view.locator('tr.attempt').first().waitFor();
    expect(
      await view
        .getByRole('button')
        .filter({ hasText: /Redeliver|Rotate|ping|Recover|Delete/i })
        .count(),
    ).toBe(0);
    expect(await view.getByRole('link', { name: /Edit|New webhook/ }).count()).toBe(0);
    expect(await view.getByText('Read-only').count()).toBe(1);
    const api = await view.evaluate(
      async (id) => (await fetch(`/portal/api/webhooks/${id}`)).json(),
      hook.id,
    );
    expect(api).not.toHaveProperty('secret');
    // An attempt's request shows the same to a read-only session: headers, the custom value redacted.
    await view.locator('tr.attempt').first().getByRole('button', { name: 'Details' }).click();
    await view.getByRole('rowheader', { name: 'webhook-id', exact: true }).first().waitFor();
    expect(await view.locator('body').textContent()).not.toContain(CUSTOM_HEADER_VALUE);
    expect(await view.locator('body').textContent()).not.toContain('whsec_');
    await screenshot(view, 'webhook-readonly');
    expect(await accessibilityViolations(view)).toEqual([]);
    await readonly.close();
  });

  it('refuses a state-changing request without the CSRF token', async () => {
    const status = await page.evaluate(
      async (id) => (await fetch(`/portal/api/webhooks/${id}/ping`, { method: 'POST' })).status,
      hook.id,
    );
    expect(status).toBe(403);
  });
});
