import { z } from 'zod';
import { type Calendar, LocalDate, makeCalendar } from './calendar';
import { shippedCatalog } from './catalog-data';
import { drawAtLeast, type Prepared, type PreparedItem, prepareForecast } from './forecast-setup';
import {
  committedDaysOf,
  drawDays,
  type Mixture,
  measurePerformance,
  type Performance,
  type PerformanceRecord,
  type ProblemRecord,
  problemLatenessModel,
} from './performance';
import type { ProjectState } from './project';
import { type Random, seededRandom } from './random';
import { CONSTRUCTION_PERMIT, stageNameZh } from './vocabulary';

/**
 * When will the project really get its construction permit? A Monte Carlo over the remaining plan
 * (domain/forecast-setup.ts says where each item stands), each open item's times drawn from the record
 * (domain/performance.ts): intake, returns (补正) with their pauses, the clock's decision days.
 *
 * One sample walks the plan in prerequisite order. An item is submitted when its prerequisites are done
 * (an early-start item still waiting, as soon as every prerequisite is submitted); accepted after its
 * intake; its clock starts at acceptance but not before its prerequisites are done (pre-review) nor
 * before the problems blocking it are solved (their clock pause, domain/supervision.ts); it is decided
 * when its clock has run its decision days plus the days its returns paused it. A blocking problem is
 * solved on its deadline plus a lateness drawn from the record of solved problems (0 without one).
 * Items under way keep what they have spent: their draws are conditioned on the days already elapsed.
 * Done items are facts. Everything is counted in working days from day 0 and turned into dates on the
 * calendar at the end, so holidays and make-up days fall where they fall.
 *
 * Per sample the permit's driving chain is traced back (each item to the prerequisite that held it
 * last, as schedule.ts does for the plan): an item's *criticality* is the share of samples in which it
 * lies on that chain, and its *slip* the working days it took beyond what the plan still gives it while
 * on the chain. The risk drivers are the items with the largest mean slip on the chain: they are what
 * moves the permit, not merely what is long. Deterministic for a seed: the generator is domain/random.ts.
 */

export const Percentiles = z.object({ p50: LocalDate, p80: LocalDate, p95: LocalDate });
export type Percentiles = z.infer<typeof Percentiles>;

export const ItemForecast = z.object({
  code: z.string(),
  nameZh: z.string(),
  department: z.string(),
  /** Share of samples in which the item is on the permit's driving chain (0–1). */
  criticality: z.number(),
  /** Mean working days per sample the item ran beyond the plan while on that chain. */
  meanSlipDays: z.number(),
  finish: Percentiles.nullable().describe('Null for items already done'),
});
export type ItemForecast = z.infer<typeof ItemForecast>;

export const Forecast = z.object({
  asOf: LocalDate.describe('Day 0 of the forecast: today, or the next working day'),
  samples: z.number().int(),
  seed: z.string(),
  permit: Percentiles.nullable().describe('The construction permit; null when the plan has none'),
  milestones: z.array(z.object({ stage: z.number().int(), nameZh: z.string(), finish: Percentiles })),
  targetStart: LocalDate.nullable(),
  probabilityOnTarget: z.number().nullable().describe('Share of samples with the permit by the target start'),
  planPermit: LocalDate.nullable().describe('The plan-only answer: committed limits from today, clocks kept'),
  baselinePermit: LocalDate.nullable().describe(
    'The permit date planned at registration (or last amendment)',
  ),
  items: z.array(ItemForecast),
  riskDrivers: z.array(ItemForecast).describe('The (up to) three items with the largest mean slip'),
  permitDistribution: z
    .array(z.object({ date: LocalDate, share: z.number() }))
    .describe('Share of samples issuing the permit on each date'),
  provisional: z.boolean().describe('Some date lies in a year without a published holiday notice'),
});
export type Forecast = z.infer<typeof Forecast>;

export type ForecastOptions = { calendar: Calendar; now: number; samples?: number; seed?: string };

/** Finish offsets and driving prerequisites of one sample (arrays reused across samples). */
type Sample = { finish: Int32Array; submit: Int32Array; driver: Int32Array; own: Int32Array };

/** Geometric number of returns, each adding a pause (capped: 6 returns are already extraordinary). */
function returnPauses(item: PreparedItem, random: Random): number {
  let days = 0;
  for (let k = 0; k < 6 && random() < item.model.returnShare; k++) days += drawDays(item.model.pause, random);
  return days;
}

function simulate(p: Prepared, lateness: Mixture, random: Random, s: Sample): void {
  // A problem already overdue is solved no earlier than today: its lateness is drawn at least that large.
  const solved = p.problems.map(
    (problem) => problem.deadline + drawAtLeast(lateness, -problem.deadline, random),
  );
  p.items.forEach((item, i) => {
    if (item.mode === 'done') {
      s.finish[i] = item.finish;
      s.submit[i] = item.finish;
      s.driver[i] = -1;
      s.own[i] = 0;
      return;
    }
    // Ready: every prerequisite done; the driver is the one done last.
    let ready = 0;
    let driver = -1;
    for (const q of item.prerequisites) {
      if (s.finish[q]! > ready) {
        ready = s.finish[q]!;
        driver = q;
      }
    }
    const m = item.model;
    let accepted: number;
    let clockFrom: number;
    let decision: number;
    if (
      item.mode === 'new' ||
      item.mode === 'submitted' ||
      (item.mode === 'returned' && item.resumeTo === 'intake')
    ) {
      let submitted: number;
      if (item.mode === 'new') {
        submitted = ready;
        if (item.early) submitted = Math.max(0, ...item.prerequisites.map((q) => s.submit[q]!));
      } else if (item.mode === 'submitted') submitted = -item.elapsed;
      else submitted = drawAtLeast(m.pause, item.pauseElapsed, random) - item.pauseElapsed;
      s.submit[i] = submitted;
      const intakeSpent = item.mode === 'submitted' ? item.elapsed : 0;
      accepted = submitted + drawAtLeast(m.intake, intakeSpent, random);
      clockFrom = accepted;
      // After a pre-review (the clock waited for the prerequisites) the decision comes from those applications.
      decision = drawDays(ready > accepted ? m.decisionAfterPreReview : m.decision, random);
    } else {
      s.submit[i] = 0;
      accepted = 0;
      const pause =
        item.mode === 'returned' ? drawAtLeast(m.pause, item.pauseElapsed, random) - item.pauseElapsed : 0;
      const onClock = item.mode === 'clock' || item.resumeTo === 'clock';
      clockFrom = pause;
      decision = onClock
        ? drawAtLeast(m.decision, item.elapsed, random) - item.elapsed
        : drawDays(ready > clockFrom ? m.decisionAfterPreReview : m.decision, random);
    }
    // After a pre-review (the clock waited for the prerequisites) the decision comes from those applications.
    if (
      ready > clockFrom &&
      item.mode !== 'clock' &&
      !(item.mode === 'returned' && item.resumeTo === 'clock')
    )
      decision = drawDays(m.decisionAfterPreReview, random);
    // Pre-review: the clock waits for the prerequisites; a blocking problem stops it until solved. The
    // item's chain goes back to the prerequisite done last when it was submitted then (a new item without
    // early start) or its clock waited for it; else the item's own time drove it.
    let start = Math.max(clockFrom, ready);
    let ownDriven = driver < 0 || !((item.mode === 'new' && !item.early) || ready >= clockFrom);
    for (const b of item.blockers) {
      if (solved[b]! > start) {
        start = solved[b]!;
        ownDriven = true;
      }
    }
    s.finish[i] = start + decision + returnPauses(item, random);
    s.driver[i] = ownDriven ? -1 : driver;
    // The item's own share of the time: from its driver's finish (or its submission, or day 0) to its finish.
    s.own[i] = s.finish[i]! - (ownDriven ? Math.max(0, s.submit[i]!) : ready);
  });
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: Int32Array, q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;

/** Forecast one project from its live state and the record's performance. */
export function forecastProject(
  state: ProjectState,
  performance: Performance,
  opts: ForecastOptions,
): Forecast {
  return run(state, performance, opts, true);
}

function run(
  state: ProjectState,
  performance: Performance,
  opts: ForecastOptions,
  withPlan: boolean,
): Forecast {
  const { calendar, now } = opts;
  const samples = opts.samples ?? 5000;
  const seed = opts.seed ?? state.profile.code;
  const p = prepareForecast(state, performance, calendar, now);
  const n = p.items.length;
  const random = seededRandom(seed);
  const s: Sample = {
    finish: new Int32Array(n),
    submit: new Int32Array(n),
    driver: new Int32Array(n),
    own: new Int32Array(n),
  };
  const permitIndex = p.items.findIndex((i) => i.def.code === CONSTRUCTION_PERMIT);
  const stages = [...new Set(p.items.map((i) => i.def.stage))].sort();
  const stageItems = stages.map((st) => p.items.flatMap((it, i) => (it.def.stage === st ? [i] : [])));
  const permitAt = new Int32Array(samples);
  const stageAt = stages.map(() => new Int32Array(samples));
  const itemAt = p.items.map(() => new Int32Array(samples));
  const onChain = new Float64Array(n);
  const slip = new Float64Array(n);

  const lateness = problemLatenessModel(performance);
  for (let k = 0; k < samples; k++) {
    simulate(p, lateness, random, s);
    for (let i = 0; i < n; i++) itemAt[i]![k] = s.finish[i]!;
    stageItems.forEach((idx, j) => {
      let last = Number.NEGATIVE_INFINITY;
      for (const i of idx) last = Math.max(last, s.finish[i]!);
      stageAt[j]![k] = last;
    });
    // The chain that drove the permit (or, without one, the plan's last item) in this sample.
    let last = permitIndex;
    if (last < 0) for (let i = 0; i < n; i++) if (last < 0 || s.finish[i]! > s.finish[last]!) last = i;
    permitAt[k] = s.finish[last]!;
    for (let i = last; i >= 0; i = s.driver[i]!) {
      if (p.items[i]!.mode === 'done') break;
      onChain[i]! += 1;
      slip[i]! += Math.max(0, s.own[i]! - p.items[i]!.plannedRemaining);
    }
  }

  const dates = dateTable(calendar, p.anchor, permitAt, stageAt, itemAt);
  const percentiles = (values: Int32Array): Percentiles => {
    const sorted = values.slice().sort();
    return {
      p50: dates(percentile(sorted, 0.5)),
      p80: dates(percentile(sorted, 0.8)),
      p95: dates(percentile(sorted, 0.95)),
    };
  };
  const items: ItemForecast[] = p.items.map((it, i) => ({
    code: it.def.code,
    nameZh: it.def.nameZh,
    department: it.def.department,
    criticality: round3(onChain[i]! / samples),
    meanSlipDays: Math.round((slip[i]! / samples) * 10) / 10,
    finish: it.mode === 'done' ? null : percentiles(itemAt[i]!),
  }));
  const targetStart = state.profile.targetStart ?? null;
  const hasPermit = permitIndex >= 0;
  let probabilityOnTarget: number | null = null;
  if (targetStart !== null && hasPermit) {
    const by = p.offsetOf(targetStart, 'down');
    probabilityOnTarget = round3(permitAt.filter((o) => o <= by).length / samples);
  }
  const counts = new Map<number, number>();
  for (const o of permitAt) counts.set(o, (counts.get(o) ?? 0) + 1);
  const plan = hasPermit && withPlan ? planOnlyPermit(state, performance, opts) : null;
  return {
    asOf: p.anchor,
    samples,
    seed,
    permit: hasPermit ? percentiles(permitAt) : null,
    milestones: stages.map((stage, j) => ({
      stage,
      nameZh: stageNameZh[stage] ?? '',
      finish: percentiles(stageAt[j]!),
    })),
    targetStart,
    probabilityOnTarget,
    planPermit: plan,
    baselinePermit: state.baseline?.permitFinish ?? null,
    items,
    riskDrivers: items
      .filter((i) => i.meanSlipDays > 0)
      .sort((a, b) => b.meanSlipDays - a.meanSlipDays || b.criticality - a.criticality)
      .slice(0, 3),
    permitDistribution: hasPermit
      ? [...counts]
          .sort((a, b) => a[0] - b[0])
          .map(([o, c]) => ({ date: dates(o), share: round3(c / samples) }))
      : [],
    provisional: dates.provisional(),
  };
}

/** The plan's own answer from today: committed limits, no returns, no intake time, clocks kept. */
function planOnlyPermit(state: ProjectState, performance: Performance, opts: ForecastOptions): LocalDate {
  const plain: Performance = {
    ...performance,
    byItem: new Map(),
    byDepartment: new Map(),
    problemLateness: [],
    priorSpread: 0,
  };
  const withoutTarget = { ...state, profile: { ...state.profile, targetStart: undefined } };
  const f = run(withoutTarget, plain, { ...opts, samples: 1 }, false);
  return f.permit!.p50;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Offsets to dates, walking the calendar once from the anchor to the largest offset needed. */
function dateTable(calendar: Calendar, anchor: LocalDate, ...arrays: (Int32Array | Int32Array[])[]) {
  let min = 0;
  let max = 0;
  for (const a of arrays.flat()) {
    for (const o of a) {
      min = Math.min(min, o);
      max = Math.max(max, o);
    }
  }
  const forward: LocalDate[] = [anchor];
  for (let o = 1; o <= max; o++) forward.push(calendar.nextWorkingDay(forward[o - 1]!).date);
  const backward: LocalDate[] = [anchor];
  for (let o = 1; o <= -min; o++) backward.push(calendar.addWorkingDays(backward[o - 1]!, -1).date);
  const seen: LocalDate[] = [];
  const at = (o: number): LocalDate => {
    const d = o >= 0 ? forward[o]! : backward[-o]!;
    seen.push(d);
    return d;
  };
  at.provisional = () => seen.some((d) => calendar.isProvisional(d));
  return at;
}

/** What a board cell or a digest line says of a forecast. */
export type ForecastBrief = { p80: LocalDate | null; probabilityOnTarget: number | null; risks: string[] };

export function forecastBrief(f: Forecast): ForecastBrief {
  return {
    p80: f.permit?.p80 ?? null,
    probabilityOnTarget: f.probabilityOnTarget,
    risks: f.riskDrivers.map((r) => r.nameZh),
  };
}

/** `开工目标达成概率 62%，主要风险：…` (or, without a target, the P80 permit date), for digests and pages. */
export function forecastLineZh(b: ForecastBrief): string {
  const head =
    b.probabilityOnTarget !== null
      ? `开工目标达成概率 ${Math.round(b.probabilityOnTarget * 100)}%`
      : `施工许可预计（P80）${b.p80 ?? '—'}`;
  return `${head}，主要风险：${b.risks.length > 0 ? b.risks.join('、') : '暂无'}`;
}

/** The record a forecast learns from (db/performance.ts `loadRecord`). */
export type ForecastRecord = { records: readonly PerformanceRecord[]; problems: readonly ProblemRecord[] };

/**
 * Measurements of one record, by what they depend on besides it: the calendar and the committed limits.
 * Most projects share both, so a caller forecasting many projects from one record measures it once per
 * distinct pair instead of once per project. Holds nothing once the caller lets it go.
 */
export type PerformanceMemo = Map<string, Performance>;

/**
 * A project's forecast from the record, as the API, the dashboard and the digests make it: measured on
 * the project's own calendar, with the catalog's committed limits and the project's plan over them.
 * `memo`, when given, must belong to this `record` alone.
 */
export function forecastFromRecord(
  record: ForecastRecord,
  state: ProjectState,
  opts: { now: number; samples?: number; seed?: string; memo?: PerformanceMemo },
): { forecast: Forecast; performance: Performance } {
  const { memo, ...forecastOpts } = opts;
  const calendar = makeCalendar(state.calendarYears);
  const committedDays = committedDaysOf(shippedCatalog.items, state.plan.items);
  const key = JSON.stringify([state.calendarYears, [...committedDays].sort()]);
  let performance = memo?.get(key);
  if (!performance) {
    performance = measurePerformance(record.records, calendar, { committedDays }, record.problems);
    memo?.set(key, performance);
  }
  return { forecast: forecastProject(state, performance, { calendar, ...forecastOpts }), performance };
}
