import { loadavg } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { Plan } from '../../domain/plan';
import { cachedProjectsForHeap } from '../../worker-cache';
import { TEMPLATE } from '../lib/gov-building';
import { type LatencySummary, round } from '../lib/load';
import { describeMachine, type Machine } from '../lib/machine';
import { markdownTable, resultHead } from '../lib/results';
import { SAMPLE_CONCURRENCY } from './driver';
import { ACCEPTED_PER_PROJECT, BUDGET_MS, P99_LINE_MS, type Step } from './steps';

export const NAME = 'scale';

/** The result file's content: the run's parameters, every step, and the restart. */
export function summarize(input: {
  startedAt: Date;
  quick: boolean;
  loadBefore: number;
  t0: number;
  plan: Plan;
  ready: Plan['items'];
  target: number;
  steps: number[];
  concurrency: number;
  sampleSize: number;
  restartSize: number;
  rssBefore: number;
  stepResults: Step[];
  stoppedEarly: string | undefined;
  restart: Result['restart'];
  errors: string[];
  /** PostgreSQL with fsync and Temporal with its SQLite file (false: the labelled volatile comparison). */
  durable: boolean;
}) {
  const { stepResults, errors } = input;
  const largestUnder = stepResults.filter((s) => s.underLine).at(-1)?.projects ?? 0;
  const crossed = stepResults.find((s) => !s.underLine)?.projects ?? null;
  return {
    ...resultHead(NAME, input),
    durable: input.durable,
    params: {
      template: TEMPLATE,
      items: input.plan.items.length,
      readyItems: input.ready.length,
      acceptedPerProject: ACCEPTED_PER_PROJECT,
      openItemsPerProject: input.ready.length,
      target: input.target,
      steps: input.steps,
      startConcurrency: input.concurrency,
      sampleDecisions: input.sampleSize,
      sampleConcurrency: SAMPLE_CONCURRENCY,
      restartSample: input.restartSize,
      budgetMinutes: BUDGET_MS / 60_000,
      // The worker runs the same node with the same flags: its heap limit, so its cache, is this process's.
      workerCacheEstimate: cachedProjectsForHeap(),
      heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    },
    workerRssBeforeMiB: round(input.rssBefore / 2 ** 20, 1),
    steps: stepResults,
    stoppedEarly: input.stoppedEarly ?? null,
    p99LineMs: P99_LINE_MS,
    largestUnderLine: largestUnder,
    firstStepOverLine: crossed,
    restart: input.restart,
    errors: errors.length,
    firstErrors: errors.slice(0, 5),
    seconds: round((performance.now() - input.t0) / 1000, 1),
    loadAfter: round(loadavg()[0]!, 2),
  };
}

export type Result = {
  startedAt: string;
  quick: boolean;
  durable: boolean;
  machine: Machine;
  params: {
    readyItems: number;
    acceptedPerProject: number;
    startConcurrency: number;
    sampleDecisions: number;
    workerCacheEstimate: number;
    /** V8 heap limit of the worker (the same node and flags as this process: NODE_OPTIONS). */
    heapLimitMiB: number;
  };
  workerRssBeforeMiB: number;
  steps: Step[];
  stoppedEarly: string | null;
  largestUnderLine: number;
  firstStepOverLine: number | null;
  restart: {
    projects: number;
    workerRssAtKillMiB: number;
    workerReadySeconds: number;
    firstDecisionSeconds: number;
    firstDecisions: LatencySummary;
    workerRssAfterMiB: number;
  };
  errors: number;
  seconds: number;
  loadAfter: number;
};

export function toMarkdown(s: Result): string {
  const m = s.machine;
  const r = s.restart;
  return (
    [
      `# scale${s.quick ? ' (quick: a smoke run, not a measurement)' : ''} — ${s.startedAt}`,
      '',
      `${describeMachine(m)}; 1-min load ${m.loadBefore} before, ${s.loadAfter} after. ` +
        `${
          s.durable
            ? 'PostgreSQL (fsync on), the Temporal dev server with its SQLite file'
            : '**Volatile, not what users run:** PostgreSQL without fsync, the Temporal dev server in memory'
        }, worker and API (child processes) and this driver over loopback.`,
      '',
      `Projects started with the Temporal client, ${s.params.startConcurrency} in flight; in each, ${s.params.acceptedPerProject} of its ` +
        `${s.params.readyItems} ready items submitted and accepted (live escalation timers), the rest open. ` +
        `Sample: ${s.params.sampleDecisions} decisions (submit/accept) on projects picked at random, ${SAMPLE_CONCURRENCY} in flight. ` +
        `Worker RSS before the first step: ${s.workerRssBeforeMiB} MiB; its workflow cache (worker-cache.ts, from a V8 heap limit of ${s.params.heapLimitMiB} MiB) holds about ${s.params.workerCacheEstimate} projects. ` +
        "start s is `workflow.start` only; accept s includes each new project's first workflow tasks.",
      '',
      markdownTable(
        [
          'open projects',
          'start s',
          'starts/s',
          'accept s',
          'worker RSS MiB',
          'KiB / project',
          'p50 ms',
          'p99 ms',
          'max ms',
          `p99 < ${P99_LINE_MS} ms`,
        ],
        s.steps.map((x) => [
          x.projects,
          x.startSeconds,
          x.startsPerSecond,
          x.acceptSeconds,
          x.workerRssMiB,
          x.rssPerProjectKiB,
          x.sample.p50Ms,
          x.sample.p99Ms,
          x.sample.maxMs,
          x.underLine ? 'yes' : 'no',
        ]),
      ),
      '',
      `Largest step with decision p99 under ${P99_LINE_MS} ms: ${s.largestUnderLine}; ` +
        (s.firstStepOverLine === null ? 'no step crossed it.' : `crossed at ${s.firstStepOverLine}.`) +
        (s.stoppedEarly ? ` Stopped early: ${s.stoppedEarly}.` : ''),
      '',
      `## Worker killed (SIGKILL) and restarted with ${r.projects} projects open`,
      '',
      markdownTable(
        ['measure', 'value'],
        [
          ['worker RSS at kill MiB', r.workerRssAtKillMiB],
          ['new worker polling after (s from kill)', r.workerReadySeconds],
          ['first decision succeeded after (s from kill)', r.firstDecisionSeconds],
          [`first ${r.firstDecisions.count} decisions p50 ms`, r.firstDecisions.p50Ms],
          [`first ${r.firstDecisions.count} decisions p99 ms`, r.firstDecisions.p99Ms],
          [`first ${r.firstDecisions.count} decisions max ms`, r.firstDecisions.maxMs],
          ['new worker RSS after them MiB', r.workerRssAfterMiB],
        ],
      ),
      '',
      `Errors: ${s.errors}. Whole run ${s.seconds} s.`,
    ].join('\n') + '\n'
  );
}
