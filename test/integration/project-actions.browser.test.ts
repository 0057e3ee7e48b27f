import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cspViolations, launchChromium, recordingContext, screenshots } from '../helpers/browser';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';

/**
 * A project's secretary runs the project from its page in Chromium (signed in with a key through the
 * sign-in form): raises a problem and assigns it, urges a department (a second urging the same day is
 * refused in Chinese beside the form), records a service-log entry, and tailors the plan after a
 * preview of what it does to the schedule. Each step's banner says what changed; the API confirms it.
 * Screenshots go to test-output/.
 */

const out = screenshots;
let g: Greenlane;
let browser: Browser;
let page: Page;
let secretaryKey = '';
let code = '';
let openItem = { code: '', department: '' };
let leaf = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  secretaryKey = (await g.keyFor('secretary', { person: 'sec-pa' })).key;
  const leader = (await g.keyFor('leader', { person: 'leader-pa' })).personId!;
  code = `PA-${g.tag}`;
  const reg = await g.call('POST', '/projects', secretaryKey, {
    code,
    name: '市民文化中心',
    templateId: 'gov-building',
    leader,
  });
  expect(reg.status).toBe(201);
  const view = (await g.call('GET', `/projects/${code}`, secretaryKey)).body;
  const items = view.plan.items as { code: string; department: string; prerequisites: string[] }[];
  openItem = items.find((i) => view.items[i.code].status === 'ready')!;
  const required = new Set(items.flatMap((i) => i.prerequisites));
  leaf = items.find((i) => !required.has(i.code) && view.items[i.code].status === 'waiting')!.code;
  browser = await launchChromium();
  page = await (await recordingContext(browser)).newPage();
});

afterAll(async () => {
  await browser?.close();
  await g?.stop();
});

const banner = () => page.locator('#action-result');
const live = async () => (await g.call('GET', `/projects/${code}`, secretaryKey)).body;
const submit = (form: ReturnType<Page['locator']>, done: string) =>
  Promise.all([page.waitForURL(new RegExp(`done=${done}`)), form.locator('button[type=submit]').click()]);

describe('a secretary runs a project from its page in Chromium', () => {
  it('raises, assigns, follows up and solves a problem, urges a department, logs a visit, and tailors the plan after a preview', async () => {
    await page.goto(`${g.url}/ui/login`);
    await page.fill('#key', secretaryKey);
    await Promise.all([page.waitForURL(/\/ui$/), page.click('button[type=submit]')]);
    await page.goto(`${g.url}/ui/projects/${code}`);

    // 钉住不放: raise, then assign to the department of the open item.
    const raise = page.locator('#raise-form');
    await raise.locator('input[name=title]').fill('施工便道未接通');
    await raise.locator('textarea[name=description]').fill('需交通局协调临时便道');
    await submit(raise, 'raise');
    expect(await banner().textContent()).toContain('已提出问题 P1「施工便道未接通」');
    const assign = page.locator('tr[data-problem="P1"] form[data-form="assign"]');
    await assign.locator('select[name=ownerDepartment]').selectOption(openItem.department);
    await submit(assign, 'assign');
    expect(await banner().textContent()).toContain(`已分派问题 P1`);
    const problems = (await g.call('GET', `/projects/${code}/problems`, secretaryKey)).body.problems;
    expect(
      problems.map((p: { id: string; status: string; ownerDepartment: string }) => [
        p.id,
        p.status,
        p.ownerDepartment,
      ]),
    ).toEqual([['P1', 'assigned', openItem.department]]);

    // Its progress with a new deadline, then solved.
    const deadline = new Date(Date.now() + 8 * 3_600_000 + 14 * 86_400_000).toISOString().slice(0, 10);
    const progress = page.locator('tr[data-problem="P1"] form[data-form="plan"]');
    await progress.locator('textarea[name=solution]').fill('交通局已同意临时便道方案');
    await progress.locator('input[name=deadline]').fill(deadline);
    await submit(progress, 'plan');
    expect(await banner().textContent()).toContain(`时限 ${deadline}`);
    const solved = page.locator('tr[data-problem="P1"] form[data-form="resolve"]');
    await solved.locator('textarea[name=resolution]').fill('便道已接通');
    await submit(solved, 'resolve');
    expect(await banner().textContent()).toContain('已标记问题解决 P1');
    const p1 = (await g.call('GET', `/projects/${code}/problems`, secretaryKey)).body.problems[0];
    expect([p1.status, p1.solution, p1.resolution, p1.deadlineDate]).toEqual([
      'resolved',
      '交通局已同意临时便道方案',
      '便道已接通',
      deadline,
    ]);

    // 催办: the open item's department; the urging is listed on the page.
    const urge = page.locator(`#urge-items tr[data-item="${openItem.code}"] form[data-form="urge"]`);
    await urge.locator('input[name=note]').fill('请本周内完成');
    await submit(urge, 'urge');
    expect(await banner().textContent()).toContain(`已催办 ${openItem.department}`);
    expect(await page.locator('#urgings tbody tr').count()).toBe(1);
    await page.screenshot({ path: `${out}project-actions-urged.png`, fullPage: true });
    // Again the same day, from the redrawn form: refused in Chinese beside it, what was typed kept.
    await urge.locator('input[name=note]').fill('再次催办');
    const [refusal] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/ui/projects/${code}/urgings`)),
      urge.locator('button[type=submit]').click(),
    ]);
    expect(refusal.status()).toBe(409);
    expect(await page.locator('#refused-form .refusal').textContent()).toContain('本工作日已催办过');
    expect(await page.locator('#refused-form input[name=note]').inputValue()).toBe('再次催办');
    const urgings = (await g.call('GET', `/projects/${code}/urgings`, secretaryKey)).body.urgings;
    expect(urgings.map((u: { item: string; note: string }) => [u.item, u.note])).toEqual([
      [openItem.code, '请本周内完成'],
    ]);

    // 服务日志.
    await page.goto(`${g.url}/ui/projects/${code}`);
    const log = page.locator('#log-form');
    await log.locator('select[name=contactType]').selectOption('visit');
    await log.locator('textarea[name=participants]').fill('王芳（项目秘书）\n张工（建设单位）');
    await log.locator('textarea[name=outcome]').fill('现场核实便道走向');
    await submit(log, 'log');
    expect(await banner().textContent()).toContain('已记录服务日志');
    const entries = (await g.call('GET', `/projects/${code}/service-log`, secretaryKey)).body.entries;
    expect(
      entries.map((e: { participants: string[]; contactType: string }) => [e.contactType, e.participants]),
    ).toEqual([['visit', ['王芳（项目秘书）', '张工（建设单位）']]]);

    // 调整计划: the preview first (nothing changes), then the confirming post.
    const before = await live();
    const amend = page.locator('#amend-form');
    await amend.locator('select[name=waive]').selectOption(leaf);
    await amend.locator('textarea[name=reason]').fill('该事项不适用');
    await Promise.all([page.waitForURL(/plan-preview$/), amend.locator('button[type=submit]').click()]);
    expect(await page.locator('#permit-before').textContent()).toBe(before.baseline.permitFinish);
    expect(await page.locator(`#preview-items tr[data-item="${leaf}"] td`).nth(2).textContent()).toBe('—');
    expect((await live()).plan.items).toHaveLength(before.plan.items.length);
    await page.screenshot({ path: `${out}project-actions-plan-preview.png`, fullPage: true });
    const permitAfter = await page.locator('#permit-after').textContent();
    await submit(page.locator('#amend-confirm'), 'amend');
    expect(await banner().textContent()).toContain(`撤销 ${leaf}`);
    const after = await live();
    expect(after.plan.items).toHaveLength(before.plan.items.length - 1);
    expect(after.baseline.permitFinish).toBe(permitAfter);
    await page.screenshot({ path: `${out}project-actions-amended.png`, fullPage: true });

    const audit = (await g.call('GET', `/projects/${code}/audit`, secretaryKey)).body.entries as {
      action: string;
    }[];
    expect(audit.map((e) => e.action)).toEqual([
      'project.register',
      'problem.raise',
      'problem.assign',
      'problem.plan',
      'problem.resolve',
      'item.urge',
      'service.log',
      'project.amend',
    ]);
    expect(await cspViolations(page)).toEqual([]);
  });
});
