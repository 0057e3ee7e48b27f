import { spawn } from 'node:child_process';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { getHeapStatistics } from 'node:v8';
import { projectStartOptions, projectWorkflowId } from '../api/temporal';
import { loadCalendarYears } from '../db/seed';
import { shippedCatalog } from '../domain/catalog-data';
import type { Decision } from '../domain/decisions';
import { instantiatePlan, type Plan } from '../domain/plan';
import { ProjectProfile } from '../domain/project';
import { projectRoot } from '../scripts/toolchain';
import type { majorProjectWorkflow } from '../workflows/major-project';
import { decideItemUpdate } from '../workflows/messages';
import { LatencyRecorder, type LatencySummary, Limiter, processUsage, round, timed } from './lib/load';
import { type BenchOptions, markdownTable, writeResults } from './lib/results';
import { type Stack, startStack } from './lib/stack';

/**
 * Scale (issue 6, benchmark 3). On one real stack (PostgreSQL, Temporal dev server, worker and API as
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

const NAME = 'scale';
const TEMPLATE = 'gov-building';
const P99_LINE_MS = 200;
const STEPS = [250, 500, 1000, 2000];
const DEFAULTS = { full: { projects: 2000, concurrency: 50 }, quick: { projects: 50, concurrency: 16 } };
/**
 * Ready items submitted and accepted in every project when it starts (the rest stay open): one, so
 * 2,000 projects can be set up on 2 cores inside the budget; the sample then submits and accepts more.
 */
const ACCEPTED_PER_PROJECT = 1;
const SAMPLE = { full: 300, quick: 60 };
const RESTART_SAMPLE = { full: 100, quick: 30 };
/** In flight at once while sampling: enough to load the worker a little, not to measure queueing. */
const SAMPLE_CONCURRENCY = 4;
/** Per decision: long enough for a replay from history, short enough that a dead worker shows. */
const DECISION_DEADLINE_MS = 60_000;
/** Whole run, start-up included: the next step is skipped when it would not end inside this. */
const BUDGET_MS = 6 * 60_000;
const WORKER_READY_MS = 90_000;

export type ScaleOptions = BenchOptions & { projects?: number; concurrency?: number };

type Step = {
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

  const stack = await startStack();
  let workerPid = stack.pids.worker;
  let restarted: { stop(): Promise<void>; tail(): string } | undefined;
  try {
    const calendarYears = await loadCalendarYears(stack.db);
    const category = shippedCatalog.templates.find((t) => t.id === TEMPLATE)!.category;
    const leader = `bench-leader-${stack.tag}`;
    const secretary = `bench-sec-${stack.tag}`;
    const handle = (code: string) =>
      stack.client.workflow.getHandle<typeof majorProjectWorkflow>(projectWorkflowId(code));
    const codes: string[] = [];
    /** Per project, the sample actions it can still take, in an order every one of them is valid. */
    const nextActions = new Map<string, { item: string; action: 'submit' | 'accept' }[]>();
    const projectSlot = new Map<string, Limiter>();
    const errors: string[] = [];

    const decide = async (code: string, item: string, action: 'submit' | 'accept') => {
      const actor =
        action === 'submit'
          ? { role: 'secretary' as const, id: secretary }
          : { role: 'department' as const, department: ready.find((i) => i.code === item)!.department };
      const decision = { action, item, actor } as Decision;
      // A worker that is gone makes errors at once (or at the deadline), not a driver waiting for ever.
      if (!processUsage(workerPid)) throw new Error(`the worker (pid ${workerPid}) is not running`);
      await stack.client.withDeadline(Date.now() + DECISION_DEADLINE_MS, () =>
        handle(code).executeUpdate(decideItemUpdate, {
          args: [decision],
          updateId: `${code}-${item}-${action}`,
        }),
      );
    };
    /** Stops the run, with the worker's last words, when the worker exited without being killed. */
    const assertWorkerAlive = (when: string) => {
      if (processUsage(workerPid)) return;
      throw new Error(`${NAME}: the worker (pid ${workerPid}) exited ${when}:\n${stack.output().worker}`);
    };
    const start = async (code: string) => {
      const profile = ProjectProfile.parse({ code, name: `规模项目 ${code}`, category, secretary, leader });
      await stack.client.workflow.start<typeof majorProjectWorkflow>(
        'majorProjectWorkflow',
        projectStartOptions(stack.taskQueue, { profile, plan: plan, calendarYears }),
      );
    };
    /** `size` decisions, each on a project picked at random, one at a time per project. */
    const sampleDecisions = async (size: number, pool: readonly string[]) => {
      const latency = new LatencyRecorder();
      const limiter = new Limiter(SAMPLE_CONCURRENCY);
      const picks: { code: string; item: string; action: 'submit' | 'accept' }[] = [];
      for (let i = 0; i < size * 4 && picks.length < size; i++) {
        const code = pool[Math.floor(Math.random() * pool.length)]!;
        const next = nextActions.get(code)!.shift();
        if (next) picks.push({ code, ...next });
      }
      await Promise.all(
        picks.map((p) =>
          projectSlot
            .get(p.code)!
            .run(() => limiter.run(() => timed(() => decide(p.code, p.item, p.action))))
            .then(
              (r) => latency.record(r.ms),
              (e: unknown) => errors.push(`${p.action} ${p.code}/${p.item}: ${messageOf(e)}`),
            ),
        ),
      );
      return latency.summary();
    };

    // Let the worker settle (digest schedules, JIT of the first workflow) before its baseline RSS.
    await warmUp(stack, start, decide, ready);
    const rssBefore = processUsage(workerPid)?.rssBytes ?? 0;
    const stepResults: Step[] = [];
    let stoppedEarly: string | undefined;
    let secondsPerProject = 0;

    for (const n of steps) {
      const newCodes = Array.from(
        { length: n - codes.length },
        (_, i) => `SC-${stack.tag}-${codes.length + i + 1}`,
      );
      const elapsed = performance.now() - t0;
      const projected = secondsPerProject * newCodes.length * 1000 + 30_000;
      if (stepResults.length > 0 && elapsed + projected > BUDGET_MS) {
        stoppedEarly = `step ${n} skipped: ~${Math.round(projected / 1000)} s more would pass the ${BUDGET_MS / 60_000} min budget (${Math.round(elapsed / 1000)} s used)`;
        console.log(stoppedEarly);
        break;
      }
      const limiter = new Limiter(concurrency);
      const startT = performance.now();
      const startedNow: string[] = [];
      await Promise.all(
        newCodes.map((code) =>
          limiter.run(start.bind(null, code)).then(
            () => startedNow.push(code),
            (e: unknown) => errors.push(`start ${code}: ${messageOf(e)}`),
          ),
        ),
      );
      const startMs = performance.now() - startT;
      for (const code of startedNow) {
        codes.push(code);
        projectSlot.set(code, new Limiter(1));
        const rest = ready.slice(ACCEPTED_PER_PROJECT).map((i) => i.code);
        nextActions.set(code, [
          ...rest.map((item) => ({ item, action: 'submit' as const })),
          ...rest.map((item) => ({ item, action: 'accept' as const })),
        ]);
      }
      // Accept the first ready items of every new project: each accepted item has its escalation timers.
      const acceptT = performance.now();
      let acceptDecisions = 0;
      await Promise.all(
        startedNow.map((code) =>
          limiter.run(async () => {
            for (const item of ready.slice(0, ACCEPTED_PER_PROJECT)) {
              for (const action of ['submit', 'accept'] as const) {
                try {
                  await decide(code, item.code, action);
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
      assertWorkerAlive(`while ${n} projects were being opened`);
      const rss = processUsage(workerPid)?.rssBytes ?? 0;
      const sample = await sampleDecisions(sampleSize, codes);
      assertWorkerAlive(`during the sample at ${n} projects`);
      const step: Step = {
        projects: codes.length,
        newProjects: startedNow.length,
        startSeconds: round(startMs / 1000),
        startsPerSecond: round(startedNow.length / (startMs / 1000), 1),
        acceptSeconds: round(acceptMs / 1000),
        acceptDecisions,
        workerRssMiB: round(rss / 2 ** 20, 1),
        rssPerProjectKiB: round((rss - rssBefore) / 1024 / Math.max(1, codes.length), 1),
        sample,
        underLine: sample.p99Ms < P99_LINE_MS,
      };
      stepResults.push(step);
      secondsPerProject = (startMs + acceptMs) / 1000 / Math.max(1, startedNow.length);
      console.log(
        `${step.projects} projects: started in ${step.startSeconds} s, accepted in ${step.acceptSeconds} s, worker RSS ${step.workerRssMiB} MiB (${step.rssPerProjectKiB} KiB/project), decision p50 ${sample.p50Ms} ms p99 ${sample.p99Ms} ms`,
      );
    }

    // Kill the worker and start another: every project must be replayed into the new worker's cache.
    const rssAtKill = processUsage(workerPid)?.rssBytes ?? 0;
    const killT = performance.now();
    process.kill(workerPid, 'SIGKILL');
    const worker = spawnWorker(stack);
    restarted = worker;
    const readyMs = (await worker.ready) - killT;
    workerPid = worker.pid;
    const probe = codes[Math.floor(Math.random() * codes.length)]!;
    const first = nextActions.get(probe)!.shift();
    let firstDecisionMs = Number.NaN;
    if (first) {
      await projectSlot
        .get(probe)!
        .run(() => decide(probe, first.item, first.action))
        .then(
          () => {
            firstDecisionMs = performance.now() - killT;
          },
          (e: unknown) =>
            errors.push(`after restart ${first.action} ${probe}/${first.item}: ${messageOf(e)}`),
        );
    }
    const afterRestart = await sampleDecisions(restartSize, codes);
    const rssAfterRestart = processUsage(workerPid)?.rssBytes ?? 0;

    const largestUnder = stepResults.filter((s) => s.underLine).at(-1)?.projects ?? 0;
    const crossed = stepResults.find((s) => !s.underLine)?.projects ?? null;
    const result = {
      benchmark: NAME,
      startedAt: startedAt.toISOString(),
      quick: opts.quick,
      machine: machine(loadBefore),
      params: {
        template: TEMPLATE,
        items: plan.items.length,
        readyItems: ready.length,
        acceptedPerProject: ACCEPTED_PER_PROJECT,
        openItemsPerProject: ready.length,
        target,
        steps,
        startConcurrency: concurrency,
        sampleDecisions: sampleSize,
        sampleConcurrency: SAMPLE_CONCURRENCY,
        restartSample: restartSize,
        budgetMinutes: BUDGET_MS / 60_000,
        workerCacheEstimate: workerCacheEstimate(),
        heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
      },
      workerRssBeforeMiB: round(rssBefore / 2 ** 20, 1),
      steps: stepResults,
      stoppedEarly: stoppedEarly ?? null,
      p99LineMs: P99_LINE_MS,
      largestUnderLine: largestUnder,
      firstStepOverLine: crossed,
      restart: {
        projects: codes.length,
        workerRssAtKillMiB: round(rssAtKill / 2 ** 20, 1),
        workerReadySeconds: round(readyMs / 1000),
        firstDecisionSeconds: round(firstDecisionMs / 1000),
        firstDecisions: afterRestart,
        workerRssAfterMiB: round(rssAfterRestart / 2 ** 20, 1),
      },
      errors: errors.length,
      firstErrors: errors.slice(0, 5),
      seconds: round((performance.now() - t0) / 1000, 1),
      loadAfter: round(loadavg()[0]!, 2),
    };
    const markdown = toMarkdown(result);
    const resultName = opts.quick ? `${NAME}-quick` : NAME;
    const files = await writeResults(resultName, startedAt, result, markdown);
    console.log(markdown);
    console.log(`\nwritten: ${files.json}\n         ${files.markdown} (and latest-${resultName}.json/.md)`);
    if (errors.length > 0) {
      throw new Error(
        `${NAME}: ${errors.length} errors:\n  ${errors.slice(0, 10).join('\n  ')}\n${worker.tail()}`,
      );
    }
  } finally {
    await restarted?.stop();
    await stack.stop();
  }
}

/** One project started and an item decided, so the worker's first workflow is behind it. */
async function warmUp(
  stack: Stack,
  start: (code: string) => Promise<void>,
  decide: (code: string, item: string, action: 'submit' | 'accept') => Promise<void>,
  ready: Plan['items'],
): Promise<void> {
  const code = `SW-${stack.tag}`;
  await start(code);
  await decide(code, ready[0]!.code, 'submit');
  await decide(code, ready[0]!.code, 'accept');
}

function govBuildingPlan(): Plan {
  const result = instantiatePlan(shippedCatalog, TEMPLATE);
  if (!result.ok) throw new Error(`template ${TEMPLATE}: ${result.problems.join('; ')}`);
  return result.plan;
}

/** A second worker on the stack's task queue, as bench/lib/stack.ts starts the first. */
function spawnWorker(stack: Stack) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker.ts'], {
    cwd: projectRoot,
    env: {
      ...(process.env as Record<string, string>),
      DATABASE_URL: stack.databaseUrl,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  let onReady: (() => void) | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      if (/greenlane worker: polling/.test(line)) onReady?.();
    });
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const tail = () => recent.join('\n');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready:\n${tail()}`)), WORKER_READY_MS);
    onReady = () => {
      clearTimeout(timer);
      onReady = undefined;
      resolve(performance.now());
    };
    void exited.then(() => reject(new Error(`worker exited:\n${tail()}`)));
  });
  ready.catch(() => {});
  if (!child.pid) throw new Error('worker did not start');
  return {
    pid: child.pid,
    ready,
    tail,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    },
  };
}

/**
 * worker.ts leaves maxCachedWorkflows to the SDK, which sizes it from the V8 heap limit (reuseV8Context:
 * (heap MiB − 200) × 600 / 1024). The worker runs the same node with the same flags, so this process's
 * limit is the worker's: when the estimate is below the projects open, the cache evicts and RSS plateaus.
 */
function workerCacheEstimate(): number {
  const heapMiB = getHeapStatistics().heap_size_limit / 2 ** 20;
  return Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10);
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function machine(loadBefore: number) {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    kernel: release(),
    loadBefore: round(loadBefore, 2),
  };
}

type Result = {
  startedAt: string;
  quick: boolean;
  machine: ReturnType<typeof machine>;
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

function toMarkdown(s: Result): string {
  const m = s.machine;
  const r = s.restart;
  return (
    [
      `# scale${s.quick ? ' (quick: a smoke run, not a measurement)' : ''} — ${s.startedAt}`,
      '',
      `Machine: ${m.nproc} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}; 1-min load ${m.loadBefore} before, ${s.loadAfter} after. ` +
        'PostgreSQL, Temporal dev server (in memory), worker and API (child processes) and this driver over loopback.',
      '',
      `Projects started with the Temporal client, ${s.params.startConcurrency} in flight; in each, ${s.params.acceptedPerProject} of its ` +
        `${s.params.readyItems} ready items submitted and accepted (live escalation timers), the rest open. ` +
        `Sample: ${s.params.sampleDecisions} decisions (submit/accept) on projects picked at random, ${SAMPLE_CONCURRENCY} in flight. ` +
        `Worker RSS before the first step: ${s.workerRssBeforeMiB} MiB; its workflow cache (SDK default, from a V8 heap limit of ${s.params.heapLimitMiB} MiB) holds about ${s.params.workerCacheEstimate} projects. ` +
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
