import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import { applyDecision, Decision } from '../../domain/decisions';
import { forecastFromRecord, forecastProject, type PerformanceMemo } from '../../domain/forecast';
import { measurePerformance, type ProblemRecord } from '../../domain/performance';
import type { PlanItem } from '../../domain/plan';
import { applyProblemAction, ProblemAction } from '../../domain/problems';
import { createProjectState, type ProjectState } from '../../domain/project';
import { committed, cst, item, record, times } from '../helpers/forecast-records';
import { newProject, smallPlan, testCalendarYears } from '../helpers/projects';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday. From Mon 06-04, working-day
// offsets run 0 Mon 4, 1 Tue 5, 2 Wed 6, 3 Thu 7, 4 Fri 8, 5 Mon 11, 6 Tue 12, 7 Wed 13, 8 Sat 16, 9 Mon 18,
// 10 Tue 19, 11 Wed 20, 12 Thu 21, 13 Fri 22, 14 Mon 25, 15 Tue 26, 16 Wed 27, 17 Thu 28, 18 Fri 29, 19 Mon
// 07-02.
const calendar = makeCalendar(testCalendarYears());
const MON = cst('2035-06-04T10:00:00');
const PERMIT = 'CONSTRUCTION-PERMIT';

function project(items: PlanItem[], targetStart?: string): ProjectState {
  return createProjectState(newProject('FC-1', smallPlan(items), targetStart ? { targetStart } : {}), MON);
}

function decide(state: ProjectState, input: object, at = MON) {
  applyDecision(state, Decision.parse(input), at, calendar);
}
const secretary = { role: 'secretary', id: 'sec-wang' };
const dept = (department: string) => ({ role: 'department', department });

describe('forecast', () => {
  it('a chain with an empty record is the plan: committed limits, every sample alike', () => {
    const items = [item('A', 'FGW', 8), item('B', 'ZJ', 5, ['A']), item(PERMIT, 'ZJ', 2, ['B'])];
    const perf = measurePerformance([], calendar, { committedDays: committed(items), priorSpread: 0 });
    const f = forecastProject(project(items, '2035-06-26'), perf, { calendar, now: MON, samples: 200 });
    // 8 + 5 + 2 = 15 working days: Tue 06-26.
    expect(f.permit).toEqual({ p50: '2035-06-26', p80: '2035-06-26', p95: '2035-06-26' });
    expect(f.planPermit).toBe('2035-06-26');
    expect(f.baselinePermit).toBe('2035-06-26');
    expect(f.probabilityOnTarget).toBe(1);
    expect(f.items.map((i) => i.criticality)).toEqual([1, 1, 1]);
    expect(f.riskDrivers).toEqual([]);
    expect(f.permitDistribution).toEqual([{ date: '2035-06-26', share: 1 }]);
    const late = forecastProject(project(items, '2035-06-25'), perf, { calendar, now: MON, samples: 200 });
    expect(late.probabilityOnTarget).toBe(0);
  });

  it('an empty record with the default spread centres on the committed limits', () => {
    const items = [item(PERMIT, 'ZJ', 8)];
    const perf = measurePerformance([], calendar, { committedDays: committed(items) });
    const f = forecastProject(project(items), perf, { calendar, now: MON, samples: 2000 });
    // Log-normal around 8 days (σ 0.3 of log(1 + days)): median offset 8, Sat 06-16; the 95th further out.
    expect(f.permit!.p50).toBe('2035-06-16');
    expect(f.permit!.p95 > '2035-06-21').toBe(true);
  });

  it('a chain with history: the shrunk mixture, sample for sample', () => {
    const items = [item('A', 'FGW', 8), item('B', 'ZJ', 5, ['A']), item(PERMIT, 'JS', 2, ['B'])];
    const perf = measurePerformance(
      times(15, () => record('A', 'FGW', 10)),
      calendar,
      { committedDays: committed(items), priorSpread: 0 },
    );
    const f = forecastProject(project(items), perf, { calendar, now: MON, samples: 5000 });
    // A takes 10 days with probability 1 − 0.25 × 0.25 = 15/16, else its limit 8: the permit at 17 or 15.
    expect(f.permit).toEqual({ p50: '2035-06-28', p80: '2035-06-28', p95: '2035-06-28' });
    const early = f.permitDistribution.find((d) => d.date === '2035-06-26')!.share;
    expect(Math.abs(early - 1 / 16)).toBeLessThan(0.015);
    expect(f.planPermit).toBe('2035-06-26');
    // A slips 2 days in 15/16 of the samples: 1.9 days on the chain on average.
    expect(f.riskDrivers.map((r) => [r.code, r.meanSlipDays])).toEqual([['A', 1.9]]);
  });

  it('a fork: the permit waits for the later branch; criticality splits between them', () => {
    const items = [item('A', 'FGW', 8), item('B', 'ZJ', 8), item(PERMIT, 'JS', 2, ['A', 'B'])];
    // k = 0: each item's own record alone, 8 or 12 days with equal chance.
    const perf = measurePerformance(
      [
        ...times(4, (i) => record('A', 'FGW', i % 2 ? 12 : 8)),
        ...times(4, (i) => record('B', 'ZJ', i % 2 ? 12 : 8)),
      ],
      calendar,
      { committedDays: committed(items), priorWeight: 0, priorSpread: 0 },
    );
    const f = forecastProject(project(items, '2035-06-19'), perf, { calendar, now: MON, samples: 8000 });
    // max(A, B) + 2: offset 10 (Tue 06-19) only when both take 8, a quarter of the samples; else 14 (Mon 06-25).
    expect(Math.abs(f.probabilityOnTarget! - 0.25)).toBeLessThan(0.02);
    expect(f.permit).toEqual({ p50: '2035-06-25', p80: '2035-06-25', p95: '2035-06-25' });
    // On a tie A, listed first, holds the permit: A drives in 3 of 4 cases, B only when it alone takes 12.
    const [a, b, permit] = f.items;
    expect(Math.abs(a!.criticality - 0.75)).toBeLessThan(0.02);
    expect(Math.abs(b!.criticality - 0.25)).toBeLessThan(0.02);
    expect(permit!.criticality).toBe(1);
    // A slips 4 days when it takes 12 (half the samples), B when it alone takes 12 (a quarter).
    expect(Math.abs(a!.meanSlipDays - 2)).toBeLessThan(0.15);
    expect(Math.abs(b!.meanSlipDays - 1)).toBeLessThan(0.15);
    expect(f.riskDrivers.map((r) => r.code)).toEqual(['A', 'B']);
  });

  describe('a project with a blocking problem', () => {
    const items = [item('A', 'FGW', 8), item(PERMIT, 'ZJ', 2, ['A'])];
    const blocked = () => {
      const state = project(items);
      decide(state, { action: 'submit', item: 'A', actor: secretary });
      decide(state, { action: 'accept', item: 'A', actor: dept('FGW') });
      applyProblemAction(
        state,
        ProblemAction.parse({
          action: 'raise',
          actor: secretary,
          title: '高压线迁改',
          description: '线路需迁改',
          blocksItem: 'A',
          deadline: '2035-06-13',
        }),
        MON,
        calendar,
      );
      return state;
    };

    it("stops A's clock until the problem's deadline, then A runs its 8 days", () => {
      const perf = measurePerformance([], calendar, { committedDays: committed(items), priorSpread: 0 });
      const f = forecastProject(blocked(), perf, { calendar, now: MON, samples: 100 });
      // Solved on Wed 06-13 (offset 7); A finishes at 15, the permit at 17: Thu 06-28.
      expect(f.permit!.p50).toBe('2035-06-28');
      expect(f.items[0]).toMatchObject({ code: 'A', criticality: 1, meanSlipDays: 7 });
      expect(f.planPermit).toBe('2035-06-28');
      expect(f.baselinePermit).toBe('2035-06-19');
    });

    it('solves it as late as the record of solved problems says', () => {
      // Every solved problem came 2 working days after its deadline; k = 0 takes the record alone.
      const solvedLate: ProblemRecord[] = times(3, () => ({
        deadlineAt: new Date(cst('2035-03-06T00:00:00')).toISOString(), // the end of Mon 03-05
        resolvedAt: new Date(cst('2035-03-07T15:00:00')).toISOString(),
      }));
      const perf = measurePerformance(
        [],
        calendar,
        { committedDays: committed(items), priorSpread: 0, priorWeight: 0 },
        solvedLate,
      );
      const f = forecastProject(blocked(), perf, { calendar, now: MON, samples: 100 });
      expect(f.permit!.p50).toBe('2035-07-02'); // 7 + 2 + 8 + 2 = 19
    });
  });

  it('keeps done items as facts and what a running clock has spent', () => {
    const items = [item('A', 'FGW', 3), item('B', 'ZJ', 8), item(PERMIT, 'JS', 2, ['A', 'B'])];
    const state = project(items);
    for (const action of ['submit', 'accept', 'approve'])
      decide(state, {
        action,
        item: 'A',
        actor: action === 'submit' ? secretary : dept('FGW'),
        documentNo: 'x',
      });
    decide(state, { action: 'submit', item: 'B', actor: secretary });
    decide(state, { action: 'accept', item: 'B', actor: dept('ZJ') });
    const perf = measurePerformance([], calendar, { committedDays: committed(items), priorSpread: 0 });
    // Five working days later (Mon 06-11): B has 3 of its 8 days left, so it finishes at offset 3 (Sat 06-16,
    // the make-up day), the permit at 5: Tue 06-19.
    const f = forecastProject(state, perf, { calendar, now: cst('2035-06-11T10:00:00'), samples: 50 });
    expect(f.asOf).toBe('2035-06-11');
    expect(f.permit!.p50).toBe('2035-06-19');
    expect(f.items[0]).toMatchObject({ code: 'A', finish: null, criticality: 0 });
  });

  it('an early start: submitted with its prerequisite, decided in the days pre-reviewed applications took', () => {
    const items = [
      item('A', 'FGW', 8),
      { ...item('B', 'ZJ', 10, ['A']), earlyStart: true },
      item(PERMIT, 'JS', 2, ['B']),
    ];
    // B: pre-reviewed applications were decided 2 days after their clock started, the others 10 (k = 0).
    const perf = measurePerformance(
      [...times(4, () => record('B', 'ZJ', 2, false, true)), ...times(4, () => record('B', 'ZJ', 10))],
      calendar,
      { committedDays: committed(items), priorWeight: 0, priorSpread: 0 },
    );
    const f = forecastProject(project(items), perf, { calendar, now: MON, samples: 300 });
    // B is submitted and accepted on day 0 beside A, its clock waits for A (8) and runs 2: the permit at 12.
    expect(f.permit).toEqual({ p50: '2035-06-21', p80: '2035-06-21', p95: '2035-06-21' });
    // The plan's answer: B's 10 committed days from A's finish, then the permit's 2: offset 20, Tue 07-03.
    expect(f.planPermit).toBe('2035-07-03');
  });

  it('is deterministic for a seed', () => {
    const items = [item('A', 'FGW', 8), item(PERMIT, 'JS', 2, ['A'])];
    const perf = measurePerformance(
      times(6, (i) => record('A', 'FGW', 4 + 3 * i)),
      calendar,
      {
        committedDays: committed(items),
      },
    );
    const run = (seed: string) =>
      forecastProject(project(items), perf, { calendar, now: MON, samples: 500, seed });
    expect(run('s1')).toEqual(run('s1'));
    expect(run('s1').permitDistribution).not.toEqual(run('s2').permitDistribution);
  });

  it('measures a record once per calendar and committed limits for many projects, with the same answers', () => {
    const items = [item('A', 'FGW', 8), item(PERMIT, 'JS', 2, ['A'])];
    const longer = [item('A', 'FGW', 12), item(PERMIT, 'JS', 2, ['A'])];
    const rec = { records: times(6, (i) => record('A', 'FGW', 4 + 3 * i)), problems: [] };
    const memo: PerformanceMemo = new Map();
    const opts = { now: MON, samples: 300, seed: 's' };
    const first = forecastFromRecord(rec, project(items), { ...opts, memo });
    const again = forecastFromRecord(rec, project(items), { ...opts, memo });
    expect(memo.size).toBe(1);
    expect(again.performance).toBe(first.performance);
    expect(again.forecast).toEqual(forecastFromRecord(rec, project(items), opts).forecast);
    // Other committed limits are another measurement: A's 12 days scale the record differently.
    const other = forecastFromRecord(rec, project(longer), { ...opts, memo });
    expect(memo.size).toBe(2);
    expect(other.forecast).toEqual(forecastFromRecord(rec, project(longer), opts).forecast);
    expect(other.forecast.permit).not.toEqual(first.forecast.permit);
  });
});
