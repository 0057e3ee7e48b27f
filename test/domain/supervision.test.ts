import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import { applyDecision, Decision } from '../../domain/decisions';
import { defaultEscalationPolicy, EscalationPolicy } from '../../domain/ladder';
import type { PlanItem } from '../../domain/plan';
import { applyProblemAction, ProblemAction } from '../../domain/problems';
import { createProjectState, type ProjectState } from '../../domain/project';
import {
  effectivePauses,
  fireDueEscalations,
  nextEscalationAt,
  refreshItemDeadline,
  summarize,
} from '../../domain/supervision';
import { newProject, planItem, smallPlan, testCalendarYears } from '../helpers/projects';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday. Mon 2035-06-04 is a Monday.
const calendar = makeCalendar(testCalendarYears());
/** An instant given as a China Standard Time (UTC+8) wall-clock time. */
const cst = (local: string) => Date.parse(`${local}+08:00`);
const iso = (t: number) => new Date(t).toISOString();
/** The end of a CST day: midnight before the next. */
const end = (date: string) => cst(`${date}T00:00:00`) + 86_400_000;

const CODE = 'SUP-1';
const MON = cst('2035-06-04T10:00:00');
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const dept = (department: string) => ({ role: 'department', department }) as const;

function project(items: PlanItem[], policy?: EscalationPolicy, at = MON): ProjectState {
  return createProjectState({ ...newProject(CODE, smallPlan(items)), ...(policy ? { policy } : {}) }, at);
}
function decide(state: ProjectState, input: unknown, at: number) {
  return applyDecision(state, Decision.parse(input), at, calendar);
}
/** Submits and accepts an item at `at`: its clock starts then. */
function accept(state: ProjectState, item: string, at = MON) {
  const department = state.plan.items.find((i) => i.code === item)!.department;
  decide(state, { action: 'submit', item, actor: secretary }, at);
  decide(state, { action: 'accept', item, actor: dept(department) }, at);
}
function raise(state: ProjectState, at: number, over: Record<string, unknown> = {}) {
  const action = ProblemAction.parse({
    action: 'raise',
    actor: secretary,
    title: '高压线迁改',
    description: '地块内 110kV 线路需迁改',
    ...over,
  });
  return applyProblemAction(state, action, at, calendar).problem;
}
function problemAction(state: ProjectState, input: unknown, at: number) {
  return applyProblemAction(state, ProblemAction.parse(input), at, calendar);
}

/*
 * Item A (FGW, 8 working days) accepted Mon 06-04 10:00 is due at the end of Sat 06-16 (make-up day). Its rungs:
 * reminder end of Wed 06-13 (-1; 14 and 15 are off), yellow end of 06-16, red end of Tue 06-19 (+2: 18 19),
 * interview end of Fri 06-22 (+5: 18 19 20 21 22).
 */
const A_RUNGS = {
  reminder: end('2035-06-13'),
  yellow: end('2035-06-16'),
  red: end('2035-06-19'),
  interview: end('2035-06-22'),
};

describe('refreshItemDeadline', () => {
  it('has no deadline before acceptance or during pre-review', () => {
    const state = project([planItem('A'), planItem('D', { prerequisites: ['A'], earlyStart: true })]);
    decide(state, { action: 'submit', item: 'D', actor: secretary }, MON);
    decide(state, { action: 'accept', item: 'D', actor: dept('FGW') }, MON);
    for (const code of ['A', 'D']) {
      refreshItemDeadline(state, code, calendar);
      expect(state.items[code]).toMatchObject({ dueAt: undefined, dueDate: undefined, provisional: false });
    }
  });

  it('counts working days from the day after acceptance, skipping returns and blocks', () => {
    const state = project([planItem('A')]);
    accept(state, 'A');
    expect(state.items.A).toMatchObject({ dueAt: iso(end('2035-06-16')), dueDate: '2035-06-16' });

    // Returned Tue 06-05, resubmitted Thu 06-07 (Wed 06 and Thu 07 paused); blocked Mon 06-11 to Tue 06-12
    // (Tue 12 paused): 05, 08, 11, 13, 16, 18 19 20 → end of Wed 06-20.
    state.items.A!.pauses.push({
      from: iso(cst('2035-06-05T15:00:00')),
      to: iso(cst('2035-06-07T09:00:00')),
      reason: 'return',
    });
    raise(state, cst('2035-06-11T10:00:00'), { blocksItem: 'A' });
    expect(state.items.A!.dueAt).toBeNull(); // the open block holds the count
    problemAction(
      state,
      { action: 'resolve', actor: secretary, problemId: 'P1', resolution: '已解决' },
      cst('2035-06-12T10:00:00'),
    );
    expect(effectivePauses(state, state.items.A!)).toEqual([
      { from: cst('2035-06-05T15:00:00'), to: cst('2035-06-07T09:00:00') },
      { from: cst('2035-06-11T10:00:00'), to: cst('2035-06-12T10:00:00') },
    ]);
    state.items.A!.dueAt = 'stale';
    refreshItemDeadline(state, 'A', calendar);
    expect(state.items.A).toMatchObject({
      dueAt: iso(end('2035-06-20')),
      dueDate: '2035-06-20',
      provisional: false,
    });
  });

  it('moves a calendar-day limit ending on a holiday to the next working day', () => {
    // 10 calendar days from Mon 06-04 end on Thu 06-14, a holiday; Fri 15 is off too; Sat 16 is a make-up day.
    const state = project([
      planItem('A', { committedLimit: { days: 10, dayType: 'calendar', estimate: false } }),
    ]);
    accept(state, 'A');
    expect(state.items.A!.dueDate).toBe('2035-06-16');
  });

  it('is provisional when it runs into a year without calendar data', () => {
    const state = project([planItem('A')], undefined, cst('2036-12-29T10:00:00'));
    accept(state, 'A', cst('2036-12-29T10:00:00')); // Mon; 2037 is unknown, so 01-01 counts as a weekday
    expect(state.items.A).toMatchObject({ dueDate: '2037-01-08', provisional: true });
  });
});

describe('nextEscalationAt', () => {
  it('is null while nothing runs: no acceptance, pre-review, returned, closed problems', () => {
    const state = project([
      planItem('A'),
      planItem('B'),
      planItem('D', { prerequisites: ['A'], earlyStart: true }),
    ]);
    expect(nextEscalationAt(state, calendar)).toBeNull();
    decide(state, { action: 'submit', item: 'D', actor: secretary }, MON);
    decide(state, { action: 'accept', item: 'D', actor: dept('FGW') }, MON);
    accept(state, 'B');
    decide(state, { action: 'return', item: 'B', actor: dept('FGW'), missing: ['图纸'] }, MON);
    raise(state, MON);
    problemAction(state, { action: 'resolve', actor: secretary, problemId: 'P1', resolution: '已解决' }, MON);
    expect(nextEscalationAt(state, calendar)).toBeNull();
  });

  it('is the earliest pending rung over items and problems, advancing as each fires', () => {
    const state = project([planItem('A')]);
    accept(state, 'A');
    // P1 due end of Fri 06-08: reminder end of Thu 07, yellow end of 08, red end of Tue 12 (+2: 11 12),
    // interview end of Mon 18 (+5: 11 12 13, Sat 16, 18).
    raise(state, cst('2035-06-04T11:00:00'), { ownerDepartment: 'GD', deadline: '2035-06-08' });
    const expected = [
      ['P1', 'reminder', end('2035-06-07')],
      ['P1', 'yellow', end('2035-06-08')],
      ['P1', 'red', end('2035-06-12')],
      ['A', 'reminder', A_RUNGS.reminder],
      ['A', 'yellow', A_RUNGS.yellow],
      ['P1', 'interview', end('2035-06-18')],
      ['A', 'red', A_RUNGS.red],
      ['A', 'interview', A_RUNGS.interview],
    ] as const;
    for (const [subject, rung, at] of expected) {
      expect(nextEscalationAt(state, calendar), `${subject} ${rung}`).toBe(at);
      const events = fireDueEscalations(state, at, calendar);
      expect(events.map((e) => [e.subjectId, e.rung, e.rungAt])).toEqual([[subject, rung, iso(at)]]);
    }
    expect(nextEscalationAt(state, calendar)).toBeNull();
  });

  it('forgets a problem once it is resolved', () => {
    const state = project([planItem('A')]);
    accept(state, 'A');
    raise(state, MON, { deadline: '2035-06-08' });
    expect(nextEscalationAt(state, calendar)).toBe(end('2035-06-07'));
    problemAction(state, { action: 'resolve', actor: secretary, problemId: 'P1', resolution: '已解决' }, MON);
    expect(nextEscalationAt(state, calendar)).toBe(A_RUNGS.reminder);
  });
});

describe('fireDueEscalations', () => {
  it('fires every due rung in order, once, with doubled points for an item in the department’s hands', () => {
    const state = project([planItem('A')]);
    accept(state, 'A');
    const revision = state.revision;
    const now = cst('2035-07-02T10:00:00');
    const events = fireDueEscalations(state, now, calendar);
    expect(
      events.map((e) => ({
        key: e.key,
        level: e.level,
        rungAt: e.rungAt,
        points: e.points,
        notify: e.notify,
      })),
    ).toEqual([
      {
        key: 'SUP-1/item/A/1/reminder',
        level: 1,
        rungAt: iso(A_RUNGS.reminder),
        points: 0,
        notify: ['handler', 'secretary'],
      },
      {
        key: 'SUP-1/item/A/1/yellow',
        level: 2,
        rungAt: iso(A_RUNGS.yellow),
        points: 2,
        notify: ['departmentHead', 'secretary'],
      },
      {
        key: 'SUP-1/item/A/1/red',
        level: 3,
        rungAt: iso(A_RUNGS.red),
        points: 4,
        notify: ['leader', 'departmentHead', 'secretary'],
      },
      {
        key: 'SUP-1/item/A/1/interview',
        level: 4,
        rungAt: iso(A_RUNGS.interview),
        points: 6,
        notify: ['leader', 'departmentHead', 'secretary'],
      },
    ]);
    for (const e of events) {
      expect(e).toMatchObject({
        subjectKind: 'item',
        subjectId: 'A',
        department: 'FGW',
        dueAt: iso(A_RUNGS.yellow),
        firedAt: iso(now),
      });
    }
    expect(events[1]!.title).toBe('【黄牌预警】测试项目 SUP-1 · 事项A');
    expect(events[1]!.body).toBe(
      `测试项目 SUP-1（SUP-1）的事项A承诺时限为 ${iso(A_RUNGS.yellow)}，已触发黄牌预警，责任单位 FGW，扣 2 分。`,
    );
    expect(state.items.A!.rungLevel).toBe(4);
    expect(state.scores).toEqual({ FGW: { points: 12, alerted: false } });
    expect(state.escalationCount).toBe(4);
    expect(state.recentEscalations).toEqual(events);
    expect(state.revision).toBe(revision + 1); // once per firing, not per event

    expect(fireDueEscalations(state, now + 86_400_000, calendar)).toEqual([]);
    expect(state.revision).toBe(revision + 1);
    expect(state.escalationCount).toBe(4);
  });

  it('fires a rung at its instant, not a millisecond before', () => {
    const state = project([planItem('A')]);
    accept(state, 'A');
    const revision = state.revision;
    expect(fireDueEscalations(state, A_RUNGS.reminder - 1, calendar)).toEqual([]);
    expect(state.revision).toBe(revision);
    expect(fireDueEscalations(state, A_RUNGS.reminder, calendar).map((e) => e.rung)).toEqual(['reminder']);
    expect(fireDueEscalations(state, A_RUNGS.yellow - 1, calendar)).toEqual([]);
    expect(fireDueEscalations(state, A_RUNGS.red, calendar).map((e) => e.rung)).toEqual(['yellow', 'red']);
    expect(state.items.A!.rungLevel).toBe(3);
  });

  it('passes over silently a rung due before the clock started (a same-day item), then fires the next', () => {
    const state = project([
      planItem('Q', { kind: 'immediate', committedLimit: { days: 0, dayType: 'working', estimate: false } }),
    ]);
    accept(state, 'Q'); // 即办: due at the end of Mon 06-04; its reminder was due at the end of Fri 06-01
    expect(state.items.Q!.dueAt).toBe(iso(end('2035-06-04')));
    expect(nextEscalationAt(state, calendar)).toBe(end('2035-06-01'));
    const revision = state.revision;
    expect(fireDueEscalations(state, MON + 1_000, calendar)).toEqual([]);
    expect(state.items.Q!.rungLevel).toBe(1);
    expect(state.revision).toBe(revision + 1);
    expect(state.escalationCount).toBe(0);
    expect(nextEscalationAt(state, calendar)).toBe(end('2035-06-04'));
    expect(fireDueEscalations(state, end('2035-06-04'), calendar).map((e) => [e.key, e.points])).toEqual([
      ['SUP-1/item/Q/1/yellow', 2],
    ]);
  });

  it('reminds a one-day item at the end of its day of acceptance', () => {
    const state = project([
      planItem('A', { committedLimit: { days: 1, dayType: 'working', estimate: false } }),
    ]);
    accept(state, 'A'); // due end of Tue 06-05
    expect(fireDueEscalations(state, end('2035-06-04'), calendar).map((e) => e.rung)).toEqual(['reminder']);
  });

  it('escalates a problem on its owner department without doubling; the same-day reminder is passed over', () => {
    const state = project([planItem('A')]);
    raise(state, MON, { ownerDepartment: 'GD' }); // due end of Mon 06-04
    raise(state, MON, { deadline: '2035-06-08' }); // no owner: escalated, no points
    const events = fireDueEscalations(state, cst('2035-07-02T10:00:00'), calendar);
    const p1 = events.filter((e) => e.subjectId === 'P1');
    expect(p1.map((e) => [e.key, e.rungAt, e.points, e.department])).toEqual([
      ['SUP-1/problem/P1/1/yellow', iso(end('2035-06-04')), 1, 'GD'],
      ['SUP-1/problem/P1/1/red', iso(end('2035-06-06')), 2, 'GD'], // +2: 05 06
      ['SUP-1/problem/P1/1/interview', iso(end('2035-06-11')), 3, 'GD'], // +5: 05 06 07 08 11
    ]);
    expect(p1[0]!.title).toBe('【黄牌预警】测试项目 SUP-1 · 问题「高压线迁改」');
    const p2 = events.filter((e) => e.subjectId === 'P2');
    expect(p2.map((e) => [e.rung, e.points, e.department])).toEqual([
      ['reminder', 0, undefined],
      ['yellow', 0, undefined],
      ['red', 0, undefined],
      ['interview', 0, undefined],
    ]);
    expect(state.problems.P1!.rungLevel).toBe(4);
    expect(state.scores).toEqual({ GD: { points: 6, alerted: false } });
  });

  it('does not escalate an item out for correction or blocked by a problem', () => {
    const state = project([planItem('A'), planItem('B')]);
    accept(state, 'A');
    accept(state, 'B');
    decide(state, { action: 'return', item: 'A', actor: dept('FGW'), missing: ['图纸'] }, MON);
    raise(state, MON, { blocksItem: 'B' });
    const events = fireDueEscalations(state, cst('2035-07-02T10:00:00'), calendar);
    expect(events.every((e) => e.subjectKind === 'problem')).toBe(true);
    expect(state.items.A!.rungLevel).toBe(0);
    expect(state.items.B!.rungLevel).toBe(0);
  });

  it('alerts the responsible leader once when a department’s points reach the threshold', () => {
    const state = project([planItem('A'), planItem('B')]);
    accept(state, 'A');
    accept(state, 'B');
    raise(state, MON, { ownerDepartment: 'FGW' }); // yellow 1, red 2, interview 3 by 06-12
    const first = fireDueEscalations(state, A_RUNGS.red, calendar);
    expect(first.some((e) => e.subjectKind === 'score')).toBe(false);
    expect(state.scores.FGW).toEqual({ points: 18, alerted: false }); // A 6 + B 6 + P1 6

    const now = A_RUNGS.interview + 5_000;
    const second = fireDueEscalations(state, now, calendar);
    expect(second.map((e) => e.key)).toEqual([
      'SUP-1/item/A/1/interview',
      'SUP-1/score/FGW/20',
      'SUP-1/item/B/1/interview',
    ]);
    expect(second[1]).toEqual({
      key: 'SUP-1/score/FGW/20',
      subjectKind: 'score',
      subjectId: 'FGW',
      rung: 'score-alert',
      level: 4,
      department: 'FGW',
      notify: ['leader'],
      rungAt: iso(now),
      firedAt: iso(now),
      points: 0,
      title: '【扣分预警】测试项目 SUP-1 · FGW 累计扣 24 分',
      body: 'FGW 在测试项目 SUP-1（SUP-1）中累计扣 24 分，已达 20 分预警线，请责任领导关注。',
    });
    expect(state.scores.FGW).toEqual({ points: 30, alerted: true });

    // More points later: no second alert.
    state.items.B!.rungLevel = 0;
    state.items.B!.round = 2;
    expect(fireDueEscalations(state, now, calendar).filter((e) => e.subjectKind === 'score')).toEqual([]);
    expect(state.scores.FGW).toEqual({ points: 42, alerted: true });
  });

  it.each([
    [20, true],
    [21, false],
  ])('with threshold %i, 20 points alert: %s', (alertThreshold, alerted) => {
    const policy = EscalationPolicy.parse({
      rungs: [{ name: 'yellow', level: 2, offsetWorkingDays: 0, notify: ['departmentHead'], points: 10 }],
      doubleWhenOwnDelay: true,
      alertThreshold,
    });
    const state = project([planItem('A')], policy);
    accept(state, 'A');
    const events = fireDueEscalations(state, A_RUNGS.yellow, calendar);
    expect(events.map((e) => e.rung)).toEqual(alerted ? ['yellow', 'score-alert'] : ['yellow']);
    expect(state.scores.FGW).toEqual({ points: 20, alerted });
  });

  it('keeps the 50 most recent escalations in the state and counts them all', () => {
    const items = Array.from({ length: 13 }, (_, i) => planItem(`I${i + 1}`, { department: `D${i + 10}` }));
    const state = project(items);
    for (const item of items) accept(state, item.code);
    const events = fireDueEscalations(state, cst('2035-07-02T10:00:00'), calendar);
    expect(events).toHaveLength(52);
    expect(state.escalationCount).toBe(52);
    expect(state.recentEscalations).toHaveLength(50);
    expect(state.recentEscalations[0]!.key).toBe('SUP-1/item/I1/1/red');
    expect(state.recentEscalations.at(-1)!.key).toBe('SUP-1/item/I13/1/interview');
  });
});

describe('summarize', () => {
  const plan = () =>
    project([
      planItem('A', { stage: 1 }),
      planItem('B', { stage: 2, prerequisites: ['A'] }),
      planItem('P', { stage: 1, lane: 'parallel' }),
      planItem('U', { stage: 3, lane: 'utility' }),
      planItem('C', { stage: 3, prerequisites: ['B'] }),
    ]);
  const finish = (state: ProjectState, item: string) =>
    decide(state, { action: 'waive', item, actor: secretary, reason: '不涉及' }, MON);

  it('reports the lowest unfinished stage-lane stage, 5 when they are all done', () => {
    const state = plan();
    expect(summarize(state, MON)).toEqual({
      stage: 1,
      openItems: ['A', 'P', 'U'],
      overdueItems: [],
      blockedItems: [],
      escalationLevel: 0,
      done: false,
    });
    finish(state, 'A');
    expect(summarize(state, MON)).toMatchObject({ stage: 2, openItems: ['B', 'P', 'U'] }); // P is not a stage item
    finish(state, 'B');
    finish(state, 'C');
    expect(summarize(state, MON)).toMatchObject({ stage: 5, openItems: ['P', 'U'], done: false });
  });

  it('is done only when every item is done and every problem verified', () => {
    const state = plan();
    for (const item of ['A', 'B', 'C', 'P', 'U']) finish(state, item);
    expect(summarize(state, MON).done).toBe(true);
    raise(state, MON);
    expect(summarize(state, MON).done).toBe(false);
    problemAction(state, { action: 'resolve', actor: secretary, problemId: 'P1', resolution: '已解决' }, MON);
    expect(summarize(state, MON).done).toBe(false);
    problemAction(state, { action: 'verify', actor: secretary, problemId: 'P1', accepted: true }, MON);
    expect(summarize(state, MON).done).toBe(true);
  });

  it('is not done while an item is rejected', () => {
    const state = project([planItem('A')]);
    decide(state, { action: 'submit', item: 'A', actor: secretary }, MON);
    decide(state, { action: 'reject', item: 'A', actor: dept('FGW'), reason: '不符合规划' }, MON);
    expect(summarize(state, MON)).toMatchObject({ done: false, openItems: ['A'], stage: 1 });
  });

  it('lists items past their deadline while their clock runs', () => {
    const state = project([planItem('A'), planItem('B')]);
    accept(state, 'A');
    accept(state, 'B');
    expect(summarize(state, A_RUNGS.yellow).overdueItems).toEqual([]); // due at that very instant
    expect(summarize(state, A_RUNGS.yellow + 1).overdueItems).toEqual(['A', 'B']);
    decide(state, { action: 'return', item: 'B', actor: dept('FGW'), missing: ['图纸'] }, MON);
    expect(summarize(state, A_RUNGS.yellow + 1).overdueItems).toEqual(['A']);
  });

  it('lists items blocked by unresolved problems', () => {
    const state = project([planItem('A'), planItem('B')]);
    raise(state, MON, { blocksItem: 'A' });
    raise(state, MON, { blocksItem: 'A' });
    raise(state, MON, { blocksItem: 'B' });
    raise(state, MON);
    expect(summarize(state, MON).blockedItems).toEqual(['A', 'B']);
    problemAction(state, { action: 'resolve', actor: secretary, problemId: 'P3', resolution: '已解决' }, MON);
    problemAction(state, { action: 'resolve', actor: secretary, problemId: 'P1', resolution: '已解决' }, MON);
    expect(summarize(state, MON).blockedItems).toEqual(['A']);
  });

  it('reports the highest rung over unfinished items and open problems', () => {
    const state = project([planItem('A'), planItem('B')]);
    accept(state, 'A');
    raise(state, MON, { deadline: '2035-06-08' });
    fireDueEscalations(state, A_RUNGS.yellow, calendar); // A: yellow (2); P1: red (3)
    expect(state.items.A!.rungLevel).toBe(2);
    expect(state.problems.P1!.rungLevel).toBe(3);
    expect(summarize(state, A_RUNGS.yellow).escalationLevel).toBe(3);
    problemAction(state, { action: 'resolve', actor: secretary, problemId: 'P1', resolution: '已解决' }, MON);
    expect(summarize(state, A_RUNGS.yellow).escalationLevel).toBe(2);
    decide(state, { action: 'approve', item: 'A', actor: dept('FGW'), documentNo: '1号' }, A_RUNGS.yellow);
    expect(summarize(state, A_RUNGS.yellow).escalationLevel).toBe(0);
  });
});

describe('the default policy in a new project', () => {
  it('is the default escalation ladder, as a copy of its own', () => {
    const policy = project([planItem('A')]).policy;
    expect(policy).toEqual(defaultEscalationPolicy);
    // The workflow's modules are shared between projects and frozen: a project's state holds no part of them.
    expect(policy).not.toBe(defaultEscalationPolicy);
    expect(policy.rungs).not.toBe(defaultEscalationPolicy.rungs);
  });
});
