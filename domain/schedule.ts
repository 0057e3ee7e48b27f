import { z } from 'zod';
import { type Calendar, LocalDate } from './calendar';
import { ItemCode, type TimeLimit } from './catalog';
import { findPlanCycles, type Plan, type PlanItem } from './plan';
import { timeKindOf } from './time-kinds';
import { CONSTRUCTION_PERMIT } from './vocabulary';
import { workingDayOffset, workingDaysFromTo } from './working-days';

/**
 * The plan on the calendar (倒排工期): a forward pass for the earliest dates and the critical path, and,
 * given a target start of construction (开工), a backward pass from the construction permit for each
 * item's latest start and the countdown (开工倒计时).
 *
 * Conventions (so dates can be checked by hand):
 * - Time is counted in working days from `start` (moved to the next working day when it is not one):
 *   offset 0 is that day. Offsets become dates with `calendar.addWorkingDays(start, offset)`.
 * - An item starting on day s (submitted and accepted that day) with a duration of d working days
 *   finishes at the end of day s + d (counting begins the day after acceptance, as `deadline` does); an
 *   item may start on the day its last prerequisite finishes. So a chain finishes on start + the sum of
 *   its durations, and an immediate item (0 days) starts and finishes on one day, still in order.
 * - An item already done finishes on its actual date; a later item starts no earlier than `start`.
 *   A done date that is not a working day counts as the next working day (nothing is filed on a Sunday).
 */

/**
 * An item's duration in working days for planning. Working days count as they are; calendar days are
 * converted at five working days a week, rounded up (ceil(days × 5 / 7): 7 → 5, 15 → 11, 60 → 43), an
 * estimate that ignores holidays inside the span (the deadline itself is computed exactly by the clock).
 */
export function durationInWorkingDays(limit: Pick<TimeLimit, 'days' | 'dayType'>): number {
  return limit.dayType === 'working' ? limit.days : Math.ceil((limit.days * 5) / 7);
}

/** 即办件 take no time in the plan, whatever limit they carry; 承诺件 take their committed limit. */
export function plannedDuration(item: Pick<PlanItem, 'kind' | 'committedLimit'>): number {
  return item.kind === 'immediate' ? 0 : durationInWorkingDays(item.committedLimit);
}

export const ScheduledItem = z.object({
  code: ItemCode,
  /** Working days planned (0 once done). */
  duration: z.number().int(),
  done: z.boolean(),
  earliestStart: LocalDate,
  earliestFinish: LocalDate,
  /** Working days the item may slip without delaying the whole plan's finish. */
  slack: z.number().int(),
  critical: z.boolean(),
  /** With a target start, for open items the permit waits on (and the permit itself). */
  latestStart: LocalDate.optional(),
  latestFinish: LocalDate.optional(),
  /** latestStart − earliestStart in working days; negative: the target is already out of reach through it. */
  targetSlack: z.number().int().optional(),
});
export type ScheduledItem = z.infer<typeof ScheduledItem>;

export const Schedule = z.object({
  /** The first working day on or after the requested start: offset 0. */
  start: LocalDate,
  items: z.array(ScheduledItem),
  finish: LocalDate,
  permitFinish: LocalDate.nullable(),
  /** The chain of items that drives the whole plan's finish, first to last. */
  criticalPath: z.array(ItemCode),
  /** The chain of items that drives the permit's earliest date, first to last (empty without a permit). */
  permitPath: z.array(ItemCode),
  targetStart: LocalDate.nullable(),
  /** Working days from the requested start to the target start (negative once past it). */
  countdown: z.number().int().nullable(),
  /** Null without a target, or without a construction permit to schedule back from. */
  targetFeasible: z.boolean().nullable(),
  /** Why the target cannot be met (or checked), in one sentence; null when it can or there is none. */
  shortfall: z.string().nullable(),
  /** Some date lies in, or was counted through, a provisional day (Calendar.isProvisional). */
  provisional: z.boolean(),
  /**
   * The plan's time in working days (domain/approval-time.ts): `counted`, the days on which at least one
   * open approval item is planned to be with its department (parallel items count once); `elapsed`,
   * the days from the start to the finish, the critical path's length; and both to the construction
   * permit (null without one). Done items take no planned time.
   */
  approvalDays: z.object({
    counted: z.number().int(),
    elapsed: z.number().int(),
    countedToPermit: z.number().int().nullable(),
    elapsedToPermit: z.number().int().nullable(),
  }),
});
export type Schedule = z.infer<typeof Schedule>;

export type ScheduleOptions = {
  start: LocalDate;
  targetStart?: LocalDate;
  /** Items already finished, with their actual finish dates. */
  done?: Record<ItemCode, LocalDate>;
};

/** Schedule a valid plan. Throws on a plan that is not a DAG over its own items, or `done` outside it. */
export function schedulePlan(plan: Plan, calendar: Calendar, opts: ScheduleOptions): Schedule {
  const order = topologicalOrder(plan.items);
  const byCode = new Map(plan.items.map((i) => [i.code, i]));
  const done = opts.done ?? {};
  for (const code of Object.keys(done)) {
    if (!byCode.has(code)) throw new RangeError(`done lists ${code}, which is not in the plan`);
  }

  const anchor = calendar.isWorkingDay(opts.start) ? opts.start : calendar.nextWorkingDay(opts.start).date;
  const touched = new Set<string>([opts.start, anchor]);
  const offsetOf = (date: LocalDate, round: 'up' | 'down') => {
    touched.add(date);
    return workingDayOffset(calendar, anchor, date, round);
  };
  const dateAt = (offset: number): LocalDate => {
    const d = calendar.addWorkingDays(anchor, offset).date;
    touched.add(d);
    return d;
  };

  // Forward pass.
  const duration = new Map<ItemCode, number>();
  const es = new Map<ItemCode, number>();
  const ef = new Map<ItemCode, number>();
  for (const item of order) {
    const actual = done[item.code];
    if (actual !== undefined) {
      const at = offsetOf(actual, 'up');
      duration.set(item.code, 0);
      es.set(item.code, at);
      ef.set(item.code, at);
      continue;
    }
    const start = Math.max(0, ...item.prerequisites.map((p) => ef.get(p)!));
    duration.set(item.code, plannedDuration(item));
    es.set(item.code, start);
    ef.set(item.code, start + plannedDuration(item));
  }
  const end = Math.max(...ef.values());

  // Backward pass against the plan's own finish, for slack.
  const successors = new Map<ItemCode, ItemCode[]>(plan.items.map((i) => [i.code, []]));
  for (const item of plan.items)
    for (const p of new Set(item.prerequisites)) successors.get(p)!.push(item.code);
  const latestStarts = (finishBy: number, within?: Set<ItemCode>) => {
    const ls = new Map<ItemCode, number>();
    for (const item of [...order].reverse()) {
      if (within && !within.has(item.code)) continue;
      const next = successors.get(item.code)!.filter((s) => ls.has(s));
      const lf = Math.min(finishBy, ...next.map((s) => ls.get(s)!));
      ls.set(item.code, lf - duration.get(item.code)!);
    }
    return ls;
  };
  const ls = latestStarts(end);

  /** From an item back through the prerequisite that finished last, first in plan order on a tie. */
  const drivingChain = (last: ItemCode): ItemCode[] => {
    const chain = [last];
    for (let code = last; ; ) {
      const item = byCode.get(code)!;
      const driver = done[code] === undefined && item.prerequisites.find((p) => ef.get(p) === es.get(code));
      if (!driver) return chain.reverse();
      chain.push(driver);
      code = driver;
    }
  };
  const lastItem = plan.items.find((i) => ef.get(i.code) === end)!.code;
  const permit = byCode.get(CONSTRUCTION_PERMIT);

  // Backward pass from the permit, over the items it waits on, when a target is given.
  let target: { ls: Map<ItemCode, number>; finishBy: number } | undefined;
  if (opts.targetStart !== undefined && permit) {
    const finishBy = offsetOf(opts.targetStart, 'down');
    target = { finishBy, ls: latestStarts(finishBy, ancestorsOf(CONSTRUCTION_PERMIT, byCode)) };
  }

  const items: ScheduledItem[] = plan.items.map((item) => {
    const code = item.code;
    const slack = ls.get(code)! - es.get(code)!;
    const scheduled: ScheduledItem = {
      code,
      duration: duration.get(code)!,
      done: done[code] !== undefined,
      earliestStart: done[code] ?? dateAt(es.get(code)!),
      earliestFinish: done[code] ?? dateAt(ef.get(code)!),
      slack,
      critical: slack === 0,
    };
    const latest = target?.ls.get(code);
    if (latest !== undefined && done[code] === undefined) {
      scheduled.latestStart = dateAt(latest);
      scheduled.latestFinish = dateAt(latest + duration.get(code)!);
      scheduled.targetSlack = latest - es.get(code)!;
    }
    return scheduled;
  });

  const permitFinish = permit ? (done[CONSTRUCTION_PERMIT] ?? dateAt(ef.get(CONSTRUCTION_PERMIT)!)) : null;
  let targetFeasible: boolean | null = null;
  let shortfall: string | null = null;
  let countdown: number | null = null;
  if (opts.targetStart !== undefined) {
    touched.add(opts.targetStart);
    countdown = workingDaysFromTo(calendar, opts.start, opts.targetStart);
    if (!target || permitFinish === null) {
      shortfall = `the plan has no ${CONSTRUCTION_PERMIT} to schedule back from`;
    } else {
      const late = ef.get(CONSTRUCTION_PERMIT)! - target.finishBy;
      targetFeasible = late <= 0;
      if (!targetFeasible) {
        shortfall =
          `the construction permit can be issued on ${permitFinish} at the earliest, ` +
          `${late} working day${late === 1 ? '' : 's'} after the target ${opts.targetStart}`;
      }
    }
  }

  for (const d of Object.values(done)) touched.add(d);
  // Every day from the earliest date touched to the latest was counted or looked up on the way.
  const sorted = [...touched].sort();
  const first = sorted[0]!;
  const provisional =
    calendar.isProvisional(first) ||
    calendar.provisionalBetween(calendar.endOfDay(first), calendar.endOfDay(sorted.at(-1)!));

  // Approval time: an item starting on offset s with duration d is on the clock on offsets s+1 … s+d.
  const counted = new Set<number>();
  for (const item of plan.items) {
    if (done[item.code] !== undefined || timeKindOf(item) !== 'approval') continue;
    for (let o = es.get(item.code)! + 1; o <= ef.get(item.code)!; o++) counted.add(o);
  }
  const permitAt = permit && done[CONSTRUCTION_PERMIT] === undefined ? ef.get(CONSTRUCTION_PERMIT)! : null;
  const approvalDays = {
    counted: counted.size,
    elapsed: end,
    countedToPermit: permitAt === null ? null : [...counted].filter((o) => o <= permitAt).length,
    elapsedToPermit: permitAt,
  };

  return {
    start: anchor,
    items,
    finish: dateAt(end),
    permitFinish,
    criticalPath: drivingChain(lastItem),
    permitPath: permit ? drivingChain(CONSTRUCTION_PERMIT) : [],
    targetStart: opts.targetStart ?? null,
    countdown,
    targetFeasible,
    shortfall,
    provisional,
    approvalDays,
  };
}

/** The items in an order where every prerequisite comes first (Kahn; ties kept in plan order). */
function topologicalOrder(items: readonly PlanItem[]): PlanItem[] {
  const codes = new Set(items.map((i) => i.code));
  for (const item of items) {
    for (const p of item.prerequisites) {
      if (!codes.has(p))
        throw new RangeError(`cannot schedule: ${item.code} requires ${p}, which is not in the plan`);
    }
  }
  const cycles = findPlanCycles(items);
  if (cycles.length > 0) throw new RangeError(`cannot schedule: cycle: ${cycles[0]!.join(' → ')}`);
  const placed = new Set<ItemCode>();
  const result: PlanItem[] = [];
  while (result.length < items.length) {
    const before = result.length;
    for (const item of items) {
      if (!placed.has(item.code) && item.prerequisites.every((p) => placed.has(p))) {
        placed.add(item.code);
        result.push(item);
      }
    }
    if (result.length === before) throw new RangeError('cannot schedule: the plan lists an item twice');
  }
  return result;
}

/** The item and everything it waits on, directly or not. */
function ancestorsOf(code: ItemCode, byCode: Map<ItemCode, PlanItem>): Set<ItemCode> {
  const seen = new Set<ItemCode>([code]);
  const queue = [code];
  for (let head = 0; head < queue.length; head++) {
    for (const p of byCode.get(queue[head]!)!.prerequisites) {
      if (!seen.has(p)) {
        seen.add(p);
        queue.push(p);
      }
    }
  }
  return seen;
}
