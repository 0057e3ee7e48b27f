import type { Calendar } from './calendar';
import { openDependents } from './decisions';
import { type Plan, validatePlan } from './plan';
import { isDone, newItemState, open, type ProjectState, prerequisitesDone } from './project';
import { schedulePlan } from './schedule';
import { refreshItemDeadline } from './supervision';
import { isHeld } from './vocabulary';

/**
 * Amending a running project's plan (waive items that no longer apply, add items, change limits or
 * prerequisites). The API computes the amended plan with `amendPlan` against the catalog; the workflow
 * checks it again against its own, current state — an item may have finished in between — and applies it.
 */

/** Why `next` cannot replace the project's plan now, or null. Never changes the state. */
export function refusePlanAmendment(state: ProjectState, next: Plan): string | null {
  if (next.catalogVersion !== state.plan.catalogVersion || next.templateId !== state.plan.templateId) {
    return `the amendment was made for catalog ${next.catalogVersion} / ${next.templateId}, the plan is ${state.plan.catalogVersion} / ${state.plan.templateId}`;
  }
  const departments = [...new Set([...state.plan.items, ...next.items].map((i) => i.department))];
  const structural = validatePlan(next, departments);
  if (structural.length > 0) return structural.join(' ');
  const nextByCode = new Map(next.items.map((i) => [i.code, i]));
  for (const def of state.plan.items) {
    const item = state.items[def.code]!;
    const after = nextByCode.get(def.code);
    // Anything the department is holding or has finished keeps the terms it was measured against.
    if (!isHeld(item.status)) continue;
    if (!after) return `${def.code} is ${item.status}; it cannot be taken out of the plan`;
    if (canonical(after) !== canonical(def)) {
      return `${def.code} is ${item.status}; its limit, department and prerequisites cannot change`;
    }
  }
  return null;
}

/** JSON with object keys in sorted order: a parsed plan item lists its keys in the schema's order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export type AmendmentResult = { added: string[]; removed: string[]; opened: string[]; revision: number };

/** Replace the plan with `next` (which `refusePlanAmendment` allowed). Mutates `state`. */
export function applyPlanAmendment(
  state: ProjectState,
  next: Plan,
  now: number,
  calendar: Calendar,
): AmendmentResult {
  const at = new Date(now).toISOString();
  const before = new Set(state.plan.items.map((i) => i.code));
  const after = new Set(next.items.map((i) => i.code));
  const removed = [...before].filter((c) => !after.has(c));
  const added = [...after].filter((c) => !before.has(c));
  for (const code of removed) delete state.items[code];
  state.plan = next;
  for (const code of added) state.items[code] = newItemState(code);
  const opened: string[] = [];
  for (const def of next.items) {
    const item = state.items[def.code]!;
    // A new prerequisite sends a ready item back to waiting; a removed one may open it.
    if (item.status === 'ready' && !prerequisitesDone(state, def)) item.status = 'waiting';
    if (item.status === 'waiting' && prerequisitesDone(state, def)) {
      open(item, at);
      opened.push(def.code);
    }
    refreshItemDeadline(state, def.code, calendar);
  }
  opened.push(...openDependents(state, at, calendar));
  // Re-baseline: the ledger's planned dates follow the amended plan, counted from the original start.
  const done = Object.fromEntries(
    Object.values(state.items)
      .filter((i) => isDone(i) && i.finishedAt)
      .map((i) => [i.code, calendar.dateOf(Date.parse(i.finishedAt!))]),
  );
  state.baseline = rebaseline(state, calendar, done);
  state.revision += 1;
  return { added, removed, opened, revision: state.revision };
}

function rebaseline(
  state: ProjectState,
  calendar: Calendar,
  done: Record<string, string>,
): ProjectState['baseline'] {
  const schedule = schedulePlan(state.plan, calendar, {
    start: state.baseline?.start ?? calendar.dateOf(Date.parse(state.registeredAt)),
    targetStart: state.profile.targetStart,
    done,
  });
  const items: ProjectState['baseline']['items'] = {};
  for (const i of schedule.items) {
    // Finished items keep the planned dates they were measured against.
    items[i.code] =
      state.baseline.items[i.code] && done[i.code]
        ? state.baseline.items[i.code]!
        : {
            plannedStart: i.earliestStart,
            plannedFinish: i.earliestFinish,
            latestStart: i.latestStart ?? null,
            critical: i.critical,
          };
  }
  return {
    start: schedule.start,
    permitFinish: schedule.permitFinish,
    approvalDays: schedule.approvalDays,
    items,
  };
}
