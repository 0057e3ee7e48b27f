import { writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDigestActivities } from '../../activities/digests';
import { ProblemType } from '../../api/http-problem';
import { cspViolations, launchChromium, recordingContext, screenshots } from '../helpers/browser';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';
import { unzipEntry } from '../helpers/zip';

/**
 * The monthly supervision bulletin and the quarterly assessment over real HTTP, a real worker, Temporal
 * dev server and PostgreSQL, on a record brought in with POST /projects/import: proposals (FGW, 7 working
 * days) approved on time and late in August 2026 and late in July, an EIA (STHJ) accepted 27 August and
 * never decided, a land problem (ZRZY) raised in August and still open. Other files share the database,
 * so department counts are checked against the monthly report read at the same moment, and this file's
 * own rows by their project codes. The bulletin page is rendered in Chromium (Debian's, driven by
 * playwright-core) to test-output/bulletin-2026-08.png.
 */

const out = screenshots;
let g: Greenlane;
let browser: Browser;
const keys: Record<string, string> = {};
let leader = '';
let secretary = '';
const code = (n: number) => `BUL-${n}-${g.tag}`;

const proposal = (submit: string, accept: string, approve: string, n: number) => [
  { on: submit, item: 'PROPOSAL', decision: { action: 'submit' } },
  { on: accept, item: 'PROPOSAL', decision: { action: 'accept' } },
  { on: approve, item: 'PROPOSAL', decision: { action: 'approve', documentNo: `发改〔2026〕${n}号` } },
];
const project = (n: number, registeredOn: string, history: unknown[], problems: unknown[] = []) => ({
  code: code(n),
  name: `督查通报项目 ${n}`,
  templateId: 'gov-building',
  leader,
  secretary,
  registeredOn,
  history,
  problems,
});

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-bul' });
  keys.secretary = sec.key;
  secretary = sec.personId!;
  const lead = await g.keyFor('leader', { person: 'leader-bul' });
  keys.leader = lead.key;
  leader = lead.personId!;
  keys.operator = (await g.keyFor('operator')).key;
  keys.fgw = (await g.keyFor('department', { department: 'FGW' })).key;
  const records = [
    // On time: 7 working days from Tue 4 August, approved Thu 6.
    project(1, '2026-08-03', proposal('2026-08-03', '2026-08-04', '2026-08-06', 1)),
    // Late: approved Tue 25 August; the EIA accepted Thu 27 August, never decided.
    project(2, '2026-08-03', [
      ...proposal('2026-08-03', '2026-08-04', '2026-08-25', 2),
      { on: '2026-08-26', item: 'EIA', decision: { action: 'submit' } },
      { on: '2026-08-27', item: 'EIA', decision: { action: 'accept' } },
    ]),
    // Late in July: FGW is overdue in two of the three months June–August.
    project(3, '2026-07-01', proposal('2026-07-01', '2026-07-02', '2026-07-28', 3), [
      {
        raisedOn: '2026-08-10',
        title: '项目用地红线待核定',
        description: '与规划条件不一致',
        ownerDepartment: 'ZRZY',
        deadline: '2026-08-14',
      },
    ]),
  ];
  for (const r of records) {
    const res = await g.call('POST', '/projects/import', keys.operator!, r);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
  // The read model holds the imported approvals.
  await until(
    () =>
      g.db
        .selectFrom('project_items')
        .select('project_code')
        .where('item_code', '=', 'PROPOSAL')
        .where('status', '=', 'approved')
        .where('project_code', 'in', [code(1), code(2), code(3)])
        .execute(),
    (rows) => rows.length === 3,
    'the imported approvals in the read model',
  );
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await g?.stop();
});

/** A download over HTTP with an API key. */
async function get(path: string, key: string) {
  const res = await fetch(g.url + path, { headers: { authorization: `Bearer ${key}` } });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    bytes: Buffer.from(await res.arrayBuffer()),
  };
}

type Row = { department: string; handled: number; onTime: number; overdue: number; rank: number };

describe('GET /reports/bulletin', () => {
  it("carries the monthly report's figures, the month's problems and the departments named for delay", async () => {
    const read = async () => ({
      before: (await g.call('GET', '/reports/departments/monthly?month=2026-08', keys.operator!)).body,
      bulletin: await g.call('GET', '/reports/bulletin?month=2026-08', keys.leader!),
      after: (await g.call('GET', '/reports/departments/monthly?month=2026-08', keys.operator!)).body,
    });
    // Read between two equal reports, so a file writing at the same moment cannot make them differ.
    const { before, bulletin } = await until(
      read,
      (r) => JSON.stringify(r.before.departments) === JSON.stringify(r.after.departments),
      'two equal monthly reports around the bulletin',
    );
    expect(bulletin.status, JSON.stringify(bulletin.body)).toBe(200);
    const b = bulletin.body;
    expect(b.departments).toEqual(before.departments);
    expect(b.service).toEqual(before.service);
    const sum = (k: keyof Row) => before.departments.reduce((a: number, r: Row) => a + (r[k] as number), 0);
    expect(b.totals).toMatchObject({
      handled: sum('handled'),
      onTime: sum('onTime'),
      overdue: sum('overdue'),
    });
    // This file's approvals: FGW handled at least the two, one of them late.
    const fgw = b.departments.find((r: Row) => r.department === 'FGW');
    expect(fgw.handled).toBeGreaterThanOrEqual(2);
    expect(fgw.overdue).toBeGreaterThanOrEqual(1);
    // FGW late in July and in August: named, under the rule the bulletin states.
    expect(b.rule).toMatchObject({ months: 3, atLeast: 2, minOverdue: 1 });
    const named = b.named.find((n: { department: string }) => n.department === 'FGW');
    expect(named.months.map((m: { month: string }) => m.month)).toEqual(['2026-06', '2026-07', '2026-08']);
    expect(named.monthsWithDelay).toBeGreaterThanOrEqual(2);
    // The land problem raised 10 August is still open at the month's end.
    const open = b.problems.open.filter((p: { projectCode: string }) => p.projectCode === code(3));
    expect(open.map((p: { title: string; ownerDepartment: string }) => [p.title, p.ownerDepartment])).toEqual(
      [['项目用地红线待核定', 'ZRZY']],
    );
  });

  it("lists this month's red cards and interviews: the late EIA and problem escalate when imported", async () => {
    const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    const b = await until(
      async () => (await g.call('GET', `/reports/bulletin?month=${month}`, keys.operator!)).body,
      (x) => x.interviews.some((c: { projectCode: string }) => c.projectCode === code(2)),
      "the EIA's interview notice",
    );
    const mine = (list: { projectCode: string; subjectId: string; department: string }[]) =>
      list.filter((c) => c.projectCode === code(2)).map((c) => [c.subjectId, c.department]);
    expect(mine(b.redCards)).toEqual([['EIA', 'STHJ']]);
    expect(mine(b.interviews)).toEqual([['EIA', 'STHJ']]);
    expect(b.totals.redCards).toBe(b.redCards.length);
  });

  it('writes the bulletin as an official .docx and prints it as a PDF', async () => {
    const docx = await get('/reports/bulletin?month=2026-08&format=docx', keys.operator!);
    expect(docx.status).toBe(200);
    expect(docx.type).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(docx.bytes.subarray(0, 2).toString()).toBe('PK');
    const xml = unzipEntry(docx.bytes, 'word/document.xml');
    expect(xml).not.toBeNull();
    for (const text of [
      '2026年8月重大项目审批督查通报',
      '一、总体情况',
      '二、部门办理情况及排名',
      '五、点名通报',
      '黑体',
      '仿宋_GB2312',
    ]) {
      expect(xml).toContain(text);
    }
    // A department row: FGW's rank, name and handled count in the cells of one table row.
    const json = (await g.call('GET', '/reports/bulletin?month=2026-08', keys.operator!)).body;
    const fgw = json.departments.find((r: { department: string }) => r.department === 'FGW');
    const rows = (xml ?? '')
      .split('<w:tr>')
      .map((r) => [...r.matchAll(/<w:t[^>]*>([^<]*)<\/w:t>/g)].map((m) => m[1]));
    expect(
      rows.some(
        (cells) =>
          cells[0] === String(fgw.rank) && cells[1] === fgw.nameZh && cells[2] === String(fgw.handled),
      ),
    ).toBe(true);
    const name = fgw.nameZh;
    expect(xml).toContain(`<w:t xml:space="preserve">${name}</w:t>`);

    const pdf = await get('/reports/bulletin?month=2026-08&format=pdf', keys.leader!);
    expect(pdf.status).toBe(200);
    expect(pdf.type).toBe('application/pdf');
    expect(pdf.bytes.subarray(0, 5).toString()).toBe('%PDF-');
    writeFileSync(`${out}bulletin-2026-08.pdf`, pdf.bytes);
    writeFileSync(`${out}bulletin-2026-08.docx`, docx.bytes);

    // No Chromium where the API runs (it is looked up on PATH, as setup does): a clear 503.
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const none = await g.call('GET', '/reports/bulletin?month=2026-08&format=pdf', keys.operator!);
      expect([none.status, none.body.type]).toEqual([503, ProblemType.pdfUnavailable]);
      expect(none.headers.get('content-type')).toBe('application/problem+json');
    } finally {
      process.env.PATH = path;
    }
  });

  it('refuses a malformed month (422) and readers the bulletin is not for (403)', async () => {
    const bad = await g.call('GET', '/reports/bulletin?month=2026-13', keys.operator!);
    expect([bad.status, bad.body.type]).toEqual([422, ProblemType.validation]);
    expect((await g.call('GET', '/reports/bulletin?month=2026-08', keys.fgw!)).status).toBe(403);
    expect((await g.call('GET', '/reports/bulletin?month=2026-08', keys.secretary!)).status).toBe(403);
  });
});

describe('GET /reports/assessment', () => {
  it('scores the departments by the published rules, with their evidence, as JSON, CSV and .docx', async () => {
    const res = await g.call('GET', '/reports/assessment?quarter=2026Q3', keys.operator!);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const a = res.body;
    const w = a.rules.weights;
    expect(w.onTime + w.points + w.interviews + w.returns + w.satisfaction).toBe(100);
    const fgw = a.departments.find((r: { department: string }) => r.department === 'FGW');
    // At least this file's three approvals (1 on time, 2 late) in the quarter.
    expect(fgw.evidence.decided).toBeGreaterThanOrEqual(3);
    expect(fgw.evidence.decided - fgw.evidence.onTime).toBeGreaterThanOrEqual(2);
    expect(fgw.components.onTime).toBe(
      Math.round(
        ((w.onTime * fgw.evidence.onTime) / (fgw.evidence.decided + fgw.evidence.overdueOpen)) * 100,
      ) / 100,
    );
    // The EIA accepted 27 August (15 working days) is still open and past due at the quarter's end.
    const sthj = a.departments.find((r: { department: string }) => r.department === 'STHJ');
    expect(sthj.evidence.overdueOpen).toBeGreaterThanOrEqual(1);
    const ranks = a.departments.map((r: { rank: number }) => r.rank);
    expect(ranks).toEqual([...ranks].sort((x: number, y: number) => x - y));

    const csv = await get('/reports/assessment?quarter=2026Q3&format=csv', keys.operator!);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    const lines = csv.bytes.toString('utf8').split('\r\n');
    expect(lines[0]).toBe(
      '\uFEFF排名,部门代码,部门名称,得分,按时办结率,督办扣分,约谈,补正率,回访满意度,办结件数,按时办结件数,季末超期未结件数,经补正件数,黄牌,红牌,约谈,督办扣分,回访次数,满意度合计',
    );
    expect(lines.filter((l) => l.split(',')[1] === 'FGW')).toEqual([
      [
        fgw.rank,
        'FGW',
        fgw.nameZh,
        fgw.score,
        fgw.components.onTime,
        fgw.components.points,
        fgw.components.interviews,
        fgw.components.returns,
        fgw.components.satisfaction ?? '',
        fgw.evidence.decided,
        fgw.evidence.onTime,
        fgw.evidence.overdueOpen,
        fgw.evidence.returned,
        fgw.evidence.yellowCards,
        fgw.evidence.redCards,
        fgw.evidence.interviews,
        fgw.evidence.pointsLost,
        fgw.evidence.returnVisits,
        fgw.evidence.satisfactionSum,
      ].join(','),
    ]);

    const docx = await get('/reports/assessment?quarter=2026Q3&format=docx', keys.leader!);
    const xml = unzipEntry(docx.bytes, 'word/document.xml');
    expect(xml).toContain('2026年第三季度审批部门考核结果');
    expect(xml).toContain('一、考核细则');
  });

  it('shows a department its own row only, and refuses a malformed quarter', async () => {
    const own = await g.call('GET', '/reports/assessment?quarter=2026Q3', keys.fgw!);
    expect(own.status).toBe(200);
    expect(own.body.departments.map((r: { department: string }) => r.department)).toEqual(['FGW']);
    const bad = await g.call('GET', '/reports/assessment?quarter=2026Q5', keys.operator!);
    expect([bad.status, bad.body.type]).toEqual([422, ProblemType.validation]);
    expect((await g.call('GET', '/reports/assessment?quarter=2026Q3', keys.secretary!)).status).toBe(403);
  });
});

describe("the leaders' weekly digest", () => {
  it('links the latest bulletin on the dashboard', async () => {
    const now = Date.now();
    const today = new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);
    const digests = createDigestActivities({ db: g.db, publicUrl: 'https://greenlane.example.cn' });
    const run = await digests.writeDigests({ kind: 'leaders-weekly', date: today, people: [leader] });
    expect(run.written).toBe(1);
    const mine = await g.call('GET', '/me/digests?kind=leaders-weekly', keys.leader!);
    const last = new Date(now + 8 * 3_600_000);
    last.setUTCDate(0); // the last day of the month before
    const month = last.toISOString().slice(0, 7);
    const zh = `${month.slice(0, 4)}年${Number(month.slice(5, 7))}月`;
    expect(mine.body.digests[0].body.split('\n').at(-1)).toBe(
      `【月度督查通报】${zh}督查通报已发布，请在挂图作战「督查通报」中查阅：https://greenlane.example.cn/ui/reports/bulletin?month=${month}`,
    );
  });
});

describe('the dashboard pages and their downloads', () => {
  const ui = async (path: string, key: string) => {
    const res = await fetch(g.url + path, { headers: { cookie: await g.uiCookie(key) }, redirect: 'manual' });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  it('opens the latest bulletin by default, refuses a malformed month, and downloads through the session', async () => {
    const last = new Date(Date.now() + 8 * 3_600_000);
    last.setUTCDate(0);
    const month = last.toISOString().slice(0, 7);
    const latest = await ui('/ui/reports/bulletin', keys.leader!);
    expect(latest.status).toBe(200);
    expect(latest.text).toContain(`data-month="${month}"`);
    expect((await ui('/ui/reports/bulletin?month=2026-13', keys.operator!)).status).toBe(422);
    const docx = await ui('/ui/reports/bulletin.docx?month=2026-08', keys.operator!);
    expect([docx.status, docx.type]).toEqual([
      200,
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ]);
    const csv = await ui('/ui/reports/assessment.csv?quarter=2026Q3', keys.operator!);
    expect([csv.status, csv.type]).toEqual([200, 'text/csv; charset=utf-8']);
  });

  it('shows a department its own assessment row and not the bulletin', async () => {
    const page = await ui('/ui/reports/assessment?quarter=2026Q3', keys.fgw!);
    expect(page.status).toBe(200);
    const body = page.text.slice(page.text.indexOf('<tbody>'), page.text.indexOf('</tbody>'));
    expect(body.match(/<tr>/g)).toHaveLength(1);
    expect(page.text).toContain('id="nav-assessment"');
    expect(page.text).not.toContain('id="nav-bulletin"');
    expect((await ui('/ui/reports/bulletin?month=2026-08', keys.fgw!)).status).toBe(403);
  });
});

describe('the bulletin page in Chromium', () => {
  it('renders under the strict CSP, linked from the board, and is saved as a screenshot', async () => {
    const context = await recordingContext(browser, { viewport: { width: 1300, height: 900 } });
    const [name, value] = (await g.uiCookie(keys.operator!)).split('=') as [string, string];
    await context.addCookies([{ name, value, url: g.url }]);
    const page = await context.newPage();
    await page.goto(`${g.url}/ui`);
    expect(await page.getAttribute('#nav-bulletin', 'href')).toBe('/ui/reports/bulletin');
    expect(await page.getAttribute('#nav-assessment', 'href')).toBe('/ui/reports/assessment');
    const res = await page.goto(`${g.url}/ui/reports/bulletin?month=2026-08`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(await page.textContent('h1')).toBe('2026年8月重大项目审批督查通报');
    expect(await page.textContent('#rule')).toContain('近 3 个月（含本月）中有 2 个月及以上');
    expect(await page.locator('#departments tbody tr').count()).toBeGreaterThan(0);
    expect(await page.textContent('#named')).toContain('2026年8月超期');
    const path = `${out}bulletin-2026-08.png`;
    await page.screenshot({ path, fullPage: true });
    console.log(`bulletin screenshot: ${path}`);
    expect(await cspViolations(page)).toEqual([]);
    const assessment = await page.goto(`${g.url}/ui/reports/assessment?quarter=2026Q3`);
    expect(assessment?.status()).toBe(200);
    expect(await page.locator('#scores tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${out}assessment-2026Q3.png`, fullPage: true });
    await context.close();
  });
});
