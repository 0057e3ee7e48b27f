import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * Approval time (审批用时) and the plan as it is, over real HTTP with a real worker, Temporal dev server and
 * PostgreSQL: the registration's planned days, a department stopping an item's clock for expert review,
 * the ledger (JSON and CSV) after an amendment took two items out of the plan, the project's answer and
 * the monthly report. The days here are decided within one day, so actual counted days are 0; the
 * arithmetic itself is pinned by test/domain/approval-time.test.ts and test/workflows/approval-time.test.ts.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let leader = '';
let code = '';
let planned: Record<string, number | null> = {};

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  keys.secretary = (await g.keyFor('secretary', { person: 'sec-at' })).key;
  const lead = await g.keyFor('leader', { person: 'leader-at' });
  keys.leader = lead.key;
  leader = lead.personId!;
  keys.operator = (await g.keyFor('operator')).key;
  keys.FGW = (await g.keyFor('department', { department: 'FGW' })).key;
});
afterAll(async () => {
  await g?.stop();
});

type Line = {
  itemCode: string;
  status: string;
  timeKind: string;
  counts: boolean;
  countedDays: number | null;
};
const ledger = async () => (await g.call('GET', `/reports/projects/${code}/ledger`, keys.secretary!)).body;
const line = (body: { items: Line[] }, item: string) => body.items.find((l) => l.itemCode === item);

describe('approval time through the API', () => {
  it('answers a registration with the plan’s approval days beside its elapsed days and the commitment', async () => {
    code = `AT-${g.tag}`;
    const reg = await g.call('POST', '/projects', keys.secretary!, {
      code,
      name: '市第一人民医院新院区',
      templateId: 'gov-building',
      leader,
      targetStart: '2030-06-28',
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    planned = reg.body.schedule.approvalDays;
    // Hundreds of working days from today reach years whose holiday notice is not published yet.
    expect(reg.body.schedule.provisional).toBe(true);
    expect(planned.committed).toBe(90);
    // Technical reviews, the tender and utilities are on the path but not approval time.
    expect(planned.counted!).toBeLessThan(planned.elapsed!);
    expect(planned.countedToPermit!).toBeLessThan(planned.elapsedToPermit!);
    const project = await g.call('GET', `/projects/${code}`, keys.secretary!);
    expect(project.body.approvalTime).toMatchObject({
      countedDays: 0,
      toPermit: null,
      committedDays: 90,
      remainingDays: 90,
      planned: {
        counted: planned.counted,
        elapsed: planned.elapsed,
        countedToPermit: planned.countedToPermit,
        elapsedToPermit: planned.elapsedToPermit,
      },
    });
  });

  it('lets the department stop the clock for expert review and restart it; no one else', async () => {
    const path = `/projects/${code}/items/PROPOSAL/decisions`;
    expect((await g.call('POST', path, keys.secretary!, { action: 'submit' })).status).toBe(200);
    expect((await g.call('POST', path, keys.FGW!, { action: 'accept' })).status).toBe(200);
    const bySecretary = await g.call('POST', path, keys.secretary!, {
      action: 'suspend',
      period: 'expertReview',
    });
    expect([bySecretary.status, bySecretary.body.type]).toEqual([403, ProblemType.forbidden]);
    const early = await g.call('POST', path, keys.FGW!, { action: 'resume' });
    expect(early.status).toBe(409);
    expect(early.body.detail).toBe("PROPOSAL's clock is not stopped; resume follows a suspend");
    const stopped = await g.call('POST', path, keys.FGW!, {
      action: 'suspend',
      period: 'expertReview',
      expectedDays: 5,
    });
    expect(stopped.status, JSON.stringify(stopped.body)).toBe(200);
    expect(stopped.body.item).toMatchObject({ status: 'accepted', dueAt: null });
    expect(stopped.body.item.pauses).toEqual([
      { from: expect.any(String), to: null, reason: 'expertReview' },
    ]);
    const unknown = await g.call('POST', path, keys.FGW!, { action: 'suspend', period: 'lunch' });
    expect(unknown.status).toBe(422);
    const resumed = await g.call('POST', path, keys.FGW!, { action: 'resume' });
    expect(resumed.status).toBe(200);
    expect(resumed.body.item.dueAt).not.toBeNull();
    const approved = await g.call('POST', path, keys.FGW!, {
      action: 'approve',
      documentNo: '发改投资〔2026〕8号',
    });
    expect(approved.status).toBe(200);

    const body = await until(ledger, (b) => line(b, 'PROPOSAL')?.status === 'approved', 'the approval');
    expect(line(body, 'PROPOSAL')).toMatchObject({ timeKind: 'approval', counts: true, countedDays: 0 });
    expect(line(body, 'ARCHAEOLOGY')).toMatchObject({
      timeKind: 'technical',
      counts: false,
      countedDays: null,
    });
    expect(body.approvalTime).toMatchObject({
      countedDays: 0,
      committedDays: 90,
      planned: { counted: planned.counted },
    });
  });

  it('lists items an amendment took out of the plan as withdrawn (已取消), never live', async () => {
    const before = await ledger();
    expect(line(before, 'FOREST-LAND')!.status).toBe('ready');
    expect(line(before, 'SEISMIC-HIGHRISE')!.status).toBe('waiting');
    const live = await g.call('GET', `/projects/${code}`, keys.secretary!);
    const plan: { code: string; prerequisites: string[] }[] = live.body.plan.items;
    const rechain = plan
      .filter((i) => i.prerequisites.includes('FOREST-LAND') || i.prerequisites.includes('SEISMIC-HIGHRISE'))
      .map((i) => ({
        code: i.code,
        prerequisites: i.prerequisites.filter((p) => p !== 'FOREST-LAND' && p !== 'SEISMIC-HIGHRISE'),
      }));
    const amended = await g.call('POST', `/projects/${code}/plan`, keys.secretary!, {
      tailoring: { waive: ['FOREST-LAND', 'SEISMIC-HIGHRISE'], prerequisites: rechain },
      reason: '不占用林地；非超限高层',
    });
    expect(amended.status, JSON.stringify(amended.body)).toBe(200);

    const after = await until(
      ledger,
      (b) => line(b, 'FOREST-LAND')?.status === 'withdrawn',
      'the withdrawal',
    );
    expect(line(after, 'SEISMIC-HIGHRISE')!.status).toBe('withdrawn');
    expect(
      after.items
        .filter((l: Line) => l.status === 'withdrawn')
        .map((l: Line) => l.itemCode)
        .sort(),
    ).toEqual(['FOREST-LAND', 'SEISMIC-HIGHRISE']);
    const csv = await fetch(`${g.url}/reports/projects/${code}/ledger?format=csv`, {
      headers: { authorization: `Bearer ${keys.secretary}` },
    });
    const rows = (await csv.text()).split('\r\n');
    expect(rows[0]).toContain('计入审批用时（工作日）,历时（工作日）');
    const forest = rows.find((r) => r.includes(',FOREST-LAND,'))!;
    expect(forest).toContain(',已取消,');
    expect(rows.find((r) => r.includes(',ARCHAEOLOGY,'))).toContain('技术审查/中介服务');
    // Other reports do not see withdrawn items: the department's queue of the annual plan has neither.
    const annual = await g.call(
      'GET',
      `/reports/annual-plan?year=${new Date().getUTCFullYear()}`,
      keys.operator!,
    );
    const mine = annual.body.projects.find((p: { code: string }) => p.code === code);
    const codes = (mine?.items ?? []).map((i: { itemCode: string }) => i.itemCode);
    expect(codes).not.toContain('FOREST-LAND');
  });

  it('shows each running project’s approval time in the monthly report', async () => {
    const month = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    const report = await g.call('GET', `/reports/departments/monthly?month=${month}`, keys.leader!);
    expect(report.status).toBe(200);
    const mine = report.body.approvalTime.find((p: { code: string }) => p.code === code);
    expect(mine).toMatchObject({
      name: '市第一人民医院新院区',
      countedDays: 0,
      committedDays: 90,
      remainingDays: 90,
      plannedCountedDays: planned.counted,
    });
  });
});
