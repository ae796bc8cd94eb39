import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { AxeResults } from 'axe-core';
import { Browser, BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { bearer, mintToken } from '@app/testing';
import { createPipeline, Pipeline, pipelineEnv } from './pipeline';

/** Debian's chromium (README → Development → Testing); CI installs it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * The browser suite runs wherever chromium is installed. Locally without it the suite is skipped with
 * a message; with PORTAL_BROWSER_TESTS=required (`.ci/run` sets it) or `CI` set, a missing browser fails
 * the run instead of passing silently (README → Development → Testing).
 */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.PORTAL_BROWSER_TESTS === 'required' || process.env.CI)
    throw new Error(
      `${CHROMIUM} is missing: the portal's browser tests need Debian's chromium (apt-get install chromium)`,
    );
  console.warn(
    `Skipping the portal's browser tests: ${CHROMIUM} is not installed (apt-get install chromium)`,
  );
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Screenshots for people to look at (gitignored). */
export const SCREENSHOTS = join(__dirname, '..', '..', '..', 'test-output', 'portal');

/** The whole page (`true`), the viewport (`false`), or the page from its top down to `until`'s bottom edge. */
export async function screenshot(
  page: Page,
  name: string,
  area: boolean | { until: Locator } = true,
): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  if (typeof area === 'boolean') {
    await page.screenshot({ path, fullPage: area });
    return;
  }
  // Box coordinates are the viewport's: at the top of the page they are the page's.
  await page.evaluate('window.scrollTo(0, 0)');
  const box = await area.until.boundingBox();
  if (!box) throw new Error(`${name}: the element to clip to is not visible`);
  const width = page.viewportSize()?.width ?? 1280;
  const height = Math.ceil(box.y + box.height) + 8;
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height } });
}

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's serious and critical violations on the page as it is. The source is evaluated through the
 * DevTools protocol (as a console would), which the page's CSP does not govern: the page keeps its real
 * policy, and the CSP assertions of the same suite stay meaningful.
 */
export async function accessibilityViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  // A string, evaluated in the page: these test files are compiled without the DOM's types.
  const results = await page.evaluate<AxeResults>("axe.run(document, { resultTypes: ['violations'] })");
  const violations = results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact ?? null,
    help: violation.help,
    nodes: violation.nodes.map((node) => String(node.target)),
  }));
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** The API and the worker with the API on a real port, and a browser to open it in. */
export interface PortalHarness {
  pipeline: Pipeline;
  /** `http://127.0.0.1:<port>`: where the browser and `npm run portal` reach the API. */
  origin: string;
  port: number;
  browser: Browser;
  /** Page errors and CSP violations of every page opened; each spec expects none after each test. */
  pageErrors: string[];
  /** A one-time link for `sub`, minted as ApiTree's dashboard does. */
  portalLink(sub: string, scope?: string): Promise<string>;
  /** A fresh browser context (no cookies) and a page in it, 1280×800 unless `viewport` says otherwise. */
  newPage(viewport?: { width: number; height: number }): Promise<[BrowserContext, Page]>;
  close(): Promise<void>;
}

export async function startPortalHarness(name: string): Promise<PortalHarness> {
  const pipeline = await createPipeline(pipelineEnv(name));
  const server = pipeline.api.app.getHttpServer() as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const browser = await launchBrowser();
  const pageErrors: string[] = [];
  return {
    pipeline,
    origin,
    port,
    browser,
    pageErrors,
    async portalLink(sub, scope = 'webhook') {
      const response = await fetch(`${origin}/portal/sessions`, {
        method: 'POST',
        headers: bearer(mintToken({ sub, scope, nickname: 'jdoe' })),
      });
      if (response.status !== 201) throw new Error(`POST /portal/sessions answered ${response.status}`);
      return ((await response.json()) as { url: string }).url;
    },
    async newPage(viewport = { width: 1280, height: 800 }) {
      const context = await browser.newContext({ viewport });
      // Fail within a test's time with playwright's own message (what it waited for), not jest's timeout.
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
          pageErrors.push(message.text());
        }
      });
      return [context, page];
    },
    async close() {
      await browser.close();
      await pipeline.close();
    },
  };
}
