import { describe, expect, it } from 'vitest';
import { annualPlan } from '../../domain/annual-plan';
import { dueDateOf, makeCalendar, type Pause, syntheticYear } from '../../domain/calendar';
import { monthBounds } from '../../domain/periods';
import {
  departmentMonthly,
  percentile,
  projectLedger,
  type ReportItem,
  type ReportProject,
  rankDepartments,
  returnsLedger,
} from '../../domain/reports';
import { leaderProjects, projectStanding, targetShortZh } from '../../domain/standing';

/**
 * A small scripted programme, every figure computed by hand.
 *
 * Calendar: 2031 with a synthetic Labour Day holiday — Thursday 1, Friday 2 and Monday 5 May off — and
 * Saturday 10 May a make-up workday. Working days around it:
 *   April: Mon 28, Tue 29, Wed 30 | May: Tue 6, Wed 7, Thu 8, Fri 9, Sat 10, Mon 12 … Fri 16, 19 … 23, 26 … 30
 *   | June: Mon 2, Tue 3 (Sunday 1 June is off).
 * Now: Tuesday 3 June 2031, 10:00 CST.
 *
 * Project P1 (leader li, target start Mon 16 June), items (ZJ 住建局, ZRZY 自然资源和规划局):
 *   A ZJ   5 WD, accepted Mon 28 Apr, finished Wed 7 May 15:00 (on time), no return
 *   B ZJ  10 WD, accepted Tue 29 Apr, returned twice, finished Fri 16 May (on time)
 *   C ZRZY 3 WD, accepted Wed 7 May, due Sat 10 May (the make-up day), finished Wed 14 May (late)
 *   D ZRZY 5 WD, accepted Wed 30 Apr, due Sat 10 May, still open (overdue, rung 4 约谈)
 *   E ZJ   waiting, latest start Fri 30 May (passed: the target start is out of reach)
 *   F ZRZY 5 WD, accepted Mon 12 May, returned once, finished Tue 20 May (on time)
 *   H ZJ   5 WD, accepted Mon 26 May, finished Sun 1 June 00:30 CST — still 31 May in UTC — on time
 * Project P2 (leader zhou, no target), FGW 发改委: I 1 WD decided on time in May; J planned for 2032.
 */

const calendar = makeCalendar([
  syntheticYear(2031, { off: ['2031-05-01', '2031-05-02', '2031-05-05'], work: ['2031-05-10'] }),
]);
/** A CST wall-clock time as the ISO instant the read model returns. */
const at = (cst: string) => new Date(`${cst.replace(' ', 'T')}:00+08:00`).toISOString();
const now = Date.parse(at('2031-06-03 10:00'));

const departmentNames: Record<string, string> = {
  ZJ: '住建局',
  ZRZY: '自然资源和规划局',
  FGW: '发改委',
  RF: '人防办',
};

function item(itemCode: string, department: string, over: Partial<ReportItem> = {}): ReportItem {
  return {
    projectCode: 'P1',
    itemCode,
    nameZh: `事项${itemCode}`,
    department,
    departmentName: departmentNames[department] ?? null,
    stage: 2,
    status: 'waiting',
    plannedStart: null,
    plannedFinish: null,
    latestStart: null,
    submittedAt: null,
    acceptedAt: null,
    dueAt: null,
    dueDate: over.dueAt ? dueDateOf(over.dueAt) : null,
    provisional: false,
    finishedAt: null,
    workingDaysUsed: null,
    returns: 0,
    rung: 0,
    timeKind: 'approval',
    clockStart: null,
    pauses: [],
    ...over,
  };
}

/** A decided item: submitted and accepted at `accepted`. */
const decided = (accepted: string, due: string, finished: string, used: number) => ({
  status: 'approved',
  submittedAt: at(accepted),
  acceptedAt: at(accepted),
  dueAt: at(due),
  finishedAt: at(finished),
  workingDaysUsed: used,
});

const A = item('A', 'ZJ', {
  stage: 1,
  plannedStart: '2031-04-28',
  plannedFinish: '2031-05-08',
  // Due: 5 WD after Mon 28 Apr = Tue 29, Wed 30, Tue 6, Wed 7, Thu 8 → end of Thu 8 May.
  // Used: Tue 29, Wed 30, Tue 6, Wed 7 = 4.
  ...decided('2031-04-28 09:00', '2031-05-09 00:00', '2031-05-07 15:00', 4),
});
const B = item('B', 'ZJ', {
  stage: 1,
  plannedStart: '2031-04-29',
  plannedFinish: '2031-05-14',
  returns: 2,
  // Returned Tue 6 May 11:00, resubmitted Thu 8 09:00 (7 and 8 paused); returned Mon 12 10:00, resubmitted
  // Tue 13 16:00 (13 paused). Due: 10 WD = Wed 30, Tue 6, Fri 9, Sat 10, Mon 12, Wed 14, Thu 15, Fri 16,
  // Mon 19, Tue 20 → end of Tue 20 May. Used to Fri 16: Wed 30, Tue 6, Fri 9, Sat 10, Mon 12, Wed 14,
  // Thu 15, Fri 16 = 8.
  ...decided('2031-04-29 10:00', '2031-05-21 00:00', '2031-05-16 14:00', 8),
});
const C = item('C', 'ZRZY', {
  plannedStart: '2031-05-07',
  plannedFinish: '2031-05-10',
  rung: 3,
  // Due: 3 WD = Thu 8, Fri 9, Sat 10 (make-up) → end of Sat 10 May. Used to Wed 14: Thu 8, Fri 9, Sat 10,
  // Mon 12, Tue 13, Wed 14 = 6. Late.
  ...decided('2031-05-07 09:00', '2031-05-11 00:00', '2031-05-14 10:00', 6),
});
const D = item('D', 'ZRZY', {
  plannedStart: '2031-04-30',
  plannedFinish: '2031-05-10',
  status: 'accepted',
  submittedAt: at('2031-04-30 09:00'),
  acceptedAt: at('2031-04-30 09:00'),
  // Due: 5 WD = Tue 6, Wed 7, Thu 8, Fri 9, Sat 10 → end of Sat 10 May.
  dueAt: at('2031-05-11 00:00'),
  rung: 4,
});
const E = item('E', 'ZJ', {
  stage: 3,
  plannedStart: '2031-05-21',
  plannedFinish: '2031-06-04',
  latestStart: '2031-05-30',
});
const F = item('F', 'ZRZY', {
  plannedStart: '2031-05-12',
  plannedFinish: '2031-05-19',
  returns: 1,
  // Returned Tue 13 10:00, resubmitted Wed 14 09:00 (14 paused). Due: 5 WD = Tue 13, Thu 15, Fri 16,
  // Mon 19, Tue 20 → end of Tue 20 May. Used to Tue 20 11:00: Tue 13, Thu 15, Fri 16, Mon 19, Tue 20 = 5.
  ...decided('2031-05-12 09:00', '2031-05-21 00:00', '2031-05-20 11:00', 5),
});
const H = item('H', 'ZJ', {
  plannedStart: '2031-05-26',
  plannedFinish: '2031-06-02',
  // Due: 5 WD = Tue 27, Wed 28, Thu 29, Fri 30, Mon 2 June → end of Mon 2 June. Used to Sun 1 June 00:30:
  // Tue 27, Wed 28, Thu 29, Fri 30 = 4.
  ...decided('2031-05-26 09:00', '2031-06-03 00:00', '2031-06-01 00:30', 4),
});
const I = item('I', 'FGW', {
  projectCode: 'P2',
  stage: 1,
  plannedStart: '2031-05-06',
  plannedFinish: '2031-05-07',
  // Due: 1 WD = Wed 7 → end of Wed 7 May. Used: Wed 7 = 1.
  ...decided('2031-05-06 09:00', '2031-05-08 00:00', '2031-05-07 16:00', 1),
});
const J = item('J', 'FGW', { projectCode: 'P2', plannedStart: '2032-03-01', plannedFinish: '2032-03-10' });
const items = [A, B, C, D, E, F, H, I, J];

const project = (code: string, over: Partial<ReportProject> = {}): ReportProject => ({
  code,
  name: `项目${code}`,
  leader: 'leader-li',
  secretary: 'sec-wang',
  targetStart: null,
  stage: 2,
  status: 'active',
  overdueItems: 0,
  escalationLevel: 0,
  ...over,
});
const P1 = project('P1', { targetStart: '2031-06-16', overdueItems: 1, escalationLevel: 4 });
const P2 = project('P2', { leader: 'leader-zhou', secretary: 'sec-zhao' });
const departments = Object.entries(departmentNames).map(([code, nameZh]) => ({ code, nameZh }));
// Points lost, as the read model holds them per department and project.
const scores = [
  { department: 'ZJ', projectCode: 'P1', points: 1 },
  { department: 'ZJ', projectCode: 'P2', points: 2 },
  { department: 'FGW', projectCode: 'P2', points: 5 },
  { department: 'ZRZY', projectCode: 'P1', points: 18 },
];

describe('the scripted project', () => {
  it("stores the figures the workflow's calendar gives (pauses for correction excluded)", () => {
    const pause = (from: string, to: string): Pause => ({
      from: Date.parse(at(from)),
      to: Date.parse(at(to)),
    });
    const cases: [ReportItem, number, Pause[]][] = [
      [A, 5, []],
      [B, 10, [pause('2031-05-06 11:00', '2031-05-08 09:00'), pause('2031-05-12 10:00', '2031-05-13 16:00')]],
      [C, 3, []],
      [F, 5, [pause('2031-05-13 10:00', '2031-05-14 09:00')]],
      [H, 5, []],
      [I, 1, []],
    ];
    for (const [i, days, pauses] of cases) {
      const start = Date.parse(i.acceptedAt!);
      const due = calendar.deadline(start, { days, dayType: 'working' }, pauses);
      expect(new Date(due!.dueAt).toISOString(), i.itemCode).toBe(i.dueAt);
      expect(calendar.workingDaysBetween(start, Date.parse(i.finishedAt!), pauses), i.itemCode).toBe(
        i.workingDaysUsed,
      );
    }
    expect(calendar.deadline(Date.parse(D.acceptedAt!), { days: 5, dayType: 'working' })!.dueDate).toBe(
      '2031-05-10',
    );
  });
});

describe('projectLedger', () => {
  const ledger = projectLedger(
    items.filter((i) => i.projectCode === 'P1'),
    calendar,
    now,
  );
  const row = (code: string) => ledger.find((l) => l.itemCode === code)!;

  it('lists every item by stage, planned start and code', () => {
    expect(ledger.map((l) => l.itemCode)).toEqual(['A', 'B', 'D', 'C', 'F', 'H', 'E']);
  });

  it('reports working days used: stored once finished, counted to now while open', () => {
    expect(ledger.map((l) => [l.itemCode, l.workingDaysUsed])).toEqual([
      ['A', 4],
      ['B', 8],
      // D, open since Wed 30 Apr: May 6–10 (5, with Sat 10), 12–16 (5), 19–23 (5), 26–30 (5), June 2, 3 (2)
      // = 22; the three holidays and the weekends are not counted.
      ['D', 22],
      ['C', 6],
      ['F', 5],
      ['H', 4],
      ['E', null], // not accepted: no clock
    ]);
  });

  it('marks on time (decided by the due time) and overdue (open past due)', () => {
    expect(ledger.map((l) => [l.itemCode, l.onTime, l.overdue])).toEqual([
      ['A', true, false],
      ['B', true, false],
      ['D', null, true], // due end of 10 May, open on 3 June
      ['C', false, false], // decided 14 May, due end of 10 May
      ['F', true, false],
      ['H', true, false], // decided 1 June 00:30, due end of 2 June
      ['E', null, false],
    ]);
    expect(row('B')).toMatchObject({ returns: 2, rung: 0, department: 'ZJ', departmentName: '住建局' });
    expect(row('D')).toMatchObject({ rung: 4, dueAt: at('2031-05-11 00:00') });
  });
});

describe('departmentMonthly', () => {
  it('takes months in China Standard Time', () => {
    expect(monthBounds('2031-05')).toEqual({
      from: Date.parse('2031-04-30T16:00:00Z'),
      to: Date.parse('2031-05-31T16:00:00Z'),
    });
    expect(() => monthBounds('2031-13')).toThrow(RangeError);
  });

  it('computes May 2031 per department and ranks them', () => {
    // Urgings (催办) are counted as given, by department; a department not given was urged 0 times.
    const urgings = [
      { department: 'ZRZY', urgings: 3 },
      { department: 'FGW', urgings: 1 },
    ];
    const may = departmentMonthly({ month: '2031-05', items, scores, departments, now, urgings });
    expect(may).toEqual([
      {
        department: 'ZJ',
        nameZh: '住建局',
        // A (7 May) and B (16 May); H was decided 1 June 00:30 CST, in June although 31 May in UTC.
        handled: 2,
        onTime: 2,
        onTimeRate: 1, // 2 / 2
        meanWorkingDays: 6, // (4 + 8) / 2
        p90WorkingDays: 8, // sorted [4, 8], rank ⌈0.9 × 2⌉ = 2 → 8
        overdue: 0, // E not accepted; H due 2 June, after the month end
        points: 3, // 1 (P1) + 2 (P2)
        urgings: 0,
        rank: 1,
      },
      {
        department: 'FGW',
        nameZh: '发改委',
        handled: 1,
        onTime: 1,
        onTimeRate: 1, // 1 / 1
        meanWorkingDays: 1,
        p90WorkingDays: 1, // rank ⌈0.9 × 1⌉ = 1
        overdue: 0,
        points: 5,
        urgings: 1,
        rank: 2, // same rate as ZJ, more points lost (5 > 3)
      },
      {
        department: 'ZRZY',
        nameZh: '自然资源和规划局',
        handled: 2, // C (14 May, late) and F (20 May)
        onTime: 1,
        onTimeRate: 0.5, // 1 / 2
        meanWorkingDays: 5.5, // (6 + 5) / 2
        p90WorkingDays: 6, // sorted [5, 6], rank 2 → 6
        overdue: 2, // D open and past due at the month end + C decided late in May
        points: 18,
        urgings: 3,
        rank: 3,
      },
      {
        department: 'RF',
        nameZh: '人防办',
        handled: 0,
        onTime: 0,
        onTimeRate: null,
        meanWorkingDays: null,
        p90WorkingDays: null,
        overdue: 0,
        points: 0,
        urgings: 0,
        rank: 4, // handled nothing: after every department that did
      },
    ]);
  });

  it('reports the current month as of now', () => {
    const june = departmentMonthly({ month: '2031-06', items, scores, departments, now });
    const zj = june.find((r) => r.department === 'ZJ')!;
    const zrzy = june.find((r) => r.department === 'ZRZY')!;
    expect([zj.handled, zj.onTimeRate, zj.meanWorkingDays, zj.overdue]).toEqual([1, 1, 4, 0]); // H
    expect([zrzy.handled, zrzy.onTimeRate, zrzy.overdue]).toEqual([0, null, 1]); // D still open past due
    // April: nothing decided; D not yet due at the end of April.
    const april = departmentMonthly({ month: '2031-04', items, scores, departments, now });
    expect(april.every((r) => r.handled === 0 && r.overdue === 0)).toBe(true);
  });
});

describe('departmentMonthly edge cases', () => {
  it('counts a rejection before acceptance as handled on time, and leaves waived items out', () => {
    const rejected = item('K', 'RF', {
      status: 'rejected',
      submittedAt: at('2031-05-12 09:00'),
      finishedAt: at('2031-05-12 11:00'), // 不予受理 at the window: no clock, no due date
    });
    const waived = item('L', 'RF', { status: 'waived', finishedAt: at('2031-05-13 09:00') });
    const rf = departmentMonthly({
      month: '2031-05',
      items: [rejected, waived],
      scores,
      departments,
      now,
    }).find((r) => r.department === 'RF')!;
    expect(rf).toMatchObject({ handled: 1, onTime: 1, onTimeRate: 1, meanWorkingDays: null, rank: 1 });
  });
});

describe('rankDepartments and percentile', () => {
  it('gives equal rate and points an equal rank (1, 2, 2, 4)', () => {
    const ranked = rankDepartments([
      { department: 'D', onTimeRate: 0.5, points: 0 },
      { department: 'B', onTimeRate: 0.8, points: 4 },
      { department: 'A', onTimeRate: 0.9, points: 9 },
      { department: 'C', onTimeRate: 0.8, points: 4 },
    ]);
    expect(ranked.map((r) => [r.department, r.rank])).toEqual([
      ['A', 1],
      ['B', 2],
      ['C', 2],
      ['D', 4],
    ]);
  });

  it('takes the nearest rank', () => {
    expect(percentile([], 90)).toBeNull();
    expect(percentile([10, 1, 9, 2, 8, 3, 7, 4, 6, 5], 90)).toBe(9); // rank ⌈0.9 × 10⌉ = 9
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90)).toBe(10); // rank ⌈9.9⌉ = 10
  });
});

describe('a leader’s projects and their colour', () => {
  const p1Items = items.filter((i) => i.projectCode === 'P1');

  it('shows P1 red: the interview rung and a passed latest start', () => {
    const lines = leaderProjects([P1, P2], items, calendar, now);
    expect(lines.map((l) => [l.code, l.colour])).toEqual([
      ['P1', 'red'],
      ['P2', 'green'],
    ]);
    expect(lines[0]).toMatchObject({
      lateStarts: ['E'], // latest start 30 May < today 3 June, not accepted
      overdueItems: 1, // D
      // Working days after Tue 3 June up to Mon 16 June: 4, 5, 6, 9, 10, 11, 12, 13, 16 = 9.
      countdown: 9,
      targetShortBy: null,
      reasons: ['已触发红牌督办（第 4 级）', '开工目标正在延误：E 已过最晚开始日仍未受理', '1 个事项超期'],
    });
  });

  it('does not colour a target the plan could never meet: it says by how much, once', () => {
    const quiet = { ...P1, escalationLevel: 0, overdueItems: 0 };
    // K's latest start lies before its planned start: from the first day the plan was short of the target.
    // Working days after Mon 12 May up to Mon 19 May: 13, 14, 15, 16, 19 = 5.
    const K = item('K', 'ZJ', {
      plannedStart: '2031-05-19',
      plannedFinish: '2031-05-26',
      latestStart: '2031-05-12',
    });
    const closed = p1Items.filter((i) => i !== E && i !== D);
    const standing = projectStanding(quiet, [...closed, K], calendar, now);
    expect(standing).toMatchObject({ colour: 'green', lateStarts: [], targetShortBy: 5, reasons: [] });
    expect(targetShortZh(standing.targetShortBy)).toBe(
      '按当前计划，目标开工日不可行：关键路径需压缩 5 个工作日，或推迟目标开工日',
    );
    // Once it is red for what someone must act on, the shortfall stays beside it.
    expect(projectStanding({ ...quiet, escalationLevel: 3 }, [...closed, K], calendar, now)).toMatchObject({
      colour: 'red',
      targetShortBy: 5,
    });
  });

  it('applies the rule: red ≥ level 3 or a late start; yellow ≥ level 2 or overdue; else green', () => {
    const quiet = { ...P1, escalationLevel: 0, overdueItems: 0 };
    const withoutE = p1Items.filter((i) => i !== E);
    const closed = withoutE.filter((i) => i !== D);
    // A read model that has not caught up with the escalation still shows the late start.
    expect(projectStanding(quiet, p1Items, calendar, now).colour).toBe('red');
    expect(projectStanding({ ...P1, escalationLevel: 3 }, closed, calendar, now).colour).toBe('red');
    const yellow = projectStanding({ ...quiet, escalationLevel: 2 }, withoutE, calendar, now);
    expect([yellow.colour, yellow.reasons]).toEqual(['yellow', ['已触发黄牌预警', '1 个事项超期']]);
    // Overdue now (D), although the read model's count is 0.
    expect(projectStanding(quiet, withoutE, calendar, now)).toMatchObject({
      colour: 'yellow',
      overdueItems: 1,
    });
    expect(projectStanding({ ...quiet, overdueItems: 2 }, closed, calendar, now).colour).toBe('yellow');
    expect(projectStanding(quiet, closed, calendar, now)).toMatchObject({ colour: 'green', reasons: [] });
    // E accepted today: started, so not a late start.
    const started = {
      ...E,
      status: 'accepted',
      acceptedAt: at('2031-06-03 09:00'),
      dueAt: at('2031-06-11 00:00'),
    };
    expect(projectStanding(quiet, [...closed, started], calendar, now).colour).toBe('green');
  });

  it('counts the countdown back once the target has passed', () => {
    // Target Fri 30 May, today Tue 3 June: working days after 30 May up to 3 June = Mon 2, Tue 3 → −2.
    expect(projectStanding({ ...P2, targetStart: '2031-05-30' }, [], calendar, now).countdown).toBe(-2);
    expect(projectStanding(P2, [], calendar, now).countdown).toBeNull();
  });
});

describe('annualPlan', () => {
  it('lists items planned to start or finish in 2031 per project and department', () => {
    const plan = annualPlan(2031, [P2, P1], items, calendar, now);
    expect(plan.projects.map((p) => [p.code, p.items.map((i) => i.itemCode)])).toEqual([
      ['P1', ['A', 'B', 'D', 'C', 'F', 'E', 'H']], // by planned start
      ['P2', ['I']], // J is planned for 2032
    ]);
    const d = plan.projects[0]!.items.find((i) => i.itemCode === 'D')!;
    expect([d.done, d.behindPlan, d.projectName]).toEqual([false, true, '项目P1']); // planned finish 10 May
    expect(plan.departments).toEqual([
      { department: 'FGW', nameZh: '发改委', planned: 1, done: 1, open: 0, behindPlan: 0 },
      // A, B, H done; E open, planned to finish 4 June (not yet behind).
      { department: 'ZJ', nameZh: '住建局', planned: 4, done: 3, open: 1, behindPlan: 0 },
      // C, F done; D open and behind its plan.
      { department: 'ZRZY', nameZh: '自然资源和规划局', planned: 3, done: 2, open: 1, behindPlan: 1 },
    ]);
    const next = annualPlan(2032, [P1, P2], items, calendar, now);
    expect(next.projects.map((p) => [p.code, p.items.map((i) => [i.itemCode, i.status])])).toEqual([
      ['P2', [['J', 'waiting']]],
    ]);
  });
});

describe('returnsLedger (一次办结率)', () => {
  it('lists items returned more than once and each department’s one-trip rate', () => {
    const ledger = returnsLedger([P1, P2], items);
    expect(ledger.items.map((i) => [i.projectName, i.itemCode, i.department, i.returns])).toEqual([
      ['项目P1', 'B', 'ZJ', 2], // F was returned once only
    ]);
    expect(ledger.departments).toEqual([
      { department: 'FGW', nameZh: '发改委', decided: 1, withoutReturn: 1, oneTripRate: 1 }, // I
      { department: 'ZJ', nameZh: '住建局', decided: 3, withoutReturn: 2, oneTripRate: 0.6667 }, // A, H of A, B, H
      { department: 'ZRZY', nameZh: '自然资源和规划局', decided: 2, withoutReturn: 1, oneTripRate: 0.5 }, // C of C, F
    ]);
  });
});
