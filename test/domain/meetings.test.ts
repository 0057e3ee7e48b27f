import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import type { DigestProblem } from '../../domain/digest';
import { type AgendaSource, decisionKept, draftAgenda, keptZh } from '../../domain/meetings';
import { testCalendarYears } from '../helpers/projects';
import { reportItem, reportProject } from '../helpers/report-rows';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday.
const calendar = makeCalendar(testCalendarYears());
/** Tue 2035-06-19, 10:00 China time. */
const NOW = Date.parse('2035-06-19T02:00:00Z');
/** The end of a China day, as deadlines are stored. */
const endOf = (day: string) => new Date(calendar.endOfDay(day)).toISOString();

function problem(code: string, id: string, over: Partial<DigestProblem> = {}): DigestProblem {
  return {
    projectCode: code,
    problemId: id,
    title: `问题${id}`,
    status: 'open',
    ownerDepartment: 'ZRZY',
    ownerDepartmentName: '自然资源局',
    ownerPerson: null,
    deadlineAt: endOf('2035-06-29'),
    ...over,
  };
}

const source = (over: Partial<AgendaSource> = {}): AgendaSource => ({
  scope: {},
  projects: [reportProject('B'), reportProject('A', { name: '甲项目', targetStart: '2035-12-01' })],
  items: [
    // Red: three working days past its end of Wed 06-13 (Sat 16, Mon 18, Tue 19 to now).
    reportItem('A', 'EIA', {
      rung: 3,
      dueAt: endOf('2035-06-13'),
      nameZh: '环评',
      departmentName: '生态环境局',
    }),
    // Yellow card, not yet late.
    reportItem('A', 'LAND', { rung: 2, dueAt: endOf('2035-06-22') }),
    // On time, and done: neither is on the agenda.
    reportItem('A', 'OK', { dueAt: endOf('2035-06-29') }),
    reportItem('A', 'DONE', { status: 'approved', rung: 3, dueAt: endOf('2035-06-01') }),
    // Not accepted, its latest start passed: the target start slips.
    reportItem('B', 'PLAN', {
      status: 'pending',
      acceptedAt: null,
      submittedAt: null,
      plannedStart: '2035-06-04',
      latestStart: '2035-06-11',
    }),
  ],
  problems: [
    problem('A', 'P1', { deadlineAt: endOf('2035-06-18') }),
    problem('A', 'P2', { ownerDepartment: null, ownerDepartmentName: null }),
    problem('A', 'P3'), // owned and in time: not on the agenda
  ],
  redCards: new Map([['A/EIA', 'A/item/EIA/1/red']]),
  calendar,
  now: NOW,
  previous: null,
  ...over,
});

describe('draftAgenda', () => {
  it('lists, per project in code order, red and yellow items, late and unowned problems, slipping starts', () => {
    const { lines, standing } = draftAgenda(source());
    expect(lines.map((l) => [l.no, l.kind, l.projectCode, l.itemCode ?? l.problemId])).toEqual([
      [1, 'red-item', 'A', 'EIA'],
      [2, 'yellow-item', 'A', 'LAND'],
      [3, 'problem-overdue', 'A', 'P1'],
      [4, 'problem-unowned', 'A', 'P2'],
      [5, 'start-slipped', 'B', null],
    ]);
    expect(lines[0]!.summaryZh).toBe('甲项目 · 环评（生态环境局）红牌：时限 2035-06-13，超期 3 个工作日');
    expect(lines[0]!.escalationKey).toBe('A/item/EIA/1/red');
    expect(lines[1]!.summaryZh).toBe('甲项目 · 事项LAND（住建局）黄牌：时限 2035-06-22');
    expect(lines[2]!.summaryZh).toBe(
      '甲项目 · 问题 P1「问题P1」：责任单位 自然资源局，期限 2035-06-18，已过期',
    );
    expect(lines[3]!.summaryZh).toBe('甲项目 · 问题 P2「问题P2」：尚无责任单位，期限 2035-06-29');
    expect(lines[4]!.summaryZh).toBe('项目B · 开工目标开始延误：PLAN 已过最晚开始日仍未受理');
    expect(standing).toEqual({ A: [], B: ['PLAN'] });
  });

  it('opens with the last decisions, and names a slip only when it is new since the last meeting', () => {
    const carried = {
      meetingId: 7,
      no: 1,
      kind: 'assign-problem' as const,
      projectCode: 'A',
      summaryZh: 'A 问题 P1 交 ZRZY 于 2035-06-18 前解决：调规',
      kept: false,
      stateZh: '逾期未落实',
    };
    const again = draftAgenda(source({ previous: { standing: { B: ['PLAN'] }, decisions: [carried] } }));
    expect(again.lines[0]).toMatchObject({
      no: 1,
      kind: 'carried',
      projectCode: 'A',
      projectName: '甲项目',
      summaryZh: '上次会议决定 1：A 问题 P1 交 ZRZY 于 2035-06-18 前解决：调规（逾期未落实）',
    });
    expect(again.lines.some((l) => l.kind === 'start-slipped')).toBe(false);
  });

  it('a special meeting on one problem has that problem alone, even when owned and in time', () => {
    const { lines } = draftAgenda(source({ scope: { projectCode: 'A', problemId: 'P3' } }));
    expect(lines.map((l) => [l.kind, l.problemId])).toEqual([['problem-overdue', 'P3']]);
    expect(lines[0]!.summaryZh).not.toContain('已过期');
  });
});

describe('decisionKept', () => {
  const due = '2035-06-22';
  it('a problem decision is kept when solved by its deadline, broken once the day passed unsolved', () => {
    const f = (resolvedAt: string | null, status = resolvedAt ? 'resolved' : 'open') => ({
      kind: 'assign-problem' as const,
      state: 'applied' as const,
      dueOn: due,
      problem: { status, resolvedAt },
    });
    expect(decisionKept(f('2035-06-21T08:00:00Z'), calendar, NOW)).toBe(true);
    // Solved after its deadline: not kept.
    expect(decisionKept(f('2035-06-25T08:00:00Z'), calendar, Date.parse('2035-06-26T02:00:00Z'))).toBe(false);
    expect(decisionKept(f(null), calendar, NOW)).toBe(null);
    expect(decisionKept(f(null), calendar, Date.parse('2035-06-22T15:59:59Z'))).toBe(null); // 23:59 the 22nd
    expect(decisionKept(f(null), calendar, Date.parse('2035-06-22T16:00:00Z'))).toBe(false);
  });

  it('an agreed date is kept when the item was decided by it; an instruction when its item moved on', () => {
    const date = (status: string, finishedAt: string | null) => ({
      kind: 'agree-date' as const,
      state: 'recorded' as const,
      dueOn: due,
      item: { status, finishedAt },
    });
    expect(decisionKept(date('approved', '2035-06-20T03:00:00Z'), calendar, NOW)).toBe(true);
    expect(decisionKept(date('accepted', null), calendar, Date.parse('2035-06-25T02:00:00Z'))).toBe(false);
    const instruction = (status: string, finishedAt: string | null) => ({
      kind: 'instruction' as const,
      state: 'applied' as const,
      dueOn: null,
      item: { status, finishedAt },
    });
    expect(decisionKept(instruction('accepted', null), calendar, NOW)).toBe(null);
    expect(decisionKept(instruction('approved', '2035-06-20T03:00:00Z'), calendar, NOW)).toBe(true);
  });

  it('a refused decision is not kept, and says why', () => {
    const f = { kind: 'instruction' as const, state: 'failed' as const, dueOn: null };
    expect(decisionKept(f, calendar, NOW)).toBe(false);
    expect([keptZh(false, 'failed'), keptZh(true, 'applied'), keptZh(null, 'recorded')]).toEqual([
      '未能落实（被拒绝）',
      '已落实',
      '推进中',
    ]);
  });
});
