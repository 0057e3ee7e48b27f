import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { jsonb } from '../../db/schema';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/temporal';
import { cspViolations, launchChromium, recordingContext, screenshots } from '../helpers/browser';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';

/**
 * The dashboard and the Temporal UI in a real browser (Debian's Chromium, driven by playwright-core):
 * the projects board and a project's Gantt render with the right colours and numbers, and the Temporal UI
 * lists the project and filters it by a search attribute; operators keep the directory on the people
 * page and hand a leaving leader over. Screenshots go to test-output/.
 */

const out = screenshots;
let temporal: TemporalDevServer;
let g: Greenlane;
let browser: Browser;
let page: Page;
let operatorKey = '';
let leader = '';
let code = '';

beforeAll(async () => {
  // A dev server of its own, with the Temporal UI (the shared one is headless).
  temporal = await startTemporalDevServer({ headless: false });
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: temporal.address,
    temporalUiUrl: temporal.uiUrl,
  });
  operatorKey = (await g.keyFor('operator')).key;
  const sec = await g.keyFor('secretary', { person: 'sec-ui' });
  leader = (await g.keyFor('leader', { person: 'leader-ui' })).personId!;
  // People are shown by name (their id in the tooltip).
  await g.db.updateTable('people').set({ name: '李建国' }).where('id', '=', leader).execute();
  await g.db.updateTable('people').set({ name: '王敏' }).where('id', '=', sec.personId!).execute();
  code = `UI-${g.tag}`;
  const reg = await g.call('POST', '/projects', sec.key, {
    code,
    name: '市第一人民医院新院区',
    templateId: 'gov-building',
    leader,
    targetStart: '2028-06-30',
  });
  expect(reg.status).toBe(201);
  // A project whose target start the plan can never meet: said beside the colour, not as red.
  const short = await g.call('POST', '/projects', sec.key, {
    code: `SHORT-${g.tag}`,
    name: '应急物资储备中心',
    templateId: 'social-industrial',
    leader,
    targetStart: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10),
  });
  expect([short.status, short.body.schedule.targetFeasible]).toEqual([201, false]);
  // The proposal approved; the EIA accepted (its clock running).
  const decide = async (item: string, department: string, actions: Record<string, unknown>[]) => {
    const dept = (await g.keyFor('department', { department })).key;
    for (const body of actions) {
      const key = body.action === 'submit' ? sec.key : dept;
      const r = await g.call('POST', `/projects/${code}/items/${item}/decisions`, key, body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
  };
  await decide('PROPOSAL', 'FGW', [
    { action: 'submit' },
    { action: 'accept' },
    { action: 'approve', documentNo: '发改〔2026〕1号' },
  ]);
  await decide('EIA', 'STHJ', [{ action: 'submit' }, { action: 'accept' }]);
  // A second project as the read model holds it after its red card (the board renders the read model).
  await g.db
    .insertInto('projects')
    .values({
      code: `RED-${g.tag}`,
      name: '临港物流园',
      category: 'social',
      template_id: 'social-industrial',
      secretary: 'sec-ui-other',
      leader,
      target_start: null,
      stage: 2,
      status: 'active',
      overdue_items: 2,
      escalation_level: 3,
      revision: 1,
      snapshot: jsonb({}),
    })
    .execute();
  browser = await launchChromium();
  page = await (await recordingContext(browser)).newPage();
});

afterAll(async () => {
  await browser?.close();
  await g?.stop();
  await temporal?.stop();
});

/** Runs in the page: the element's computed background colour (the tsconfig has no DOM types). */
const backgroundColour = (e: unknown): string =>
  (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(e)
    .backgroundColor;

async function login(key: string) {
  await page.goto(`${g.url}/ui/login`);
  await page.fill('#key', key);
  await Promise.all([page.waitForURL(/\/ui(\/|$)/), page.click('button[type=submit]')]);
}

describe('the battle-map dashboard in Chromium', () => {
  it('leads a newcomer from / to the sign-in, the API documentation and the health', async () => {
    const res = await page.goto(`${g.url}/`);
    expect(res?.status()).toBe(200);
    const links = await page
      .locator('#start a')
      .evaluateAll((as) =>
        as.map((a) => (a as unknown as { getAttribute(n: string): string }).getAttribute('href')),
      );
    expect(links).toEqual(['/ui/login', '/docs', '/openapi.json', '/healthz']);
    await page.screenshot({ path: `${out}dashboard-landing.png`, fullPage: true });
    await Promise.all([page.waitForURL(/\/ui\/login/), page.click('#start a:has-text("登录挂图作战")')]);
    expect(await cspViolations(page)).toEqual([]);
  });

  it('refuses a wrong key and shows the board with each project in its colour', async () => {
    await page.goto(`${g.url}/ui`);
    expect(page.url()).toContain('/ui/login');
    await page.fill('#key', 'gl_000000000000_nope');
    await page.click('button[type=submit]');
    await expect(page.locator('.error').textContent()).resolves.toContain('密钥无效');

    await login(operatorKey);
    // The read model catches up with the workflow a moment after the decisions.
    await page.waitForSelector(`tr[data-project="${code}"]`);
    const row = page.locator(`tr[data-project="${code}"]`);
    expect(await row.getAttribute('data-colour')).toBe('green');
    expect(await row.locator('td.overdue').textContent()).toBe('0');
    expect(await row.textContent()).toContain('阶段1');
    expect(await row.textContent()).toMatch(/\d+ 个工作日/); // countdown to the target start
    const red = page.locator(`tr[data-project="RED-${g.tag}"]`);
    expect(await red.getAttribute('data-colour')).toBe('red');
    expect(await red.locator('td.overdue').textContent()).toBe('2');
    expect(await red.locator('.colour').evaluate(backgroundColour)).toBe('rgb(214, 39, 40)');
    // The forecast column: the P80 permit date and the chance of the target start, from the live workflow
    // (the red project lives only in the read model, so it has none).
    const forecast = row.locator('td.forecast');
    expect(await forecast.getAttribute('data-p80')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const probability = Number(await forecast.getAttribute('data-probability'));
    expect(probability >= 0 && probability <= 1).toBe(true);
    expect(await forecast.textContent()).toContain(`达成 ${Math.round(probability * 100)}%`);
    expect(await red.locator('td.forecast').textContent()).toBe('—');
    // People by name, not id.
    expect(await row.locator('.person').allTextContents()).toEqual(['李建国', '王敏']);
    expect(await row.locator('.person').first().getAttribute('title')).toBe(leader);
    const short = page.locator(`tr[data-project="SHORT-${g.tag}"]`);
    await short.waitFor();
    expect(await short.getAttribute('data-colour')).toBe('green');
    expect(await short.locator('.target-short').textContent()).toMatch(/^计划缺口 \d+ 个工作日$/);
    expect(await row.locator('.target-short').count()).toBe(0);
    // The missing-notice warning shows exactly when the calendar API says next year's notice is missing.
    const calendars = await g.call('GET', '/calendars', operatorKey);
    const missing: { year: number } | null = calendars.body.missingNotice;
    const warning = page.locator('#calendar-warning');
    expect(await warning.count()).toBe(missing === null ? 0 : 1);
    if (missing) expect(await warning.textContent()).toContain(`尚未载入 ${missing.year} 年节假日安排`);
    const temporalLink = await row.locator('a', { hasText: '工作流' }).getAttribute('href');
    expect(temporalLink).toBe(`${temporal.uiUrl}/namespaces/default/workflows/project-${code}`);
    await page.screenshot({ path: `${out}dashboard-board.png`, fullPage: true });
    expect(await cspViolations(page)).toEqual([]);
  });

  it("draws the project's Gantt: planned and actual bars, the critical path, the numbers", async () => {
    await page.goto(`${g.url}/ui/projects/${code}`);
    await page.waitForSelector('svg.gantt');
    const rows = page.locator('svg.gantt g.row');
    expect(await rows.count()).toBe(47);
    expect(await page.locator('svg.gantt g.row rect.planned').count()).toBe(47);
    expect(await page.locator('g.row[data-item="PROPOSAL"]').getAttribute('data-state')).toBe('done-on-time');
    expect(await page.locator('g.row[data-item="EIA"]').getAttribute('data-state')).toBe('open');
    expect(await page.locator('g.row[data-item="EIA"] rect.actual').getAttribute('fill')).toBe('#1c7ed6');
    // Its tooltip: the status in Chinese and the due date as a China date.
    const eia = (await g.call('GET', `/projects/${code}`, operatorKey)).body.items.EIA as { dueDate: string };
    expect(await page.locator('g.row[data-item="EIA"] > title').textContent()).toMatch(
      new RegExp(` · 已受理 · 承诺时限 ${eia.dueDate}$`),
    );
    expect(await page.locator('g.row[data-item="CONSTRUCTION-PERMIT"]').getAttribute('data-state')).toBe(
      'not-started',
    );
    expect(await page.locator('g.row[data-critical="true"]').count()).toBeGreaterThan(5);
    // A time axis: a tick at the start of every month the chart spans, and today's line.
    const months = await page
      .locator('svg.gantt g.month')
      .evaluateAll((gs) =>
        gs.map((g) => (g as unknown as { getAttribute(n: string): string }).getAttribute('data-month')),
      );
    expect(months.length).toBeGreaterThan(6);
    expect(months).toEqual([...months].sort());
    expect(new Set(months).size).toBe(months.length);
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(await page.locator('svg.gantt g.today').getAttribute('data-date')).toBe(today);
    expect(await page.locator('#project-people').textContent()).toMatch(/^责任领导 李建国 · 项目秘书 王敏 ·/);
    // Marks are drawn: no symbol the machine's fonts may lack (no emoji font here), on the page or in the chart.
    const text = await page.evaluate(
      () =>
        (globalThis as unknown as { document: { body: { textContent: string } } }).document.body.textContent,
    );
    expect(text).not.toMatch(/[\u2190-\u21FF\u2600-\u27BF\u{1F000}-\u{1FAFF}]/u);
    expect(await page.locator('#kpi-overdue').textContent()).toBe('0');
    // Decided today: no whole working day on any clock yet; the plan's figures and the commitment beside.
    expect(await page.locator('#kpi-counted').textContent()).toBe('0');
    expect(await page.locator('.kpi', { hasText: '审批用时' }).textContent()).toMatch(/承诺 90 · 计划 \d+/);
    expect(await page.locator('#colour').getAttribute('data-colour')).toBe('green');
    expect(await page.locator('#target-infeasible').count()).toBe(0);
    // The permit forecast: its distribution against the target start and the plan, drawn on the server.
    const chart = page.locator('svg#forecast-chart');
    expect(await chart.locator('rect.share').count()).toBeGreaterThan(0);
    const marker = (key: string) => chart.locator(`g.marker[data-marker="${key}"]`).getAttribute('data-date');
    expect(await marker('target')).toBe('2028-06-30');
    const live = await g.call('GET', `/projects/${code}`, operatorKey);
    expect(await marker('baseline')).toBe(live.body.baseline.permitFinish);
    const [p50, p80, p95] = await Promise.all(['p50', 'p80', 'p95'].map(marker));
    expect(p50! <= p80! && p80! <= p95!).toBe(true);
    expect(await page.locator('#forecast-summary').textContent()).toMatch(
      new RegExp(`^P50 ${p50} · P80 ${p80} · P95 ${p95}；开工目标达成概率 \\d+%，主要风险：`),
    );
    await page.screenshot({ path: `${out}dashboard-gantt.png`, fullPage: true });
    expect(await cspViolations(page)).toEqual([]);
    // The API's own page too, which renders /openapi.json with its script.
    await page.goto(`${g.url}/docs`);
    await page.waitForSelector('details.op');
    expect(await cspViolations(page)).toEqual([]);
  });

  it('says once, on the page, that the plan cannot meet a target, and what it is short by', async () => {
    await page.goto(`${g.url}/ui/projects/SHORT-${g.tag}`);
    const note = page.locator('#target-infeasible');
    await note.waitFor();
    expect(await note.textContent()).toMatch(
      /^按当前计划，目标开工日不可行：关键路径需压缩 \d+ 个工作日，或推迟目标开工日（按计划最早 \d{4}-\d{2}-\d{2} 取得施工许可）/,
    );
    expect(await page.locator('#colour').getAttribute('data-colour')).toBe('green');
    expect(await cspViolations(page)).toEqual([]);
  });

  it("shows a department's queue in China dates, with project codes, Chinese statuses and 暂定 marks", async () => {
    const live = await g.call('GET', `/projects/${code}`, operatorKey);
    const eia = live.body.items.EIA as { dueDate: string; provisional: boolean };
    await login((await g.keyFor('department', { department: 'STHJ' })).key);
    expect(page.url()).toContain('/ui/departments/STHJ');
    // The queue a page at a time, most urgent first: this project's items, as a link to it shows them.
    await page.goto(`${g.url}/ui/departments/STHJ?project=${code}`);
    const row = page.locator(`#queue tr[data-item="EIA"][data-project="${code}"]`);
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toBe(code);
    expect(cells[3]).toBe('已受理');
    // The due date as the workflow holds it (China time), never a UTC clock time.
    expect(cells[4]).toBe(`${eia.dueDate}${eia.provisional ? '暂定' : ''}`);
    expect(await row.locator('.provisional').count()).toBe(eia.provisional ? 1 : 0);
    await page.screenshot({ path: `${out}dashboard-queue.png`, fullPage: true });
    expect(await cspViolations(page)).toEqual([]);
  });

  it('lists the project in the Temporal UI, filtered by the ResponsibleLeader search attribute', async () => {
    const query = encodeURIComponent(`ResponsibleLeader="${leader}"`);
    await page.goto(`${temporal.uiUrl}/namespaces/default/workflows?query=${query}`);
    await page.waitForSelector(`text=project-${code}`, { timeout: 30_000 });
    expect(await page.locator(`text=project-RED-${g.tag}`).count()).toBe(0); // not a workflow: read model only
    const other = encodeURIComponent('ResponsibleLeader="nobody"');
    await page.goto(`${temporal.uiUrl}/namespaces/default/workflows?query=${other}`);
    await page.waitForTimeout(2_000);
    expect(await page.locator(`text=project-${code}`).count()).toBe(0);
    await page.goto(`${temporal.uiUrl}/namespaces/default/workflows?query=${query}`);
    await page.waitForSelector(`text=project-${code}`, { timeout: 30_000 });
    await page.screenshot({ path: `${out}temporal-ui-filtered.png`, fullPage: true });
  });

  // Last: it hands the project's leader over to a successor.
  it('keeps the directory on the people page and hands a leaving leader over', async () => {
    const successor = (await g.keyFor('leader', { person: 'leader-ui-next' })).personId!;
    const clerk = `ui-clerk-${g.tag}`;
    await login(operatorKey);
    await Promise.all([page.waitForURL(/\/ui\/people/), page.click('header a:has-text("人员名录")')]);
    await page.fill('#person-id', clerk);
    await page.fill('#person-name', '钱科员');
    await page.selectOption('#person-role', 'department');
    await page.selectOption('#person-department', 'ZJ');
    await page.fill('#person-mobile', '13900000000');
    await Promise.all([page.waitForURL(/saved=/), page.click('#person-form button[type=submit]')]);
    const row = page.locator(`#people tr[data-person="${clerk}"]`);
    expect(await row.getAttribute('data-department')).toBe('ZJ');
    // Edited: another department is a move.
    await Promise.all([page.waitForURL(/edit=/), row.locator('a', { hasText: '修改' }).click()]);
    await page.selectOption('#person-department', 'ZRZY');
    await Promise.all([page.waitForURL(/saved=/), page.click('#person-form button[type=submit]')]);
    expect(await row.getAttribute('data-department')).toBe('ZRZY');
    expect(await row.textContent()).toContain('13900000000');

    await page.selectOption('#handover-person', leader);
    await page.selectOption('#handover-to', successor);
    await page.fill('#handover-reason', '调任市政府办公室');
    await Promise.all([
      page.waitForURL(/\/ui\/people\/handover/),
      page.click('#handover-form button[type=submit]'),
    ]);
    const result = page.locator('#handover-result');
    expect(await result.getAttribute('data-complete')).toBe('true');
    expect(await result.locator(`tr[data-project="${code}"]`).getAttribute('data-outcome')).toBe(
      'reassigned',
    );
    // The read model's RED project has no workflow: nothing to hand over there.
    expect(await result.locator(`tr[data-project="RED-${g.tag}"]`).getAttribute('data-outcome')).toBe(
      'skipped',
    );
    expect((await g.call('GET', `/projects/${code}`, operatorKey)).body.profile.leader).toBe(successor);
    await page.screenshot({ path: `${out}dashboard-people.png`, fullPage: true });
    expect(await cspViolations(page)).toEqual([]);
  });
});
