import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * Ledgers and reports over real HTTP, with a real worker, Temporal dev server and PostgreSQL: a project
 * registered and decided through the API, then every report read as JSON and as CSV, and the
 * authorization rules of api/routes/reports.ts. Other test files share the database, so figures across
 * projects are checked as lower bounds; this file's own rows are checked exactly.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let leader = '';
let otherLeader = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-rep' });
  const lead = await g.keyFor('leader', { person: 'leader-rep' });
  const other = await g.keyFor('leader', { person: 'leader-rep-other' });
  keys.secretary = sec.key;
  keys.leader = lead.key;
  keys.otherLeader = other.key;
  keys.otherSecretary = (await g.keyFor('secretary', { person: 'sec-rep-other' })).key;
  keys.operator = (await g.keyFor('operator')).key;
  leader = lead.personId!;
  otherLeader = other.personId!;
});
afterAll(async () => {
  await g?.stop();
});

async function departmentKey(department: string): Promise<string> {
  keys[`dept:${department}`] ??= (await g.keyFor('department', { department })).key;
  return keys[`dept:${department}`]!;
}

/** A GET whose body may be CSV: the raw text and headers. */
async function download(path: string, key: string, headers: Record<string, string> = {}) {
  const res = await fetch(g.url + path, { headers: { authorization: `Bearer ${key}`, ...headers } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  return { status: res.status, headers: res.headers, bytes, text, lines: text.slice(1).split('\r\n') };
}

function expectCsv(d: Awaited<ReturnType<typeof download>>, header: string) {
  expect(d.status, d.text).toBe(200);
  expect(d.headers.get('content-type')).toBe('text/csv; charset=utf-8');
  expect(d.headers.get('content-disposition')).toMatch(/^attachment; filename="[\w.-]+"; filename\*=UTF-8''/);
  expect([...d.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  expect(d.lines[0]!.startsWith(header)).toBe(true);
  expect(d.text.endsWith('\r\n')).toBe(true);
}

/** The current month and year in China Standard Time. */
const cstNow = () => new Date(Date.now() + 8 * 3_600_000).toISOString();

let code = '';
let late = '';
let lateShortfall = '';
let first = '';
let second = '';
let department = '';
let otherDepartment = '';

describe('reports on a project decided through the API', () => {
  beforeAll(async () => {
    code = `REP-${g.tag}`;
    const registered = await g.call('POST', '/projects', keys.secretary!, {
      code,
      name: '数字经济产业园（一期）',
      templateId: 'social-industrial',
      leader,
      targetStart: '2030-06-03',
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body.schedule.targetFeasible).toBe(true);
    const live = await g.call('GET', `/projects/${code}`, keys.secretary!);
    const items: { code: string; department: string }[] = live.body.plan.items;
    const departmentOf = (item: string) => items.find((i) => i.code === item)!.department;
    first = items.find((i) => live.body.items[i.code].status === 'ready')!.code;
    department = departmentOf(first);
    const inPlan = new Set(items.map((i) => i.department));
    otherDepartment = (await g.db.selectFrom('departments').select('code').execute())
      .map((d) => d.code)
      .find((d) => !inPlan.has(d))!;

    // The first item is returned for correction twice before it is approved; the next goes in one trip.
    const decide = async (item: string, key: string, body: Record<string, unknown>) => {
      const r = await g.call('POST', `/projects/${code}/items/${item}/decisions`, key, body);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    const dept = await departmentKey(department);
    await decide(first, keys.secretary!, { action: 'submit' });
    await decide(first, dept, { action: 'accept' });
    for (const missing of ['营业执照副本', '法定代表人身份证明']) {
      await decide(first, dept, { action: 'return', missing: [missing] });
      await decide(first, keys.secretary!, { action: 'resubmit' });
    }
    const approved = await decide(first, dept, { action: 'approve', documentNo: '发改备〔2026〕1号' });
    second = approved.opened[0];
    const secondDept = await departmentKey(departmentOf(second));
    await decide(second, keys.secretary!, { action: 'submit' });
    await decide(second, secondDept, { action: 'accept' });
    await decide(second, secondDept, { action: 'approve', documentNo: '〔2026〕2号' });

    // A second project of the same leader whose target start is already out of reach.
    late = `REP-LATE-${g.tag}`;
    const lateReg = await g.call('POST', '/projects', keys.secretary!, {
      code: late,
      name: '应急物资储备中心',
      templateId: 'social-industrial',
      leader,
      targetStart: new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10),
    });
    expect(lateReg.status).toBe(201);
    expect(lateReg.body.schedule.targetFeasible).toBe(false);
    lateShortfall = lateReg.body.schedule.shortfall;

    await until(
      () => g.db.selectFrom('project_items').selectAll().where('project_code', 'in', [code, late]).execute(),
      (rows) =>
        rows.filter((r) => r.project_code === late).length > 0 &&
        rows.filter((r) => r.project_code === code && r.status === 'approved').length === 2,
      'the read model to show both approvals',
    );
  });

  it('serves the project ledger as JSON: every item, returns, working days, on time', async () => {
    const r = await g.call('GET', `/reports/projects/${code}/ledger`, keys.leader!);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.code).toBe(code);
    expect(r.body.items).toHaveLength(35);
    const row = r.body.items.find((i: { itemCode: string }) => i.itemCode === first);
    expect(row).toMatchObject({
      department,
      status: 'approved',
      returns: 2,
      // Accepted and approved within the same day: no working day used, on time.
      workingDaysUsed: 0,
      onTime: true,
      overdue: false,
    });
    expect(row.plannedStart).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(row.dueAt).not.toBeNull();
    const waiting = r.body.items.find((i: { status: string }) => i.status === 'waiting');
    expect(waiting).toMatchObject({ workingDaysUsed: null, onTime: null, overdue: false });
  });

  it('serves the project ledger as CSV, by ?format=csv or by Accept', async () => {
    const byQuery = await download(`/reports/projects/${code}/ledger?format=csv`, keys.secretary!);
    expectCsv(byQuery, '项目代码,事项编码,事项名称,责任部门,阶段,状态,计划开始,计划完成,最晚开始');
    expect(byQuery.headers.get('content-disposition')).toContain(encodeURIComponent('项目台账'));
    expect(byQuery.lines).toHaveLength(1 + 35 + 1); // header, 35 items, the empty string after the last CRLF
    const line = byQuery.lines.find((l) => l.startsWith(`${code},${first},`))!;
    expect(line).toContain(',已办结,');
    // …,已用工作日,补正次数,督办等级,是否按时,是否超期 (the level depends on the day the test runs).
    const fields = line.split(',');
    expect([fields.at(-5), fields.at(-4), fields.at(-2), fields.at(-1)]).toEqual(['0', '2', '是', '否']);
    const byAccept = await download(`/reports/projects/${code}/ledger`, keys.operator!, {
      accept: 'text/csv',
    });
    expect(byAccept.text).toBe(byQuery.text);
  });

  it('serves the department monthly report, ranked', async () => {
    const month = cstNow().slice(0, 7);
    const r = await g.call('GET', `/reports/departments/monthly?month=${month}`, keys.operator!);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const rows: { department: string; handled: number; onTimeRate: number | null; rank: number }[] =
      r.body.departments;
    expect(rows.map((d) => d.rank)).toEqual([...rows.map((d) => d.rank)].sort((a, b) => a - b));
    const mine = rows.find((d) => d.department === department)!;
    expect(mine.handled).toBeGreaterThanOrEqual(1);
    expect(mine.onTimeRate).not.toBeNull();
    // Departments outside this project's plan are ranked too.
    expect(rows.map((d) => d.department)).toContain(otherDepartment);

    // A department sees its own row, ranked among all.
    const own = await g.call(
      'GET',
      `/reports/departments/monthly?month=${month}`,
      await departmentKey(department),
    );
    expect(own.status).toBe(200);
    expect(own.body.departments).toHaveLength(1);
    expect(own.body.departments[0].department).toBe(department);

    const csv = await download(`/reports/departments/monthly?month=${month}&format=csv`, keys.leader!);
    expectCsv(csv, '排名,部门代码,部门名称,办结件数,按时办结件数,按时办结率');
    expect(csv.lines.some((l) => l.includes(`,${department},`))).toBe(true);
  });

  it("lists a leader's projects with their colour: a target the plan cannot meet is said, not red", async () => {
    const r = await g.call('GET', `/reports/leaders/${leader}/projects`, keys.leader!);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    type Line = { code: string; colour: string; targetShortBy: number | null; lateStarts: string[] };
    const lines: Line[] = r.body.projects;
    const lateLine = lines.find((p) => p.code === late)!;
    // Registered with a target 20 days away: the plan needs far more, but nobody is late yet.
    expect([lateLine.colour, lateLine.lateStarts]).toEqual(['green', []]);
    // The same shortfall the registration answered with.
    expect(lateLine.targetShortBy).toBeGreaterThan(0);
    expect(lateShortfall).toContain(` ${lateLine.targetShortBy} working days after the target`);
    const onTime = lines.find((p) => p.code === code)!;
    expect([onTime.colour, onTime.targetShortBy]).toEqual(['green', null]);
    expect(r.body.projects.find((p: Line) => p.code === code).countdown).toBeGreaterThan(0);

    expect((await g.call('GET', `/reports/leaders/${leader}/projects`, keys.operator!)).status).toBe(200);
    const csv = await download(`/reports/leaders/${leader}/projects?format=csv`, keys.leader!);
    expectCsv(csv, '亮灯,项目代码,项目名称');
    expect(csv.lines[0]).toContain(',开工目标,目标缺口（工作日）,');
    const lateCsv = csv.lines.find((l) => l.startsWith(`绿灯,${late},应急物资储备中心,`));
    expect(lateCsv?.split(',')).toContain(String(lateLine.targetShortBy));
    expect(csv.lines.some((l) => l.startsWith(`绿灯,${code},`))).toBe(true);
  });

  it('serves the annual approval plan for the year of the first planned start', async () => {
    const ledger = await g.call('GET', `/reports/projects/${code}/ledger`, keys.operator!);
    const year = Number(ledger.body.items[0].plannedStart.slice(0, 4));
    const r = await g.call('GET', `/reports/annual-plan?year=${year}`, keys.secretary!);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const mine = r.body.projects.find((p: { code: string }) => p.code === code);
    expect(mine.items.find((i: { itemCode: string }) => i.itemCode === first)).toMatchObject({
      status: 'approved',
      done: true,
    });
    expect(r.body.departments.find((d: { department: string }) => d.department === department).done).toBe(
      mine.items.filter((i: { department: string; done: boolean }) => i.department === department && i.done)
        .length,
    );
    // Another secretary sees none of this project; a department only its own items.
    const other = await g.call('GET', `/reports/annual-plan?year=${year}`, keys.otherSecretary!);
    expect(other.body.projects.map((p: { code: string }) => p.code)).not.toContain(code);
    const dept = await g.call('GET', `/reports/annual-plan?year=${year}`, await departmentKey(department));
    const deptItems = dept.body.projects.flatMap((p: { items: { department: string }[] }) => p.items);
    expect(deptItems.length).toBeGreaterThan(0);
    expect(deptItems.every((i: { department: string }) => i.department === department)).toBe(true);

    const csv = await download(`/reports/annual-plan?year=${year}&format=csv`, keys.secretary!);
    expectCsv(csv, '项目代码,项目名称,事项编码,事项名称,责任部门');
    expect(csv.lines.some((l) => l.startsWith(`${code},数字经济产业园（一期）,${first},`))).toBe(true);
  });

  it('lists items returned more than once and the one-trip rates', async () => {
    const r = await g.call('GET', '/reports/returns', keys.operator!);
    expect(r.status).toBe(200);
    expect(r.body.items.find((i: { projectCode: string }) => i.projectCode === code)).toMatchObject({
      itemCode: first,
      department,
      returns: 2,
      projectName: '数字经济产业园（一期）',
    });
    const rate = r.body.departments.find((d: { department: string }) => d.department === department);
    expect(rate.decided).toBeGreaterThan(rate.withoutReturn);

    const own = await g.call('GET', '/reports/returns', await departmentKey(department));
    expect(
      own.body.items.some((i: { itemCode: string; projectCode: string }) => i.projectCode === code),
    ).toBe(true);
    expect(own.body.departments.map((d: { department: string }) => d.department)).toEqual([department]);
    const outsider = await g.call('GET', '/reports/returns', await departmentKey(otherDepartment));
    expect(outsider.body.items.some((i: { projectCode: string }) => i.projectCode === code)).toBe(false);
    const theirs = await g.call('GET', '/reports/returns', keys.secretary!);
    expect(theirs.body.items.map((i: { projectCode: string }) => i.projectCode)).toContain(code);
    const notTheirs = await g.call('GET', '/reports/returns', keys.otherSecretary!);
    expect(notTheirs.body.items.map((i: { projectCode: string }) => i.projectCode)).not.toContain(code);

    const items = await download('/reports/returns?format=csv', keys.secretary!);
    expectCsv(items, '项目代码,项目名称,事项编码,事项名称,责任部门,补正次数,状态');
    expect(items.lines.some((l) => l.startsWith(`${code},`) && l.includes(`,${first},`))).toBe(true);
    const rates = await download('/reports/returns?format=csv&table=departments', keys.operator!);
    expectCsv(rates, '部门代码,部门名称,办结件数,一次办结件数,一次办结率');
  });
});

describe('authorization and validation on report routes', () => {
  it('needs a key', async () => {
    const none = await g.call('GET', '/reports/returns', null);
    expect([none.status, none.body.type]).toEqual([401, ProblemType.unauthorized]);
  });

  it('refuses ledgers, monthly reports and leader lists to those they are not for', async () => {
    const forbidden = async (path: string, key: string) => {
      const r = await g.call('GET', path, key);
      expect([r.status, r.body.type], `${path}: ${JSON.stringify(r.body)}`).toEqual([
        403,
        ProblemType.forbidden,
      ]);
    };
    await forbidden(`/reports/projects/${code}/ledger`, keys.otherSecretary!);
    await forbidden(`/reports/projects/${code}/ledger`, keys.otherLeader!);
    await forbidden(`/reports/projects/${code}/ledger`, await departmentKey(department));
    await forbidden(`/reports/departments/monthly?month=${cstNow().slice(0, 7)}`, keys.secretary!);
    await forbidden(`/reports/leaders/${leader}/projects`, keys.otherLeader!);
    await forbidden(`/reports/leaders/${leader}/projects`, keys.secretary!);
    await forbidden(`/reports/leaders/${otherLeader}/projects`, keys.leader!);
    await forbidden(`/reports/returns?department=${otherDepartment}`, await departmentKey(department));
  });

  it('answers 404 for an unknown project and 422 for malformed parameters', async () => {
    const missing = await g.call('GET', `/reports/projects/NOPE-${g.tag}/ledger`, keys.operator!);
    expect([missing.status, missing.body.type]).toEqual([404, ProblemType.notFound]);
    for (const path of [
      '/reports/departments/monthly?month=2026-13',
      '/reports/departments/monthly',
      '/reports/annual-plan?year=twenty',
      `/reports/projects/${code}/ledger?format=xlsx`,
    ]) {
      const r = await g.call('GET', path, keys.operator!);
      expect([r.status, r.body.type], path).toEqual([422, ProblemType.validation]);
    }
  });
});
