import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * Bringing in a project already under way (存量项目导入) over real HTTP, with a real worker, Temporal dev
 * server and PostgreSQL. The history is dated in autumn 2026 on the published calendar (中秋 25–27
 * September, 国庆 1–7 October, make-up workdays Sun 20 September and Sat 10 October), so every date below
 * is computed by hand and holds on whatever day the suite runs.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let leader = '';
let secretary = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-imp' });
  keys.secretary = sec.key;
  secretary = sec.personId!;
  const lead = await g.keyFor('leader', { person: 'leader-imp' });
  keys.leader = lead.key;
  leader = lead.personId!;
  keys.operator = (await g.keyFor('operator')).key;
});
afterAll(async () => {
  await g?.stop();
});

/** The end of a China working day, as deadlines and rungs are stored. */
const endOf = (date: string) => new Date(Date.parse(`${date}T00:00:00+08:00`) + 86_400_000).toISOString();

/**
 * A gov-building hospital registered Mon 14 September. The proposal (FGW, 7 working days) went through
 * on time. The EIA (STHJ, 15 working days) was accepted Thu 24 September, returned for correction Mon 28
 * and resubmitted Wed 30; nothing since. A land problem owned by ZRZY was due Fri 16 October.
 */
function body(code: string, over: Record<string, unknown> = {}) {
  return {
    code,
    name: '市第一人民医院新院区',
    templateId: 'gov-building',
    leader,
    secretary,
    registeredOn: '2026-09-14',
    history: [
      { on: '2026-09-14', item: 'PROPOSAL', decision: { action: 'submit' } },
      { on: '2026-09-15', item: 'PROPOSAL', decision: { action: 'accept' } },
      {
        on: '2026-09-22',
        item: 'PROPOSAL',
        decision: { action: 'approve', documentNo: '发改审批〔2026〕88号' },
      },
      { on: '2026-09-23', item: 'EIA', decision: { action: 'submit' } },
      { on: '2026-09-24', item: 'EIA', decision: { action: 'accept' } },
      {
        on: '2026-09-28',
        item: 'EIA',
        decision: { action: 'return', missing: ['环境影响报告书（报批稿）'] },
      },
      { on: '2026-09-30', item: 'EIA', decision: { action: 'resubmit' } },
    ],
    problems: [
      {
        raisedOn: '2026-10-12',
        title: '医院东侧征地补偿未完成',
        description: '涉及 3 户，补偿标准未谈妥',
        ownerDepartment: 'ZRZY',
        deadline: '2026-10-16',
      },
    ],
    ...over,
  };
}

type Escalation = { subjectId: string; rung: string; rungAt: string; firedAt: string; points: number };

describe('POST /projects/import', () => {
  it('checks without starting on a dry run, then brings the project in with its history', async () => {
    const code = `IMP-${g.tag}`;
    const dry = await g.call('POST', `/projects/import?dryRun=true`, keys.operator!, body(code));
    expect(dry.status, JSON.stringify(dry.body)).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, workflowId: null, facts: 8 });
    expect((await g.call('GET', `/projects/${code}`, keys.operator!)).status).toBe(404);

    const res = await g.call('POST', '/projects/import', keys.operator!, body(code));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ dryRun: false, registeredOn: '2026-09-14', facts: 8 });
    expect(res.body.schedule.start).toBe('2026-09-14');
    expect(res.body.statuses).toMatchObject({ approved: 1, accepted: 1 });

    const live = await g.call('GET', `/projects/${code}`, keys.secretary!);
    expect(live.status).toBe(200);
    const { items, baseline, registeredAt, importedAt } = live.body;
    // The schedule answered is the one the workflow holds.
    expect(baseline.start).toBe('2026-09-14');
    expect(baseline.permitFinish).toBe(res.body.schedule.permitFinish);
    expect(registeredAt).toBe('2026-09-14T01:00:00.000Z');
    expect(Date.parse(importedAt)).toBeGreaterThan(Date.parse('2026-12-01'));
    expect(items.PROPOSAL).toMatchObject({ status: 'approved', documentNo: '发改审批〔2026〕88号' });
    expect(items.PROPOSAL.finishedAt.slice(0, 10)).toBe('2026-09-22');
    // The approval opened the items that waited for it, on its date.
    expect(items['ENERGY-REVIEW']).toMatchObject({ status: 'ready', openedAt: items.PROPOSAL.finishedAt });
    // 15 working days from Thu 24 September; Mon 28 and Tue 29 paused for correction; 25–27 September and
    // 1–7 October off; Sat 10 October worked: 30 Sep, 8, 9, 10, 12–16, 19–23, 26 October.
    expect(items.EIA).toMatchObject({ status: 'accepted', returns: 1, dueDate: '2026-10-26' });
  });

  it('escalates the late item and problem at once, each rung dated when it fell due', async () => {
    const code = `IMP-E-${g.tag}`;
    expect((await g.call('POST', '/projects/import', keys.operator!, body(code))).status).toBe(201);
    const answered = (await g.call('POST', '/projects/import?dryRun=true', keys.operator!, body(`${code}-D`)))
      .body;
    const escalations: Escalation[] = await until(
      async () =>
        (await g.call('GET', `/projects/${code}`, keys.operator!)).body.recentEscalations as Escalation[],
      (e) => e.length >= 8,
      'the late rungs to fire',
    );
    const rungs = (subject: string) =>
      Object.fromEntries(escalations.filter((e) => e.subjectId === subject).map((e) => [e.rung, e.rungAt]));
    // EIA due Mon 26 Oct: reminder Fri 23, yellow 26, red two working days on (27, 28), interview five (27–30, 2 Nov).
    expect(rungs('EIA')).toEqual({
      reminder: endOf('2026-10-23'),
      yellow: endOf('2026-10-26'),
      red: endOf('2026-10-28'),
      interview: endOf('2026-11-02'),
    });
    // The problem due Fri 16 Oct: reminder Thu 15, red Mon 19 and Tue 20, interview 19–23 Oct.
    expect(rungs('P1')).toEqual({
      reminder: endOf('2026-10-15'),
      yellow: endOf('2026-10-16'),
      red: endOf('2026-10-20'),
      interview: endOf('2026-10-23'),
    });
    // Fired now, not back then; the import's answer said so beforehand.
    const fired = escalations.filter((e) => e.subjectId === 'EIA').map((e) => Date.parse(e.firedAt));
    expect(Math.min(...fired)).toBeGreaterThan(Date.parse('2026-12-01'));
    const key = (e: { subject?: string; subjectId?: string; rung: string }) =>
      `${e.subject ?? e.subjectId}/${e.rung}`;
    expect(answered.escalatesAtOnce.map(key)).toEqual(escalations.map(key));
    const live = (await g.call('GET', `/projects/${code}`, keys.operator!)).body;
    // Yellow 1, red 2, interview 3, doubled: the delay is the department's own.
    expect(live.scores.STHJ.points).toBe(2 * (1 + 2 + 3));
  });

  it('refuses a history that breaks a rule, naming the row; nothing starts', async () => {
    const code = `IMP-R-${g.tag}`;
    const bad = body(code, {
      history: [
        { on: '2026-09-14', item: 'PROPOSAL', decision: { action: 'submit' } },
        { on: '2026-09-16', item: 'PROPOSAL', decision: { action: 'approve', documentNo: 'X-1' } },
      ],
    });
    const res = await g.call('POST', '/projects/import', keys.operator!, bad);
    expect([res.status, res.body.type]).toEqual([422, ProblemType.validation]);
    expect(res.body.errors).toEqual([
      {
        in: 'body',
        path: 'history.1',
        code: 'history',
        message: '2026-09-16: PROPOSAL is submitted; approve is allowed only when it is accepted',
      },
    ]);
    const future = await g.call(
      'POST',
      '/projects/import',
      keys.operator!,
      body(code, { registeredOn: '2099-01-05' }),
    );
    expect([future.status, future.body.errors[0].path]).toEqual([422, 'registeredOn']);
    const owner = body(code);
    owner.problems[0]!.ownerDepartment = 'GAJ';
    const unknown = await g.call('POST', '/projects/import', keys.operator!, owner);
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors.map((e: { path: string }) => e.path)).toContain('problems.0.ownerDepartment');
    expect((await g.call('GET', `/projects/${code}`, keys.operator!)).status).toBe(404);
  });

  it('refuses a second import of the same project, and a registered one, with 409; only operators import', async () => {
    const code = `IMP-T-${g.tag}`;
    expect((await g.call('POST', '/projects/import', keys.operator!, body(code))).status).toBe(201);
    const again = await g.call('POST', '/projects/import', keys.operator!, body(code));
    expect([again.status, again.body.type]).toEqual([409, ProblemType.projectExists]);
    const check = await g.call('POST', '/projects/import?dryRun=true', keys.operator!, body(code));
    expect([check.status, check.body.type]).toEqual([409, ProblemType.projectExists]);
    const registered = await g.call('POST', '/projects', keys.secretary!, {
      code,
      name: '同码项目',
      templateId: 'gov-building',
      leader,
    });
    expect(registered.status).toBe(409);
    const bySecretary = await g.call('POST', '/projects/import', keys.secretary!, body(`IMP-S-${g.tag}`));
    expect([bySecretary.status, bySecretary.body.type]).toEqual([403, ProblemType.forbidden]);
  });
});

describe('registration with a past start', () => {
  it('plans from it and says that a project under way is imported', async () => {
    const res = await g.call('POST', '/projects', keys.secretary!, {
      code: `PAST-I-${g.tag}`,
      name: '旧项目',
      templateId: 'gov-building',
      leader,
      start: '2026-09-01',
    });
    expect(res.status).toBe(201);
    expect(res.body.warnings.some((w: string) => w.includes('POST /projects/import'))).toBe(true);
  });
});
