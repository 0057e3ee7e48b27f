import { z } from 'zod';
import type { Calendar } from './calendar';
import { ItemCode } from './catalog';
import {
  Actor,
  type ItemState,
  type ItemView,
  isDone,
  itemDef,
  itemView,
  open,
  openPrerequisites,
  openProblemsBlocking,
  type ProjectState,
  prerequisitesDone,
} from './project';
import { refreshItemDeadline } from './supervision';

/**
 * Decisions on approval items, by the secretary (submit, resubmit, waive) and by the responsible
 * department (accept 受理, return 补正, approve 办结, reject 不予许可, approve on commitment 告知承诺, and
 * stop or restart the clock for a period the law keeps off it: suspend / resume).
 * `refuseDecision` answers why a decision cannot be taken (the workflow's update validator);
 * `applyDecision` takes it.
 */

const text = (max: number) => z.string().trim().min(1).max(max);

const base = { item: ItemCode, actor: Actor, note: text(2000).optional() };

/**
 * Periods that Licensing Law Art. 45 keeps off the authority's clock: hearings, tendering and auctions,
 * inspection, testing and appraisal, expert review; and the public notices some approvals require.
 */
export const ClockStop = z.enum(['expertReview', 'hearing', 'inspection', 'publicNotice']);
export type ClockStop = z.infer<typeof ClockStop>;
export const clockStopZh: Readonly<Record<ClockStop, string>> = {
  expertReview: '专家评审',
  hearing: '听证',
  inspection: '检验检测鉴定',
  publicNotice: '公示',
};

export const Decision = z.discriminatedUnion('action', [
  z.object({ action: z.literal('submit'), ...base }),
  z.object({ action: z.literal('accept'), ...base, withGaps: z.boolean().optional() }),
  z.object({ action: z.literal('return'), ...base, missing: z.array(text(500)).min(1).max(50) }),
  z.object({ action: z.literal('resubmit'), ...base }),
  z.object({ action: z.literal('approve'), ...base, documentNo: text(100) }),
  z.object({ action: z.literal('reject'), ...base, reason: text(2000) }),
  z.object({ action: z.literal('approveOnCommitment'), ...base, commitmentRef: text(100).optional() }),
  z.object({ action: z.literal('waive'), ...base, reason: text(2000) }),
  z.object({
    action: z.literal('suspend'),
    ...base,
    period: ClockStop,
    /** What the applicant was told in writing (Art. 45): the expected length, in working days. */
    expectedDays: z.number().int().min(1).max(400).optional(),
  }),
  z.object({ action: z.literal('resume'), ...base }),
]);
export type Decision = z.infer<typeof Decision>;

const routing = { item: true, actor: true } as const;
/**
 * A decision as a caller sends it: the item comes from the URL and the actor from the caller's key.
 * Strict, unlike `Decision`: a field the API does not know (`acceptedAt`) is refused, not dropped. The
 * workflow parses `Decision` as it was recorded, so that one stays tolerant for replay.
 */
export const DecisionBody = z.discriminatedUnion('action', [
  Decision.options[0].omit(routing).strict(),
  Decision.options[1].omit(routing).strict(),
  Decision.options[2].omit(routing).strict(),
  Decision.options[3].omit(routing).strict(),
  Decision.options[4].omit(routing).strict(),
  Decision.options[5].omit(routing).strict(),
  Decision.options[6].omit(routing).strict(),
  Decision.options[7].omit(routing).strict(),
  Decision.options[8].omit(routing).strict(),
  Decision.options[9].omit(routing).strict(),
]);
export type DecisionBody = z.infer<typeof DecisionBody>;
export type DecisionAction = Decision['action'];

const byDepartment: ReadonlySet<DecisionAction> = new Set([
  'accept',
  'return',
  'approve',
  'reject',
  'approveOnCommitment',
  'suspend',
  'resume',
]);

/** Whether a decision is the department's to take (受理, 补正, 办结, …) rather than the secretary's. */
export function isDepartmentDecision(action: DecisionAction): boolean {
  return byDepartment.has(action);
}

/** Which states each decision may be taken from. */
const allowedFrom: Record<DecisionAction, readonly ItemState['status'][]> = {
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

/** The open Art. 45 period of an item, if its clock is stopped for one. */
export function openClockStop(item: ItemState): ItemState['pauses'][number] | undefined {
  return item.pauses.find((p) => p.to === null && p.reason !== 'return');
}

/**
 * Who may take which decision — the one copy of this rule, for the workflow's validator and for the
 * API's 403: the item's own department takes the department's decisions (accept, return, approve,
 * reject, approve on commitment); the project's secretary and operators take the rest (submit,
 * resubmit, waive). Null when `actor` may; otherwise why not.
 */
export function whoMayDecide(
  project: { code: string; secretary: string },
  actor: Actor,
  action: DecisionAction,
  item: { code: string; department: string },
): string | null {
  if (byDepartment.has(action)) {
    if (actor.role !== 'department') {
      return `only the responsible department (${item.department}) may ${action} ${item.code}`;
    }
    if (actor.department !== item.department) {
      return `${item.code} belongs to department ${item.department}; department ${actor.department} may not ${action} it`;
    }
    return null;
  }
  if (actor.role !== 'secretary' && actor.role !== 'operator') {
    return `only the project secretary or an operator may ${action} ${item.code}`;
  }
  if (actor.role === 'secretary' && actor.id !== project.secretary) {
    return `${actor.id} is not the secretary of project ${project.code}`;
  }
  return null;
}

/**
 * Why a decision cannot be taken, as data: the workflow's validator words it in English
 * (`refuseDecision`), the dashboard in Chinese (api/ui/queue.ts), from this one rule.
 */
export type Refusal =
  | { kind: 'notInPlan' }
  | { kind: 'notTheirs'; detail: string }
  | { kind: 'waitingForPrerequisites'; prerequisites: string[] }
  | { kind: 'wrongStatus'; status: ItemState['status']; allowed: readonly ItemState['status'][] }
  | { kind: 'noAcceptWithGaps' }
  | { kind: 'noClockRunning' }
  | { kind: 'clockAlreadyStopped'; reason: string; since: string }
  | { kind: 'clockNotStopped' }
  | { kind: 'noCommitment' }
  | { kind: 'inPreReview'; prerequisites: string[] }
  | { kind: 'blockedByProblems'; problems: string[] };

/** Why `decision` cannot be taken now, or null when it can. Never changes the state. */
export function decisionRefusal(state: ProjectState, decision: Decision): Refusal | null {
  const def = itemDef(state, decision.item);
  const item = state.items[decision.item];
  if (!def || !item) return { kind: 'notInPlan' };
  const { actor, action } = decision;

  const refusal = whoMayDecide(state.profile, actor, action, def);
  if (refusal) return { kind: 'notTheirs', detail: refusal };

  const earlySubmit = action === 'submit' && item.status === 'waiting' && def.earlyStart;
  if (!allowedFrom[action].includes(item.status) && !earlySubmit) {
    if (action === 'submit' && item.status === 'waiting') {
      return { kind: 'waitingForPrerequisites', prerequisites: openPrerequisites(state, def) };
    }
    return { kind: 'wrongStatus', status: item.status, allowed: allowedFrom[action] };
  }

  if (action === 'accept' && decision.withGaps && !def.acceptWithGaps) return { kind: 'noAcceptWithGaps' };
  if (action === 'suspend') {
    if (!item.clockStart || item.preReview) return { kind: 'noClockRunning' };
    const stop = openClockStop(item);
    if (stop) return { kind: 'clockAlreadyStopped', reason: stop.reason, since: stop.from };
  }
  if (action === 'resume' && !openClockStop(item)) return { kind: 'clockNotStopped' };
  if (action === 'approveOnCommitment' && !def.commitment) return { kind: 'noCommitment' };
  if (action === 'approve' || action === 'approveOnCommitment') {
    const waiting = openPrerequisites(state, def);
    if (waiting.length > 0) return { kind: 'inPreReview', prerequisites: waiting };
    const blockers = openProblemsBlocking(state, def.code);
    if (blockers.length > 0) return { kind: 'blockedByProblems', problems: blockers.map((p) => p.id) };
  }
  return null;
}

/** Why `decision` cannot be taken now, in the workflow's words, or null when it can. */
export function refuseDecision(state: ProjectState, decision: Decision): string | null {
  const r = decisionRefusal(state, decision);
  if (!r) return null;
  const code = decision.item;
  const { action } = decision;
  switch (r.kind) {
    case 'notInPlan':
      return `item ${code} is not in the plan of project ${state.profile.code}`;
    case 'notTheirs':
      return r.detail;
    case 'waitingForPrerequisites':
      return `${code} is waiting for ${r.prerequisites.join(', ')}; it has no early start`;
    case 'wrongStatus':
      return `${code} is ${r.status}; ${action} is allowed only when it is ${r.allowed.join(' or ')}`;
    case 'noAcceptWithGaps':
      return `${code} does not allow acceptance with missing materials (容缺受理)`;
    case 'noClockRunning':
      return `${code} has no clock running to stop (it is in pre-review)`;
    case 'clockAlreadyStopped':
      return `${code}'s clock is already stopped for ${r.reason} since ${r.since}`;
    case 'clockNotStopped':
      return `${code}'s clock is not stopped; resume follows a suspend`;
    case 'noCommitment':
      return `${code} cannot be approved on commitment (告知承诺 does not apply)`;
    case 'inPreReview':
      return `${code} is in pre-review; it cannot be approved before ${r.prerequisites.join(', ')} finish`;
    case 'blockedByProblems':
      return `${code} is blocked by problem ${r.problems.join(', ')} until it is resolved`;
  }
}

/** The department's decisions a queue offers on an item, in the order a clerk takes them. */
export const departmentDecisions = ['accept', 'return', 'approve', 'reject', 'approveOnCommitment'] as const;
export type DepartmentDecision = (typeof departmentDecisions)[number];

/**
 * The decisions of `departmentDecisions` that `actor` may take on `item` now, by `decisionRefusal`:
 * each is probed with placeholder fields (the rule looks at states, not at what a form says).
 */
export function openDepartmentDecisions(
  state: ProjectState,
  item: string,
  actor: Actor,
): { action: DepartmentDecision; refusal: Refusal | null }[] {
  const probe: Record<DepartmentDecision, Decision> = {
    accept: { action: 'accept', item, actor },
    return: { action: 'return', item, actor, missing: ['-'] },
    approve: { action: 'approve', item, actor, documentNo: '-' },
    reject: { action: 'reject', item, actor, reason: '-' },
    approveOnCommitment: { action: 'approveOnCommitment', item, actor },
  };
  return departmentDecisions.map((action) => ({ action, refusal: decisionRefusal(state, probe[action]) }));
}

export type DecisionResult = {
  item: ItemView;
  /** Items that became ready because this decision finished their last prerequisite. */
  opened: string[];
  revision: number;
};

/** Take a decision that `refuseDecision` allowed. Mutates `state`. */
export function applyDecision(
  state: ProjectState,
  decision: Decision,
  now: number,
  calendar: Calendar,
): DecisionResult {
  const at = new Date(now).toISOString();
  const def = itemDef(state, decision.item)!;
  const item = state.items[decision.item]!;
  item.lastActor = decision.actor;

  switch (decision.action) {
    case 'submit':
      if (item.status === 'rejected') {
        item.round += 1;
        item.rungLevel = 0;
        item.pauses = [];
        item.clockStart = undefined;
        item.reason = undefined;
        // The rejected round's acceptance and finish belong to that round: left set, the read model showed
        // an open item as finished and measured its working days up to the old rejection.
        item.acceptedAt = undefined;
        item.finishedAt = undefined;
      }
      item.preReview = !prerequisitesDone(state, def);
      item.status = 'submitted';
      item.submittedAt = at;
      item.acceptanceFrom = at;
      item.acceptanceRung = 0;
      break;
    case 'accept':
      item.status = 'accepted';
      item.acceptedAt = at;
      // Under pre-review the clock waits for the prerequisites (it starts in openDependents).
      if (!item.preReview) item.clockStart = at;
      break;
    case 'return':
      item.returnedFrom = item.status === 'accepted' ? 'accepted' : 'submitted';
      item.status = 'returned';
      item.returns += 1;
      item.missing = decision.missing;
      if (item.clockStart) item.pauses.push({ from: at, to: null, reason: 'return' });
      break;
    case 'resubmit':
      item.status = item.returnedFrom ?? 'submitted';
      // Back with the department before acceptance: its acceptance window starts again.
      if (item.status === 'submitted') {
        item.acceptanceFrom = at;
        item.acceptanceRung = 0;
      }
      item.returnedFrom = undefined;
      item.missing = [];
      closePause(item, 'return', at);
      break;
    case 'approve':
      item.documentNo = decision.documentNo;
      finish(item, 'approved', at);
      break;
    case 'approveOnCommitment':
      item.documentNo = decision.commitmentRef;
      finish(item, 'approvedOnCommitment', at);
      break;
    case 'reject':
      item.status = 'rejected';
      item.reason = decision.reason;
      item.finishedAt = at;
      break;
    case 'waive':
      item.reason = decision.reason;
      finish(item, 'waived', at);
      break;
    case 'suspend':
      item.pauses.push({ from: at, to: null, reason: decision.period });
      break;
    case 'resume':
      for (const p of item.pauses) if (p.to === null && p.reason !== 'return') p.to = at;
      break;
  }
  refreshItemDeadline(state, item.code, calendar);
  const opened = isDone(item) ? openDependents(state, at, calendar) : [];
  state.revision += 1;
  return { item: itemView(state, item.code), opened, revision: state.revision };
}

function finish(item: ItemState, status: ItemState['status'], at: string): void {
  item.status = status;
  item.finishedAt = at;
  item.preReview = false;
  for (const p of item.pauses) if (p.to === null) p.to = at;
}

export function closePause(item: ItemState, reason: string, at: string): void {
  for (const p of item.pauses) if (p.to === null && p.reason === reason) p.to = at;
}

/** Open every waiting item whose prerequisites are now all done; end pre-reviews that can now count. */
export function openDependents(state: ProjectState, at: string, calendar: Calendar): string[] {
  const opened: string[] = [];
  for (const def of state.plan.items) {
    const item = state.items[def.code]!;
    if (!prerequisitesDone(state, def)) continue;
    if (item.status === 'waiting') {
      open(item, at);
      opened.push(def.code);
    } else if (item.preReview) {
      item.preReview = false;
      if (item.status === 'accepted' || (item.status === 'returned' && item.returnedFrom === 'accepted')) {
        item.clockStart = at;
        if (item.status === 'returned') item.pauses.push({ from: at, to: null, reason: 'return' });
        refreshItemDeadline(state, def.code, calendar);
      }
    }
  }
  return opened;
}
