import type { Calendar, LocalDate } from './calendar';
import { drawDays, type ItemModel, itemModel, type Mixture, type Performance } from './performance';
import type { PlanItem } from './plan';
import { isDone, type ProjectState } from './project';
import type { Random } from './random';
import { plannedDuration } from './schedule';
import { effectivePauses } from './supervision';
import { CLOSED_PROBLEM_STATUSES } from './vocabulary';
import { workingDayOffset } from './working-days';

/**
 * The forecast's starting point (domain/forecast.ts): each item of the plan as it stands at `now`,
 * in working-day offsets from the forecast's day 0 (today, or the next working day), so the Monte Carlo
 * loop does integer arithmetic only and the calendar is consulted once per item here and once per
 * percentile afterwards.
 *
 * An item is one of:
 * - `done` (approved, on commitment, waived): a fact, finished on its actual day;
 * - `new` (waiting, ready, or rejected and to be applied for again): submitted when its prerequisites
 *   are done, or, with an early start (提前介入) and still waiting, as soon as each prerequisite has been
 *   submitted; then intake, then the clock, which cannot start before the prerequisites are done;
 * - `submitted`: intake under way for `elapsed` working days;
 * - `clock`: accepted, the clock has run `elapsed` working days (its pauses excluded);
 * - `preReview`: accepted under pre-review, the clock waits for the prerequisites;
 * - `returned`: back with the applicant (补正) for `pauseElapsed` days; then back to intake
 *   (`resumeTo: 'intake'`), to the clock (`'clock'`) or to pre-review (`'preReview'`).
 */

export type Mode = 'done' | 'new' | 'submitted' | 'clock' | 'preReview' | 'returned';

export type PreparedItem = {
  def: PlanItem;
  prerequisites: number[];
  model: ItemModel;
  mode: Mode;
  early: boolean;
  /** Done: the finish offset (≤ 0 for the past). */
  finish: number;
  /** Working days already spent in the current phase (intake, clock). */
  elapsed: number;
  pauseElapsed: number;
  resumeTo: 'intake' | 'clock' | 'preReview';
  /** What the plan still gives it: its committed limit, less the clock days used. */
  plannedRemaining: number;
  /** Open problems blocking it (indices into `problems`). */
  blockers: number[];
};

export type PreparedProblem = { id: string; item: string; deadline: number };

export type Prepared = {
  /** Day 0: today when a working day, else the next one. */
  anchor: LocalDate;
  items: PreparedItem[];
  problems: PreparedProblem[];
  /** Signed working days from the anchor to a date; a day off counts as the next working day ('up'). */
  offsetOf: (date: LocalDate, round: 'up' | 'down') => number;
};

/** The plan's items in an order where prerequisites come first (the plan was validated as a DAG). */
function topological(items: readonly PlanItem[]): PlanItem[] {
  const placed = new Set<string>();
  const codes = new Set(items.map((i) => i.code));
  const result: PlanItem[] = [];
  while (result.length < items.length) {
    const before = result.length;
    for (const item of items) {
      if (placed.has(item.code)) continue;
      if (item.prerequisites.every((p) => placed.has(p) || !codes.has(p))) {
        placed.add(item.code);
        result.push(item);
      }
    }
    if (result.length === before) throw new RangeError('cannot forecast: the plan has a cycle');
  }
  return result;
}

export function prepareForecast(
  state: ProjectState,
  performance: Performance,
  calendar: Calendar,
  now: number,
): Prepared {
  const today = calendar.dateOf(now);
  const anchor = calendar.isWorkingDay(today) ? today : calendar.nextWorkingDay(today).date;
  const offsetOf = (date: LocalDate, round: 'up' | 'down') => workingDayOffset(calendar, anchor, date, round);
  const ms = (iso: string) => Date.parse(iso);
  const since = (iso: string, pauses: { from: number; to: number | null }[] = []) =>
    calendar.workingDaysBetween(ms(iso), now, pauses);

  const ordered = topological(state.plan.items);
  const index = new Map(ordered.map((d, i) => [d.code, i]));
  const problems: PreparedProblem[] = Object.values(state.problems)
    .filter(
      (p) => p.blocksItem !== undefined && index.has(p.blocksItem) && !CLOSED_PROBLEM_STATUSES.has(p.status),
    )
    .map((p) => ({
      id: p.id,
      item: p.blocksItem!,
      // The deadline instant is the end of its due day.
      deadline: offsetOf(calendar.dateOf(ms(p.deadlineAt) - 1), 'down'),
    }));

  const items = ordered.map((def): PreparedItem => {
    const s = state.items[def.code]!;
    const planned = plannedDuration(def);
    const prepared: PreparedItem = {
      def,
      prerequisites: def.prerequisites.filter((p) => index.has(p)).map((p) => index.get(p)!),
      model: itemModel(performance, def, planned),
      mode: 'new',
      early: false,
      finish: 0,
      elapsed: 0,
      pauseElapsed: 0,
      resumeTo: 'intake',
      plannedRemaining: planned,
      blockers: problems.flatMap((p, i) => (p.item === def.code ? [i] : [])),
    };
    const onClock = s.clockStart !== undefined && !s.preReview;
    if (isDone(s)) {
      prepared.mode = 'done';
      prepared.finish = s.finishedAt ? offsetOf(calendar.dateOf(ms(s.finishedAt)), 'up') : 0;
      prepared.plannedRemaining = 0;
    } else if (s.status === 'submitted' && s.submittedAt) {
      prepared.mode = 'submitted';
      prepared.elapsed = since(s.submittedAt);
    } else if (s.status === 'accepted' && onClock) {
      prepared.mode = 'clock';
      prepared.elapsed = since(s.clockStart!, effectivePauses(state, s));
    } else if (s.status === 'accepted') {
      prepared.mode = 'preReview';
    } else if (s.status === 'returned') {
      prepared.mode = 'returned';
      const open = s.pauses.find((p) => p.to === null && p.reason === 'return');
      const returnedAt = open?.from ?? s.submittedAt;
      prepared.pauseElapsed = returnedAt ? since(returnedAt) : 0;
      prepared.resumeTo = s.returnedFrom !== 'accepted' ? 'intake' : onClock ? 'clock' : 'preReview';
      if (onClock) prepared.elapsed = since(s.clockStart!, effectivePauses(state, s));
    } else {
      prepared.early = s.status === 'waiting' && def.earlyStart;
    }
    if (prepared.mode === 'clock' || (prepared.mode === 'returned' && prepared.resumeTo === 'clock'))
      prepared.plannedRemaining = Math.max(0, planned - prepared.elapsed);
    return prepared;
  });
  return { anchor, items, problems, offsetOf };
}

/**
 * A draw of at least `min` days (the time already spent): the record conditioned on what has happened,
 * by rejection. An item already past every draw tried is taken to need a fifth of its elapsed days more
 * (at least one): durations are heavy-tailed, so the longer an item has run, the longer it tends to run.
 */
export function drawAtLeast(m: Mixture, min: number, random: Random): number {
  if (min <= 0) return drawDays(m, random);
  for (let i = 0; i < 64; i++) {
    const d = drawDays(m, random);
    if (d >= min) return d;
  }
  return min + Math.max(1, Math.round(min / 5));
}
