import { z } from 'zod';
import type { Calendar } from './calendar';
import { closePause } from './decisions';
import { isDone, type ProjectState } from './project';
import { refreshItemDeadline } from './supervision';
import { CLOSED_PROBLEM_STATUSES, COMPLETION_ACCEPTANCE, PROJECT_SUSPENDED } from './vocabulary';

/**
 * A project's life beyond its items (项目生命周期): suspended (缓建: the owner stops the project for a
 * while; every clock and every ladder stops with it), resumed, cancelled (撤销: it will not be built; it
 * stays in the ledger with its reason), or closed after its completion acceptance (竣工验收) with items
 * that no longer matter left open. Pure rules, as the workflow's update handler takes them.
 *
 * - suspend: each item on the clock or awaiting acceptance gets a pause ('projectSuspended'); problems'
 *   ladders stop; the department decides nothing until the project resumes (problems can still be
 *   raised and worked).
 * - resume: the pauses end, deadlines move out by the working days suspended, and so do the deadlines
 *   of open problems.
 * - cancel / close: the workflow ends; items not finished and problems not closed stay as they were in
 *   its last state, and the read model shows those items withdrawn (已取消).
 */

export const ProjectPhase = z.enum(['active', 'suspended', 'cancelled', 'closed']);
export type ProjectPhase = z.infer<typeof ProjectPhase>;

export const projectPhaseZh: Readonly<Record<ProjectPhase, string>> = {
  active: '推进中',
  suspended: '缓建',
  cancelled: '已撤销',
  closed: '已关闭',
};

const reason = z.string().trim().min(1).max(2000);

export const LifecycleAction = z.discriminatedUnion('action', [
  z.object({ action: z.literal('suspend'), reason, by: z.string().min(1) }),
  z.object({ action: z.literal('resume'), reason: reason.optional(), by: z.string().min(1) }),
  z.object({ action: z.literal('cancel'), reason, by: z.string().min(1) }),
  z.object({ action: z.literal('close'), reason: reason.optional(), by: z.string().min(1) }),
]);
export type LifecycleAction = z.infer<typeof LifecycleAction>;

export type LifecycleEvent = { action: LifecycleAction['action']; at: string; by: string; reason?: string };

export type Lifecycle = { phase: ProjectPhase; since: string; events: LifecycleEvent[] };

export type LifecycleResult = { phase: ProjectPhase; since: string; movedItems: string[]; revision: number };

export function phaseOf(state: ProjectState): ProjectPhase {
  return state.lifecycle?.phase ?? 'active';
}

/** The workflow's run is over: cancelled or closed. */
export function hasEnded(state: ProjectState): boolean {
  const phase = phaseOf(state);
  return phase === 'cancelled' || phase === 'closed';
}

/** Why the action cannot be taken now, or null. */
export function refuseLifecycle(state: ProjectState, action: LifecycleAction): string | null {
  const phase = phaseOf(state);
  const code = state.profile.code;
  if (phase === 'cancelled' || phase === 'closed') return `project ${code} is ${phase}`;
  switch (action.action) {
    case 'suspend':
      return phase === 'suspended'
        ? `project ${code} is already suspended since ${state.lifecycle!.since}`
        : null;
    case 'resume':
      return phase === 'suspended' ? null : `project ${code} is not suspended`;
    case 'cancel':
      return null;
    case 'close': {
      if (phase === 'suspended') return `project ${code} is suspended; resume it before closing it`;
      const acceptance = state.items[COMPLETION_ACCEPTANCE];
      if (acceptance && !isDone(acceptance)) {
        return `project ${code} can be closed once its completion acceptance (${COMPLETION_ACCEPTANCE}) is done; it is ${acceptance.status}`;
      }
      if (!acceptance) {
        const open = state.plan.items.filter((d) => d.lane === 'stage' && !isDone(state.items[d.code]!));
        if (open.length > 0) {
          return `project ${code} has no ${COMPLETION_ACCEPTANCE} item; it can be closed once its stage items are done (open: ${open.map((d) => d.code).join(', ')})`;
        }
      }
      return null;
    }
  }
}

/** Why a decision on an item cannot be taken in this phase, or null. */
export function refuseInPhase(state: ProjectState): string | null {
  const phase = phaseOf(state);
  if (phase === 'active') return null;
  const since = state.lifecycle!.since;
  return phase === 'suspended'
    ? `project ${state.profile.code} is suspended (缓建) since ${since}; it takes decisions again once resumed`
    : `project ${state.profile.code} is ${phase} since ${since}`;
}

/** Take an action `refuseLifecycle` allowed. Mutates `state`. */
export function applyLifecycle(
  state: ProjectState,
  action: LifecycleAction,
  now: number,
  calendar: Calendar,
  /**
   * `stopAcceptance`: a suspension pauses applications waiting for acceptance too (their five-day
   * window). The workflow passes patched('suspension-stops-acceptance'): histories recorded before that
   * rule replay without it.
   */
  opts: { stopAcceptance?: boolean } = {},
): LifecycleResult {
  const at = new Date(now).toISOString();
  const moved: string[] = [];
  const previous = state.lifecycle;
  if (action.action === 'suspend') {
    for (const item of Object.values(state.items)) {
      // On the promised clock, or waiting for acceptance (its five-day window stops too).
      const onClock = !!item.clockStart && !item.preReview && !isDone(item) && item.status !== 'rejected';
      const awaitingAcceptance = (opts.stopAcceptance ?? true) && item.status === 'submitted';
      if (!onClock && !awaitingAcceptance) continue;
      item.pauses.push({ from: at, to: null, reason: PROJECT_SUSPENDED });
      refreshItemDeadline(state, item.code, calendar);
      moved.push(item.code);
    }
  } else if (action.action === 'resume') {
    const suspended = calendar.workingDaysBetween(Date.parse(previous!.since), now);
    for (const item of Object.values(state.items)) {
      if (!item.pauses.some((p) => p.reason === PROJECT_SUSPENDED && p.to === null)) continue;
      closePause(item, PROJECT_SUSPENDED, at);
      refreshItemDeadline(state, item.code, calendar);
      moved.push(item.code);
    }
    for (const p of Object.values(state.problems)) {
      if (CLOSED_PROBLEM_STATUSES.has(p.status) || suspended === 0) continue;
      p.deadlineAt = new Date(
        calendar.shiftWorkingDays(Date.parse(p.deadlineAt), suspended).at,
      ).toISOString();
      moved.push(p.id);
    }
  }
  const phase: ProjectPhase =
    action.action === 'suspend'
      ? 'suspended'
      : action.action === 'resume'
        ? 'active'
        : action.action === 'cancel'
          ? 'cancelled'
          : 'closed';
  state.lifecycle = {
    phase,
    since: at,
    events: [
      ...(previous?.events ?? []),
      { action: action.action, at, by: action.by, ...(action.reason ? { reason: action.reason } : {}) },
    ],
  };
  state.revision += 1;
  return { phase, since: at, movedItems: moved, revision: state.revision };
}
