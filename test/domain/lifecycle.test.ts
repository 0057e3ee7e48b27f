import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import { applyDecision, Decision } from '../../domain/decisions';
import {
  applyLifecycle,
  hasEnded,
  type LifecycleAction,
  refuseInPhase,
  refuseLifecycle,
} from '../../domain/lifecycle';
import { applyProblemAction, ProblemAction } from '../../domain/problems';
import { createProjectState, type ProjectState } from '../../domain/project';
import { itemRecords, projectRecord } from '../../domain/records';
import { fireDueEscalations, nextEscalationAt, summarize } from '../../domain/supervision';
import { newProject, planItem, smallPlan, testCalendarYears } from '../helpers/projects';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday, Sun 06-17 off.
const calendar = makeCalendar(testCalendarYears());
const cst = (local: string) => Date.parse(`2035-${local}+08:00`);
const endOf = (date: string) => new Date(calendar.endOfDay(`2035-${date}`)).toISOString();
const by = 'ops-chen';
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const fgw = { role: 'department', department: 'FGW' } as const;

/**
 * Registered Mon 06-04. A (FGW, 8 working days) accepted Mon 04: due Sat 16, the make-up day (Tue 5, Wed 6,
 * Thu 7, Fri 8, Mon 11, Tue 12, Wed 13, Sat 16). B waits for A; the completion acceptance
 * (JOINT-ACCEPTANCE) waits for B; REAL-ESTATE waits for it. A problem owned by ZRZY is due Tue 05.
 */
function project(): ProjectState {
  const plan = smallPlan([
    planItem('A'),
    planItem('B', { prerequisites: ['A'] }),
    planItem('JOINT-ACCEPTANCE', { prerequisites: ['B'] }),
    planItem('REAL-ESTATE', { prerequisites: ['JOINT-ACCEPTANCE'] }),
  ]);
  const state = createProjectState(newProject('LC-1', plan), cst('06-04T09:00:00'));
  const decide = (input: Record<string, unknown>, at: number) =>
    applyDecision(state, Decision.parse(input), at, calendar);
  decide({ action: 'submit', item: 'A', actor: secretary }, cst('06-04T09:10:00'));
  decide({ action: 'accept', item: 'A', actor: fgw }, cst('06-04T09:20:00'));
  applyProblemAction(
    state,
    ProblemAction.parse({
      action: 'raise',
      actor: secretary,
      title: '用地',
      description: '征地',
      ownerDepartment: 'ZRZY',
      deadline: '2035-06-05',
    }),
    cst('06-04T09:30:00'),
    calendar,
  );
  return state;
}

const act = (state: ProjectState, action: LifecycleAction, at: number) => {
  expect(refuseLifecycle(state, action)).toBeNull();
  return applyLifecycle(state, action, at, calendar);
};

describe('project lifecycle', () => {
  it('suspends: clocks and ladders stop, decisions wait; resuming moves deadlines out by the days suspended', () => {
    const state = project();
    expect(state.items.A!.dueDate).toBe('2035-06-16');
    const suspended = act(state, { action: 'suspend', reason: '资金未落实', by }, cst('06-05T10:00:00'));
    expect(suspended).toMatchObject({ phase: 'suspended', movedItems: ['A'] });
    expect(state.items.A!.dueAt).toBeNull();
    expect(nextEscalationAt(state, calendar)).toBeNull();
    // Weeks later nothing has fired and nothing is overdue.
    expect(fireDueEscalations(state, cst('06-29T10:00:00'), calendar)).toEqual([]);
    expect(summarize(state, cst('06-29T10:00:00')).overdueItems).toEqual([]);
    expect(refuseInPhase(state)).toMatch(
      /^project LC-1 is suspended \(缓建\) since 2035-06-05T02:00:00.000Z/,
    );
    expect(refuseLifecycle(state, { action: 'suspend', reason: 'again', by })).toMatch(/already suspended/);
    expect(refuseLifecycle(state, { action: 'close', by })).toMatch(/resume it before closing/);

    // Resumed Tue 12: suspended on Wed 6, Thu 7, Fri 8, Mon 11, Tue 12 = 5 working days.
    const resumed = act(state, { action: 'resume', by }, cst('06-12T10:00:00'));
    expect(resumed.phase).toBe('active');
    expect(resumed.movedItems).toEqual(['A', 'P1']);
    // A: Tue 5 counted before; after Tue 12: Wed 13, Sat 16, Mon 18, Tue 19, Wed 20, Thu 21, Fri 22 → 8.
    expect(state.items.A!.dueDate).toBe('2035-06-22');
    // P1 due Tue 5 → five working days later: Wed 6, Thu 7, Fri 8, Mon 11, Tue 12.
    expect(state.problems.P1!.deadlineAt).toBe(endOf('06-12'));
    expect(refuseInPhase(state)).toBeNull();
    expect(state.lifecycle!.events.map((e) => e.action)).toEqual(['suspend', 'resume']);
  });

  it('cancels: the run ends, open items are withdrawn in the read model, the project is kept', () => {
    const state = project();
    expect(refuseLifecycle(state, { action: 'resume', by })).toBe('project LC-1 is not suspended');
    act(state, { action: 'cancel', reason: '项目取消建设', by }, cst('06-06T10:00:00'));
    expect(hasEnded(state)).toBe(true);
    expect(fireDueEscalations(state, cst('06-29T10:00:00'), calendar)).toEqual([]);
    expect(refuseLifecycle(state, { action: 'resume', by })).toBe('project LC-1 is cancelled');
    const records = itemRecords(state, calendar);
    expect(records.map((r) => [r.code, r.status, r.dueAt])).toEqual([
      ['A', 'withdrawn', null],
      ['B', 'withdrawn', null],
      ['JOINT-ACCEPTANCE', 'withdrawn', null],
      ['REAL-ESTATE', 'withdrawn', null],
    ]);
    expect(projectRecord(state, summarize(state, cst('06-06T10:00:00'))).status).toBe('cancelled');
  });

  it('closes once the completion acceptance is done, with the items after it withdrawn', () => {
    const state = project();
    expect(refuseLifecycle(state, { action: 'close', by })).toBe(
      'project LC-1 can be closed once its completion acceptance (JOINT-ACCEPTANCE) is done; it is waiting',
    );
    const decide = (input: Record<string, unknown>, at: number) =>
      applyDecision(state, Decision.parse(input), at, calendar);
    let t = cst('06-05T09:00:00');
    const next = () => {
      t += 60_000;
      return t;
    };
    decide({ action: 'approve', item: 'A', actor: fgw, documentNo: 'A-1' }, t);
    for (const code of ['B', 'JOINT-ACCEPTANCE']) {
      decide({ action: 'submit', item: code, actor: secretary }, next());
      decide({ action: 'accept', item: code, actor: fgw }, next());
      decide({ action: 'approve', item: code, actor: fgw, documentNo: `${code}-1` }, next());
    }
    act(state, { action: 'close', reason: '竣工验收完成', by }, next());
    const status = Object.fromEntries(itemRecords(state, calendar).map((r) => [r.code, r.status]));
    expect(status).toEqual({
      A: 'approved',
      B: 'approved',
      'JOINT-ACCEPTANCE': 'approved',
      'REAL-ESTATE': 'withdrawn',
    });
    expect(projectRecord(state, summarize(state, t)).status).toBe('closed');
  });
});
