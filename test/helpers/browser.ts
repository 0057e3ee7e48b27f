import { mkdirSync } from 'node:fs';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core';

/**
 * Debian's Chromium for the browser tests, with every Content-Security-Policy violation on a page
 * recorded where the test can read it (`cspViolations(page)`), and the folder the screenshots go to.
 */

export const screenshots = new URL('../../test-output/', import.meta.url).pathname;

export async function launchChromium(): Promise<Browser> {
  mkdirSync(screenshots, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A context whose pages record CSP violations; desktop size and Chinese unless `options` say otherwise. */
export async function recordingContext(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    locale: 'zh-CN',
    ...options,
  });
  await context.addInitScript(() => {
    const w = globalThis as unknown as {
      cspViolations: string[];
      document: { addEventListener(t: string, f: (e: { violatedDirective: string }) => void): void };
    };
    w.cspViolations = [];
    w.document.addEventListener('securitypolicyviolation', (e) => w.cspViolations.push(e.violatedDirective));
  });
  return context;
}

export const cspViolations = (page: Page): Promise<string[]> =>
  page.evaluate(() => (globalThis as unknown as { cspViolations: string[] }).cspViolations);
