import { describe, expect, it } from 'vitest';
import { makeCalendar, syntheticYear } from '../../domain/calendar';
import {
  type DigestProblem,
  daysToConsider,
  digestDay,
  digestId,
  leaderDigest,
  secretaryDigest,
  sendInstant,
} from '../../domain/digest';
import { renderDigest } from '../../domain/digest-render';
import { forecastBrief, forecastProject } from '../../domain/forecast';
import { measurePerformance } from '../../domain/performance';
import { createProjectState } from '../../domain/project';
import { committed, item as planned, record, times } from '../helpers/forecast-records';
import { newProject, smallPlan, testCalendarYears } from '../helpers/projects';
import { reportItem, reportProject } from '../helpers/report-rows';

// 2035 as in test/helpers/projects.ts: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday (调休).
const calendar = makeCalendar(testCalendarYears());
const cst = (local: string) => new Date(Date.parse(`${local}+08:00`)).toISOString();
/** A deadline as the workflow stores it: the end of the due day, 00:00 CST of the next. */
function nextMidnight(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00+08:00`) + 86_400_000).toISOString();
}

const project = reportProject;
const item = reportItem;

function problem(projectCode: string, problemId: string, over: Partial<DigestProblem> = {}): DigestProblem {
  return {
    projectCode,
    problemId,
    title: `问题${problemId}`,
    status: 'open',
    ownerDepartment: 'ZRZY',
    ownerDepartmentName: '自然资源局',
    ownerPerson: null,
    deadlineAt: nextMidnight('2035-06-12'),
    ...over,
  };
}

describe('which day a digest run sends on', () => {
  const days = (from: string, n: number, cal = calendar) =>
    Array.from({ length: n }, (_, i) => {
      const date = new Date(Date.parse(`${from}T00:00:00Z`) + i * 86_400_000).toISOString().slice(0, 10);
      return { date, working: cal.isWorkingDay(date) };
    });

  it('the morning digest runs on working days, a make-up Saturday included, and skips days off', () => {
    expect(digestDay('secretaries-morning', days('2035-06-13', 1))).toEqual({
      send: true,
      date: '2035-06-13',
      deferred: false,
    });
    expect(digestDay('secretaries-morning', days('2035-06-14', 1))).toEqual({
      send: false,
      reason: '2035-06-14 is not a working day',
    }); // Thursday, a holiday
    expect(digestDay('secretaries-morning', days('2035-06-16', 1))).toMatchObject({ send: true }); // 调休 Saturday
    expect(digestDay('secretaries-morning', days('2035-06-17', 1))).toMatchObject({ send: false }); // Sunday
  });

  it('the weekly digest waits for the first working day of its week when Monday is off', () => {
    expect(daysToConsider('leaders-weekly', '2035-06-18')).toBe(7); // Monday → to Sunday
    expect(daysToConsider('leaders-weekly', '2035-06-20')).toBe(5); // Wednesday
    expect(daysToConsider('leaders-weekly', '2035-06-24')).toBe(1); // Sunday
    expect(daysToConsider('secretaries-morning', '2035-06-18')).toBe(1);
    const mondayOff = makeCalendar([syntheticYear(2035, { off: ['2035-06-18', '2035-06-19'] })]);
    expect(digestDay('leaders-weekly', days('2035-06-18', 7, mondayOff))).toEqual({
      send: true,
      date: '2035-06-20',
      deferred: true,
    });
    expect(digestDay('leaders-weekly', days('2035-06-11', 7))).toEqual({
      send: true,
      date: '2035-06-11',
      deferred: false,
    });
    const weekOff = makeCalendar([
      syntheticYear(2035, {
        off: ['2035-10-01', '2035-10-02', '2035-10-03', '2035-10-04', '2035-10-05'],
      }),
    ]);
    expect(digestDay('leaders-weekly', days('2035-10-01', 7, weekOff))).toMatchObject({ send: false });
    expect(sendInstant('leaders-weekly', '2035-06-20')).toBe(Date.parse('2035-06-20T09:00:00+08:00'));
    expect(sendInstant('secretaries-morning', '2035-06-16')).toBe(Date.parse('2035-06-16T08:30:00+08:00'));
  });
});

describe("a secretary's morning digest", () => {
  // Wednesday 2035-06-13, 08:30. Two working days ahead: Thu and Fri are off, so Sat 06-16 (make-up) is
  // the first and Mon 06-18 the second; on a plain Monday–Friday count it would be Thu and Fri.
  const now = Date.parse('2035-06-13T08:30:00+08:00');
  const source = {
    person: { id: 'sec-wang', name: '王芳' },
    date: '2035-06-13',
    now,
    calendar,
    projects: [project('P-1'), project('P-2', { status: 'completed' })],
    items: [
      item('P-1', 'A', { dueAt: nextMidnight('2035-06-16') }), // due Sat (make-up): 1 working day left
      item('P-1', 'B', { dueAt: nextMidnight('2035-06-18') }), // due Mon: 2 working days left
      item('P-1', 'C', { dueAt: nextMidnight('2035-06-19') }), // due Tue: 3 left, not yet
      item('P-1', 'D', { dueAt: nextMidnight('2035-06-11'), rung: 2, nameZh: '环评批复' }), // due Mon 06-11
      item('P-1', 'E', {
        status: 'approved',
        dueAt: nextMidnight('2035-06-08'),
        finishedAt: cst('2035-06-12T10:00:00'),
      }),
      item('P-1', 'F', { status: 'ready', acceptedAt: null, plannedStart: '2035-06-12' }), // should have started
      item('P-1', 'G', { status: 'ready', acceptedAt: null, plannedStart: '2035-06-20' }), // not yet
      item('P-1', 'H', { status: 'submitted', acceptedAt: null }),
      item('P-2', 'X', { dueAt: nextMidnight('2035-06-11') }), // a completed project's: ignored
    ],
    problems: [
      problem('P-1', 'P1', { title: '用地红线调整' }), // deadline end of Tue 06-12: 1 working day past
      problem('P-1', 'P2', { status: 'resolved' }),
      problem('P-1', 'P3', {
        title: '临时用电接入',
        status: 'assigned',
        ownerDepartment: null,
        ownerDepartmentName: null,
        ownerPerson: 'gd-zhao',
        deadlineAt: nextMidnight('2035-06-22'),
      }),
    ],
  };

  it('lists overdue items, items due within 2 working days across the make-up Saturday, late starts and open problems', () => {
    const d = secretaryDigest(source);
    expect(d.projects).toEqual([{ code: 'P-1', name: '项目P-1' }]);
    expect(d.overdue.map((l) => [l.itemCode, l.dueDate, l.workingDaysOverdue, l.rung])).toEqual([
      ['D', '2035-06-11', 2, 2],
    ]); // Tue 06-12 and Wed 06-13
    expect(d.dueSoon.map((l) => [l.itemCode, l.dueDate, l.workingDaysLeft, l.dueLabel])).toEqual([
      ['A', '2035-06-16', 1, '6月16日（周六·调休上班）'],
      ['B', '2035-06-18', 2, '6月18日（周一）'],
    ]);
    expect(d.lateStarts.map((l) => [l.itemCode, l.plannedStart])).toEqual([['F', '2035-06-12']]);
    expect(d.problems.map((p) => [p.problemId, p.pastDeadline, p.workingDaysPast, p.owner])).toEqual([
      ['P1', true, 1, '自然资源局'],
      ['P3', false, 0, 'gd-zhao'],
    ]);
    expect(d.quiet).toBe(false);
  });

  it('reads as the secretary receives it', () => {
    const { title, text } = renderDigest(secretaryDigest(source));
    expect(title).toBe('【每日督办】2035年6月13日 王芳：超期 1 项 · 临期 2 项 · 问题 2 个');
    expect(text).toBe(
      [
        '王芳，早上好！2035年6月13日（周三）审批进度日常核对（对照计划）：项目P-1（P-1）。',
        '',
        '【超期事项 1 项】',
        '- 环评批复（住建局）：承诺时限 6月11日（周一），已超期 2 个工作日，黄牌预警',
        '',
        '【2 个工作日内到期 2 项】',
        '- 事项A（住建局）：6月16日（周六·调休上班）到期，剩 1 个工作日',
        '- 事项B（住建局）：6月18日（周一）到期，剩 2 个工作日',
        '',
        '【已到计划开始日未申报 1 项】',
        '- 事项F（住建局）：计划 6月12日（周二）开始',
        '',
        '【未解决问题 2 个】',
        '- 问题 P1「用地红线调整」（责任：自然资源局）：期限 6月12日（周二），已逾期 1 个工作日',
        '- 问题 P3「临时用电接入」（责任：gd-zhao）：期限 6月22日（周五），未到期',
      ].join('\n'),
    );
  });

  it('an item due today is due soon with 0 days left; nothing to report is a quiet digest', () => {
    const today = secretaryDigest({
      ...source,
      items: [item('P-1', 'T', { dueAt: nextMidnight('2035-06-13') })],
      problems: [],
    });
    expect(today.dueSoon.map((l) => l.workingDaysLeft)).toEqual([0]);
    expect(renderDigest(today).text).toContain('6月13日（周三）到期，今日到期');

    const quiet = secretaryDigest({
      ...source,
      items: [item('P-1', 'C', { dueAt: nextMidnight('2035-06-19') })],
      problems: [],
    });
    expect(quiet.quiet).toBe(true);
    expect(renderDigest(quiet)).toEqual({
      title: '【每日督办】2035年6月13日 王芳：进度符合计划',
      text: '王芳，早上好！2035年6月13日（周三）审批进度日常核对（对照计划）：项目P-1（P-1）。\n\n今日没有超期、临期事项和未解决问题，进度符合计划。',
    });
  });

  it('names the project on each line when the secretary has several', () => {
    const d = secretaryDigest({
      ...source,
      projects: [project('P-1'), project('P-4')],
      items: [item('P-4', 'K', { dueAt: nextMidnight('2035-06-18') })],
      problems: [],
    });
    expect(renderDigest(d).text).toContain('- 项目P-4 · 事项K（住建局）：6月18日（周一）到期，剩 2 个工作日');
    expect(digestId('secretaries-morning', '2035-06-13', 'sec-wang')).toBe(
      'digest/secretaries-morning/2035-06-13/sec-wang',
    );
  });
});

describe("a leader's weekly digest", () => {
  it('groups the projects by colour with reasons, lists carded items and problems past deadline', () => {
    const now = Date.parse('2035-06-11T09:00:00+08:00'); // Monday
    const d = leaderDigest({
      person: { id: 'leader-li', name: '李建国' },
      date: '2035-06-11',
      now,
      calendar,
      projects: [
        project('P-1', { escalationLevel: 3, overdueItems: 1 }),
        project('P-2', { escalationLevel: 2 }),
        project('P-3'),
        project('P-9', { status: 'completed', escalationLevel: 3 }),
      ],
      items: [
        item('P-1', 'R', { dueAt: nextMidnight('2035-06-07'), rung: 3, nameZh: '施工许可' }), // Thu 06-07
        item('P-2', 'Y', { dueAt: nextMidnight('2035-06-12'), rung: 2 }), // due Tue: 1 working day left
        item('P-3', 'G', { dueAt: nextMidnight('2035-06-20'), rung: 1 }), // a reminder is not a card
      ],
      problems: [
        problem('P-1', 'P1', { deadlineAt: nextMidnight('2035-06-08') }), // Fri: Mon is 1 past
        problem('P-3', 'P1', { deadlineAt: nextMidnight('2035-06-13') }),
      ],
    });
    expect(d.counts).toEqual({ red: 1, yellow: 1, green: 1 });
    expect(d.projects.map((p) => [p.code, p.colour])).toEqual([
      ['P-1', 'red'],
      ['P-2', 'yellow'],
      ['P-3', 'green'],
    ]);
    // R: due Thu 06-07; Fri 06-08 and Mon 06-11 are past it. Y: Tue 06-12 is 1 working day away.
    expect(d.cardItems.map((l) => [l.itemCode, l.rungLabel, l.workingDaysOverdue])).toEqual([
      ['R', '红牌督办', 2],
      ['Y', '黄牌预警', -1],
    ]);
    expect(d.problemsPastDeadline.map((p) => [p.projectCode, p.workingDaysPast])).toEqual([['P-1', 1]]);
    const { title, text } = renderDigest(d);
    expect(title).toBe('【每周督办】2035年6月11日 李建国：红灯 1 · 黄灯 1 · 绿灯 1');
    expect(text.split('\n')).toEqual([
      '李建国，您好！2035年6月11日（周一）每周督办：您包抓的 3 个项目，红灯 1 个、黄灯 1 个、绿灯 1 个。',
      '',
      '【红灯项目 1 个】',
      '- 项目P-1（P-1）：已触发红牌督办（第 3 级）；1 个事项超期',
      '',
      '【黄灯项目 1 个】',
      '- 项目P-2（P-2）：已触发黄牌预警',
      '',
      '【绿灯项目 1 个】',
      '- 项目P-3（P-3）：第 1 阶段推进正常',
      '',
      '【红黄牌事项 2 项】',
      '- 项目P-1 · 施工许可（住建局）：红牌督办，承诺时限 6月7日（周四），已超期 2 个工作日',
      '- 项目P-2 · 事项Y（住建局）：黄牌预警，承诺时限 6月12日（周二），剩 1 个工作日',
      '',
      '【超期未解决问题 1 个】',
      '- 项目P-1 · 问题 P1「问题P1」（责任：自然资源局）：期限 6月8日（周五），已逾期 1 个工作日',
      '',
      '【月度督查通报】2035年5月督查通报已发布，请在挂图作战「督查通报」中查阅：/ui/reports/bulletin?month=2035-05',
    ]);
    expect(d.bulletin).toEqual({ month: '2035-05', link: '/ui/reports/bulletin?month=2035-05' });
  });
});

describe("the permit forecast in a leader's weekly digest", () => {
  it('adds one line per forecast project: the chance of the target start and the items that drive the risk', () => {
    // A real forecast: A always takes 10 working days against 8 committed (k = 0, the record alone), so
    // the permit (2 days after A) comes on Thu 06-21 (offset 12 from Mon 06-04), after a target of Wed
    // 06-20 that the plan (Tue 06-19) would meet; A is the only risk.
    const items = [planned('A', 'FGW', 8), planned('CONSTRUCTION-PERMIT', 'ZJ', 2, ['A'])];
    const state = createProjectState(
      newProject('P-2', smallPlan(items), { targetStart: '2035-06-20' }),
      Date.parse('2035-06-04T10:00:00+08:00'),
    );
    const perf = measurePerformance(
      times(3, () => record('A', 'FGW', 10)),
      calendar,
      { committedDays: committed(items), priorWeight: 0, priorSpread: 0 },
    );
    const late = forecastProject(state, perf, {
      calendar,
      now: Date.parse('2035-06-04T10:00:00+08:00'),
      samples: 200,
    });
    const forecasts = new Map([
      ['P-1', { p80: '2035-07-02', probabilityOnTarget: 0.62, risks: ['环评批复', '施工许可'] }],
      ['P-2', forecastBrief(late)],
      ['P-3', { p80: '2035-09-03', probabilityOnTarget: null, risks: [] }],
    ]);
    const d = leaderDigest({
      person: { id: 'leader-li', name: '李建国' },
      date: '2035-06-11',
      now: Date.parse('2035-06-11T09:00:00+08:00'),
      calendar,
      projects: [project('P-1'), project('P-2'), project('P-3'), project('P-4')],
      items: [],
      problems: [],
      forecasts,
    });
    expect(
      renderDigest(d)
        .text.split('\n')
        .filter((l) => l.startsWith('- ')),
    ).toEqual([
      '- 项目P-1（P-1）：第 1 阶段推进正常；开工目标达成概率 62%，主要风险：环评批复、施工许可',
      '- 项目P-2（P-2）：第 1 阶段推进正常；开工目标达成概率 0%，主要风险：事项A',
      '- 项目P-3（P-3）：第 1 阶段推进正常；施工许可预计（P80）2035-09-03，主要风险：暂无',
      '- 项目P-4（P-4）：第 1 阶段推进正常',
    ]);
  });
});
