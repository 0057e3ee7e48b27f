import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import { applyDecision, Decision, refuseDecision } from '../../domain/decisions';
import { applyProblemAction, ProblemAction, refuseProblemAction } from '../../domain/problems';
import {
  type Actor,
  createProjectState,
  openProblemsBlocking,
  type ProjectState,
} from '../../domain/project';
import { fireDueEscalations } from '../../domain/supervision';
import { newProject, planItem, smallPlan, testCalendarYears } from '../helpers/projects';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday. Mon 2035-06-04 is a Monday.
const calendar = makeCalendar(testCalendarYears());
/** An instant given as a China Standard Time (UTC+8) wall-clock time. */
const cst = (local: string) => Date.parse(`${local}+08:00`);
const iso = (t: number) => new Date(t).toISOString();
/** The end of a CST day (midnight before the next), as the ISO string a deadline is stored as. */
const endOf = (date: string) => iso(cst(`${date}T00:00:00`) + 86_400_000);

const CODE = 'PRB-1';
const MON = cst('2035-06-04T10:00:00');
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const otherSecretary = { role: 'secretary', id: 'sec-other' } as const;
const operator = { role: 'operator', id: 'ops-chen' } as const;
const dept = (department: string) => ({ role: 'department', department }) as const;
const gd = dept('GD');
const fgw = dept('FGW');

function project(): ProjectState {
  return createProjectState(newProject(CODE, smallPlan([planItem('A'), planItem('B')])), MON);
}

/** Takes an action the way the workflow does: parsed, checked against today's date, applied. */
function act(state: ProjectState, input: ProblemAction, at: number) {
  const action = ProblemAction.parse(input);
  expect(refuseProblemAction(state, action, calendar.dateOf(at)), JSON.stringify(input)).toBeNull();
  return applyProblemAction(state, action, at, calendar);
}

const refusal = (state: ProjectState, input: ProblemAction, today = '2035-06-04') =>
  refuseProblemAction(state, ProblemAction.parse(input), today);

type Raise = Extract<ProblemAction, { action: 'raise' }>;
const raise = (over: Partial<Raise> = {}): ProblemAction => ({
  action: 'raise',
  actor: secretary,
  title: '高压线迁改',
  description: '地块内 110kV 线路需迁改',
  ...over,
});
const assign = (problemId: string, actor: Actor = secretary, ownerDepartment = 'GD'): ProblemAction => ({
  action: 'assign',
  actor,
  problemId,
  ownerDepartment,
});
const plan = (problemId: string, actor: Actor = gd, deadline?: string): ProblemAction => ({
  action: 'plan',
  actor,
  problemId,
  solution: '供电公司负责迁改，区政府协调通道',
  ...(deadline ? { deadline } : {}),
});
const resolve = (problemId: string, actor: Actor = gd): ProblemAction => ({
  action: 'resolve',
  actor,
  problemId,
  resolution: '线路已迁改',
});
const verify = (problemId: string, accepted: boolean, actor: Actor = secretary): ProblemAction => ({
  action: 'verify',
  actor,
  problemId,
  accepted,
});

/** A project with problem P1 owned by GD, raised at MON, driven to `status`. */
function problemIn(status: 'assigned' | 'planned' | 'resolved' | 'verified') {
  const state = project();
  act(state, raise({ ownerDepartment: 'GD' }), MON);
  const steps: ProblemAction[] = [plan('P1'), resolve('P1'), verify('P1', true)];
  const count = { assigned: 0, planned: 1, resolved: 2, verified: 3 }[status];
  for (const step of steps.slice(0, count)) act(state, step, MON);
  expect(state.problems.P1!.status).toBe(status);
  return state;
}

describe('refuseProblemAction', () => {
  it('refuses to block an item that is not in the plan', () => {
    expect(refusal(project(), raise({ blocksItem: 'NOPE' }))).toBe(
      'item NOPE is not in the plan of project PRB-1',
    );
    expect(refusal(project(), raise({ blocksItem: 'A' }))).toBeNull();
  });

  it("lets only the item's department and the people who run the project block an item", () => {
    // Items A and B are FGW's; GD has items elsewhere on the project but not these.
    const state = project();
    for (const actor of [secretary, operator, fgw, { role: 'leader', id: 'leader-li' } as const]) {
      expect(refusal(state, raise({ actor, blocksItem: 'A' })), JSON.stringify(actor)).toBeNull();
    }
    expect(refusal(state, raise({ actor: gd, blocksItem: 'A' }))).toBe(
      "GD may not block A, an item of FGW: only its department, the project's secretary and leader, and operators block an item",
    );
    expect(refusal(state, raise({ actor: { role: 'leader', id: 'leader-other' }, blocksItem: 'B' }))).toBe(
      "leader leader-other may not block B, an item of FGW: only its department, the project's secretary and leader, and operators block an item",
    );
    // The same department may still raise the problem without blocking the item.
    expect(refusal(state, raise({ actor: gd }))).toBeNull();
  });

  it('refuses a deadline in the past, and takes today', () => {
    expect(refusal(project(), raise({ deadline: '2035-06-03' }))).toBe('deadline 2035-06-03 is in the past');
    expect(refusal(project(), raise({ deadline: '2035-06-04' }))).toBeNull();
    const state = problemIn('assigned');
    expect(refusal(state, plan('P1', gd, '2035-06-01'), '2035-06-04')).toBe(
      'deadline 2035-06-01 is in the past',
    );
    expect(refusal(state, plan('P1', gd, '2035-06-04'), '2035-06-04')).toBeNull();
  });

  it('refuses a secretary who is not the project’s; anyone else on the project may raise', () => {
    expect(refusal(project(), raise({ actor: otherSecretary }))).toBe(
      'sec-other is not the secretary of project PRB-1',
    );
    for (const actor of [secretary, operator, fgw, { role: 'leader', id: 'leader-li' } as const]) {
      expect(refusal(project(), raise({ actor }))).toBeNull();
    }
  });

  it('refuses an unknown problem, whatever the action', () => {
    const state = problemIn('assigned');
    for (const action of [
      assign('P9'),
      plan('P9', secretary),
      resolve('P9', secretary),
      verify('P9', true),
    ]) {
      expect(refusal(state, action)).toBe('problem P9 does not exist in project PRB-1');
    }
  });

  it('lets only the secretary or an operator assign, and not once resolved', () => {
    const state = problemIn('assigned');
    expect(refusal(state, assign('P1', gd))).toBe(
      'only the project secretary or an operator assigns problems',
    );
    expect(refusal(state, assign('P1', otherSecretary))).toBe(
      'only the project secretary or an operator assigns problems',
    );
    expect(refusal(state, assign('P1', operator))).toBeNull();
    expect(refusal(problemIn('resolved'), assign('P1'))).toBe(
      'problem P1 is resolved; it cannot be reassigned',
    );
    expect(refusal(problemIn('verified'), assign('P1'))).toBe(
      'problem P1 is verified; it cannot be reassigned',
    );
  });

  it('lets only the owner, the secretary or an operator plan, and not once resolved', () => {
    const state = problemIn('assigned');
    expect(refusal(state, plan('P1', fgw))).toBe(
      'only the owner of problem P1 or the secretary may set its solution',
    );
    expect(refusal(state, plan('P1', otherSecretary))).toBe(
      'only the owner of problem P1 or the secretary may set its solution',
    );
    for (const actor of [gd, secretary, operator]) expect(refusal(state, plan('P1', actor))).toBeNull();
    expect(refusal(problemIn('resolved'), plan('P1'))).toBe('problem P1 is resolved; its plan cannot change');
    expect(refusal(problemIn('verified'), plan('P1'))).toBe('problem P1 is verified; its plan cannot change');
  });

  it('lets only the owner, the secretary or an operator resolve, and only once', () => {
    const state = problemIn('planned');
    expect(refusal(state, resolve('P1', fgw))).toBe(
      'only the owner of problem P1 or the secretary may resolve it',
    );
    for (const actor of [gd, secretary, operator]) expect(refusal(state, resolve('P1', actor))).toBeNull();
    expect(refusal(problemIn('assigned'), resolve('P1'))).toBeNull(); // a plan is not required
    expect(refusal(problemIn('resolved'), resolve('P1'))).toBe('problem P1 is already resolved');
    expect(refusal(problemIn('verified'), resolve('P1'))).toBe('problem P1 is already verified');
  });

  it('takes an owner person as the owner whatever their role', () => {
    const state = project();
    act(state, raise({ ownerPerson: 'leader-zhao' }), MON);
    const zhao = { role: 'leader', id: 'leader-zhao' } as const;
    const qian = { role: 'leader', id: 'leader-qian' } as const;
    expect(refusal(state, plan('P1', zhao))).toBeNull();
    expect(refusal(state, resolve('P1', zhao))).toBeNull();
    expect(refusal(state, resolve('P1', qian))).toBe(
      'only the owner of problem P1 or the secretary may resolve it',
    );
    // A department without an owner department named is nobody's owner.
    expect(refusal(state, resolve('P1', gd))).toBe(
      'only the owner of problem P1 or the secretary may resolve it',
    );
  });

  it('lets only the secretary or an operator verify, and only a resolved problem', () => {
    const state = problemIn('resolved');
    expect(refusal(state, verify('P1', true, gd))).toBe(
      'only the project secretary or an operator verifies a solution',
    );
    expect(refusal(state, verify('P1', true, otherSecretary))).toBe(
      'only the project secretary or an operator verifies a solution',
    );
    expect(refusal(state, verify('P1', false, operator))).toBeNull();
    for (const status of ['assigned', 'planned', 'verified'] as const) {
      expect(refusal(problemIn(status), verify('P1', true))).toBe(
        `problem P1 is ${status}; only a resolved problem can be verified`,
      );
    }
  });

  it('never changes the state it judges', () => {
    const state = problemIn('planned');
    const before = structuredClone(state);
    refusal(state, verify('P1', true));
    refusal(state, resolve('P1'));
    expect(state).toEqual(before);
  });
});

describe('the ProblemAction schema', () => {
  it('refuses a deadline that is not a real date (it would throw in the handler, after the validator)', () => {
    for (const deadline of ['2035-02-30', '2035-13-01', '2035-6-4']) {
      expect(ProblemAction.safeParse(raise({ deadline })).success, deadline).toBe(false);
      expect(ProblemAction.safeParse(plan('P1', gd, deadline)).success, deadline).toBe(false);
    }
  });

  it('refuses an empty title or an unknown action', () => {
    expect(ProblemAction.safeParse(raise({ title: '  ' })).success).toBe(false);
    expect(ProblemAction.safeParse({ action: 'close', actor: secretary, problemId: 'P1' }).success).toBe(
      false,
    );
  });
});

describe('applyProblemAction: the lifecycle', () => {
  it('raises a problem as assigned when an owner is given, due at the end of the same working day', () => {
    const state = project();
    const { problem, revision } = act(state, raise({ ownerDepartment: 'GD', blocksItem: 'A' }), MON);
    expect(problem).toEqual({
      id: 'P1',
      title: '高压线迁改',
      description: '地块内 110kV 线路需迁改',
      raisedBy: secretary,
      raisedAt: iso(MON),
      ownerDepartment: 'GD',
      ownerPerson: undefined,
      status: 'assigned',
      deadlineAt: endOf('2035-06-04'), // 不让问题过夜
      deadlineProvisional: false,
      blocksItem: 'A',
      round: 1,
      rungLevel: 0,
    });
    expect(revision).toBe(2);
    expect(state.nextProblemNo).toBe(2);
    expect(act(state, raise({ ownerPerson: 'eng-zhang' }), MON).problem).toMatchObject({
      id: 'P2',
      status: 'assigned',
    });
  });

  it('raises a problem without an owner as open; assigning makes it assigned', () => {
    const state = project();
    expect(act(state, raise(), MON).problem.status).toBe('open');
    const assigned = act(state, assign('P1'), MON);
    expect(assigned.problem).toMatchObject({ status: 'assigned', ownerDepartment: 'GD' });
    expect(assigned.revision).toBe(3);
  });

  it.each([
    ['a working day', '2035-06-08T23:30:00', '2035-06-08'],
    ['a Sunday', '2035-06-10T10:00:00', '2035-06-11'],
    ['a holiday (Thu), the next day off too', '2035-06-14T10:00:00', '2035-06-16'], // Sat 16 is a make-up workday
    ['a make-up Saturday', '2035-06-16T10:00:00', '2035-06-16'],
  ])('sets the default deadline of a problem raised on %s', (_, raisedAt, due) => {
    const { problem } = act(project(), raise(), cst(raisedAt));
    expect(problem.deadlineAt).toBe(endOf(due));
    expect(problem.deadlineProvisional).toBe(false);
  });

  it('takes an explicit deadline as the end of that date, even a weekend', () => {
    expect(act(project(), raise({ deadline: '2035-06-20' }), MON).problem.deadlineAt).toBe(
      endOf('2035-06-20'),
    );
    expect(act(project(), raise({ deadline: '2035-06-23' }), MON).problem.deadlineAt).toBe(
      endOf('2035-06-23'),
    );
  });

  it('marks a default deadline in a year without calendar data provisional, an explicit one not', () => {
    const at = cst('2037-03-03T10:00:00'); // Tue; 2037 is not in the test calendar
    expect(act(project(), raise(), at).problem).toMatchObject({
      deadlineAt: endOf('2037-03-03'),
      deadlineProvisional: true,
    });
    expect(act(project(), raise({ deadline: '2037-03-05' }), at).problem.deadlineProvisional).toBe(false);
  });

  it('plans, resolves and verifies; a new deadline restarts the ladder', () => {
    const state = project();
    act(state, raise({ ownerDepartment: 'GD' }), MON);
    fireDueEscalations(state, cst('2035-06-07T10:00:00'), calendar); // yellow and red are due
    expect(state.problems.P1!.rungLevel).toBe(3);

    const planned = act(state, plan('P1', gd, '2035-06-12'), cst('2035-06-07T11:00:00'));
    expect(planned.problem).toMatchObject({
      status: 'planned',
      solution: '供电公司负责迁改，区政府协调通道',
      deadlineAt: endOf('2035-06-12'),
      deadlineProvisional: false,
      rungLevel: 0,
      round: 2, // fresh dedupe keys: the new ladder's escalations are not swallowed as repeats
    });
    // Reassigned while planned: the owner changes, the status stays.
    expect(act(state, assign('P1', secretary, 'ZRZY'), cst('2035-06-07T12:00:00')).problem).toMatchObject({
      status: 'planned',
      ownerDepartment: 'ZRZY',
    });
    // A plan without a new deadline keeps the ladder where it is.
    const again = fireDueEscalations(state, cst('2035-06-12T10:00:00'), calendar);
    expect(state.problems.P1!.rungLevel).toBe(1);
    expect(again.map((e) => e.key)).toEqual(['PRB-1/problem/P1/2/reminder']);
    act(state, plan('P1', dept('ZRZY')), cst('2035-06-12T11:00:00'));
    expect(state.problems.P1!).toMatchObject({ rungLevel: 1, deadlineAt: endOf('2035-06-12') });

    const resolvedAt = cst('2035-06-12T15:00:00');
    expect(act(state, resolve('P1', dept('ZRZY')), resolvedAt).problem).toMatchObject({
      status: 'resolved',
      resolution: '线路已迁改',
      resolvedAt: iso(resolvedAt),
    });
    const verifiedAt = cst('2035-06-13T09:00:00');
    const verified = act(state, verify('P1', true), verifiedAt);
    expect(verified.problem).toMatchObject({
      status: 'verified',
      resolvedAt: iso(resolvedAt),
      verifiedAt: iso(verifiedAt),
    });
  });

  it('sends a problem whose fix did not hold back to planned, and its block holds again', () => {
    const state = project();
    applyDecision(state, Decision.parse({ action: 'submit', item: 'A', actor: secretary }), MON, calendar);
    applyDecision(state, Decision.parse({ action: 'accept', item: 'A', actor: fgw }), MON, calendar);
    act(state, raise({ ownerDepartment: 'GD', blocksItem: 'A' }), cst('2035-06-05T09:00:00'));
    act(state, resolve('P1'), cst('2035-06-07T15:00:00'));
    const approve = Decision.parse({
      action: 'approve',
      item: 'A',
      actor: fgw,
      documentNo: '发改〔2035〕1号',
    });
    expect(refuseDecision(state, approve)).toBeNull();

    const refused = act(state, verify('P1', false), cst('2035-06-08T10:00:00'));
    expect(refused.problem.status).toBe('planned');
    expect(refused.problem.resolvedAt).toBeUndefined();
    expect(refused.problem.verifiedAt).toBeUndefined();
    expect(openProblemsBlocking(state, 'A').map((p) => p.id)).toEqual(['P1']);
    expect(refuseDecision(state, approve)).toBe('A is blocked by problem P1 until it is resolved');
    expect(state.items.A!.dueAt).toBeNull(); // the clock is held again

    // Resolved again Mon 06-11: blocked from Tue 06-05, so Wed 06 to Mon 11 do not count (four working days):
    // 05, 12 13, Sat 16, 18 19 20 21 → end of 06-21.
    act(state, resolve('P1'), cst('2035-06-11T10:00:00'));
    expect(state.items.A!.dueAt).toBe(endOf('2035-06-21'));
  });

  it('answers with a copy of the problem', () => {
    const state = project();
    const { problem } = act(state, raise(), MON);
    problem.status = 'verified';
    expect(state.problems.P1!.status).toBe('open');
  });
});

describe('a blocked item’s deadline', () => {
  /** Item A (8 working days) accepted Mon 06-04 10:00: due end of Sat 06-16 without a block. */
  function accepted() {
    const state = project();
    applyDecision(state, Decision.parse({ action: 'submit', item: 'A', actor: secretary }), MON, calendar);
    applyDecision(state, Decision.parse({ action: 'accept', item: 'A', actor: fgw }), MON, calendar);
    expect(state.items.A!.dueAt).toBe(endOf('2035-06-16'));
    return state;
  }

  it('is held while the problem is open and moves by the working days it was blocked', () => {
    const state = accepted();
    act(state, raise({ ownerDepartment: 'GD', blocksItem: 'A' }), cst('2035-06-05T09:00:00'));
    expect(state.items.A).toMatchObject({ dueAt: null, dueDate: null });
    expect(state.problems.P1!.blocksItem).toBe('A');
    // Resolved Thu 06-07: Wed 06 and Thu 07 do not count → 05, 08 11 12 13, 16, 18 19 → end of 06-19.
    act(state, resolve('P1'), cst('2035-06-07T15:00:00'));
    expect(state.items.A!.dueAt).toBe(endOf('2035-06-19'));
    act(state, verify('P1', true), cst('2035-06-08T10:00:00'));
    expect(state.items.A!.dueAt).toBe(endOf('2035-06-19'));
  });

  it('moves only by the working days blocked across a holiday and its make-up day', () => {
    const state = accepted();
    act(state, raise({ ownerDepartment: 'GD', blocksItem: 'A' }), cst('2035-06-13T10:00:00'));
    // Blocked Thu 14 (off), Fri 15 (off), Sat 16 (make-up), Sun 17, Mon 18: two working days → 16 + 2 = 06-19.
    act(state, resolve('P1'), cst('2035-06-18T10:00:00'));
    expect(state.items.A!.dueAt).toBe(endOf('2035-06-19'));
  });

  it('does not move for a problem raised and resolved the same day', () => {
    const state = accepted();
    act(state, raise({ blocksItem: 'A' }), cst('2035-06-05T09:00:00'));
    act(state, resolve('P1', secretary), cst('2035-06-05T17:00:00'));
    expect(state.items.A!.dueAt).toBe(endOf('2035-06-16'));
  });

  it('counts a block raised before acceptance only from the clock start, and ignores one resolved before', () => {
    const state = project();
    act(state, raise({ ownerDepartment: 'GD', blocksItem: 'A' }), cst('2035-06-04T10:30:00'));
    act(state, raise({ ownerDepartment: 'GD', blocksItem: 'A' }), cst('2035-06-04T10:40:00'));
    act(state, resolve('P2'), cst('2035-06-04T15:00:00'));
    const tue = cst('2035-06-05T10:00:00');
    applyDecision(state, Decision.parse({ action: 'submit', item: 'A', actor: secretary }), tue, calendar);
    applyDecision(state, Decision.parse({ action: 'accept', item: 'A', actor: fgw }), tue, calendar);
    expect(state.items.A!.dueAt).toBeNull();
    // Resolved Thu 06-07: Wed 06 and Thu 07 do not count → 08 11 12 13, 16, 18 19 20 → end of 06-20
    // (06-18 unblocked).
    act(state, resolve('P1'), cst('2035-06-07T10:00:00'));
    expect(state.items.A!.dueAt).toBe(endOf('2035-06-20'));
  });

  it('leaves other items alone', () => {
    const state = accepted();
    applyDecision(state, Decision.parse({ action: 'submit', item: 'B', actor: secretary }), MON, calendar);
    applyDecision(state, Decision.parse({ action: 'accept', item: 'B', actor: fgw }), MON, calendar);
    act(state, raise({ blocksItem: 'A' }), cst('2035-06-05T09:00:00'));
    expect(state.items.B!.dueAt).toBe(endOf('2035-06-16'));
  });
});
