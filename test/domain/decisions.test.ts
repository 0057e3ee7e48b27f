import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import {
  applyDecision,
  Decision,
  type DecisionAction,
  decisionRefusal,
  openDepartmentDecisions,
  refuseDecision,
} from '../../domain/decisions';
import type { PlanItem } from '../../domain/plan';
import { applyProblemAction, ProblemAction } from '../../domain/problems';
import { type Actor, createProjectState, type ItemStatus, type ProjectState } from '../../domain/project';
import { fireDueEscalations } from '../../domain/supervision';
import { newProject, planItem, smallPlan, testCalendarYears } from '../helpers/projects';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday. Mon 2035-06-04 is a Monday.
const calendar = makeCalendar(testCalendarYears());
/** An instant given as a China Standard Time (UTC+8) wall-clock time. */
const cst = (local: string) => Date.parse(`${local}+08:00`);
const iso = (t: number) => new Date(t).toISOString();
/** The end of a CST day, as the ISO string a deadline is stored as. */
const endOf = (date: string) => iso(cst(`${date}T00:00:00`) + 86_400_000);

const CODE = 'DEC-1';
const MON = cst('2035-06-04T10:00:00');
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const otherSecretary = { role: 'secretary', id: 'sec-other' } as const;
const operator = { role: 'operator', id: 'ops-chen' } as const;
const leader = { role: 'leader', id: 'leader-li' } as const;
const dept = (department: string) => ({ role: 'department', department }) as const;
const fgw = dept('FGW');
const zj = dept('ZJ');

function project(items: PlanItem[], at = MON): ProjectState {
  return createProjectState(newProject(CODE, smallPlan(items)), at);
}

/** Takes a decision the way the workflow does: parsed, checked by the validator, applied. */
function decide(state: ProjectState, input: Decision, at: number) {
  const decision = Decision.parse(input);
  expect(refuseDecision(state, decision), JSON.stringify(input)).toBeNull();
  return applyDecision(state, decision, at, calendar);
}

/** Valid decisions, by the party that normally takes them unless another actor is given. */
const d = {
  submit: (item: string, actor: Actor = secretary): Decision => ({ action: 'submit', item, actor }),
  accept: (item: string, actor: Actor = fgw, withGaps?: boolean): Decision => ({
    action: 'accept',
    item,
    actor,
    ...(withGaps === undefined ? {} : { withGaps }),
  }),
  return: (item: string, actor: Actor = fgw, missing = ['施工图设计文件']): Decision => ({
    action: 'return',
    item,
    actor,
    missing,
  }),
  resubmit: (item: string, actor: Actor = secretary): Decision => ({ action: 'resubmit', item, actor }),
  approve: (item: string, actor: Actor = fgw): Decision => ({
    action: 'approve',
    item,
    actor,
    documentNo: `发改〔2035〕${item}号`,
  }),
  reject: (item: string, actor: Actor = fgw): Decision => ({
    action: 'reject',
    item,
    actor,
    reason: '申请材料不符合法定形式',
  }),
  approveOnCommitment: (item: string, actor: Actor = fgw): Decision => ({
    action: 'approveOnCommitment',
    item,
    actor,
    commitmentRef: `承诺-${item}`,
  }),
  waive: (item: string, actor: Actor = secretary): Decision => ({
    action: 'waive',
    item,
    actor,
    reason: '本项目不涉及',
  }),
  suspend: (item: string, actor: Actor = fgw): Decision => ({
    action: 'suspend',
    item,
    actor,
    period: 'expertReview',
    expectedDays: 5,
  }),
  resume: (item: string, actor: Actor = fgw): Decision => ({ action: 'resume', item, actor }),
} satisfies Record<DecisionAction, (item: string, actor?: Actor) => Decision>;

const refusal = (state: ProjectState, decision: Decision) => refuseDecision(state, Decision.parse(decision));

describe('refuseDecision: who may decide', () => {
  const state = () => project([planItem('A'), planItem('B', { department: 'ZJ' })]);

  it('refuses an item that is not in the plan', () => {
    expect(refusal(state(), d.submit('NOPE'))).toBe('item NOPE is not in the plan of project DEC-1');
    expect(refusal(state(), d.accept('NOPE'))).toBe('item NOPE is not in the plan of project DEC-1');
  });

  it.each([
    ['the secretary', secretary],
    ['an operator', operator],
    ['a leader', leader],
  ])('refuses a department action by %s', (_, actor) => {
    const s = state();
    decide(s, d.submit('A'), MON);
    for (const action of [
      'accept',
      'return',
      'approve',
      'reject',
      'approveOnCommitment',
      'suspend',
      'resume',
    ] as const) {
      expect(refusal(s, d[action]('A', actor))).toBe(`only the responsible department (FGW) may ${action} A`);
    }
  });

  it('refuses a department acting on another department’s item', () => {
    const s = state();
    decide(s, d.submit('A'), MON);
    expect(refusal(s, d.accept('A', zj))).toBe(
      'A belongs to department FGW; department ZJ may not accept it',
    );
    expect(refusal(s, d.reject('A', zj))).toBe(
      'A belongs to department FGW; department ZJ may not reject it',
    );
    expect(refusal(s, d.accept('B', fgw))).toBe(
      'B belongs to department ZJ; department FGW may not accept it',
    );
  });

  it('lets only the project secretary or an operator waive', () => {
    expect(refusal(state(), d.waive('A', fgw))).toBe('only the project secretary or an operator may waive A');
    expect(refusal(state(), d.waive('A', leader))).toBe(
      'only the project secretary or an operator may waive A',
    );
    expect(refusal(state(), d.waive('A', otherSecretary))).toBe(
      'sec-other is not the secretary of project DEC-1',
    );
    expect(refusal(state(), d.waive('A', secretary))).toBeNull();
    expect(refusal(state(), d.waive('A', operator))).toBeNull();
  });

  it('refuses a secretary’s action taken by a department or a leader', () => {
    expect(refusal(state(), d.submit('A', fgw))).toBe(
      'only the project secretary or an operator may submit A',
    );
    expect(refusal(state(), d.submit('A', leader))).toBe(
      'only the project secretary or an operator may submit A',
    );
    const s = state();
    decide(s, d.submit('A'), MON);
    decide(s, d.return('A'), MON);
    expect(refusal(s, d.resubmit('A', fgw))).toBe('only the project secretary or an operator may resubmit A');
    expect(refusal(s, d.resubmit('A', operator))).toBeNull();
  });

  it('refuses a secretary who is not the project’s', () => {
    expect(refusal(state(), d.submit('A', otherSecretary))).toBe(
      'sec-other is not the secretary of project DEC-1',
    );
    const s = state();
    decide(s, d.submit('A'), MON);
    decide(s, d.return('A'), MON);
    expect(refusal(s, d.resubmit('A', otherSecretary))).toBe(
      'sec-other is not the secretary of project DEC-1',
    );
  });

  it('never changes the state it judges', () => {
    const s = state();
    const before = structuredClone(s);
    refusal(s, d.approve('A'));
    refusal(s, d.submit('A'));
    refusal(s, d.waive('B', fgw));
    expect(s).toEqual(before);
  });
});

describe('refuseDecision: the order of the lifecycle', () => {
  /** What each action may follow; written out here so a change to the source's table shows up. */
  const allowed: Record<DecisionAction, ItemStatus[]> = {
    submit: ['ready', 'rejected'],
    accept: ['submitted'],
    return: ['submitted', 'accepted'],
    resubmit: ['returned'],
    approve: ['accepted'],
    reject: ['submitted', 'accepted'],
    approveOnCommitment: ['submitted', 'accepted'],
    waive: ['waiting', 'ready', 'submitted', 'accepted', 'returned', 'rejected'],
    suspend: ['accepted'],
    resume: ['accepted'],
  };
  /** How item A (or W, for waiting) reaches each status. A allows 告知承诺 so only the order is judged. */
  const paths: Record<ItemStatus, (keyof typeof d)[]> = {
    waiting: [],
    ready: [],
    submitted: ['submit'],
    accepted: ['submit', 'accept'],
    returned: ['submit', 'accept', 'return'],
    approved: ['submit', 'accept', 'approve'],
    approvedOnCommitment: ['submit', 'approveOnCommitment'],
    rejected: ['submit', 'reject'],
    waived: ['waive'],
  };
  function itemIn(status: ItemStatus): { state: ProjectState; code: string } {
    const state = project([planItem('A', { commitment: true }), planItem('W', { prerequisites: ['A'] })]);
    paths[status].forEach((action, i) => {
      decide(state, d[action]('A'), MON + i * 3_600_000);
    });
    const code = status === 'waiting' ? 'W' : 'A';
    expect(state.items[code]!.status).toBe(status);
    return { state, code };
  }
  const statuses = Object.keys(paths) as ItemStatus[];
  const actions = Object.keys(allowed) as DecisionAction[];
  const refused = actions.flatMap((action) =>
    statuses
      .filter((s) => !allowed[action].includes(s) && !(action === 'submit' && s === 'waiting'))
      .map((status) => ({ action, status })),
  );
  // resume follows a suspend: tested on its own below.
  const permitted = actions
    .filter((action) => action !== 'resume')
    .flatMap((action) => allowed[action].map((status) => ({ action, status })));

  it.each(refused)('refuses $action on a $status item', ({ action, status }) => {
    const { state, code } = itemIn(status);
    expect(refusal(state, d[action](code))).toBe(
      `${code} is ${status}; ${action} is allowed only when it is ${allowed[action].join(' or ')}`,
    );
  });

  it.each(permitted)('allows $action on a $status item', ({ action, status }) => {
    const { state, code } = itemIn(status);
    expect(refusal(state, d[action](code))).toBeNull();
  });

  it('refuses to submit a waiting item without early start, naming only its open prerequisites', () => {
    const state = project([
      planItem('A'),
      planItem('B', { department: 'ZRZY' }),
      planItem('C', { prerequisites: ['A', 'B'] }),
    ]);
    expect(refusal(state, d.submit('C'))).toBe('C is waiting for A, B; it has no early start');
    decide(state, d.submit('A'), MON);
    decide(state, d.accept('A'), MON);
    decide(state, d.approve('A'), MON);
    expect(refusal(state, d.submit('C'))).toBe('C is waiting for B; it has no early start');
  });

  it('allows an early-start item to be submitted while it waits (提前介入)', () => {
    const state = project([planItem('A'), planItem('D', { prerequisites: ['A'], earlyStart: true })]);
    expect(state.items.D!.status).toBe('waiting');
    expect(refusal(state, d.submit('D'))).toBeNull();
  });
});

describe('refuseDecision: what the item allows', () => {
  it('refuses acceptance with missing materials where 容缺受理 does not apply', () => {
    const state = project([planItem('A'), planItem('G', { acceptWithGaps: true })]);
    decide(state, d.submit('A'), MON);
    decide(state, d.submit('G'), MON);
    expect(refusal(state, d.accept('A', fgw, true))).toBe(
      'A does not allow acceptance with missing materials (容缺受理)',
    );
    expect(refusal(state, d.accept('A', fgw, false))).toBeNull();
    expect(refusal(state, d.accept('G', fgw, true))).toBeNull();
  });

  it('refuses approval on commitment where 告知承诺 does not apply', () => {
    const state = project([planItem('A'), planItem('K', { commitment: true })]);
    decide(state, d.submit('A'), MON);
    decide(state, d.submit('K'), MON);
    expect(refusal(state, d.approveOnCommitment('A'))).toBe(
      'A cannot be approved on commitment (告知承诺 does not apply)',
    );
    expect(refusal(state, d.approveOnCommitment('K'))).toBeNull();
  });

  it('refuses to approve a pre-reviewed item before its prerequisites finish, naming them', () => {
    const state = project([
      planItem('A'),
      planItem('B', { department: 'ZRZY' }),
      planItem('D', { department: 'ZJ', prerequisites: ['A', 'B'], earlyStart: true, commitment: true }),
    ]);
    decide(state, d.submit('D'), MON);
    expect(refusal(state, d.approveOnCommitment('D', zj))).toBe(
      'D is in pre-review; it cannot be approved before A, B finish',
    );
    decide(state, d.accept('D', zj), MON);
    expect(refusal(state, d.approve('D', zj))).toBe(
      'D is in pre-review; it cannot be approved before A, B finish',
    );
    decide(state, d.waive('B'), MON);
    expect(refusal(state, d.approve('D', zj))).toBe(
      'D is in pre-review; it cannot be approved before A finish',
    );
    decide(state, d.submit('A'), MON);
    decide(state, d.accept('A'), MON);
    decide(state, d.approve('A'), MON);
    expect(refusal(state, d.approve('D', zj))).toBeNull();
  });

  it('refuses to approve an item blocked by a problem until every blocking problem is resolved', () => {
    const state = project([planItem('A', { commitment: true })]);
    decide(state, d.submit('A'), MON);
    decide(state, d.accept('A'), MON);
    const raise = (title: string) =>
      applyProblemAction(
        state,
        ProblemAction.parse({
          action: 'raise',
          actor: secretary,
          title,
          description: '需协调解决',
          ownerDepartment: 'GD',
          blocksItem: 'A',
        }),
        MON,
        calendar,
      );
    raise('高压线迁改');
    raise('道路开口');
    expect(refusal(state, d.approve('A'))).toBe('A is blocked by problem P1, P2 until it is resolved');
    expect(refusal(state, d.approveOnCommitment('A'))).toBe(
      'A is blocked by problem P1, P2 until it is resolved',
    );
    const resolve = (problemId: string) =>
      applyProblemAction(
        state,
        ProblemAction.parse({ action: 'resolve', actor: dept('GD'), problemId, resolution: '已完成' }),
        MON,
        calendar,
      );
    resolve('P1');
    expect(refusal(state, d.approve('A'))).toBe('A is blocked by problem P2 until it is resolved');
    resolve('P2');
    expect(refusal(state, d.approve('A'))).toBeNull();
    // The block is on approval only: the department may still return or reject.
    raise('地下管线');
    expect(refusal(state, d.return('A'))).toBeNull();
    expect(refusal(state, d.reject('A'))).toBeNull();
  });
});

describe('the Decision schema', () => {
  const issuePaths = (input: unknown) => {
    const r = Decision.safeParse(input);
    return r.success ? 'parsed' : r.error.issues.map((i) => i.path.join('.'));
  };
  const long = (n: number) => '字'.repeat(n);

  it('refuses an approval without a document number', () => {
    expect(issuePaths({ action: 'approve', item: 'A', actor: fgw })).toEqual(['documentNo']);
    expect(issuePaths({ action: 'approve', item: 'A', actor: fgw, documentNo: '   ' })).toEqual([
      'documentNo',
    ]);
  });

  it('refuses a return that names nothing missing, or too much', () => {
    expect(issuePaths({ action: 'return', item: 'A', actor: fgw, missing: [] })).toEqual(['missing']);
    expect(issuePaths({ action: 'return', item: 'A', actor: fgw })).toEqual(['missing']);
    expect(issuePaths({ action: 'return', item: 'A', actor: fgw, missing: Array(51).fill('图纸') })).toEqual([
      'missing',
    ]);
    expect(issuePaths({ action: 'return', item: 'A', actor: fgw, missing: ['图纸', ''] })).toEqual([
      'missing.1',
    ]);
  });

  it('refuses an unknown action', () => {
    expect(Decision.safeParse({ action: 'escalate', item: 'A', actor: secretary }).success).toBe(false);
    expect(Decision.safeParse({ item: 'A', actor: secretary }).success).toBe(false);
  });

  it.each([
    ['note', { action: 'submit', item: 'A', actor: secretary, note: long(2001) }, 'note'],
    ['reason', { action: 'reject', item: 'A', actor: fgw, reason: long(2001) }, 'reason'],
    ['waiver reason', { action: 'waive', item: 'A', actor: secretary, reason: long(2001) }, 'reason'],
    ['document number', { action: 'approve', item: 'A', actor: fgw, documentNo: long(101) }, 'documentNo'],
    [
      'commitment reference',
      { action: 'approveOnCommitment', item: 'A', actor: fgw, commitmentRef: long(101) },
      'commitmentRef',
    ],
    ['missing material', { action: 'return', item: 'A', actor: fgw, missing: [long(501)] }, 'missing.0'],
  ])('refuses an overlong %s', (_, input, path) => {
    expect(issuePaths(input)).toEqual([path]);
  });

  it('accepts text at its limit, trimmed', () => {
    const parsed = Decision.parse({ action: 'reject', item: 'A', actor: fgw, reason: `  ${long(2000)}  ` });
    expect(parsed.action === 'reject' && parsed.reason).toBe(long(2000));
  });

  it('refuses a malformed item code or actor', () => {
    expect(issuePaths({ action: 'submit', item: 'a-1', actor: secretary })).toEqual(['item']);
    expect(issuePaths({ action: 'submit', item: 'A', actor: { role: 'mayor', id: 'x' } })).toEqual([
      'actor.role',
    ]);
    expect(
      issuePaths({ action: 'accept', item: 'A', actor: { role: 'department', department: 'fgw' } }),
    ).toEqual(['actor.department']);
  });
});

describe('applyDecision: the item lifecycle', () => {
  it('opens items without prerequisites when the project is registered', () => {
    const state = project([planItem('A'), planItem('B', { prerequisites: ['A'] })]);
    expect(state.items.A).toMatchObject({ status: 'ready', openedAt: iso(MON), round: 1 });
    expect(state.items.B!.status).toBe('waiting');
    expect(state.items.B!.openedAt).toBeUndefined();
    expect(state.revision).toBe(1);
  });

  it('submits, accepts (the clock starts), returns (paused), resubmits to accepted, approves', () => {
    const state = project([planItem('A')]);
    const submitted = decide(state, d.submit('A'), cst('2035-06-04T09:00:00'));
    expect(submitted.item).toMatchObject({
      status: 'submitted',
      submittedAt: iso(cst('2035-06-04T09:00:00')),
      preReview: false,
      lastActor: secretary,
    });
    expect(submitted.item.clockStart).toBeUndefined();
    expect(submitted.item.dueAt).toBeUndefined();

    const accepted = decide(state, d.accept('A'), MON);
    // 8 working days from Mon 06-04: 05 06 07 08 11 12 13, (14 15 off), Sat 16 make-up → end of 06-16.
    expect(accepted.item).toMatchObject({
      status: 'accepted',
      acceptedAt: iso(MON),
      clockStart: iso(MON),
      dueAt: endOf('2035-06-16'),
      dueDate: '2035-06-16',
      provisional: false,
      lastActor: fgw,
    });

    const returnedAt = cst('2035-06-05T15:00:00');
    const returned = decide(state, d.return('A', fgw, ['施工图设计文件', '消防设计说明']), returnedAt);
    expect(returned.item).toMatchObject({
      status: 'returned',
      returnedFrom: 'accepted',
      returns: 1,
      missing: ['施工图设计文件', '消防设计说明'],
      pauses: [{ from: iso(returnedAt), to: null, reason: 'return' }],
      dueAt: null, // an open pause holds the count
      dueDate: null,
    });

    const resubmittedAt = cst('2035-06-07T09:00:00');
    const resubmitted = decide(state, d.resubmit('A'), resubmittedAt);
    // Wed 06 and Thu 07 do not count: 05, 08 11 12 13, 16, 18 19 → end of Tue 06-19.
    expect(resubmitted.item).toMatchObject({
      status: 'accepted',
      returns: 1,
      missing: [],
      pauses: [{ from: iso(returnedAt), to: iso(resubmittedAt), reason: 'return' }],
      clockStart: iso(MON),
      dueAt: endOf('2035-06-19'),
    });
    expect(resubmitted.item.returnedFrom).toBeUndefined();

    const approvedAt = cst('2035-06-12T16:30:00');
    const approved = decide(state, d.approve('A'), approvedAt);
    expect(approved.item).toMatchObject({
      status: 'approved',
      finishedAt: iso(approvedAt),
      documentNo: '发改〔2035〕A号',
    });
    expect(approved.opened).toEqual([]);
  });

  it('sends an item returned at intake back to submitted, with no clock to pause', () => {
    const state = project([planItem('A')]);
    decide(state, d.submit('A'), MON);
    const returned = decide(state, d.return('A'), cst('2035-06-05T10:00:00'));
    expect(returned.item).toMatchObject({
      status: 'returned',
      returnedFrom: 'submitted',
      returns: 1,
      pauses: [],
    });
    const resubmitted = decide(state, d.resubmit('A'), cst('2035-06-06T10:00:00'));
    expect(resubmitted.item).toMatchObject({ status: 'submitted', missing: [], pauses: [] });
    expect(resubmitted.item.clockStart).toBeUndefined();
    // The clock starts at acceptance: 8 working days from Thu 06-07 → 08 11 12 13 16 18 19 20.
    const accepted = decide(state, d.accept('A'), cst('2035-06-07T10:00:00'));
    expect(accepted.item.dueAt).toBe(endOf('2035-06-20'));
  });

  it('opens exactly the items whose last prerequisite finished, several at once (大并联)', () => {
    const state = project([
      planItem('A'),
      planItem('B', { prerequisites: ['A'] }),
      planItem('C', { department: 'ZRZY', prerequisites: ['A'] }),
      planItem('D', { department: 'ZJ', prerequisites: ['A'] }),
      planItem('E', { prerequisites: ['B', 'C'] }),
      planItem('F'),
    ]);
    decide(state, d.submit('A'), MON);
    decide(state, d.accept('A'), MON);
    const at = cst('2035-06-05T11:00:00');
    const approvedA = decide(state, d.approve('A'), at);
    expect(approvedA.opened).toEqual(['B', 'C', 'D']);
    for (const code of ['B', 'C', 'D'])
      expect(state.items[code]).toMatchObject({ status: 'ready', openedAt: iso(at) });
    expect(state.items.E!.status).toBe('waiting');
    expect(state.items.F!.openedAt).toBe(iso(MON)); // already open: not reopened

    decide(state, d.submit('B'), at);
    decide(state, d.accept('B'), at);
    expect(decide(state, d.approve('B'), at).opened).toEqual([]);
    decide(state, d.submit('C'), at);
    decide(state, d.accept('C', dept('ZRZY')), at);
    expect(decide(state, d.approve('C', dept('ZRZY')), at).opened).toEqual(['E']);
  });

  it('counts a waived item as done for its dependents', () => {
    const state = project([planItem('A'), planItem('B', { prerequisites: ['A'] })]);
    const at = cst('2035-06-05T10:00:00');
    const waived = decide(state, d.waive('A', operator), at);
    expect(waived.item).toMatchObject({
      status: 'waived',
      reason: '本项目不涉及',
      finishedAt: iso(at),
      lastActor: operator,
    });
    expect(waived.opened).toEqual(['B']);
    expect(state.items.B).toMatchObject({ status: 'ready', openedAt: iso(at) });
  });

  it('closes an open return when a returned item is waived', () => {
    const state = project([planItem('A')]);
    decide(state, d.submit('A'), MON);
    decide(state, d.accept('A'), MON);
    decide(state, d.return('A'), cst('2035-06-05T10:00:00'));
    const at = cst('2035-06-06T10:00:00');
    expect(decide(state, d.waive('A'), at).item.pauses).toEqual([
      { from: iso(cst('2035-06-05T10:00:00')), to: iso(at), reason: 'return' },
    ]);
  });

  it('approves on commitment (告知承诺) straight from submission, and that counts as done', () => {
    const state = project([planItem('K', { commitment: true }), planItem('B', { prerequisites: ['K'] })]);
    decide(state, d.submit('K'), MON);
    const at = cst('2035-06-04T15:00:00');
    const result = decide(state, d.approveOnCommitment('K'), at);
    expect(result.item).toMatchObject({
      status: 'approvedOnCommitment',
      documentNo: '承诺-K',
      finishedAt: iso(at),
      preReview: false,
    });
    expect(result.opened).toEqual(['B']);
  });

  it('rejects, then a new submission starts a new round: round + 1, ladder and pauses reset', () => {
    const state = project([planItem('A')]);
    decide(state, d.submit('A'), cst('2035-06-04T09:00:00'));
    decide(state, d.accept('A'), MON);
    decide(state, d.return('A'), cst('2035-06-05T15:00:00'));
    decide(state, d.resubmit('A'), cst('2035-06-07T09:00:00')); // due end of 06-19
    fireDueEscalations(state, cst('2035-06-20T00:00:00'), calendar); // reminder and yellow
    expect(state.items.A!.rungLevel).toBe(2);

    const rejectedAt = cst('2035-06-20T10:00:00');
    const rejected = decide(state, d.reject('A'), rejectedAt);
    expect(rejected.item).toMatchObject({
      status: 'rejected',
      reason: '申请材料不符合法定形式',
      finishedAt: iso(rejectedAt),
      round: 1,
    });
    expect(rejected.opened).toEqual([]);

    const again = cst('2035-06-21T10:00:00');
    const resubmitted = decide(state, d.submit('A'), again);
    expect(resubmitted.item).toMatchObject({
      status: 'submitted',
      submittedAt: iso(again),
      round: 2,
      rungLevel: 0,
      pauses: [],
      returns: 1, // a count over the item's whole life
    });
    for (const key of ['clockStart', 'dueAt', 'reason', 'finishedAt', 'acceptedAt'] as const) {
      expect(resubmitted.item[key], key).toBeUndefined();
    }

    // Fri 06-22: 25 26 27 28 29, Jul 02 03 04 → end of 07-04.
    const accepted = decide(state, d.accept('A'), cst('2035-06-22T10:00:00'));
    expect(accepted.item).toMatchObject({
      clockStart: iso(cst('2035-06-22T10:00:00')),
      dueAt: endOf('2035-07-04'),
    });
    const events = fireDueEscalations(state, cst('2035-07-05T00:00:00'), calendar);
    expect(events.map((e) => e.key)).toEqual(['DEC-1/item/A/2/reminder', 'DEC-1/item/A/2/yellow']);
  });

  it('increases the revision by exactly one per decision', () => {
    const state = project([planItem('A'), planItem('B', { prerequisites: ['A'] })]);
    const revisions = [
      d.submit('A'),
      d.return('A'),
      d.resubmit('A'),
      d.accept('A'),
      d.approve('A'),
      d.waive('B'),
    ].map((decision) => decide(state, decision, MON).revision);
    expect(revisions).toEqual([2, 3, 4, 5, 6, 7]);
    expect(state.revision).toBe(7);
  });
});

describe('applyDecision: periods the law keeps off the clock (Art. 45)', () => {
  it('stops the clock for expert review and moves the deadline by the working days it took', () => {
    const state = project([planItem('A')]);
    decide(state, d.submit('A'), MON);
    decide(state, d.accept('A'), MON);
    expect(state.items.A!.dueDate).toBe('2035-06-16');
    const from = cst('2035-06-06T16:00:00');
    decide(state, d.suspend('A'), from);
    expect(state.items.A).toMatchObject({
      status: 'accepted',
      pauses: [{ from: iso(from), to: null, reason: 'expertReview' }],
      dueAt: null,
    });
    const to = cst('2035-06-08T11:00:00');
    decide(state, d.resume('A'), to);
    // Thu 07 and Fri 08 do not count: 05 06, 11 12 13, 16, 18 19 → end of Tue 06-19.
    expect(state.items.A).toMatchObject({
      pauses: [{ from: iso(from), to: iso(to), reason: 'expertReview' }],
      dueDate: '2035-06-19',
    });
  });

  it('refuses to stop a clock that is not running, or twice; and to resume one that is not stopped', () => {
    const state = project([planItem('A'), planItem('B', { prerequisites: ['A'], earlyStart: true })]);
    decide(state, d.submit('A'), MON);
    decide(state, d.accept('A'), MON);
    expect(refusal(state, d.resume('A'))).toBe("A's clock is not stopped; resume follows a suspend");
    decide(state, d.suspend('A'), MON + 3_600_000);
    expect(refusal(state, d.suspend('A'))).toBe(
      `A's clock is already stopped for expertReview since ${iso(MON + 3_600_000)}`,
    );
    decide(state, d.submit('B'), MON);
    decide(state, d.accept('B'), MON);
    expect(refusal(state, d.suspend('B'))).toBe('B has no clock running to stop (it is in pre-review)');
  });

  it('closes an open period when the item is approved, and a return keeps its own pause', () => {
    const state = project([planItem('A')]);
    decide(state, d.submit('A'), MON);
    decide(state, d.accept('A'), MON);
    decide(state, d.suspend('A'), MON + 3_600_000);
    decide(state, d.return('A'), MON + 7_200_000);
    decide(state, d.resubmit('A'), MON + 10_800_000);
    expect(state.items.A!.pauses.map((p) => [p.reason, p.to === null])).toEqual([
      ['expertReview', true],
      ['return', false],
    ]);
    decide(state, d.approve('A'), MON + 14_400_000);
    expect(state.items.A!.pauses.every((p) => p.to !== null)).toBe(true);
  });
});

describe('applyDecision: pre-review (提前介入)', () => {
  const plan = () =>
    project([planItem('A'), planItem('D', { department: 'ZJ', prerequisites: ['A'], earlyStart: true })]);
  /** Approves A at `at`, having submitted and accepted it that morning. */
  const finishA = (state: ProjectState, at: number) => {
    decide(state, d.submit('A'), at - 3_600_000);
    decide(state, d.accept('A'), at - 3_600_000);
    return decide(state, d.approve('A'), at);
  };

  it('reviews early without a clock, and starts the clock when the last prerequisite finishes', () => {
    const state = plan();
    const submitted = decide(state, d.submit('D'), MON);
    expect(submitted.item).toMatchObject({ status: 'submitted', preReview: true });
    const accepted = decide(state, d.accept('D', zj), cst('2035-06-05T10:00:00'));
    expect(accepted.item).toMatchObject({ status: 'accepted', acceptedAt: iso(cst('2035-06-05T10:00:00')) });
    expect(accepted.item.clockStart).toBeUndefined();
    expect(accepted.item.dueAt).toBeUndefined();

    const at = cst('2035-06-06T15:00:00');
    expect(finishA(state, at).opened).toEqual([]); // D was not waiting
    // 8 working days from Wed 06-06: 07 08 11 12 13, Sat 16, 18 19 → end of 06-19.
    expect(state.items.D).toMatchObject({
      preReview: false,
      clockStart: iso(at),
      dueAt: endOf('2035-06-19'),
    });
    expect(refusal(state, d.approve('D', zj))).toBeNull();
  });

  it('starts a paused clock for a pre-reviewed item that is out for correction when the prerequisite finishes', () => {
    const state = plan();
    decide(state, d.submit('D'), MON);
    decide(state, d.accept('D', zj), cst('2035-06-05T10:00:00'));
    const returned = decide(state, d.return('D', zj), cst('2035-06-05T15:00:00'));
    expect(returned.item).toMatchObject({ returnedFrom: 'accepted', pauses: [] }); // no clock yet

    const at = cst('2035-06-06T15:00:00');
    finishA(state, at);
    expect(state.items.D).toMatchObject({
      status: 'returned',
      preReview: false,
      clockStart: iso(at),
      pauses: [{ from: iso(at), to: null, reason: 'return' }],
      dueAt: null,
    });
    // Resubmitted Fri 06-08: Thu 07 and Fri 08 do not count → 11 12 13, 16, 18 19 20 21 → end of 06-21.
    const resubmitted = decide(state, d.resubmit('D'), cst('2035-06-08T09:00:00'));
    expect(resubmitted.item).toMatchObject({ status: 'accepted', dueAt: endOf('2035-06-21') });
  });

  it('leaves the clock to acceptance when the prerequisite finishes before the department accepts', () => {
    const state = plan();
    decide(state, d.submit('D'), MON);
    finishA(state, cst('2035-06-06T15:00:00'));
    expect(state.items.D).toMatchObject({ status: 'submitted', preReview: false });
    expect(state.items.D!.clockStart).toBeUndefined();
    const accepted = decide(state, d.accept('D', zj), cst('2035-06-07T10:00:00'));
    expect(accepted.item).toMatchObject({
      clockStart: iso(cst('2035-06-07T10:00:00')),
      dueAt: endOf('2035-06-20'),
    });
  });
});

describe('the decisions a queue offers (openDepartmentDecisions)', () => {
  const offered = (state: ProjectState, item: string, actor: Actor = fgw) =>
    openDepartmentDecisions(state, item, actor)
      .filter((o) => o.refusal === null)
      .map((o) => o.action);

  it('follows the item through its states, 告知承诺 only where it applies', () => {
    const state = project([
      planItem('A', { commitment: true }),
      planItem('B'),
      planItem('C', { department: 'ZJ' }),
    ]);
    expect(offered(state, 'A')).toEqual([]); // ready: the owner has not applied yet
    decide(state, d.submit('A'), MON);
    decide(state, d.submit('B'), MON);
    decide(state, d.submit('C'), MON);
    expect(offered(state, 'A')).toEqual(['accept', 'return', 'reject', 'approveOnCommitment']);
    expect(offered(state, 'B')).toEqual(['accept', 'return', 'reject']);
    decide(state, d.accept('A'), MON);
    expect(offered(state, 'A')).toEqual(['return', 'approve', 'reject', 'approveOnCommitment']);
    // Not theirs: another department's item, or a secretary, is offered nothing.
    expect(offered(state, 'C')).toEqual([]);
    expect(offered(state, 'A', secretary)).toEqual([]);
    decide(state, d.approve('A'), MON);
    expect(offered(state, 'A')).toEqual([]);
  });

  it('gives the refusal as data, which refuseDecision words', () => {
    const state = project([planItem('A')]);
    decide(state, d.submit('A'), MON);
    const approve = Decision.parse(d.approve('A'));
    expect(decisionRefusal(state, approve)).toEqual({
      kind: 'wrongStatus',
      status: 'submitted',
      allowed: ['accepted'],
    });
    expect(refuseDecision(state, approve)).toBe(
      'A is submitted; approve is allowed only when it is accepted',
    );
    expect(decisionRefusal(state, Decision.parse(d.accept('A', zj)))?.kind).toBe('notTheirs');
  });
});
