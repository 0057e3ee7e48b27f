import { describe, expect, it } from 'vitest';
import {
  type BulletinCard,
  type BulletinProblem,
  defaultRepeatedDelayRule,
  monthlyBulletin,
  RepeatedDelayRule,
} from '../../domain/bulletin';
import { latestFullMonth, monthsEndingAt } from '../../domain/periods';
import { departmentMonthly, type ReportItem } from '../../domain/reports';
import { reportItem } from '../helpers/report-rows';

/**
 * The bulletin of November 2026 on a scripted record, every figure computed by hand.
 *
 * ZJ 住建局: A decided 5 Nov, due 10 Nov (on time); B decided 20 Nov, due 15 Nov (late); C accepted
 *   20 Oct, due 25 Nov, open (overdue at the month's end); E decided 10 Oct, due 5 Oct (late in October).
 *   November: handled 2, on time 1 (50%), overdue 1 + 1 late = 2; 3 points. October: overdue 1.
 * ZRZY 自然资源和规划局: D decided 3 Nov on time (100%); F decided 15 Sep, due 10 Sep (late in September).
 * FGW 发改委: in the directory, nothing handled: last.
 * Totals: 3 departments, handled 3, on time 2 (66.67%), overdue 2, points 3.
 * Repeated delay (2 of the last 3 months): ZJ (Sep 0, Oct 1, Nov 2) is named; ZRZY (Sep 1) is not.
 * Cards: a red card 12 Nov and an interview 28 Nov count; a red card 30 Oct and one at 00:00 CST 1 Dec do not.
 * Problems: p1 raised 1 Oct, resolved 10 Nov (solved); p2 raised 5 Nov, open; p3 resolved 2 Dec (open
 *   at the month's end); p4 raised 3 Dec (not yet); p5 resolved 20 Oct (before the month).
 */

const at = (cst: string) => new Date(`${cst.replace(' ', 'T')}:00+08:00`).toISOString();
const now = Date.parse(at('2026-12-07 10:00'));

function item(itemCode: string, department: string, over: Partial<ReportItem>): ReportItem {
  return reportItem('P1', itemCode, {
    department,
    departmentName: null,
    stage: 2,
    status: 'approved',
    submittedAt: null,
    acceptedAt: null,
    dueDate: null,
    workingDaysUsed: 3,
    ...over,
  });
}
const decided = (code: string, dept: string, accepted: string, finished: string, due: string) =>
  item(code, dept, { acceptedAt: at(accepted), finishedAt: at(finished), dueAt: at(due) });
const items = [
  decided('A', 'ZJ', '2026-11-01 09:00', '2026-11-05 10:00', '2026-11-11 00:00'),
  decided('B', 'ZJ', '2026-11-01 09:00', '2026-11-20 10:00', '2026-11-16 00:00'),
  item('C', 'ZJ', { status: 'accepted', acceptedAt: at('2026-10-20 09:00'), dueAt: at('2026-11-26 00:00') }),
  decided('E', 'ZJ', '2026-09-28 09:00', '2026-10-10 10:00', '2026-10-06 00:00'),
  decided('D', 'ZRZY', '2026-11-01 09:00', '2026-11-03 10:00', '2026-11-06 00:00'),
  decided('F', 'ZRZY', '2026-09-01 09:00', '2026-09-15 10:00', '2026-09-11 00:00'),
];
const departments = [
  { code: 'FGW', nameZh: '发改委' },
  { code: 'ZJ', nameZh: '住建局' },
  { code: 'ZRZY', nameZh: '自然资源和规划局' },
];
const scores = [{ department: 'ZJ', projectCode: 'P1', points: 3 }];
const report = (month: string) => departmentMonthly({ month, items, scores, departments, now });

const card = (id: string, rung: 'red' | 'interview', fired: string): BulletinCard => ({
  id,
  projectCode: 'P1',
  projectName: '项目一',
  subjectKind: 'item',
  subjectId: 'B',
  rung,
  department: 'ZJ',
  departmentName: '住建局',
  firedAt: at(fired),
  title: id,
});
const problem = (problemId: string, raised: string, resolved: string | null): BulletinProblem => ({
  projectCode: 'P1',
  projectName: '项目一',
  problemId,
  title: `问题${problemId}`,
  ownerDepartment: 'ZJ',
  ownerDepartmentName: '住建局',
  status: resolved ? 'resolved' : 'open',
  raisedAt: at(raised),
  deadlineAt: at('2026-11-30 00:00'),
  resolvedAt: resolved === null ? null : at(resolved),
});

describe('the monthly supervision bulletin (每月督查通报)', () => {
  const b = monthlyBulletin({
    month: '2026-11',
    now,
    departments: report('2026-11'),
    window: new Map(['2026-09', '2026-10', '2026-11'].map((m) => [m, report(m)])),
    service: {
      contacts: { phone: 0, visit: 0, meeting: 0, total: 0 },
      projectsContacted: 0,
      returnVisits: { count: 0, meanSatisfaction: null },
    },
    cards: [
      card('r1', 'red', '2026-11-12 09:00'),
      card('i1', 'interview', '2026-11-28 09:00'),
      card('r0', 'red', '2026-10-30 09:00'),
      card('r2', 'red', '2026-12-01 00:00'),
    ],
    problems: [
      problem('p1', '2026-10-01 09:00', '2026-11-10 09:00'),
      problem('p2', '2026-11-05 09:00', null),
      problem('p3', '2026-10-01 09:00', '2026-12-02 09:00'),
      problem('p4', '2026-12-03 09:00', null),
      problem('p5', '2026-10-01 09:00', '2026-10-20 09:00'),
    ],
  });

  it("carries the monthly report's rows unchanged and their totals", () => {
    expect(b.departments).toEqual(report('2026-11'));
    expect(
      b.departments.map((r) => [
        r.department,
        r.handled,
        r.onTime,
        r.onTimeRate,
        r.overdue,
        r.points,
        r.rank,
      ]),
    ).toEqual([
      ['ZRZY', 1, 1, 1, 0, 0, 1],
      ['ZJ', 2, 1, 0.5, 2, 3, 2],
      ['FGW', 0, 0, null, 0, 0, 3],
    ]);
    expect(b.totals).toEqual({
      departments: 3,
      handled: 3,
      onTime: 2,
      onTimeRate: 0.6667,
      overdue: 2,
      points: 3,
      redCards: 1,
      interviews: 1,
      problemsSolved: 1,
      problemsOpen: 2,
    });
  });

  it('lists the red cards and interviews fired in the month, and problems solved and open', () => {
    expect(b.redCards.map((c) => c.id)).toEqual(['r1']);
    expect(b.interviews.map((c) => c.id)).toEqual(['i1']);
    expect(b.problems.solved.map((p) => p.problemId)).toEqual(['p1']);
    expect(b.problems.open.map((p) => p.problemId)).toEqual(['p2', 'p3']);
  });

  it('names the departments that meet the repeated-delay rule, and says the rule', () => {
    expect(b.named).toEqual([
      {
        department: 'ZJ',
        nameZh: '住建局',
        months: [
          { month: '2026-09', overdue: 0 },
          { month: '2026-10', overdue: 1 },
          { month: '2026-11', overdue: 2 },
        ],
        monthsWithDelay: 2,
      },
    ]);
    expect(b.rule).toMatchObject({ months: 3, atLeast: 2, minOverdue: 1 });
    expect(b.rule.textZh).toBe(
      '近 3 个月（含本月）中有 2 个月及以上存在超期事项（当月超期 1 件及以上）的部门，予以点名通报。',
    );
  });

  it('takes the rule as data, validated', () => {
    expect(RepeatedDelayRule.safeParse({ months: 3, atLeast: 4, minOverdue: 1 }).success).toBe(false);
    expect(RepeatedDelayRule.parse(defaultRepeatedDelayRule)).toEqual({
      months: 3,
      atLeast: 2,
      minOverdue: 1,
    });
  });

  it('counts months across a year and finds the last full month in China time', () => {
    expect(monthsEndingAt('2026-01', 3)).toEqual(['2025-11', '2025-12', '2026-01']);
    expect(latestFullMonth(Date.parse('2026-12-31T16:30:00Z'))).toBe('2026-12'); // 1 Jan 00:30 CST
    expect(latestFullMonth(Date.parse('2026-12-31T15:30:00Z'))).toBe('2026-11');
    expect(latestFullMonth(Date.parse('2027-01-15T00:00:00Z'))).toBe('2026-12');
  });
});
