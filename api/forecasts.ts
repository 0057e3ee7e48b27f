import { loadPerformanceRecords, loadSolvedProblems } from '../db/performance';
import { type Calendar, makeCalendar } from '../domain/calendar';
import { shippedCatalog } from '../domain/catalog-data';
import { type Forecast, forecastProject } from '../domain/forecast';
import { committedDaysOf, measurePerformance, type Performance } from '../domain/performance';
import type { ProjectState } from '../domain/project';
import type { AppDeps } from './app';
import { queryProject } from './temporal';

/**
 * Forecasts as the API, the board and the project page make them (domain/forecast.ts): the record read
 * from the read model once per request, measured on the project's calendar, the live state from the
 * workflow. No cache on purpose: a decision the record has just taken in changes the next answer.
 */

export type PerformanceHistory = {
  records: Awaited<ReturnType<typeof loadPerformanceRecords>>;
  problems: Awaited<ReturnType<typeof loadSolvedProblems>>;
};

export async function loadRecord(deps: Pick<AppDeps, 'db'>): Promise<PerformanceHistory> {
  const [records, problems] = await Promise.all([
    loadPerformanceRecords(deps.db),
    loadSolvedProblems(deps.db),
  ]);
  return { records, problems };
}

/** The record measured for a project: the catalog's committed limits, the project's own plan over them. */
export function performanceFor(
  record: PerformanceHistory,
  state: ProjectState,
  calendar: Calendar,
): Performance {
  const committedDays = committedDaysOf(shippedCatalog.items, state.plan.items);
  return measurePerformance(record.records, calendar, { committedDays }, record.problems);
}

export function forecastFor(
  record: PerformanceHistory,
  state: ProjectState,
  opts: { now: number; samples?: number; seed?: string },
): { forecast: Forecast; performance: Performance } {
  const calendar = makeCalendar(state.calendarYears);
  const performance = performanceFor(record, state, calendar);
  return { forecast: forecastProject(state, performance, { calendar, ...opts }), performance };
}

/**
 * Forecasts of several projects for the board, a few workflow queries at a time; a project whose state
 * cannot be read now (Temporal restarting) is left out rather than failing the page.
 */
export async function boardForecasts(
  deps: AppDeps,
  codes: readonly string[],
  samples: number,
): Promise<Map<string, Forecast>> {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  const record = await loadRecord(deps);
  const now = Date.now();
  const result = new Map<string, Forecast>();
  const queue = [...codes];
  const worker = async () => {
    for (let code = queue.shift(); code !== undefined; code = queue.shift()) {
      const view = await queryProject(temporal, code).catch(() => null);
      if (view) result.set(code, forecastFor(record, view.state, { now, samples }).forecast);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return result;
}
