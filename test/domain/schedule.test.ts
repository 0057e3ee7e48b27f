import { describe, expect, it } from 'vitest';
import { makeCalendar, syntheticYear } from '../../domain/calendar';
import { shippedCalendarYears } from '../../domain/calendar-data';
import type { TimeLimit } from '../../domain/catalog';
import { shippedCatalog } from '../../domain/catalog-data';
import { instantiatePlan, type Plan, type PlanItem } from '../../domain/plan';
import { durationInWorkingDays, plannedDuration, type Schedule, schedulePlan } from '../../domain/schedule';

const wd = (days: number): TimeLimit => ({ days, dayType: 'working', estimate: false });
const cd = (days: number): TimeLimit => ({ days, dayType: 'calendar', estimate: false });

function planItem(
  code: string,
  committedLimit: TimeLimit,
  prerequisites: string[] = [],
  over: Partial<PlanItem> = {},
) {
  return {
    code,
    nameZh: code,
    nameEn: code,
    department: 'NDRC',
    stage: 1,
    lane: 'stage',
    kind: 'promised',
    legalLimit: null,
    committedLimit,
    prerequisites,
    earlyStart: false,
    commitment: false,
    acceptWithGaps: false,
    ...over,
  } satisfies PlanItem;
}

const plan = (items: PlanItem[]): Plan => ({
  catalogVersion: 't',
  templateId: 'gov',
  category: 'government',
  items,
});

/**
 * A 3 → 0 → 5 chain (A, B immediate, C) and an 11-day item D (15 calendar days) before the permit (2 WD);
 * E (1 WD) stands alone; F (4 WD) follows the permit.
 */
const dag = plan([
  planItem('A', wd(3)),
  planItem('B', wd(5), ['A'], { kind: 'immediate' }),
  planItem('C', wd(5), ['B']),
  planItem('D', cd(15)),
  planItem('CONSTRUCTION-PERMIT', wd(2), ['C', 'D']),
  planItem('E', wd(1)),
  planItem('F', wd(4), ['CONSTRUCTION-PERMIT']),
]);

/**
 * April 2027: Monday the 5th is a synthetic holiday and Saturday the 10th a make-up workday. From Thursday
 * the 1st, working-day offsets run 0 Thu 1, 1 Fri 2, 2 Tue 6, 3 Wed 7, 4 Thu 8, 5 Fri 9, 6 Sat 10, 7 Mon 12,
 * 8 Tue 13, 9 Wed 14, 10 Thu 15, 11 Fri 16, 12 Mon 19, 13 Tue 20, 14 Wed 21, 15 Thu 22, 16 Fri 23, 17 Mon 26.
 */
const calendar = makeCalendar([syntheticYear(2027, { off: ['2027-04-05'], work: ['2027-04-10'] })]);

const byCode = (s: Schedule, code: string) => s.items.find((i) => i.code === code)!;
const dates = (s: Schedule) =>
  Object.fromEntries(s.items.map((i) => [i.code, [i.earliestStart, i.earliestFinish, i.slack]]));

describe('durationInWorkingDays', () => {
  it('keeps working days and converts calendar days at five working days a week, rounded up', () => {
    expect(durationInWorkingDays(wd(20))).toBe(20);
    expect([0, 1, 7, 15, 30, 60].map((d) => durationInWorkingDays(cd(d)))).toEqual([0, 1, 5, 11, 22, 43]);
  });

  it('plans immediate items as taking no time, whatever their limit', () => {
    expect(plannedDuration({ kind: 'immediate', committedLimit: wd(5) })).toBe(0);
    expect(plannedDuration({ kind: 'promised', committedLimit: cd(7) })).toBe(5);
  });
});

describe('schedulePlan, forward', () => {
  const s = schedulePlan(dag, calendar, { start: '2027-04-01' });

  it('gives earliest dates across the holiday and the make-up workday, and slack', () => {
    expect(dates(s)).toEqual({
      A: ['2027-04-01', '2027-04-07', 3],
      B: ['2027-04-07', '2027-04-07', 3],
      C: ['2027-04-07', '2027-04-13', 3],
      D: ['2027-04-01', '2027-04-16', 0],
      'CONSTRUCTION-PERMIT': ['2027-04-16', '2027-04-20', 0],
      E: ['2027-04-01', '2027-04-02', 16],
      F: ['2027-04-20', '2027-04-26', 0],
    });
    expect(s.items.filter((i) => i.critical).map((i) => i.code)).toEqual(['D', 'CONSTRUCTION-PERMIT', 'F']);
    expect(byCode(s, 'D').duration).toBe(11);
  });

  it('finds the permit’s and the plan’s earliest finish and the chains that drive them', () => {
    expect(s.start).toBe('2027-04-01');
    expect(s.permitFinish).toBe('2027-04-20');
    expect(s.finish).toBe('2027-04-26');
    expect(s.criticalPath).toEqual(['D', 'CONSTRUCTION-PERMIT', 'F']);
    expect(s.permitPath).toEqual(['D', 'CONSTRUCTION-PERMIT']);
    expect(s.provisional).toBe(false);
    expect([s.targetStart, s.countdown, s.targetFeasible, s.shortfall]).toEqual([null, null, null, null]);
    expect(byCode(s, 'A').latestStart).toBeUndefined();
  });

  it('keeps an immediate item on the path, in order', () => {
    const s2 = schedulePlan(dag, calendar, { start: '2027-04-01', done: { D: '2027-04-02' } });
    expect(s2.criticalPath).toEqual(['A', 'B', 'C', 'CONSTRUCTION-PERMIT', 'F']);
  });

  it('starts on the first working day when the start is not one', () => {
    const s2 = schedulePlan(dag, calendar, { start: '2027-04-03' });
    expect(s2.start).toBe('2027-04-06');
    expect(byCode(s2, 'A').earliestFinish).toBe('2027-04-09');
  });
});

describe('schedulePlan, backward from a target start', () => {
  it('gives latest starts for the items the permit waits on, and explains a shortfall', () => {
    const s = schedulePlan(dag, calendar, { start: '2027-04-01', targetStart: '2027-04-16' });
    const latest = Object.fromEntries(
      s.items.map((i) => [i.code, [i.latestStart, i.latestFinish, i.targetSlack]]),
    );
    expect(latest).toEqual({
      A: ['2027-04-02', '2027-04-08', 1],
      B: ['2027-04-08', '2027-04-08', 1],
      C: ['2027-04-08', '2027-04-14', 1],
      D: ['2027-03-30', '2027-04-14', -2],
      'CONSTRUCTION-PERMIT': ['2027-04-14', '2027-04-16', -2],
      E: [undefined, undefined, undefined],
      F: [undefined, undefined, undefined],
    });
    expect(s.countdown).toBe(11);
    expect(s.targetFeasible).toBe(false);
    expect(s.shortfall).toBe(
      'the construction permit can be issued on 2027-04-20 at the earliest, 2 working days after the target 2027-04-16',
    );
  });

  it('says one working day, singular', () => {
    const s = schedulePlan(dag, calendar, { start: '2027-04-01', targetStart: '2027-04-19' });
    expect(s.shortfall).toBe(
      'the construction permit can be issued on 2027-04-20 at the earliest, 1 working day after the target 2027-04-19',
    );
  });

  it('is feasible when the permit is out by a target that falls on a weekend (read as the Friday before)', () => {
    const s = schedulePlan(dag, calendar, { start: '2027-04-01', targetStart: '2027-04-24' });
    expect([s.targetFeasible, s.shortfall, s.countdown]).toEqual([true, null, 16]);
    expect(byCode(s, 'CONSTRUCTION-PERMIT').latestStart).toBe('2027-04-21');
    expect(byCode(s, 'D').targetSlack).toBe(3);
  });

  it('counts the countdown from the requested start, even a weekend one', () => {
    const s = schedulePlan(dag, calendar, { start: '2027-04-03', targetStart: '2027-04-16' });
    expect(s.countdown).toBe(10);
    expect(schedulePlan(dag, calendar, { start: '2027-04-20', targetStart: '2027-04-16' }).countdown).toBe(
      -2,
    );
  });

  it('cannot judge a target without a construction permit in the plan', () => {
    const s = schedulePlan(plan([planItem('A', wd(3))]), calendar, {
      start: '2027-04-01',
      targetStart: '2027-04-16',
    });
    expect([s.permitFinish, s.permitPath, s.targetFeasible, s.countdown]).toEqual([null, [], null, 11]);
    expect(s.shortfall).toBe('the plan has no CONSTRUCTION-PERMIT to schedule back from');
  });
});

describe('schedulePlan with items done', () => {
  it('replaces the estimate with the actual date; a Sunday finish counts from Monday', () => {
    const s = schedulePlan(dag, calendar, { start: '2027-04-01', done: { D: '2027-04-18' } });
    expect(byCode(s, 'D')).toMatchObject({
      done: true,
      duration: 0,
      earliestStart: '2027-04-18',
      earliestFinish: '2027-04-18',
    });
    expect(byCode(s, 'CONSTRUCTION-PERMIT')).toMatchObject({
      earliestStart: '2027-04-19',
      earliestFinish: '2027-04-21',
    });
    expect(s.criticalPath).toEqual(['D', 'CONSTRUCTION-PERMIT', 'F']);
    expect(s.finish).toBe('2027-04-27');
  });

  it('starts the critical path at a done item: what came before it is history', () => {
    const done = { A: '2027-04-06', B: '2027-04-07', C: '2027-04-07', D: '2027-04-02' };
    const s = schedulePlan(dag, calendar, { start: '2027-04-01', done });
    expect(s.criticalPath).toEqual(['C', 'CONSTRUCTION-PERMIT', 'F']);
    expect([s.permitFinish, s.finish]).toEqual(['2027-04-09', '2027-04-14']);
  });

  it('starts open items no earlier than a later recomputation’s start', () => {
    const s = schedulePlan(dag, calendar, {
      start: '2027-04-12',
      targetStart: '2027-04-23',
      done: { A: '2027-04-06', B: '2027-04-06' },
    });
    expect(byCode(s, 'C')).toMatchObject({ earliestStart: '2027-04-12', earliestFinish: '2027-04-19' });
    expect(byCode(s, 'D').earliestFinish).toBe('2027-04-27');
    expect(byCode(s, 'A').latestStart).toBeUndefined();
    expect(s.criticalPath).toEqual(['D', 'CONSTRUCTION-PERMIT', 'F']);
    expect(s.shortfall).toBe(
      'the construction permit can be issued on 2027-04-29 at the earliest, 4 working days after the target 2027-04-23',
    );
  });
});

describe('schedulePlan, calendar coverage and bad input', () => {
  it('is provisional when a date falls in a year without calendar data', () => {
    const s = schedulePlan(dag, calendar, { start: '2027-12-20' });
    expect(s.finish).toBe('2028-01-12');
    expect(s.provisional).toBe(true);
    expect(schedulePlan(dag, calendar, { start: '2027-04-01', targetStart: '2028-01-03' }).provisional).toBe(
      true,
    );
    expect(schedulePlan(dag, makeCalendar([]), { start: '2027-04-01' }).provisional).toBe(true);
  });

  it('refuses a plan that is not a DAG over its own items, and done items outside it', () => {
    const cyclic = plan([planItem('A', wd(1), ['B']), planItem('B', wd(1), ['A'])]);
    expect(() => schedulePlan(cyclic, calendar, { start: '2027-04-01' })).toThrow(
      'cannot schedule: cycle: A → B → A',
    );
    const dangling = plan([planItem('A', wd(1), ['GHOST'])]);
    expect(() => schedulePlan(dangling, calendar, { start: '2027-04-01' })).toThrow(
      'cannot schedule: A requires GHOST, which is not in the plan',
    );
    expect(() => schedulePlan(dag, calendar, { start: '2027-04-01', done: { Z: '2027-04-01' } })).toThrow(
      'done lists Z, which is not in the plan',
    );
  });
});

describe('schedulePlan: the last week before an unpublished year', () => {
  it('is firm when it ends before 25 December, provisional when it runs into that week', () => {
    // 17 working days: from Mon 1 November 2027 the plan ends on 24 November; from Monday 6 December, on the 29th.
    expect(schedulePlan(dag, calendar, { start: '2027-11-01' }).provisional).toBe(false);
    const december = schedulePlan(dag, calendar, { start: '2027-12-06' });
    expect(december.finish).toBe('2027-12-29');
    expect(december.provisional).toBe(true);
  });
});

describe('schedulePlan: approval time (审批用时) beside elapsed time', () => {
  // Offsets on the clock (s+1 … s+d): A 1–3, C 4–8, D 1–11, permit 12–13, E 1, F 14–17; B takes none.
  it('counts each working day once however many approvals run on it, and ends at the critical path', () => {
    const s = schedulePlan(dag, calendar, { start: '2027-04-01' });
    expect(s.approvalDays).toEqual({ counted: 17, elapsed: 17, countedToPermit: 13, elapsedToPermit: 13 });
  });

  it('leaves out the days of items whose time is not the government’s', () => {
    const kinds: Record<string, PlanItem['timeKind']> = { D: 'technical', F: 'owner' };
    const mixed = plan(dag.items.map((i) => ({ ...i, timeKind: kinds[i.code] ?? 'approval' })));
    const s = schedulePlan(mixed, calendar, { start: '2027-04-01' });
    // Left: A 1–3, C 4–8, E 1, permit 12–13 → {1 … 8, 12, 13}; D's 9–11 and F's 14–17 drop out.
    expect(s.approvalDays).toEqual({ counted: 10, elapsed: 17, countedToPermit: 10, elapsedToPermit: 13 });
  });

  it('plans no time for items already done, and has no permit figures once the permit is done', () => {
    const s = schedulePlan(dag, calendar, {
      start: '2027-04-01',
      done: {
        A: '2027-04-01',
        B: '2027-04-01',
        C: '2027-04-01',
        D: '2027-04-01',
        'CONSTRUCTION-PERMIT': '2027-04-01',
      },
    });
    // E 1, F 1–4 (after the permit, done on offset 0).
    expect(s.approvalDays).toEqual({ counted: 4, elapsed: 4, countedToPermit: null, elapsedToPermit: null });
  });
});

describe('schedulePlan over the shipped gov-building template', () => {
  it('runs the permit’s critical path through the land items, on the shipped calendar', () => {
    const result = instantiatePlan(shippedCatalog, 'gov-building');
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.plan.items.length).toBeGreaterThanOrEqual(45);
    const s = schedulePlan(result.plan, makeCalendar(shippedCalendarYears), {
      start: '2025-03-03',
      targetStart: '2025-06-02',
    });
    const land = [
      'LAND-PREEXAM',
      'FEASIBILITY',
      'LAND-CONVERSION',
      'LAND-ALLOCATION',
      'LAND-USE-PLANNING-PERMIT',
    ];
    expect(s.permitPath.filter((code) => land.includes(code))).toEqual(land);
    expect(s.permitPath.at(-1)).toBe('CONSTRUCTION-PERMIT');
    expect(s.criticalPath.slice(0, s.permitPath.length)).toEqual(s.permitPath);
    for (const code of s.permitPath) expect(byCode(s, code)).toMatchObject({ critical: true, slack: 0 });
    expect(s.permitFinish).toBe(byCode(s, 'CONSTRUCTION-PERMIT').earliestFinish);
    expect(s.targetFeasible).toBe(false);
    expect(s.shortfall).toMatch(
      /^the construction permit can be issued on 20\d\d-\d\d-\d\d at the earliest, \d+ working days after the target 2025-06-02$/,
    );
    expect(s.provisional).toBe(false);
  });
});
