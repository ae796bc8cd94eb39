import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import {
  bearer,
  createWebhook,
  CreatedWebhook,
  HttpReceiver,
  mintToken,
  TEST_JWT_SECRET,
} from '@app/testing';
import { ownerEvent, Pipeline, waitUntil } from './helpers/pipeline';
import {
  accessibilityViolations,
  browserAvailable,
  PortalHarness,
  screenshot,
  startPortalHarness,
} from './helpers/portal-browser';

/**
 * The portal's actions in headless Chromium against the real API and worker (README → Portal): the ping
 * button, paging the attempt log, a redelivery from an older page (the new attempt highlighted, never an
 * old one), recover from its form, paused and disabled webhooks, a link printed by `npm run portal`, and
 * signing out. Screenshots land in test-output/portal/, the README's among them.
 */
const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

interface Attempt {
  id: string;
  eventId: string;
  eventName: string;
  success: boolean;
  statusCode: number | null;
}

const describeBrowser = browserAvailable() ? describe : describe.skip;

describeBrowser('the portal in a browser: actions, paging, states, signing out', () => {
  let harness: PortalHarness;
  let pipeline: Pipeline;
  const sub = `portal-actions-${Date.now()}`;
  const auth = bearer(mintToken({ sub, nickname: 'jdoe' }));
  /**
   * Paths answered 500 (the endpoint is down) or 410 (it is gone); event ids whose first request is
   * answered 503.
   */
  const failing = new Set<string>();
  const gone = new Set<string>();
  const failOnce = new Set<string>();
  const receiver = new HttpReceiver((received, response) => {
    const eventId = String(received.headers['webhook-id']);
    const down = failing.has(received.url) || gone.has(received.url) || failOnce.delete(eventId);
    response.statusCode = !down ? 200 : gone.has(received.url) ? 410 : failing.has(received.url) ? 500 : 503;
    response.setHeader('content-type', 'application/json');
    response.end(down ? '{"error":"unavailable"}' : '{"received":true}');
  });
  let hook: CreatedWebhook;
  /** The README screenshot's webhook: a day of attempts. */
  let readme: CreatedWebhook;
  let context: BrowserContext;
  let page: Page;

  /** The webhook's attempts, newest first, as the REST API lists them. */
  async function attempts(webhookId: string): Promise<Attempt[]> {
    const response = await request(pipeline.api.http)
      .get(`/webhooks/${webhookId}/deliveries?limit=100`)
      .set(auth)
      .expect(200);
    return (response.body as { items: Attempt[] }).items;
  }

  const shownIds = (view: Page) =>
    view.locator('tr.attempt').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-attempt-id')));

  async function openWebhook(view: Page, webhook: CreatedWebhook): Promise<void> {
    await view.goto(`${harness.origin}/portal/#/webhooks/${webhook.id}`);
    await view.getByRole('heading', { name: 'Attempt log' }).waitFor();
  }

  beforeAll(async () => {
    await receiver.start();
    harness = await startPortalHarness('portal-browser-actions');
    ({ pipeline } = harness);
    hook = await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/hooks/actions`,
      events: ['api.created'],
    });
    [context, page] = await harness.newPage();
    await page.goto(await harness.portalLink(sub));
    await page.getByRole('link', { name: hook.url }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await receiver.stop();
  });

  afterEach(() => {
    // No page error and no CSP violation in any test: the pages work under their own policy.
    expect(harness.pageErrors.splice(0)).toEqual([]);
  });

  it('sends a ping from its button and highlights its attempt once it is made', async () => {
    await openWebhook(page, hook);
    await page.getByText('No delivery attempts yet').waitFor();
    await page.getByRole('button', { name: 'Send ping' }).click();
    await page.getByText('Ping queued').waitFor();
    const fresh = page.locator('tr.attempt-new');
    await fresh.waitFor({ timeout: 20_000 });
    const [ping] = await attempts(hook.id);
    expect(ping).toMatchObject({ eventName: 'webhook.ping', success: true, statusCode: 200 });
    expect(await fresh.getAttribute('data-attempt-id')).toBe(ping.id);
    await page.getByText('New attempt: delivered (200).').waitFor();
  });

  it('pages through the attempt log, older and newer', async () => {
    for (let i = 0; i < 25; i += 1) {
      await request(pipeline.api.http).post(`/webhooks/${hook.id}/ping`).set(auth).expect(202);
    }
    await waitUntil(async () => (await attempts(hook.id)).length === 26, 20_000, '26 attempts');
    const all = (await attempts(hook.id)).map((attempt) => attempt.id);

    await page.reload();
    await page.locator('tr.attempt').nth(19).waitFor();
    expect(await shownIds(page)).toEqual(all.slice(0, 20));
    const newer = page.getByRole('button', { name: '← Newer' });
    const older = page.getByRole('button', { name: 'Older →' });
    expect(await newer.isDisabled()).toBe(true);

    await older.click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    expect(await shownIds(page)).toEqual(all.slice(20));
    expect(await older.isDisabled()).toBe(true);
    await screenshot(page, 'webhook-page-2');

    await newer.click();
    await page.getByText('Page 1', { exact: true }).waitFor();
    expect(await shownIds(page)).toEqual(all.slice(0, 20));
  });

  it('redelivers from page 2 and highlights the new attempt, never an old one', async () => {
    await page.getByRole('button', { name: 'Older →' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    const before = new Set((await attempts(hook.id)).map((attempt) => attempt.id));
    const row = page.locator('tr.attempt').first();
    const target = await row.getAttribute('data-attempt-id');
    const original = (await attempts(hook.id)).find((attempt) => attempt.id === target) as Attempt;
    expect(original).toBeDefined();
    const requestsBefore = receiver.requests.length;

    await row.getByRole('button', { name: 'Redeliver' }).click();
    const fresh = page.locator('tr.attempt-new');
    await fresh.waitFor({ timeout: 20_000 });
    const freshId = (await fresh.getAttribute('data-attempt-id')) as string;
    // Made after the click: an id no attempt had before, the redelivered event's, its request sent.
    expect(before.has(freshId)).toBe(false);
    const [newest] = await attempts(hook.id);
    expect(newest).toMatchObject({ id: freshId, eventId: original.eventId, success: true });
    expect(receiver.requests.length).toBe(requestsBefore + 1);
    expect(receiver.requests.at(-1)?.headers['webhook-id']).toBe(original.eventId);
    expect(await page.locator('tr.attempt-new').count()).toBe(1);
    expect(await page.getByText('Page 1', { exact: true }).count()).toBe(1);
    await page.getByText('New attempt: delivered (200).').waitFor();
  });

  it('recovers failed deliveries from its form: the count, then the new attempts', async () => {
    const flaky = await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/hooks/flaky`,
      events: ['api.created'],
    });
    failing.add('/hooks/flaky');
    for (let i = 0; i < 2; i += 1) {
      await request(pipeline.api.http).post(`/webhooks/${flaky.id}/ping`).set(auth).expect(202);
    }
    await waitUntil(
      async () => {
        const [{ n }] = await pipeline.dataSource.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status = 'failed'`,
          [flaky.id],
        );
        return n === 2;
      },
      20_000,
      'both pings to fail for good',
    );
    const failed = await attempts(flaky.id);
    failing.delete('/hooks/flaky');

    // Active, its last attempt failed: failing, in the list and on its page.
    await page.goto(`${harness.origin}/portal/#/webhooks`);
    const listed = page.getByRole('row').filter({ has: page.getByRole('link', { name: flaky.url }) });
    await listed.waitFor();
    expect(await listed.locator('.badges .badge').allTextContents()).toEqual(['Active', 'Failing']);
    await openWebhook(page, flaky);
    await page
      .locator('tr.attempt')
      .nth(failed.length - 1)
      .waitFor();
    const header = page.locator('.page-header');
    expect(await header.locator('.badges .badge').allTextContents()).toEqual(['Active', 'Failing']);
    await page.getByText('The last delivery attempt failed (500)').waitFor();
    await page.getByRole('button', { name: 'Recover failed' }).click();
    await page.getByLabel('Failed in').selectOption('1');
    await page.getByRole('button', { name: 'Send them again' }).click();
    await page.getByText('2 deliveries are being sent again; their attempts appear in the log.').waitFor();
    const made = page.locator('.log-status .notice');
    await made.getByText('2 new attempts: 2 delivered, 0 failed.').waitFor({ timeout: 20_000 });
    await expect(made.getAttribute('class')).resolves.toContain('notice-success');
    // The header follows the attempts: no longer failing.
    await header.locator('.badges .badge').getByText('Failing').waitFor({ state: 'detached' });
    expect(await header.locator('.badges .badge').allTextContents()).toEqual(['Active']);
    expect(await page.getByText('The last delivery attempt failed').count()).toBe(0);
    const known = new Set(failed.map((attempt) => attempt.id));
    const highlighted = await page
      .locator('tr.attempt-new')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-attempt-id')));
    expect(highlighted).toHaveLength(2);
    for (const id of highlighted) expect(known.has(id as string)).toBe(false);
    const now = await attempts(flaky.id);
    expect(now.slice(0, 2).map((attempt) => attempt.id)).toEqual(highlighted);
    expect(now.slice(0, 2).every((attempt) => attempt.success)).toBe(true);
    // The page's last delivery follows.
    await page.locator('.fact').filter({ hasText: 'Last delivery' }).getByText('OK 200').waitFor();
    await screenshot(page, 'recover');
  });

  it('recovers into a 410: the whole page follows the webhook switching itself off', async () => {
    const goneHook = await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/hooks/gone`,
      events: ['api.created'],
    });
    gone.add('/hooks/gone');
    await request(pipeline.api.http).post(`/webhooks/${goneHook.id}/ping`).set(auth).expect(202);
    const reason = async () =>
      (await request(pipeline.api.http).get(`/webhooks/${goneHook.id}`).set(auth).expect(200)).body as {
        active: boolean;
        disabledReason: string | null;
      };
    await waitUntil(async () => (await reason()).disabledReason === 'gone', 20_000, 'the 410 to disable it');
    // Switched on again, while its URL still answers 410.
    await request(pipeline.api.http)
      .put(`/webhooks/${goneHook.id}`)
      .set(auth)
      .send({ active: true })
      .expect(200);

    await openWebhook(page, goneHook);
    await page.locator('tr.attempt').first().waitFor();
    const header = page.locator('.page-header');
    expect(await header.locator('.badges .badge').allTextContents()).toEqual(['Active', 'Failing']);
    await page.getByRole('button', { name: 'Recover failed' }).click();
    await page.getByLabel('Failed in').selectOption('1');
    await page.getByRole('button', { name: 'Send them again' }).click();
    await page.getByText('1 delivery is being sent again; its attempt appears in the log.').waitFor();
    // A failed attempt is shown, and announced, as a failure.
    const made = page.locator('.log-status .notice');
    await made.getByText('New attempt: failed (410).').waitFor({ timeout: 20_000 });
    await expect(made.getAttribute('class')).resolves.toContain('notice-error');
    await expect(made.getAttribute('role')).resolves.toBe('alert');
    expect(await reason()).toEqual(expect.objectContaining({ active: false, disabledReason: 'gone' }));
    // Header, buttons, state notice and details: all from the API's answer after the attempt.
    await header.locator('.badges .badge').getByText('Disabled (gone)').waitFor();
    expect(await header.locator('.badges .badge').allTextContents()).toEqual(['Disabled (gone)']);
    await page.getByText('Disabled: its URL answered 410 Gone. Nothing is delivered until').waitFor();
    expect(await page.getByRole('button', { name: 'Recover failed' }).isVisible()).toBe(false);
    expect(await page.getByLabel('Failed in').count()).toBe(0);
    await page.locator('.fact').filter({ hasText: 'Last delivery' }).getByText('Failed 410').waitFor();
    await screenshot(page, 'recover-gone');
    expect(await accessibilityViolations(page)).toEqual([]);
    gone.delete('/hooks/gone');
  });

  it('shows a paused webhook and one the system disabled, with why', async () => {
    const paused = await createWebhook(pipeline.api.http, auth, {
      url: 'https://paused.example.org/hook',
      events: ['api.created'],
    });
    const gone = await createWebhook(pipeline.api.http, auth, {
      url: 'https://gone.example.org/hook',
      events: ['api.created'],
    });
    await pipeline.dataSource.query(
      `UPDATE webhooks SET paused_until = now() + interval '1 hour', pause_count = 1 WHERE id = $1`,
      [paused.id],
    );
    await pipeline.dataSource.query(
      `UPDATE webhooks SET active = false, disabled_reason = 'gone' WHERE id = $1`,
      [gone.id],
    );

    await page.goto(`${harness.origin}/portal/#/webhooks`);
    const rowOf = (webhook: CreatedWebhook) =>
      page.getByRole('row').filter({ has: page.getByRole('link', { name: webhook.url }) });
    await rowOf(gone).waitFor();
    expect(await rowOf(paused).locator('.badge').allTextContents()).toEqual([
      'Active',
      expect.stringMatching(/^Paused until \w+ \d+, \d{4}/),
    ]);
    expect(await rowOf(gone).locator('.badge').allTextContents()).toEqual(['Disabled (gone)']);
    await screenshot(page, 'webhooks-states');
    expect(await accessibilityViolations(page)).toEqual([]);

    await openWebhook(page, paused);
    await page.getByText(/Deliveries wait until .+, when one probe is sent/).waitFor();
    await openWebhook(page, gone);
    await page.getByText('Disabled: its URL answered 410 Gone. Nothing is delivered until').waitFor();
    expect(await page.getByRole('button', { name: 'Recover failed' }).count()).toBe(0);
    await screenshot(page, 'webhook-disabled');
  });

  it('opens the link `npm run portal -- --sub ID` prints against the running API', async () => {
    const cliSub = `portal-cli-${Date.now()}`;
    const owned = await createWebhook(pipeline.api.http, bearer(mintToken({ sub: cliSub })), {
      url: 'https://cli.example.org/hook',
    });
    const { stdout, stderr } = await run('npx', ['tsx', 'apps/cli/src/portal.ts', '--sub', cliSub], {
      cwd: ROOT,
      timeout: 60_000,
      env: {
        ...process.env,
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        PORT: String(harness.port),
        JWT_SECRET: TEST_JWT_SECRET,
        DATABASE_URL: process.env.EVENT_API_TEST_DATABASE_URL,
        LOG_LEVEL: 'silent',
      },
    });
    expect(stderr).toContain(`Portal link for ${cliSub} (webhook), valid once until`);
    const link = stdout.trim();
    expect(link).toMatch(new RegExp(`^${harness.origin}/portal/login\\?token=[A-Za-z0-9_-]{43}$`));

    const [other, view] = await harness.newPage();
    await view.goto(link);
    await view.getByRole('link', { name: owned.url }).waitFor();
    expect(await view.getByRole('link', { name: hook.url }).count()).toBe(0);
    expect((await other.cookies()).map((cookie) => cookie.name)).toEqual(['portal_session']);
    await other.close();
  });

  it('signs out: the signed-out page, the cookie gone, the portal answering 401', async () => {
    await page.goto(`${harness.origin}/portal/#/webhooks`);
    await page.getByRole('link', { name: hook.url }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Not signed in' }).waitFor();
    const signedOut = await page.locator('main').innerText();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Portal' }).isVisible()).toBe(false);
    expect(await context.cookies()).toEqual([]);
    await screenshot(page, 'signed-out');
    expect(await page.evaluate(async () => (await fetch('/portal/api/webhooks')).status)).toBe(401);
    const again = await page.goto(`${harness.origin}/portal/`);
    expect(again?.status()).toBe(401);
    await page.getByRole('heading', { name: 'Not signed in' }).waitFor();
    // The server's page for the same situation says it in the same words.
    expect(await page.locator('main').innerText()).toBe(signedOut);
  });

  it("writes the README's screenshot: a webhook with a day of attempts, one opened", async () => {
    readme = await createWebhook(pipeline.api.http, auth, {
      url: `${receiver.url}/webhooks/apitree`,
      events: ['api.created', 'release.released', 'release.deprecated'],
      custom: '{"team":"platform"}',
      headers: { Authorization: 'Bearer receiver-credential' },
    });
    await seedHistory(pipeline, readme.id);
    // Today: a few events, one answered 503 once and delivered by its retry.
    const retried = randomUUID();
    failOnce.add(retried);
    for (const [id, name] of [
      [randomUUID(), 'api.created'],
      [retried, 'release.released'],
      [randomUUID(), 'release.deprecated'],
    ] as const) {
      await pipeline.publisher.publish({ ...ownerEvent(sub), id, name });
      await waitUntil(
        async () => (await attempts(readme.id)).some((attempt) => attempt.eventId === id && attempt.success),
        15_000,
        `${name} to be delivered`,
      );
    }

    const [readmeContext, view] = await harness.newPage();
    await view.goto(await harness.portalLink(sub));
    await openWebhook(view, readme);
    await view.locator('tr.attempt').nth(19).waitFor();
    await view.locator('tr.attempt').first().getByRole('button', { name: 'Details' }).click();
    await view.getByRole('rowheader', { name: 'webhook-signature' }).waitFor();
    await expectEvenHourTicks(view);
    await view.mouse.move(0, 0);
    // Down to the log's fourth row: the opened attempt and a few after it.
    await screenshot(view, 'readme-webhook', { until: view.locator('tr.attempt').nth(3) });
    await readmeContext.close();
  });

  it('fits a 390 px wide phone: nothing wider than the screen, the top bar wrapped, the chart legible', async () => {
    const viewport = { width: 390, height: 844 };
    const [phone, view] = await harness.newPage(viewport);
    const fits = async () => {
      expect(await view.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
      // The top bar is at the page's top: where a phone's user finds it after scrolling up.
      await view.evaluate('window.scrollTo(0, 0)');
      const signOut = await view.getByRole('button', { name: 'Sign out' }).boundingBox();
      expect(signOut).not.toBeNull();
      const box = signOut as { x: number; y: number; width: number; height: number };
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
      expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
      expect(await view.getByText('Can manage').isVisible()).toBe(true);
    };
    await view.goto(await harness.portalLink(sub));
    await view.getByRole('link', { name: readme.url }).waitFor();
    await fits();
    await screenshot(view, 'mobile-webhooks');
    expect(await accessibilityViolations(view)).toEqual([]);

    await openWebhook(view, readme);
    await view.locator('tr.attempt').nth(19).waitFor();
    await view.getByText(/\d+ succeeded/).waitFor();
    await fits();
    // The chart's hour labels: text of a readable size, apart from each other, inside the picture.
    const labels = await view
      .locator('svg.chart text')
      .evaluateAll((texts) =>
        texts
          .map((text) => text.getBoundingClientRect())
          .map(({ left, right, top, height }) => ({ left, right, top, height })),
      );
    const hoursAxis = labels.filter((label) => label.top === Math.max(...labels.map((each) => each.top)));
    expect(hoursAxis.length).toBeGreaterThanOrEqual(3);
    const picture = (await view.locator('svg.chart').boundingBox()) as { x: number; width: number };
    await expectEvenHourTicks(view);
    hoursAxis.forEach((label, index) => {
      expect(label.height).toBeGreaterThanOrEqual(10);
      expect(label.left).toBeGreaterThanOrEqual(picture.x);
      expect(label.right).toBeLessThanOrEqual(picture.x + picture.width + 0.5);
      if (index > 0) expect(label.left).toBeGreaterThan(hoursAxis[index - 1].right);
    });
    await screenshot(view, 'mobile-webhook-top', false);
    await view.locator('tr.attempt').first().getByRole('button', { name: 'Details' }).click();
    await view.getByRole('rowheader', { name: 'webhook-signature' }).waitFor();
    await fits();
    await screenshot(view, 'mobile-webhook');
    expect(await accessibilityViolations(view)).toEqual([]);

    await view.getByRole('link', { name: 'Event catalog' }).click();
    await view.getByRole('heading', { name: 'Event catalog' }).waitFor();
    await fits();
    await screenshot(view, 'mobile-events', false);
    await phone.close();
  });
});

/** The chart's hour labels (the bottom row of its text) are the same number of hours apart. */
async function expectEvenHourTicks(view: Page): Promise<void> {
  const texts = await view
    .locator('svg.chart text[text-anchor]')
    .evaluateAll((nodes) =>
      nodes.map((node) => ({ text: node.textContent ?? '', y: Number(node.getAttribute('y')) })),
    );
  const bottom = Math.max(...texts.map((text) => text.y));
  const hours = texts
    .filter((text) => text.y === bottom)
    .map(({ text }) => {
      const [, hour, , half] = /^(\d{1,2}):(\d{2})\s*([AP]M)?$/.exec(text.trim()) ?? [];
      expect(hour).toBeDefined();
      return (Number(hour) % (half ? 12 : 24)) + (half === 'PM' ? 12 : 0);
    });
  expect(hours.length).toBeGreaterThanOrEqual(3);
  const gaps = hours.slice(1).map((hour, index) => (hour - hours[index] + 24) % 24);
  expect(new Set(gaps).size).toBe(1);
}

/** 23 hours of earlier attempts, mostly successful, written straight into the log (no request recorded). */
async function seedHistory(pipeline: Pipeline, webhookId: string): Promise<void> {
  const HOUR_MS = 3_600_000;
  const rows: Array<[string, string, boolean, Date]> = [];
  const names = ['api.created', 'release.released', 'release.deprecated'];
  for (let hoursAgo = 23; hoursAgo >= 1; hoursAgo -= 1) {
    const succeeded = 2 + ((hoursAgo * 7) % 6);
    const failed = hoursAgo % 5 === 0 ? 2 : hoursAgo % 3 === 0 ? 1 : 0;
    for (let i = 0; i < succeeded + failed; i += 1) {
      const at = new Date(Date.now() - hoursAgo * HOUR_MS + i * 97_000);
      rows.push([randomUUID(), names[(hoursAgo + i) % names.length], i >= succeeded, at]);
    }
  }
  const events = rows.map(() => randomUUID());
  await pipeline.dataSource.query(
    `INSERT INTO events (id, name, body) SELECT unnest($1::text[]), unnest($2::text[]), '{}'`,
    [events, rows.map(([, name]) => name)],
  );
  await pipeline.dataSource.query(
    `INSERT INTO deliveries (id, event_id, webhook_id, status, attempts, next_attempt_at)
     SELECT unnest($1::uuid[]), unnest($2::text[]), $3, unnest($4::text[]), 1, now()`,
    [
      rows.map(([id]) => id),
      events,
      webhookId,
      rows.map(([, , failed]) => (failed ? 'failed' : 'succeeded')),
    ],
  );
  await pipeline.dataSource.query(
    `INSERT INTO delivery_attempts (id, delivery_id, webhook_id, event_id, event_name, attempt, success,
       status_code, response, duration_ms, created_at)
     SELECT gen_random_uuid(), d, $1, e, n, 1, NOT f, CASE WHEN f THEN 502 ELSE 200 END,
            CASE WHEN f THEN 'Bad Gateway' ELSE '{"received":true}' END, 40 + (random() * 180)::int, t
       FROM unnest($2::uuid[], $3::text[], $4::text[], $5::boolean[], $6::timestamptz[]) AS s(d, e, n, f, t)`,
    [
      webhookId,
      rows.map(([id]) => id),
      events,
      rows.map(([, name]) => name),
      rows.map(([, , failed]) => failed),
      rows.map(([, , , at]) => at),
    ],
  );
}
