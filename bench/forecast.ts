import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance as clock } from 'node:perf_hooks';
import { makeCalendar } from '../domain/calendar';
import { shippedCalendarYears } from '../domain/calendar-data';
import { shippedCatalog } from '../domain/catalog-data';
import { type Forecast, forecastProject } from '../domain/forecast';
import { committedDaysOf, measurePerformance, type PerformanceRecord } from '../domain/performance';
import { instantiatePlan, type Plan } from '../domain/plan';
import type { ProjectState } from '../domain/project';
import { seededRandom } from '../domain/random';
import { CONSTRUCTION_PERMIT } from '../domain/vocabulary';
import { calibrationSvg } from './forecast/calibration';
import { stateAt } from './forecast/held-out';
import { makeWorld, recordsOf, runProject } from './forecast/world';
import { percentile, round } from './lib/load';
import { describeMachine } from './lib/machine';
import { type BenchOptions, markdownTable, publishResults, resultHead, resultsDir } from './lib/results';

/**
 * npm run bench -- forecast: does the permit forecast (domain/forecast.ts) forecast? A synthetic city
 * (bench/forecast/world.ts) runs several hundred projects on both templates to the end; their records are
 * what the forecast learns from. Later projects, started after every one of those had finished (so no
 * outcome leaks into the record), are cut at the midpoint of their way to the construction permit and
 * forecast from the state they were in; the forecast is scored against the permit date that followed,
 * beside the plan's own answer (committed limits from the same state). Then the time of one forecast
 * (5,000 samples, 47 items) and of a portfolio of 2,000 open projects, on one core.
 */

const TEMPLATES = ['gov-building', 'social-industrial'] as const;
const SAMPLES = 5000;

export async function forecastBench(opts: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg()[0]!;
  const sizes = opts.quick
    ? { history: 60, heldOut: 20, timing: 5, portfolio: 100 }
    : { history: 400, heldOut: 200, timing: 40, portfolio: 2000 };
  const calendar = makeCalendar(shippedCalendarYears);
  const calendarYears = [...shippedCalendarYears];
  const plans: Plan[] = TEMPLATES.map((t) => {
    const r = instantiatePlan(shippedCatalog, t);
    if (!r.ok) throw new Error(`${t}: ${r.problems.join(' ')}`);
    return r.plan;
  });
  const random = seededRandom('greenlane-forecast-backtest');
  const world = makeWorld(random, plans, calendar, '2022-01-04', 4000);
  const day = (d: string) => world.index.get(d)!;

  // The record: projects registered over three years, each worked to its end.
  const records: PerformanceRecord[] = [];
  let lastFinish = 0;
  for (let n = 0; n < sizes.history; n++) {
    const plan = plans[n % 2]!;
    const runs = runProject(world, plan, Math.floor(random() * 750), random);
    records.push(...recordsOf(world, plan, runs, `H-${n}`));
    lastFinish = Math.max(lastFinish, ...[...runs.values()].map((r) => r.finish));
  }
  const performance = measurePerformance(records, calendar, {
    committedDays: committedDaysOf(shippedCatalog.items),
  });

  /** A project registered after the record closed, and its state at a share of its way to the permit. */
  const openProject = (n: number, share: number) => {
    const plan = plans[n % 2]!;
    const start = lastFinish + 1 + Math.floor(random() * 250);
    const runs = runProject(world, plan, start, random);
    const permit = runs.get(CONSTRUCTION_PERMIT)!.finish;
    const cut = start + Math.floor((permit - start) * share);
    const probe = stateAt(world, plan, runs, {
      code: `T-${n}`,
      start,
      cut,
      targetStart: world.dates[start]!,
      calendarYears,
    });
    // A target 15 working days after the plan's permit date: reachable, not certain.
    const targetStart = world.dates[day(probe.state.baseline.permitFinish!) + 15]!;
    const { state, now } = stateAt(world, plan, runs, {
      code: `T-${n}`,
      start,
      cut,
      targetStart,
      calendarYears,
    });
    return { plan, runs, permit, state, now };
  };

  const scored: Score[] = [];
  const quantiles = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
  const below = quantiles.map(() => 0);
  for (let n = 0; n < sizes.heldOut; n++) {
    const p = openProject(n, 0.5);
    const f = forecastProject(p.state, performance, { calendar, now: p.now, samples: SAMPLES });
    scored.push(score(f, p.permit, day, p.plan.templateId));
    quantiles.forEach((q, i) => {
      if (p.permit <= day(quantileDate(f, q))) below[i]! += 1;
    });
  }

  // Timing on one core: one 47-item gov-building project at its midpoint, then a portfolio.
  const one = openProject(0, 0.5);
  const times: number[] = [];
  for (let i = 0; i < sizes.timing + 3; i++) {
    const t0 = clock.now();
    forecastProject(one.state, performance, { calendar, now: one.now, samples: SAMPLES });
    if (i >= 3) times.push(clock.now() - t0); // three warm-up runs
  }
  const portfolio: { state: ProjectState; now: number }[] = [];
  for (let n = 0; n < sizes.portfolio; n++) portfolio.push(openProject(n, 0.1 + 0.8 * random()));
  const t0 = clock.now();
  const measured = measurePerformance(records, calendar, {
    committedDays: committedDaysOf(shippedCatalog.items),
  });
  const tMeasure = clock.now() - t0;
  for (const p of portfolio) forecastProject(p.state, measured, { calendar, now: p.now, samples: SAMPLES });
  const tPortfolio = clock.now() - t0;

  const summary = (rows: Score[]): Summary => ({
    projects: rows.length,
    p80Coverage: round(rows.filter((r) => r.inP80).length / rows.length, 3),
    onP80: round(rows.filter((r) => r.onP80).length / rows.length, 3),
    p50Coverage: round(rows.filter((r) => r.inP50).length / rows.length, 3),
    maeForecast: round(mean(rows.map((r) => Math.abs(r.errorP50))), 1),
    maePlan: round(mean(rows.map((r) => Math.abs(r.errorPlan))), 1),
    biasPlan: round(mean(rows.map((r) => r.errorPlan)), 1),
  });
  const byTemplate: Record<string, Summary> = Object.fromEntries(
    TEMPLATES.map((t) => [t, summary(scored.filter((s) => s.template === t))]),
  );
  const all = summary(scored);
  const calibration = quantiles.map((q, i) => ({
    nominal: q,
    observed: round(below[i]! / scored.length, 3),
  }));
  const result: Result = {
    ...resultHead('forecast', { startedAt, quick: opts.quick, loadBefore }),
    sizes: { ...sizes, samples: SAMPLES, records: performance.records },
    backtest: { all, byTemplate, calibration },
    timing: {
      oneProjectMs: {
        p50: round(percentile(sorted(times), 50), 1),
        p95: round(percentile(sorted(times), 95), 1),
        items: one.plan.items.length,
      },
      portfolio: {
        projects: portfolio.length,
        measureRecordMs: round(tMeasure, 0),
        totalSeconds: round(tPortfolio / 1000, 1),
      },
    },
  };
  await writeFile(
    join(resultsDir, `${opts.quick ? 'latest-forecast-quick' : 'latest-forecast'}-calibration.svg`),
    calibrationSvg(calibration),
  );
  await publishResults('forecast', { ...opts, startedAt }, result, report(result));
}

type Score = {
  template: string;
  inP80: boolean;
  onP80: boolean;
  inP50: boolean;
  errorP50: number;
  errorPlan: number;
};

function score(f: Forecast, actual: number, day: (d: string) => number, template: string): Score {
  return {
    template,
    inP80: actual <= day(f.permit!.p80),
    onP80: actual === day(f.permit!.p80),
    inP50: actual <= day(f.permit!.p50),
    errorP50: day(f.permit!.p50) - actual,
    errorPlan: day(f.planPermit!) - actual,
  };
}

/** The date by which a share q of the samples had the permit. */
function quantileDate(f: Forecast, q: number): string {
  let cumulative = 0;
  for (const d of f.permitDistribution) {
    cumulative += d.share;
    if (cumulative >= q - 1e-9) return d.date;
  }
  return f.permitDistribution.at(-1)!.date;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

type Summary = {
  projects: number;
  p80Coverage: number;
  /** Outcomes on the P80 date itself: covered, and the part of the coverage that is a matter of ties. */
  onP80: number;
  p50Coverage: number;
  maeForecast: number;
  maePlan: number;
  biasPlan: number;
};

type Result = {
  machine: Parameters<typeof describeMachine>[0];
  sizes: { history: number; heldOut: number; samples: number; records: number };
  backtest: {
    all: Summary;
    byTemplate: Record<string, Summary>;
    calibration: { nominal: number; observed: number }[];
  };
  timing: {
    oneProjectMs: { p50: number; p95: number; items: number };
    portfolio: { projects: number; measureRecordMs: number; totalSeconds: number };
  };
};

function report(r: Result): string {
  const rows = Object.entries({ all: r.backtest.all, ...r.backtest.byTemplate }).map(([name, x]) => {
    const cut = round((1 - x.maeForecast / x.maePlan) * 100, 0);
    return [
      name,
      x.projects,
      pct(x.p80Coverage),
      pct(x.onP80),
      pct(x.p50Coverage),
      x.maeForecast,
      x.maePlan,
      x.biasPlan,
      `${cut}%`,
    ];
  });
  const t = r.timing;
  return [
    `# forecast backtest`,
    '',
    describeMachine(r.machine),
    '',
    `${r.sizes.history} finished projects in the record (${r.sizes.records} decided applications); ${r.sizes.heldOut} later projects forecast from the midpoint of their way to the permit, ${r.sizes.samples} samples each.`,
    '',
    markdownTable(
      [
        'projects',
        'n',
        'P80 coverage',
        'of it on the P80 day',
        'P50 coverage',
        'MAE forecast P50 (wd)',
        'MAE plan-only (wd)',
        'plan-only bias (wd)',
        'error cut',
      ],
      rows,
    ),
    '',
    `Calibration (share of actual permits by each forecast quantile): ${r.backtest.calibration.map((c) => `${c.nominal}→${c.observed}`).join(', ')}`,
    '',
    `One forecast (${t.oneProjectMs.items} items, ${r.sizes.samples} samples, one core): p50 ${t.oneProjectMs.p50} ms, p95 ${t.oneProjectMs.p95} ms. Portfolio of ${t.portfolio.projects} open projects, ${r.sizes.samples} samples each: ${t.portfolio.totalSeconds} s (measuring the record once: ${t.portfolio.measureRecordMs} ms).`,
  ].join('\n');
}

const pct = (x: number) => `${round(x * 100, 1)}%`;
