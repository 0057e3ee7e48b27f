import type { Calendar } from './calendar';
import type { PlanItem } from './plan';
import { normal, pick, type Random } from './random';
import type { ReportItem } from './reports';
import { plannedDuration } from './schedule';
import { DECIDED_STATUSES } from './vocabulary';
import { signedWorkingDaysBetween } from './working-days';

/**
 * How departments really perform on each item, from the record (the read model's project_items rows),
 * as the forecast (domain/forecast.ts) samples it. Per (department, item), over applications the
 * department decided:
 * - *intake*: working days from submission to acceptance (受理), returns before acceptance included;
 * - *decision*: working days on the clock, from its start (acceptance, or the end of pre-review) to the
 *   decision, without its pauses; those of applications pre-reviewed (提前介入: the clock started later
 *   than acceptance, when the prerequisites were done) are also kept apart, because the department has
 *   already read the file and usually decides sooner;
 * - *return share*: returns (补正) per submission, returns / (returns + applications): each submission is
 *   returned with this probability, so the number of returns of an application is geometric with the
 *   observed mean returns / applications;
 * - *paused days per return*: the clock's paused working days of an application divided by its returns
 *   (a return before acceptance pauses no clock and adds 0, because its time is already in intake), so
 *   returns × paused days per return reproduces the observed paused days per application.
 *
 * Thin history is the rule, not the exception (a department handles one item a few dozen times a year),
 * so each figure is shrunk in two steps, by credibility weighting (Bühlmann's n / (n + k)): the item's
 * own observations carry weight n / (n + k); the rest goes to the department's behaviour over all its
 * items, itself weighted m / (m + k) by its m observations, and what remains to the prior: the catalog's
 * committed limit (the plan's own answer), no returns, no intake time. k (`priorWeight`, 5) is the number
 * of observations the level above is worth. Why this method: it is the one a reader can check by hand
 * (every estimate is a weighted mean of three numbers shown beside their counts), it moves smoothly from
 * the plan (no history) to the record (much history), and it needs no fitting that could fail on a
 * small or odd sample. Durations are compared across a department's items on the scale of each item's
 * limit, (1 + days) / (1 + committed days), so a department that takes 1.5× its promise on a 20-day
 * item is expected to take 1.5× on its 5-day item too; intake and pause days are compared as they are.
 *
 * The forecast samples the same weights as a mixture: with probability n / (n + k) one of the item's own
 * observations, else with m / (m + k) one of the department's (rescaled to this item), else a draw from
 * the prior, log-normal around the committed limit (`priorSpread`, σ of log(1 + days)). So the sampled
 * mean is the shrunk estimate, and the sampled shape is the record's own where there is one (skew, a
 * department that finishes in a day or runs late), with no distribution family imposed on it.
 */

/** A record as the read model holds it (db/read-model.ts `loadItems`). */
export type PerformanceRecord = Pick<
  ReportItem,
  | 'projectCode'
  | 'itemCode'
  | 'department'
  | 'status'
  | 'submittedAt'
  | 'acceptedAt'
  | 'clockStart'
  | 'finishedAt'
  | 'returns'
  | 'pauses'
>;

/** A problem from the record: when it was due and when it was solved (null while open). */
export type ProblemRecord = { deadlineAt: string; resolvedAt: string | null };

export type PerformanceOptions = {
  /** Each item's committed limit in working days (schedule.ts `plannedDuration`), to compare across items. */
  committedDays: ReadonlyMap<string, number>;
  /** k: how many observations the level above is worth (default 5). */
  priorWeight?: number;
  /** σ of log(1 + days) of the prior around the committed limit (default 0.3; 0: exactly the limit). */
  priorSpread?: number;
};

/**
 * Committed working days by item code (schedule.ts `plannedDuration`): the catalog's items, then a
 * project's own plan over them (its overrides win).
 */
export function committedDaysOf(
  ...lists: readonly (readonly Pick<PlanItem, 'code' | 'kind' | 'committedLimit'>[])[]
): Map<string, number> {
  return new Map(lists.flatMap((items) => items.map((i) => [i.code, plannedDuration(i)] as const)));
}

type Observations = {
  intake: number[];
  decision: number[];
  /** Decision days of the applications whose clock started after a pre-review. */
  decisionAfterPreReview: number[];
  /** (1 + decision) / (1 + committed days), for items whose limit is known. */
  decisionRatio: number[];
  /** Paused days / returns, for applications returned at least once. */
  pausePerReturn: number[];
  applications: number;
  returns: number;
};

export type Performance = {
  priorWeight: number;
  priorSpread: number;
  committedDays: ReadonlyMap<string, number>;
  byItem: ReadonlyMap<string, Observations>;
  byDepartment: ReadonlyMap<string, Observations>;
  /** Working days a solved problem took past its deadline (negative: before it). */
  problemLateness: readonly number[];
  records: number;
};

/** One figure, the three numbers it is shrunk from, and the observations behind each. */
export type Figure = {
  estimate: number;
  item: number | null;
  itemObservations: number;
  department: number | null;
  departmentObservations: number;
  prior: number;
};

export type ItemFigures = {
  item: string;
  department: string;
  committedDays: number;
  intakeDays: Figure;
  decisionDays: Figure;
  returnShare: Figure;
  pausedDaysPerReturn: Figure;
};

/** What one draw mixes: own observations, the department's (on this item's scale), the prior. */
export type Mixture = {
  own: readonly number[];
  ownWeight: number;
  department: readonly number[];
  departmentWeight: number;
  priorMedian: number;
  priorSpread: number;
};

/** What the forecast samples an item from. */
export type ItemModel = {
  intake: Mixture;
  decision: Mixture;
  /** The item's own pre-reviewed applications, when it has any; else `decision`. */
  decisionAfterPreReview: Mixture;
  returnShare: number;
  pause: Mixture;
};

/** A week: what a correction (补正) is assumed to take before any has been observed. */
const PRIOR_PAUSE_DAYS = 5;
const DECIDED: ReadonlySet<string> = DECIDED_STATUSES;

const empty = (): Observations => ({
  intake: [],
  decision: [],
  decisionAfterPreReview: [],
  decisionRatio: [],
  pausePerReturn: [],
  applications: 0,
  returns: 0,
});

/** Observe every decided application in `records`, and the lateness of every solved problem. */
export function measurePerformance(
  records: readonly PerformanceRecord[],
  calendar: Calendar,
  opts: PerformanceOptions,
  problems: readonly ProblemRecord[] = [],
): Performance {
  const byItem = new Map<string, Observations>();
  const byDepartment = new Map<string, Observations>();
  const ms = (iso: string) => Date.parse(iso);
  let used = 0;
  for (const r of records) {
    if (!DECIDED.has(r.status) || r.submittedAt === null || r.finishedAt === null) continue;
    const finished = ms(r.finishedAt);
    // Approved on commitment straight from submission: no acceptance, no clock.
    const accepted = r.acceptedAt === null ? finished : ms(r.acceptedAt);
    const clock = r.clockStart === null ? accepted : ms(r.clockStart);
    const pauses = r.pauses.map((p) => ({ from: ms(p.from), to: p.to === null ? finished : ms(p.to) }));
    const intake = calendar.workingDaysBetween(ms(r.submittedAt), accepted);
    const decision = calendar.workingDaysBetween(clock, finished, pauses);
    const paused = pauses.reduce((sum, p) => sum + calendar.workingDaysBetween(p.from, p.to), 0);
    const committed = opts.committedDays.get(r.itemCode);
    for (const [map, key] of [
      [byItem, itemKey(r.department, r.itemCode)],
      [byDepartment, r.department],
    ] as const) {
      const o = map.get(key) ?? empty();
      map.set(key, o);
      o.intake.push(intake);
      o.decision.push(decision);
      if (calendar.dateOf(clock) > calendar.dateOf(accepted)) o.decisionAfterPreReview.push(decision);
      if (committed !== undefined) o.decisionRatio.push((1 + decision) / (1 + committed));
      if (r.returns > 0) o.pausePerReturn.push(paused / r.returns);
      o.applications += 1;
      o.returns += r.returns;
    }
    used += 1;
  }
  const problemLateness = problems
    .filter((p) => p.resolvedAt !== null)
    .map((p) => signedWorkingDaysBetween(calendar, ms(p.deadlineAt) - 1, ms(p.resolvedAt!)));
  return {
    priorWeight: opts.priorWeight ?? 5,
    priorSpread: opts.priorSpread ?? 0.3,
    committedDays: opts.committedDays,
    byItem,
    byDepartment,
    problemLateness,
    records: used,
  };
}

const itemKey = (department: string, item: string) => `${department}/${item}`;
const mean = (xs: readonly number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
const credibility = (n: number, k: number) => (n + k === 0 ? 0 : n / (n + k));

/** What the forecast samples an item from (its committed limit from `committedDays`, or `fallbackDays`). */
export function itemModel(
  perf: Performance,
  item: { code: string; department: string },
  fallbackDays = 0,
): ItemModel {
  const own = perf.byItem.get(itemKey(item.department, item.code)) ?? empty();
  const dept = perf.byDepartment.get(item.department) ?? empty();
  const c = perf.committedDays.get(item.code) ?? fallbackDays;
  const k = perf.priorWeight;
  const mixture = (
    mine: readonly number[],
    theirs: readonly number[],
    priorMedian: number,
    spread: number,
  ): Mixture => ({
    own: mine,
    ownWeight: credibility(mine.length, k),
    department: theirs,
    departmentWeight: credibility(theirs.length, k),
    priorMedian,
    priorSpread: spread,
  });
  const shareOwn = own.returns / Math.max(1, own.returns + own.applications);
  const shareDept = dept.returns / Math.max(1, dept.returns + dept.applications);
  const wOwn = credibility(own.applications, k);
  const wDept = credibility(dept.applications, k);
  const decision = mixture(
    own.decision,
    dept.decisionRatio.map((r) => Math.max(0, Math.round(r * (1 + c) - 1))),
    c,
    perf.priorSpread,
  );
  return {
    intake: mixture(own.intake, dept.intake, 0, 0),
    decision,
    // Pre-reviewed applications of this item alone: the department's other items say nothing of it.
    decisionAfterPreReview:
      own.decisionAfterPreReview.length > 0
        ? {
            ...decision,
            own: own.decisionAfterPreReview,
            ownWeight: credibility(own.decisionAfterPreReview.length, k),
          }
        : decision,
    returnShare: wOwn * shareOwn + (1 - wOwn) * wDept * shareDept,
    pause: mixture(own.pausePerReturn, dept.pausePerReturn, PRIOR_PAUSE_DAYS, perf.priorSpread),
  };
}

/** One draw, in whole working days (≥ 0). */
export function drawDays(m: Mixture, random: Random): number {
  if (m.own.length > 0 && random() < m.ownWeight) return Math.round(pick(random, m.own));
  if (m.department.length > 0 && random() < m.departmentWeight) return Math.round(pick(random, m.department));
  if (m.priorSpread === 0) return m.priorMedian;
  return Math.max(0, Math.round((1 + m.priorMedian) * Math.exp(m.priorSpread * normal(random)) - 1));
}

/** The mixture's mean with the prior at its median: the shrunk estimate. */
function figure(m: Mixture, itemMean: number | null, deptMean: number | null): Figure {
  const own = itemMean ?? 0;
  const dept = deptMean ?? 0;
  const rest = m.departmentWeight * dept + (1 - m.departmentWeight) * m.priorMedian;
  return {
    estimate: round2(m.ownWeight * own + (1 - m.ownWeight) * rest),
    item: itemMean === null ? null : round2(itemMean),
    itemObservations: m.own.length,
    department: deptMean === null ? null : round2(deptMean),
    departmentObservations: m.department.length,
    prior: m.priorMedian,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The figures behind an item's model, with their observation counts: what the API shows. */
export function itemFigures(
  perf: Performance,
  item: { code: string; department: string },
  fallbackDays = 0,
): ItemFigures {
  const model = itemModel(perf, item, fallbackDays);
  const own = perf.byItem.get(itemKey(item.department, item.code)) ?? empty();
  const dept = perf.byDepartment.get(item.department) ?? empty();
  const share = (o: Observations) => (o.applications === 0 ? null : o.returns / (o.returns + o.applications));
  return {
    item: item.code,
    department: item.department,
    committedDays: perf.committedDays.get(item.code) ?? fallbackDays,
    intakeDays: figure(model.intake, mean(own.intake), mean(dept.intake)),
    decisionDays: figure(model.decision, mean(own.decision), mean(model.decision.department)),
    returnShare: {
      estimate: round2(model.returnShare),
      item: share(own) === null ? null : round2(share(own)!),
      itemObservations: own.applications,
      department: share(dept) === null ? null : round2(share(dept)!),
      departmentObservations: dept.applications,
      prior: 0,
    },
    pausedDaysPerReturn: figure(model.pause, mean(own.pausePerReturn), mean(dept.pausePerReturn)),
  };
}

/** Working days past its deadline a blocking problem is solved: the record's, shrunk towards 0 (on time). */
export function problemLatenessModel(perf: Performance): Mixture {
  return {
    own: perf.problemLateness,
    ownWeight: credibility(perf.problemLateness.length, perf.priorWeight),
    department: [],
    departmentWeight: 0,
    priorMedian: 0,
    priorSpread: 0,
  };
}
