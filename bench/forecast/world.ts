import type { Calendar, LocalDate } from '../../domain/calendar';
import type { PerformanceRecord } from '../../domain/performance';
import type { Plan, PlanItem } from '../../domain/plan';
import { normal, type Random } from '../../domain/random';
import { plannedDuration } from '../../domain/schedule';

/**
 * A synthetic city whose departments behave as departments do, for the forecast's backtest. Each
 * department has its own pace against its promises (a median multiple of (1 + committed days), from
 * well under its limit to well over it), its own spread, intake time, return share (补正) and
 * correction time, a share of applications that get stuck (2–3.5× the usual time), and a drift of its
 * pace over the years. Each item adds an effect of its own on top of its department's. Early-start items
 * that were pre-reviewed need less clock time. The forecast's model knows none of these parameters: it
 * sees only the records the projects leave behind, as the read model holds them.
 *
 * Not modelled: the owner's lag between an item becoming ready and its submission (the read model does
 * not record when an item became ready, so the forecast cannot learn it either), rejections, and
 * blocking problems.
 */

export type DepartmentBehaviour = {
  pace: number;
  spread: number;
  intakeMean: number;
  returnShare: number;
  pauseMedian: number;
  stuckShare: number;
  /** Relative change of pace per year (positive: slower). */
  drift: number;
};

export type World = {
  departments: Map<string, DepartmentBehaviour>;
  itemEffect: Map<string, number>;
  /** Working day 0 of the world, and its dates by working-day index. */
  dates: LocalDate[];
  index: Map<LocalDate, number>;
};

const lognormal = (random: Random, median: number, sigma: number) =>
  median * Math.exp(sigma * normal(random));
const geometric = (random: Random, p: number, cap = 6) => {
  let k = 0;
  while (k < cap && random() < p) k++;
  return k;
};

export function makeWorld(
  random: Random,
  plans: Plan[],
  calendar: Calendar,
  from: LocalDate,
  days: number,
): World {
  const departments = new Map<string, DepartmentBehaviour>();
  const itemEffect = new Map<string, number>();
  for (const item of plans.flatMap((p) => p.items)) {
    if (!departments.has(item.department)) {
      departments.set(item.department, {
        pace: lognormal(random, 0.85, 0.35),
        spread: 0.15 + random() * 0.4,
        intakeMean: random() * 2.5,
        returnShare: random() < 0.3 ? 0.02 : random() * 0.45,
        pauseMedian: 2 + random() * 8,
        stuckShare: random() * 0.08,
        drift: 0.06 * normal(random),
      });
    }
    if (!itemEffect.has(item.code)) itemEffect.set(item.code, lognormal(random, 1, 0.15));
  }
  const dates: LocalDate[] = [calendar.isWorkingDay(from) ? from : calendar.nextWorkingDay(from).date];
  for (let i = 1; i < days; i++) dates.push(calendar.nextWorkingDay(dates[i - 1]!).date);
  return { departments, itemEffect, dates, index: new Map(dates.map((d, i) => [d, i])) };
}

/** One application's life, in working-day indexes of the world. */
export type ItemRun = {
  submit: number;
  accept: number;
  /** The clock's start: acceptance, or when the prerequisites are done after a pre-review. */
  clock: number;
  finish: number;
  /** Returns during the clock: returned on `at`, resubmitted `days` working days later. */
  returns: { at: number; days: number }[];
};

function topological(items: readonly PlanItem[]): PlanItem[] {
  const placed = new Set<string>();
  const result: PlanItem[] = [];
  while (result.length < items.length) {
    for (const i of items) {
      if (!placed.has(i.code) && i.prerequisites.every((p) => placed.has(p))) {
        placed.add(i.code);
        result.push(i);
      }
    }
  }
  return result;
}

/** A project registered on working day `start`, worked to its end. */
export function runProject(world: World, plan: Plan, start: number, random: Random): Map<string, ItemRun> {
  const runs = new Map<string, ItemRun>();
  for (const item of topological(plan.items)) {
    const d = world.departments.get(item.department)!;
    const ready = Math.max(start, ...item.prerequisites.map((p) => runs.get(p)!.finish));
    const early = item.earlyStart && item.prerequisites.length > 0;
    const submit = early ? Math.max(start, ...item.prerequisites.map((p) => runs.get(p)!.submit)) : ready;
    const accept = submit + geometric(random, d.intakeMean / (1 + d.intakeMean), 20);
    const clock = Math.max(accept, ready);
    const years = start / 250;
    const c = plannedDuration(item);
    let days =
      (1 + c) *
        d.pace *
        (1 + d.drift * years) *
        world.itemEffect.get(item.code)! *
        Math.exp(d.spread * normal(random)) -
      1;
    if (random() < d.stuckShare) days *= 2 + random() * 1.5;
    if (early && clock > accept) days *= 0.6; // reviewed while waiting for its prerequisites
    const decision = Math.max(0, Math.round(days));
    // Each return comes after u of the decision's clock days (sorted), and pauses the clock for its length.
    const returns: ItemRun['returns'] = [];
    const after = Array.from({ length: geometric(random, d.returnShare) }, () =>
      Math.floor(random() * (decision + 1)),
    ).sort((x, y) => x - y);
    let paused = 0;
    for (const u of after) {
      const length = Math.max(1, Math.round(lognormal(random, d.pauseMedian, 0.5)));
      returns.push({ at: clock + u + paused, days: length });
      paused += length;
    }
    runs.set(item.code, { submit, accept, clock, finish: clock + decision + paused, returns });
  }
  return runs;
}

/** An instant on working day `i` at a China wall-clock time. */
export const instant = (world: World, i: number, time: string) => `${world.dates[i]}T${time}+08:00`;
const iso = (world: World, i: number, time: string) =>
  new Date(Date.parse(instant(world, i, time))).toISOString();

/** The records a finished project leaves in the read model. */
export function recordsOf(
  world: World,
  plan: Plan,
  runs: Map<string, ItemRun>,
  code: string,
): PerformanceRecord[] {
  return plan.items.map((item) => {
    const r = runs.get(item.code)!;
    return {
      projectCode: code,
      itemCode: item.code,
      department: item.department,
      status: 'approved',
      submittedAt: iso(world, r.submit, '09:00:00'),
      acceptedAt: iso(world, r.accept, '10:00:00'),
      clockStart: iso(world, r.clock, '10:00:00'),
      finishedAt: iso(world, r.finish, '16:00:00'),
      returns: r.returns.length,
      pauses: r.returns.map((p) => ({
        from: iso(world, p.at, '11:00:00'),
        to: iso(world, p.at + p.days, '09:00:00'),
      })),
    };
  });
}
