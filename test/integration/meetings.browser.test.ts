import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cspViolations, launchChromium, recordingContext, screenshots } from '../helpers/browser';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * A project secretary runs a special coordination meeting from the dashboard in Chromium: convenes it
 * (the agenda drafted from the record names the unowned problem), records the minutes that give the
 * problem to 自然资源局 with a deadline, and sees the decision executed in the project's workflow.
 * Screenshots go to test-output/.
 */

const out = screenshots;
let g: Greenlane;
let browser: Browser;
let page: Page;
let secretaryKey = '';
let code = '';
let problemId = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-mb' });
  secretaryKey = sec.key;
  const leader = (await g.keyFor('leader', { person: 'leader-mb' })).personId!;
  code = `MB-${g.tag}`;
  const reg = await g.call('POST', '/projects', sec.key, {
    code,
    name: '滨江会展中心',
    templateId: 'gov-building',
    leader,
  });
  expect(reg.status).toBe(201);
  const raised = await g.call('POST', `/projects/${code}/problems`, sec.key, {
    title: '高压线迁改未定方案',
    description: '地块东侧 110kV 线路需迁改，供电公司尚未出方案',
  });
  expect(raised.status, JSON.stringify(raised.body)).toBe(201);
  problemId = raised.body.problem.id;
  await until(
    () => g.db.selectFrom('problems').select('problem_id').where('project_code', '=', code).execute(),
    (rows) => rows.length === 1,
    'the problem in the read model',
  );
  browser = await launchChromium();
  page = await (await recordingContext(browser)).newPage();
});

afterAll(async () => {
  await browser?.close();
  await g?.stop();
});

describe('a secretary runs a coordination meeting on the dashboard', () => {
  it('convenes it, records the minutes, and the problem gets its owner and deadline in the workflow', async () => {
    await page.goto(`${g.url}/ui/login`);
    await page.fill('#key', secretaryKey);
    await Promise.all([page.waitForURL(/\/ui$/), page.click('button[type=submit]')]);
    await Promise.all([page.waitForURL(/\/ui\/meetings$/), page.click('nav a[href="/ui/meetings"]')]);
    // A secretary convenes special meetings only.
    expect(await page.locator('#convene select[name=kind] option').allTextContents()).toEqual(['专题协调会']);
    await page.fill('#convene input[name=heldOn]', '2026-12-08');
    await page.fill('#convene input[name=projectCode]', code);
    await Promise.all([page.waitForURL(/\/ui\/meetings\/\d+$/), page.click('#convene button[type=submit]')]);
    expect(await page.locator('h1').textContent()).toBe('专题协调会（滨江会展中心） 2026-12-08');
    const line = page.locator('#agenda tr[data-kind="problem-unowned"]');
    expect(await line.locator('td').nth(2).textContent()).toContain('「高压线迁改未定方案」：尚无责任单位');
    const no = await line.getAttribute('data-line');
    await page.screenshot({ path: `${out}meeting-agenda.png`, fullPage: true });

    await page.fill('#minutes textarea[name=notes]', '供电公司、自然资源局到会');
    await page.selectOption(`#minutes select[name="kind-${no}"]`, 'assign-problem');
    await page.fill(`#minutes input[name="department-${no}"]`, 'ZRZY');
    await page.fill(`#minutes input[name="date-${no}"]`, '2099-06-30');
    await page.fill(`#minutes input[name="text-${no}"]`, '自然资源局牵头，会同供电公司确定迁改路由');
    await Promise.all([page.waitForURL(/\/ui\/meetings\/\d+$/), page.click('#minutes button[type=submit]')]);
    const decision = page.locator('#decisions tr[data-decision="1"]');
    expect(await decision.getAttribute('data-state')).toBe('applied');
    expect((await decision.locator('td').allTextContents()).slice(3)).toEqual([
      '已执行',
      '推进中',
      `问题 ${problemId} · 期限 2099-06-30`,
    ]);
    expect(await page.locator('#minutes-notes').textContent()).toBe('供电公司、自然资源局到会');
    await page.screenshot({ path: `${out}meeting-minutes.png`, fullPage: true });
    expect(await cspViolations(page)).toEqual([]);

    const live = await g.call('GET', `/projects/${code}`, secretaryKey);
    const problem = live.body.problems[problemId];
    expect([problem.ownerDepartment, problem.deadlineDate]).toEqual(['ZRZY', '2099-06-30']);
  });
});
