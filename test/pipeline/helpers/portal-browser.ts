import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AxeResults } from 'axe-core';
import { Browser, chromium, Page } from 'playwright-core';

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

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
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
