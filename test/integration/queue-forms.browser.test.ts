import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cspViolations, launchChromium, recordingContext, screenshots } from '../helpers/browser';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * A clerk of 发展和改革委员会 takes a project proposal from 受理 to 办结 on the queue page in Chromium
 * (signed in with a key through the sign-in form), a double submit of a form applies once, and a
 * decision from a stale page is refused in Chinese. Screenshots go to test-output/.
 */

const out = screenshots;
let g: Greenlane;
let browser: Browser;
let page: Page;
let operatorKey = '';
let fgw = '';
let code = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  operatorKey = (await g.keyFor('operator')).key;
  fgw = (await g.keyFor('department', { department: 'FGW' })).key;
  const sec = await g.keyFor('secretary', { person: 'sec-qb' });
  const leader = (await g.keyFor('leader', { person: 'leader-qb' })).personId!;
  code = `QB-${g.tag}`;
  const reg = await g.call('POST', '/projects', sec.key, {
    code,
    name: '市第二人民医院扩建',
    templateId: 'gov-building',
    leader,
  });
  expect(reg.status).toBe(201);
  const submit = await g.call('POST', `/projects/${code}/items/PROPOSAL/decisions`, sec.key, {
    action: 'submit',
  });
  expect(submit.status).toBe(200);
  // The queue is the read model's, written a moment after the workflow took the submission.
  await until(
    () => g.call('GET', '/departments/FGW/queue', fgw),
    (r) => r.body.items.some((i: { projectCode: string }) => i.projectCode === code),
    'the proposal in the queue of FGW',
  );
  browser = await launchChromium();
  // A context of its own: the stale page is a second tab of the same signed-in browser.
  page = await (await recordingContext(browser)).newPage();
});

afterAll(async () => {
  await browser?.close();
  await g?.stop();
});

const forms = (p: Page) => p.locator(`tr[data-decisions="${code}/PROPOSAL"] form.decision`);
const form = (p: Page, action: string) =>
  p.locator(`tr[data-decisions="${code}/PROPOSAL"] form.decision[data-action="${action}"]`);

const audited = async (action: string) =>
  ((await g.call('GET', `/projects/${code}/audit`, operatorKey)).body.entries as { action: string }[]).filter(
    (e) => e.action === action,
  ).length;

describe('a clerk decides from the queue page in Chromium', () => {
  it('accepts (a double submit applied once), approves, sees what opened, and is refused in Chinese from a stale page', async () => {
    await page.goto(`${g.url}/ui/login`);
    await page.fill('#key', fgw);
    await Promise.all([page.waitForURL(/\/ui\/departments\/FGW$/), page.click('button[type=submit]')]);
    // The queue a page at a time, most urgent first: this project's items, as a link to it shows them.
    await page.goto(`${g.url}/ui/departments/FGW?project=${code}`);
    const row = page.locator(`#queue tr[data-item="PROPOSAL"][data-project="${code}"]`);
    expect((await row.locator('td').allTextContents())[3]).toBe('已申报');
    // Submitted: what the workflow allows now, and not approval before acceptance.
    const offered = await forms(page).evaluateAll((fs) =>
      fs.map((f) => (f as unknown as { dataset: { action: string } }).dataset.action),
    );
    expect(offered).toEqual(expect.arrayContaining(['accept', 'return', 'reject']));
    expect(offered).not.toContain('approve');

    // 受理, sent twice: the click, and the same form's fields posted again at the same moment.
    const accept = form(page, 'accept');
    await accept.locator('input[name=note]').fill('发改受理〔2026〕8号');
    const fields = Object.fromEntries(
      await accept
        .locator('input')
        .evaluateAll((is) =>
          is.map((i) => [(i as unknown as { name: string }).name, (i as unknown as { value: string }).value]),
        ),
    ) as Record<string, string>;
    const [, again] = await Promise.all([
      page.waitForURL(/decided=/),
      page.context().request.post(`${g.url}/ui/departments/FGW/decisions`, { form: fields, maxRedirects: 0 }),
      accept.locator('button[type=submit]').click(),
    ]);
    expect(again.status()).toBe(303);
    expect(await page.locator('#decision-result').getAttribute('data-action')).toBe('accept');
    expect((await row.locator('td').allTextContents())[3]).toBe('已受理');
    expect(await audited('item.accept')).toBe(1);
    await page.screenshot({ path: `${out}queue-forms-accepted.png`, fullPage: true });
    expect((await g.call('GET', `/projects/${code}`, operatorKey)).body.items.PROPOSAL.status).toBe(
      'accepted',
    );

    // A second tab keeps this page (its 办结 form) while the first approves.
    const stale = await page.context().newPage();
    await stale.goto(page.url());
    await form(stale, 'approve').waitFor();

    // 办结 with the document number; the page names what the approval opened.
    await form(page, 'approve').locator('input[name=documentNo]').fill('发改审批〔2026〕12号');
    await Promise.all([
      page.waitForURL(/decided=.*approve/),
      form(page, 'approve').locator('button[type=submit]').click(),
    ]);
    const result = page.locator('#decision-result');
    expect(await result.getAttribute('data-action')).toBe('approve');
    expect(await result.textContent()).toContain('已对「市第二人民医院扩建」（');
    const opened = await page
      .locator('#opened li')
      .evaluateAll((ls) => ls.map((l) => (l as unknown as { dataset: { item: string } }).dataset.item));
    const live = (await g.call('GET', `/projects/${code}`, operatorKey)).body;
    expect(live.items.PROPOSAL.status).toBe('approved');
    expect(live.items.PROPOSAL.documentNo).toBe('发改审批〔2026〕12号');
    expect(opened.length).toBeGreaterThan(0);
    for (const item of opened) expect(live.items[item].status).toBe('ready');
    expect(await row.count()).toBe(0); // done: out of the queue
    await page.screenshot({ path: `${out}queue-forms.png`, fullPage: true });

    // The stale tab's 办结: the workflow refuses; the page says why in Chinese.
    await form(stale, 'approve').locator('input[name=documentNo]').fill('发改审批〔2026〕13号');
    await form(stale, 'approve').locator('button[type=submit]').click();
    const refusal = stale.locator('#refusal');
    await refusal.waitFor();
    expect(await refusal.textContent()).toBe(
      `${code} PROPOSAL：该事项当前为「已办结」，不能办结（仅在已受理时可办结）。请以本页最新状态为准。`,
    );
    expect((await g.call('GET', `/projects/${code}`, operatorKey)).body.items.PROPOSAL.documentNo).toBe(
      '发改审批〔2026〕12号',
    );
    expect(await audited('item.approve')).toBe(1);
    await stale.screenshot({ path: `${out}queue-forms-refused.png`, fullPage: true });
    expect(await cspViolations(page)).toEqual([]);
    expect(await cspViolations(stale)).toEqual([]);
  });
});
