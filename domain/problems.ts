import { z } from 'zod';
// The calendar's LocalDate checks that the date exists: project.ts's is a pattern only, so '2035-02-30' passed
// the update validator and then threw a RangeError in calendar.endOfDay inside the handler.
import { type Calendar, LocalDate } from './calendar';
import { DepartmentCode, ItemCode } from './catalog';
import { Actor, itemDef, PersonId, type ProblemState, type ProjectState } from './project';
import { refreshItemDeadline } from './supervision';

/**
 * Problems that block a project (问题 / 堵点: land, power lines, access roads), pinned until solved
 * (钉住不放): raised by anyone on the project, assigned to an owner, given a solution, resolved by the
 * owner and verified by the secretary. Deadline by default the end of the working day it was raised
 * (不让问题过夜); the same ladder escalates it. A problem may block an item: the item cannot be approved
 * and its clock stops until the problem is resolved.
 */

const text = (max: number) => z.string().trim().min(1).max(max);

export const ProblemAction = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('raise'),
    actor: Actor,
    title: text(200),
    description: text(4000),
    ownerDepartment: DepartmentCode.optional(),
    ownerPerson: PersonId.optional(),
    deadline: LocalDate.optional(),
    blocksItem: ItemCode.optional(),
  }),
  z.object({
    action: z.literal('assign'),
    actor: Actor,
    problemId: text(32),
    ownerDepartment: DepartmentCode,
    ownerPerson: PersonId.optional(),
  }),
  z.object({
    action: z.literal('plan'),
    actor: Actor,
    problemId: text(32),
    solution: text(4000),
    deadline: LocalDate.optional(),
  }),
  z.object({ action: z.literal('resolve'), actor: Actor, problemId: text(32), resolution: text(4000) }),
  z.object({
    action: z.literal('verify'),
    actor: Actor,
    problemId: text(32),
    accepted: z.boolean(),
    note: text(2000).optional(),
  }),
]);
export type ProblemAction = z.infer<typeof ProblemAction>;

const blockerOf = (a: Actor) => (a.role === 'department' ? a.department : `${a.role} ${a.id}`);

const isSecretaryOrOperator = (state: ProjectState, a: Actor) =>
  (a.role === 'secretary' && a.id === state.profile.secretary) || a.role === 'operator';

const isOwner = (p: ProblemState, a: Actor) =>
  (a.role === 'department' && a.department === p.ownerDepartment) ||
  (a.role !== 'department' && a.id === p.ownerPerson);

/**
 * Who may stop an item's clock with a problem: the people who run the project (its secretary, its
 * leader, an operator) and the department that handles the item itself. Another department on the
 * project may raise the problem, but not block an item that is not its own: it asks the secretary.
 */
export function mayBlockItem(
  project: { secretary: string; leader: string },
  actor: Actor,
  itemDepartment: string,
): boolean {
  switch (actor.role) {
    case 'operator':
      return true;
    case 'secretary':
      return actor.id === project.secretary;
    case 'leader':
      return actor.id === project.leader;
    case 'department':
      return actor.department === itemDepartment;
  }
}

/** Why the action cannot be taken now, or null. Never changes the state. */
export function refuseProblemAction(
  state: ProjectState,
  action: ProblemAction,
  today: string,
): string | null {
  if (action.action === 'raise') {
    if (action.blocksItem) {
      const item = itemDef(state, action.blocksItem);
      if (!item) return `item ${action.blocksItem} is not in the plan of project ${state.profile.code}`;
      if (!mayBlockItem(state.profile, action.actor, item.department)) {
        return `${blockerOf(action.actor)} may not block ${action.blocksItem}, an item of ${item.department}: only its department, the project's secretary and leader, and operators block an item`;
      }
    }
    if (action.deadline && action.deadline < today) return `deadline ${action.deadline} is in the past`;
    if (action.actor.role === 'secretary' && action.actor.id !== state.profile.secretary) {
      return `${action.actor.id} is not the secretary of project ${state.profile.code}`;
    }
    return null;
  }
  const p = state.problems[action.problemId];
  if (!p) return `problem ${action.problemId} does not exist in project ${state.profile.code}`;
  const closed = p.status === 'resolved' || p.status === 'verified';
  switch (action.action) {
    case 'assign':
      if (!isSecretaryOrOperator(state, action.actor))
        return 'only the project secretary or an operator assigns problems';
      if (closed) return `problem ${p.id} is ${p.status}; it cannot be reassigned`;
      return null;
    case 'plan':
      if (!isSecretaryOrOperator(state, action.actor) && !isOwner(p, action.actor)) {
        return `only the owner of problem ${p.id} or the secretary may set its solution`;
      }
      if (closed) return `problem ${p.id} is ${p.status}; its plan cannot change`;
      if (action.deadline && action.deadline < today) return `deadline ${action.deadline} is in the past`;
      return null;
    case 'resolve':
      if (!isSecretaryOrOperator(state, action.actor) && !isOwner(p, action.actor)) {
        return `only the owner of problem ${p.id} or the secretary may resolve it`;
      }
      if (closed) return `problem ${p.id} is already ${p.status}`;
      return null;
    case 'verify':
      if (!isSecretaryOrOperator(state, action.actor))
        return 'only the project secretary or an operator verifies a solution';
      if (p.status !== 'resolved')
        return `problem ${p.id} is ${p.status}; only a resolved problem can be verified`;
      return null;
  }
}

export type ProblemResult = { problem: ProblemState; revision: number };

/** Take an action that `refuseProblemAction` allowed. Mutates `state`. */
export function applyProblemAction(
  state: ProjectState,
  action: ProblemAction,
  now: number,
  calendar: Calendar,
): ProblemResult {
  const at = new Date(now).toISOString();
  let p: ProblemState;
  if (action.action === 'raise') {
    const id = `P${state.nextProblemNo++}`;
    const due = action.deadline
      ? { dueAt: calendar.endOfDay(action.deadline), provisional: false }
      : calendar.deadline(now, { days: 0, dayType: 'working' })!;
    p = {
      id,
      title: action.title,
      description: action.description,
      raisedBy: action.actor,
      raisedAt: at,
      ownerDepartment: action.ownerDepartment,
      ownerPerson: action.ownerPerson,
      status: action.ownerDepartment || action.ownerPerson ? 'assigned' : 'open',
      deadlineAt: new Date(due.dueAt).toISOString(),
      // Only a default deadline follows the calendar when a new year is published.
      deadlineProvisional: !action.deadline && due.provisional,
      blocksItem: action.blocksItem,
      round: 1,
      rungLevel: 0,
    };
    state.problems[id] = p;
  } else {
    p = state.problems[action.problemId]!;
    switch (action.action) {
      case 'assign':
        p.ownerDepartment = action.ownerDepartment;
        p.ownerPerson = action.ownerPerson;
        if (p.status === 'open') p.status = 'assigned';
        break;
      case 'plan':
        p.solution = action.solution;
        p.status = 'planned';
        if (action.deadline) {
          p.deadlineAt = new Date(calendar.endOfDay(action.deadline)).toISOString();
          p.deadlineProvisional = false;
          p.rungLevel = 0;
          p.round += 1;
        }
        break;
      case 'resolve':
        p.resolution = action.resolution;
        p.status = 'resolved';
        p.resolvedAt = at;
        break;
      case 'verify':
        if (action.accepted) {
          p.status = 'verified';
          p.verifiedAt = at;
        } else {
          // The fix did not hold: back to work, and the block returns with it.
          p.status = 'planned';
          p.resolvedAt = undefined;
        }
        break;
    }
  }
  if (p.blocksItem) refreshItemDeadline(state, p.blocksItem, calendar);
  state.revision += 1;
  return { problem: { ...p }, revision: state.revision };
}
