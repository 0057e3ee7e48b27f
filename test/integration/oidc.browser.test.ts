import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/toolchain';
import { cspViolations, launchChromium, recordingContext, screenshots } from '../helpers/browser';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { startTestProvider, type TestProvider } from '../helpers/oidc-provider';

/**
 * Signing in to the dashboard with the organisation's identity, in a real browser (Debian's Chromium,
 * driven by playwright-core) against a real OpenID Provider (oidc-provider, in this process on
 * loopback): the sign-in page offers it, the provider's login and consent pages are filled, the board
 * greets the person by name with their role from the directory; signing out ends the session at the
 * provider too (a new sign-in asks for credentials again); an identity linked to nobody gets a clear
 * page. Our pages keep their strict CSP throughout. Screenshots go to test-output/.
 */

const out = screenshots;
let g: Greenlane;
let provider: TestProvider;
let browser: Browser;
let page: Page;
let subject = '';

beforeAll(async () => {
  const port = await freePort();
  provider = await startTestProvider(`http://127.0.0.1:${port}`);
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
    env: { API_PORT: String(port), OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: provider.clientId },
  });
  const operator = (await g.keyFor('operator')).key;
  const { personId } = await g.keyFor('leader', { person: 'oidc-ui-leader' });
  await g.db.updateTable('people').set({ name: '陈思远' }).where('id', '=', personId!).execute();
  subject = `chen.siyuan-${g.tag}`;
  const linked = await g.call('PUT', `/people/${personId}/identity`, operator, { subject });
  expect(linked.status).toBe(200);

  browser = await launchChromium();
  page = await (
    await recordingContext(browser, { viewport: { width: 1200, height: 800 }, locale: 'zh-CN' })
  ).newPage();
});

afterAll(async () => {
  await browser?.close();
  await g?.stop();
  await provider?.stop();
});

const atProvider = (url: URL) => url.origin === provider.issuer;
const atGreenlane = (path: string) => (url: URL) => url.origin === g.url && url.pathname === path;

/** From the sign-in page to the provider's login form. */
async function toProvider() {
  await page.goto(`${g.url}/ui/login`);
  expect(await page.locator('#oidc-login').textContent()).toBe('使用统一身份认证登录');
  await Promise.all([page.waitForURL(atProvider, { waitUntil: 'commit' }), page.click('#oidc-login')]);
  await page.waitForSelector('input[name=login]');
}

/** The provider's development login and consent pages, as a person fills them. */
async function atProviderSignIn(login: string, landing: string) {
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await Promise.all([
    page.waitForURL(/\/interaction\//, { waitUntil: 'commit' }),
    page.click('button.login-submit'),
  ]);
  await page.waitForSelector('input[name=prompt][value=consent]', { state: 'attached' });
  await Promise.all([
    page.waitForURL(atGreenlane(landing), { waitUntil: 'domcontentloaded' }),
    page.click('button.login-submit'),
  ]);
}

describe('signing in with the organisation identity in Chromium', () => {
  it('signs a linked person in through the provider, shown by name with the role of the directory', async () => {
    await page.goto(`${g.url}/ui/login`);
    await page.screenshot({ path: `${out}oidc-login-page.png`, fullPage: true });
    expect(await cspViolations(page)).toEqual([]);
    await toProvider();
    await atProviderSignIn(subject, '/ui');
    await expect(page.locator('header nav span').textContent()).resolves.toBe('陈思远（责任领导）');
    expect(await cspViolations(page)).toEqual([]);
    const cookies = await page.context().cookies(g.url);
    const session = cookies.find((c) => c.name === 'greenlane_session');
    expect([session?.httpOnly, session?.sameSite]).toEqual([true, 'Lax']);
    expect(cookies.find((c) => c.name === 'greenlane_oidc')).toBeUndefined();
    await page.screenshot({ path: `${out}oidc-signed-in.png`, fullPage: true });
  });

  it('signs out here and at the provider: the next sign-in asks for credentials again', async () => {
    await Promise.all([
      page.waitForURL(atProvider, { waitUntil: 'commit' }),
      page.click('form.logout button[type=submit]'),
    ]);
    // The provider asks to confirm its own sign-out, then sends the browser back to our sign-in page.
    await Promise.all([
      page.waitForURL(atGreenlane('/ui/login'), { waitUntil: 'domcontentloaded' }),
      page.click('button[name=logout][value=yes]'),
    ]);
    expect((await page.context().cookies(g.url)).find((c) => c.name === 'greenlane_session')).toBeUndefined();
    await page.goto(`${g.url}/ui`);
    expect(new URL(page.url()).pathname).toBe('/ui/login');
    await toProvider();
    expect(await page.locator('input[name=password]').count()).toBe(1);
  });

  it('an identity linked to nobody sees why, and whom to ask, in Chinese', async () => {
    const stranger = `stranger-${g.tag}`;
    await atProviderSignIn(stranger, '/ui/login/oidc/callback');
    await expect(page.locator('#oidc-refused h1').textContent()).resolves.toBe('账号尚未关联');
    const text = (await page.locator('#oidc-refused').textContent()) ?? '';
    expect(text).toContain('请联系服务中心');
    expect(text).toContain(stranger);
    expect(await cspViolations(page)).toEqual([]);
    await page.screenshot({ path: `${out}oidc-unknown-identity.png`, fullPage: true });
    expect((await page.context().cookies(g.url)).find((c) => c.name === 'greenlane_session')).toBeUndefined();
  });
});
