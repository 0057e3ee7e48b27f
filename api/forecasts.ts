import { loadRecord } from '../db/performance';
import { type Forecast, forecastFromRecord } from '../domain/forecast';
import type { AppDeps } from './app';
import { queryProject } from './temporal';

/**
 * Forecasts of several projects for the board, a few workflow queries at a time, from one read of the
 * record. A project whose state cannot be read now (Temporal restarting, a row the read model holds
 * without a workflow) is left out rather than failing the page. No cache on purpose: a decision the
 * record has just taken in changes the next answer.
 */
export async function boardForecasts(
  deps: AppDeps,
  codes: readonly string[],
  samples: number,
): Promise<Map<string, Forecast>> {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  const record = await loadRecord(deps.db);
  const now = Date.now();
  const result = new Map<string, Forecast>();
  const queue = [...codes];
  const worker = async () => {
    for (let code = queue.shift(); code !== undefined; code = queue.shift()) {
      const view = await queryProject(temporal, code).catch(() => null);
      if (view) result.set(code, forecastFromRecord(record, view.state, { now, samples }).forecast);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return result;
}
