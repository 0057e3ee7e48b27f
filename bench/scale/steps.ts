import { z } from 'zod';
import type { Plan } from '../../domain/plan';
import { type LatencySummary, Limiter, messageOf, processUsage, round } from '../lib/load';
import type { Stack } from '../lib/stack';
import type { Driver } from './driver';

/** The decision p99 a step must stay under (reported, not enforced). */
export const P99_LINE_MS = 200;
/**
 * Ready items submitted and accepted in every project when it starts (the rest stay open): one, so
 * 2,000 projects can be set up on 2 cores inside the budget; the sample then submits and accepts more.
 */
export const ACCEPTED_PER_PROJECT = 1;
/**
 * Minutes the whole run may take, start-up included: 6, or BENCH_SCALE_MINUTES (1–120) for a larger
 * count on a slow machine. The next step is skipped when it would not end inside this.
 */
export const BUDGET_MS =
  z.coerce
    .number()
    .int()
    .min(1)
    .max(120)
    .default(6)
    .parse(process.env.BENCH_SCALE_MINUTES || undefined) * 60_000;

export type Step = {
  projects: number;
  newProjects: number;
  startSeconds: number;
  startsPerSecond: number;
  acceptSeconds: number;
  acceptDecisions: number;
  workerRssMiB: number;
  rssPerProjectKiB: number;
  sample: LatencySummary;
  underLine: boolean;
};

/**
 * Opens projects step by step up to each count in `steps`, `concurrency` starts in flight: each new
 * project started, its first ready items submitted and accepted; then the worker's RSS and a sample of
 * `sampleSize` decisions over every open project. Stops early when the next step would not end inside
 * the budget, counted from `t0`. `rssBefore` is the worker's RSS before the first step.
 */
export async function runSteps(
  stack: Stack,
  driver: Driver,
  ready: Plan['items'],
  opts: { steps: number[]; concurrency: number; sampleSize: number; t0: number; rssBefore: number },
): Promise<{ steps: Step[]; stoppedEarly: string | undefined }> {
  const { codes, errors } = driver;
  const stepResults: Step[] = [];
  let stoppedEarly: string | undefined;
  let secondsPerProject = 0;

  for (const n of opts.steps) {
    const newCodes = Array.from(
      { length: n - codes.length },
      (_, i) => `SC-${stack.tag}-${codes.length + i + 1}`,
    );
    const elapsed = performance.now() - opts.t0;
    const projected = secondsPerProject * newCodes.length * 1000 + 30_000;
    if (stepResults.length > 0 && elapsed + projected > BUDGET_MS) {
      stoppedEarly = `step ${n} skipped: ~${Math.round(projected / 1000)} s more would pass the ${BUDGET_MS / 60_000} min budget (${Math.round(elapsed / 1000)} s used)`;
      console.log(stoppedEarly);
      break;
    }
    const limiter = new Limiter(opts.concurrency);
    const startT = performance.now();
    const startedNow: string[] = [];
    await Promise.all(
      newCodes.map((code) =>
        limiter
          .run(() => driver.start(code))
          .then(
            () => startedNow.push(code),
            (e: unknown) => errors.push(`start ${code}: ${messageOf(e)}`),
          ),
      ),
    );
    const startMs = performance.now() - startT;
    const rest = ready.slice(ACCEPTED_PER_PROJECT).map((i) => i.code);
    for (const code of startedNow) driver.add(code, rest);
    // Accept the first ready items of every new project: each accepted item has its escalation timers.
    const acceptT = performance.now();
    let acceptDecisions = 0;
    await Promise.all(
      startedNow.map((code) =>
        limiter.run(async () => {
          for (const item of ready.slice(0, ACCEPTED_PER_PROJECT)) {
            for (const action of ['submit', 'accept'] as const) {
              try {
                await driver.decide(code, item.code, action);
                acceptDecisions += 1;
              } catch (e) {
                errors.push(`${action} ${code}/${item.code}: ${messageOf(e)}`);
                return;
              }
            }
          }
        }),
      ),
    );
    const acceptMs = performance.now() - acceptT;
    driver.assertWorkerAlive(`while ${n} projects were being opened`);
    const rss = processUsage(driver.workerPid)?.rssBytes ?? 0;
    const sample = await driver.sampleDecisions(opts.sampleSize, codes);
    driver.assertWorkerAlive(`during the sample at ${n} projects`);
    const step: Step = {
      projects: codes.length,
      newProjects: startedNow.length,
      startSeconds: round(startMs / 1000),
      startsPerSecond: round(startedNow.length / (startMs / 1000), 1),
      acceptSeconds: round(acceptMs / 1000),
      acceptDecisions,
      workerRssMiB: round(rss / 2 ** 20, 1),
      rssPerProjectKiB: round((rss - opts.rssBefore) / 1024 / Math.max(1, codes.length), 1),
      sample,
      underLine: sample.p99Ms < P99_LINE_MS,
    };
    stepResults.push(step);
    secondsPerProject = (startMs + acceptMs) / 1000 / Math.max(1, startedNow.length);
    console.log(
      `${step.projects} projects: started in ${step.startSeconds} s, accepted in ${step.acceptSeconds} s, worker RSS ${step.workerRssMiB} MiB (${step.rssPerProjectKiB} KiB/project), decision p50 ${sample.p50Ms} ms p99 ${sample.p99Ms} ms`,
    );
  }
  return { steps: stepResults, stoppedEarly };
}
