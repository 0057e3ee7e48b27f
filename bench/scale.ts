import { loadavg } from 'node:os';
import { govBuildingPlan, TEMPLATE } from './lib/gov-building';
import { processUsage } from './lib/load';
import { type BenchOptions, publishResults } from './lib/results';
import { startStack } from './lib/stack';
import { createDriver } from './scale/driver';
import { NAME, summarize, toMarkdown } from './scale/results';
import { ACCEPTED_PER_PROJECT, runSteps } from './scale/steps';
import { killAndRestart, type SpawnedWorker } from './scale/worker';

/**
 * Scale: how many open projects one worker holds. On one real stack (PostgreSQL, Temporal dev server, worker and API as
 * child processes), gov-building projects are started straight with the Temporal client (as
 * api/temporal.ts startProject does; registration through the API is not what is measured) in steps
 * (250, 500, 1,000, 2,000 by default), and in each new project the first ready items are submitted and
 * accepted, so every project has live escalation timers and several open items. After each step:
 * the worker's RSS (memory per cached project = ΔRSS / projects), and the latency of a sample of
 * decisions spread over every open project. At the end the worker is killed (SIGKILL) and a new one
 * started: the time until a decision succeeds again, and the latency of the first decisions after the
 * restart, while projects are replayed from their histories into the new worker's cache.
 *
 * Stepping stops early when the next step would not fit the time budget; the report says how far it
 * got. The 200 ms p99 line is reported, not enforced.
 */

const STEPS = [250, 500, 1000, 2000];
const DEFAULTS = { full: { projects: 2000, concurrency: 50 }, quick: { projects: 50, concurrency: 16 } };
const SAMPLE = { full: 300, quick: 60 };
const RESTART_SAMPLE = { full: 100, quick: 30 };

export type ScaleOptions = BenchOptions & { projects?: number; concurrency?: number };

export async function scale(opts: ScaleOptions): Promise<void> {
  const startedAt = new Date();
  const t0 = performance.now();
  const loadBefore = loadavg()[0]!;
  const defaults = opts.quick ? DEFAULTS.quick : DEFAULTS.full;
  const target = opts.projects ?? defaults.projects;
  const concurrency = opts.concurrency ?? defaults.concurrency;
  const steps = opts.quick ? [target] : [...STEPS.filter((n) => n < target), target];
  const sampleSize = opts.quick ? SAMPLE.quick : SAMPLE.full;
  const restartSize = opts.quick ? RESTART_SAMPLE.quick : RESTART_SAMPLE.full;
  const plan = govBuildingPlan();
  const ready = plan.items.filter((i) => i.prerequisites.length === 0);
  if (ready.length <= ACCEPTED_PER_PROJECT) throw new Error(`${TEMPLATE}: only ${ready.length} ready items`);
  console.log(
    `up to ${target} ${TEMPLATE} projects (${plan.items.length} items, ${ready.length} ready) in steps ${steps.join(', ')}, ${concurrency} starts in flight`,
  );

  const stack = await startStack({ volatile: opts.volatile });
  let restarted: SpawnedWorker | undefined;
  try {
    const driver = await createDriver(stack, plan, ready, NAME);
    // Let the worker settle (digest schedules, JIT of the first workflow) before its baseline RSS.
    await driver.warmUp();
    const rssBefore = processUsage(driver.workerPid)?.rssBytes ?? 0;
    const run = await runSteps(stack, driver, ready, { steps, concurrency, sampleSize, t0, rssBefore });
    const restart = await killAndRestart(stack, driver, restartSize, (worker) => {
      restarted = worker;
    });

    const result = summarize({
      durable: stack.durable,
      startedAt,
      quick: opts.quick,
      loadBefore,
      t0,
      plan,
      ready,
      target,
      steps,
      concurrency,
      sampleSize,
      restartSize,
      rssBefore,
      stepResults: run.steps,
      stoppedEarly: run.stoppedEarly,
      restart,
      errors: driver.errors,
    });
    const markdown = toMarkdown(result);
    await publishResults(NAME, { quick: opts.quick, startedAt }, result, markdown);
    const { errors } = driver;
    if (errors.length > 0) {
      throw new Error(
        `${NAME}: ${errors.length} errors:\n  ${errors.slice(0, 10).join('\n  ')}\n${restarted?.tail() ?? ''}`,
      );
    }
  } finally {
    await restarted?.stop();
    await stack.stop();
  }
}
