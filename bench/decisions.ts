import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { sql } from 'kysely';
import { projectStartOptions, projectWorkflowId } from '../api/temporal';
import { loadCalendarYears } from '../db/seed';
import { shippedCatalog } from '../domain/catalog-data';
import type { Decision } from '../domain/decisions';
import { instantiatePlan, type Plan } from '../domain/plan';
import { ProjectProfile } from '../domain/project';
import type { majorProjectWorkflow } from '../workflows/major-project';
import { decideItemUpdate } from '../workflows/messages';
import { fetchRunChain } from './lib/history';
import {
  LatencyRecorder,
  type LatencySummary,
  Limiter,
  measurePhase,
  mergeUsage,
  type PhaseUsage,
  peakRss,
  profileCpu,
  round,
  timed,
} from './lib/load';
import { type BenchOptions, markdownTable, writeResults } from './lib/results';
import { breakdown, type Stack, type StackProcess, startInstrumentedApi, startStack } from './lib/stack';

/**
 * Decision throughput and latency (issue 6, benchmarks 1, 2 and 4). On one real stack (PostgreSQL,
 * Temporal dev server, worker and API as child processes), N gov-building projects (47 items each) are
 * worked to approval twice, at the same concurrency:
 *
 * - greenlane: registered with `POST /projects`, every item submitted by its secretary, accepted and
 *   approved by its department with `POST /projects/{code}/items/{item}/decisions` (API keys,
 *   Idempotency-Keys), following `opened` from each answer;
 * - raw: the same projects started with `client.workflow.start` and the same decisions sent with
 *   `handle.executeUpdate(decideItemUpdate)` from this process: no HTTP, auth, idempotency, read-model
 *   lookup or audit. Greenlane / raw is the cost of our layer.
 *
 * The latency of a decision is from sending it to having the answer, not counting the wait for a slot
 * under the concurrency limit. Every decision must succeed; the goals (throughput ≥ 0.7× raw, p99 ≤
 * 1.5× raw) are reported, not enforced.
 */

const NAME = 'decisions';
const TEMPLATE = 'gov-building';
const STEPS = ['submit', 'accept', 'approve'] as const;
type Action = (typeof STEPS)[number];
const GOAL_THROUGHPUT_RATIO = 0.7;
const GOAL_P99_RATIO = 1.5;
/** Histories fetched and measured per path: enough for a per-project figure, cheap to fetch. */
const HISTORY_SAMPLE = 3;
const COMPLETION_TIMEOUT_MS = 60_000;
/**
 * Decisions in flight on one project at most. Temporal admits 10 concurrent updates per workflow
 * (dynamic config history.maxInFlightUpdates) and refuses the 11th with RESOURCE_EXHAUSTED, which
 * the client retries after 1 s, 1.7 s, 2.9 s…: a gov-building wave opens 11 items at once, and without
 * this cap those retries (in both paths alike) made the tail, not our layer.
 */
const PER_PROJECT_IN_FLIGHT = 8;
/** Projects driven through the instrumented in-process API to see where a request's time goes. */
const PROFILE_PROJECTS = { full: 4, quick: 1 };

export type DecisionsOptions = BenchOptions & { projects?: number; concurrency?: number };

const DEFAULTS = { full: { projects: 20, concurrency: 16 }, quick: { projects: 2, concurrency: 4 } };

type PathName = 'greenlane' | 'raw';

/** One way of registering projects and taking decisions; `decide` returns the items the answer opened. */
type Path = {
  register(code: string, secretary: string): Promise<void>;
  decide(code: string, item: string, action: Action): Promise<string[]>;
};

type Cast = {
  plan: Plan;
  leader: string;
  secretaries: { id: string; key: string }[];
  departmentKeys: Map<string, string>;
};

export async function decisions(opts: DecisionsOptions): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadavg()[0]!;
  const defaults = opts.quick ? DEFAULTS.quick : DEFAULTS.full;
  const projects = opts.projects ?? defaults.projects;
  const concurrency = opts.concurrency ?? defaults.concurrency;
  const plan = govBuildingPlan();
  const perProject = plan.items.length * STEPS.length;
  console.log(
    `${projects} projects × ${plan.items.length} items (${perProject} decisions each) per path, concurrency ${concurrency}`,
  );

  const setupStart = performance.now();
  const stack = await startStack();
  try {
    const cast = await castOf(stack, plan, Math.min(projects, 4));
    const paths: Record<PathName, Path> = {
      greenlane: greenlanePath(stack.apiUrl, cast),
      raw: await rawPath(stack, cast),
    };
    const setupMs = performance.now() - setupStart;

    // Not measured: the first requests pay for JIT, connection pools and caches in every process.
    if (!opts.quick) {
      for (const name of ['greenlane', 'raw'] as const) {
        await runPath(stack, paths[name], cast, [`W${name[0]!.toUpperCase()}-${stack.tag}`], concurrency);
      }
    }
    const { greenlane, raw, rounds } = await runRounds(stack, paths, cast, {
      projects,
      concurrency,
      abba: !opts.quick && projects >= 2,
    });
    const checks = await check(stack, { greenlane, raw }, perProject);
    const profile = await profileApi(stack, cast, {
      codes: Array.from(
        { length: opts.quick ? PROFILE_PROJECTS.quick : PROFILE_PROJECTS.full },
        (_, i) => `BP-${stack.tag}-${i + 1}`,
      ),
      concurrency,
    });
    checks.problems.push(...profile.problems);
    const result = summarize({
      startedAt,
      quick: opts.quick,
      projects,
      concurrency,
      plan,
      setupMs,
      greenlane,
      raw,
      checks,
      stack,
      profile,
      loadBefore,
      rounds,
    });
    const markdown = toMarkdown(result);
    const resultName = opts.quick ? `${NAME}-quick` : NAME;
    const files = await writeResults(resultName, startedAt, result, markdown);
    console.log(markdown);
    console.log(`\nwritten: ${files.json}\n         ${files.markdown} (and latest-${resultName}.json/.md)`);
    if (checks.problems.length > 0) {
      const output = stack.output();
      throw new Error(
        `${NAME} failed:\n  ${checks.problems.join('\n  ')}\n--- api ---\n${output.api}\n--- worker ---\n${output.worker}`,
      );
    }
  } finally {
    await stack.stop();
  }
}

function govBuildingPlan(): Plan {
  const result = instantiatePlan(shippedCatalog, TEMPLATE);
  if (!result.ok) throw new Error(`template ${TEMPLATE}: ${result.problems.join('; ')}`);
  return result.plan;
}

/** Secretaries (projects are shared out among them), a leader, and one key per department of the plan. */
async function castOf(stack: Stack, plan: Plan, secretaryCount: number): Promise<Cast> {
  const leader = `bench-leader-${stack.tag}`;
  await stack.keyFor('leader', { person: leader });
  const secretaries = [];
  for (let i = 1; i <= secretaryCount; i++) {
    const id = `bench-sec-${stack.tag}-${i}`;
    secretaries.push({ id, key: await stack.keyFor('secretary', { person: id }) });
  }
  const departmentKeys = new Map<string, string>();
  for (const department of new Set(plan.items.map((i) => i.department))) {
    departmentKeys.set(department, await stack.keyFor('department', { department }));
  }
  return { plan, leader, secretaries, departmentKeys };
}

const decisionBody = (item: string, action: Action) =>
  action === 'approve' ? { action, documentNo: `${item}〔2040〕1号` } : { action };

// --- The two paths ----------------------------------------------------------------------------------

/** Over HTTP as a client would: one key per caller, a fresh Idempotency-Key per intended action. */
function greenlanePath(apiUrl: string, cast: Cast): Path {
  const secretaryOf = new Map<string, string>();
  const departmentOf = new Map(cast.plan.items.map((i) => [i.code, i.department]));
  const post = async (path: string, key: string, idempotencyKey: string, body: unknown) => {
    // Node's fetch keeps connections alive: at most `concurrency` sockets, reused.
    const res = await fetch(apiUrl + path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text };
  };
  return {
    async register(code, secretary) {
      const key = cast.secretaries.find((s) => s.id === secretary)!.key;
      secretaryOf.set(code, key);
      const body = { code, name: `基准项目 ${code}`, templateId: TEMPLATE, leader: cast.leader };
      const res = await post('/projects', key, `register-${code}`, body);
      if (res.status !== 201)
        throw new Error(`register ${code}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
    },
    async decide(code, item, action) {
      const key =
        action === 'submit' ? secretaryOf.get(code)! : cast.departmentKeys.get(departmentOf.get(item)!)!;
      const path = `/projects/${code}/items/${item}/decisions`;
      const res = await post(path, key, `${code}-${item}-${action}`, decisionBody(item, action));
      if (res.status !== 200) {
        throw new Error(`${action} ${code}/${item}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      }
      return (JSON.parse(res.text) as { opened: string[] }).opened;
    },
  };
}

/** Straight to Temporal with the workflow's own input and update: what our layer is compared with. */
async function rawPath(stack: Stack, cast: Cast): Promise<Path> {
  const calendarYears = await loadCalendarYears(stack.db);
  const category = shippedCatalog.templates.find((t) => t.id === TEMPLATE)!.category;
  const departmentOf = new Map(cast.plan.items.map((i) => [i.code, i.department]));
  const secretaryOf = new Map<string, string>();
  const handle = (code: string) =>
    stack.client.workflow.getHandle<typeof majorProjectWorkflow>(projectWorkflowId(code));
  return {
    async register(code, secretary) {
      secretaryOf.set(code, secretary);
      const profile = ProjectProfile.parse({
        code,
        name: `基准项目 ${code}`,
        category,
        secretary,
        leader: cast.leader,
      });
      // As api/temporal.ts startProject starts it: same id, input, summary and search attributes.
      await stack.client.workflow.start<typeof majorProjectWorkflow>(
        'majorProjectWorkflow',
        projectStartOptions(stack.taskQueue, { profile, plan: cast.plan, calendarYears }),
      );
    },
    async decide(code, item, action) {
      const actor =
        action === 'submit'
          ? { role: 'secretary' as const, id: secretaryOf.get(code)! }
          : { role: 'department' as const, department: departmentOf.get(item)! };
      const decision = { ...decisionBody(item, action), item, actor } as Decision;
      const result = await handle(code).executeUpdate(decideItemUpdate, {
        args: [decision],
        updateId: `${code}-${item}-${action}`,
      });
      return result.opened;
    },
  };
}

// --- Driving a path ---------------------------------------------------------------------------------

type Round = { path: PathName; projects: number; decisionsPerSecond: number; p50Ms: number; p99Ms: number };

/**
 * Both paths over `projects` projects each. With `abba`, in two rounds of half the projects:
 * greenlane then raw, then raw then greenlane, so a slow drift or a burst of other work on the
 * machine weighs on both paths alike; each path's rounds are then merged.
 */
async function runRounds(
  stack: Stack,
  paths: Record<PathName, Path>,
  cast: Cast,
  opts: { projects: number; concurrency: number; abba: boolean },
): Promise<{ greenlane: PathRun; raw: PathRun; rounds: Round[] }> {
  const order: PathName[][] = opts.abba
    ? [
        ['greenlane', 'raw'],
        ['raw', 'greenlane'],
      ]
    : [['greenlane', 'raw']];
  const runs: Record<PathName, PathRun[]> = { greenlane: [], raw: [] };
  const rounds: Round[] = [];
  for (const [turn, names] of order.entries()) {
    const from = Math.floor((opts.projects * turn) / order.length);
    const to = Math.floor((opts.projects * (turn + 1)) / order.length);
    for (const name of names) {
      const prefix = name === 'greenlane' ? 'BG' : 'BR';
      const codes = Array.from({ length: to - from }, (_, i) => `${prefix}-${stack.tag}-${from + i + 1}`);
      const run = await runPath(stack, paths[name], cast, codes, opts.concurrency);
      runs[name].push(run);
      const latency = run.decisions.latency.summary();
      rounds.push({
        path: name,
        projects: codes.length,
        decisionsPerSecond: round(latency.count / (run.decisions.wallMs / 1000), 1),
        p50Ms: latency.p50Ms,
        p99Ms: latency.p99Ms,
      });
    }
  }
  return { greenlane: mergeRuns(runs.greenlane), raw: mergeRuns(runs.raw), rounds };
}

type PathRun = {
  codes: string[];
  registration: { wallMs: number; latency: LatencyRecorder; usage: Record<string, PhaseUsage> };
  decisions: {
    sent: number;
    wallMs: number;
    latency: LatencyRecorder;
    byAction: Record<Action, LatencyRecorder>;
    peakInFlight: number;
    usage: Record<string, PhaseUsage>;
  };
  errors: string[];
};

/** Rounds of one path as one run: times and CPU added up, every latency sample kept. */
function mergeRuns(runs: PathRun[]): PathRun {
  return {
    codes: runs.flatMap((r) => r.codes),
    registration: {
      wallMs: runs.reduce((s, r) => s + r.registration.wallMs, 0),
      latency: LatencyRecorder.merge(...runs.map((r) => r.registration.latency)),
      usage: mergeUsage(runs.map((r) => r.registration.usage)),
    },
    decisions: {
      sent: runs.reduce((s, r) => s + r.decisions.sent, 0),
      wallMs: runs.reduce((s, r) => s + r.decisions.wallMs, 0),
      latency: LatencyRecorder.merge(...runs.map((r) => r.decisions.latency)),
      byAction: Object.fromEntries(
        STEPS.map((a) => [a, LatencyRecorder.merge(...runs.map((r) => r.decisions.byAction[a]))]),
      ) as Record<Action, LatencyRecorder>,
      peakInFlight: Math.max(...runs.map((r) => r.decisions.peakInFlight)),
      usage: mergeUsage(runs.map((r) => r.decisions.usage)),
    },
    errors: runs.flatMap((r) => r.errors),
  };
}

/**
 * Register every project, then work them all: each initially ready item is submitted, accepted and
 * approved in turn, and every item an answer opens is worked the same way, until nothing is left.
 * Everything runs at once under one limit of `concurrency` requests in flight.
 */
async function runPath(
  stack: Stack,
  path: Path,
  cast: Cast,
  codes: string[],
  concurrency: number,
): Promise<PathRun> {
  const limiter = new Limiter(concurrency);
  const perProject = new Map(codes.map((c) => [c, new Limiter(PER_PROJECT_IN_FLIGHT)]));
  const errors: string[] = [];
  const unregistered = new Set<string>();

  const registrationLatency = new LatencyRecorder();
  const registrationUsage = measurePhase(stack.usage);
  const registrationStart = performance.now();
  await Promise.all(
    codes.map((code, i) =>
      limiter
        .run(() => timed(() => path.register(code, cast.secretaries[i % cast.secretaries.length]!.id)))
        .then(
          (r) => registrationLatency.record(r.ms),
          (e: unknown) => {
            unregistered.add(code);
            errors.push(messageOf(e));
          },
        ),
    ),
  );
  const registration = {
    wallMs: performance.now() - registrationStart,
    latency: registrationLatency,
    usage: registrationUsage.stop(),
  };

  const ready = cast.plan.items.filter((i) => i.prerequisites.length === 0).map((i) => i.code);
  const latency = new LatencyRecorder();
  const byAction = Object.fromEntries(STEPS.map((a) => [a, new LatencyRecorder()])) as Record<
    Action,
    LatencyRecorder
  >;
  const started = new Map(codes.map((c) => [c, new Set<string>()]));
  let sent = 0;
  const work = async (code: string, item: string): Promise<void> => {
    if (started.get(code)!.has(item)) return;
    started.get(code)!.add(item);
    const opened: string[] = [];
    for (const action of STEPS) {
      sent += 1;
      try {
        // The project's slot first, so a decision waiting for it does not hold one of the run's.
        const r = await perProject
          .get(code)!
          .run(() => limiter.run(() => timed(() => path.decide(code, item, action))));
        latency.record(r.ms);
        byAction[action].record(r.ms);
        opened.push(...r.value);
      } catch (e) {
        errors.push(messageOf(e));
        return; // the item cannot go on; the check reports the shortfall
      }
    }
    await Promise.all(opened.map((next) => work(code, next)));
  };
  const usage = measurePhase(stack.usage);
  const start = performance.now();
  // Item-major, so the first requests spread over every project, as a city's departments do, rather
  // than all going to the first two projects (the limiter serves in arrival order).
  const registered = codes.filter((c) => !unregistered.has(c));
  await Promise.all(ready.flatMap((item) => registered.map((code) => work(code, item))));
  const wallMs = performance.now() - start;
  return {
    codes,
    registration,
    decisions: {
      sent,
      wallMs,
      latency,
      byAction,
      peakInFlight: limiter.peakInFlight,
      usage: usage.stop(),
    },
    errors,
  };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// --- Where the API's time goes --------------------------------------------------------------------------

type Profile = Awaited<ReturnType<typeof profileApi>>;

/**
 * A few more projects through an instrumented API in this process (bench/lib/stack.ts
 * startInstrumentedApi), with this process's CPU sampled: each decision POST split into its
 * PostgreSQL statements, its Temporal calls and the rest. Not part of the measurement above.
 */
async function profileApi(stack: Stack, cast: Cast, opts: { codes: string[]; concurrency: number }) {
  const api = await startInstrumentedApi(stack);
  try {
    const cpu = await profileCpu();
    const run = await runPath(stack, greenlanePath(api.url, cast), cast, opts.codes, opts.concurrency);
    const cpuByBucket = await cpu.stop();
    const decisions = api
      .requests()
      .filter((r) => r.method === 'POST' && r.path.endsWith('/decisions') && r.status === 200);
    return {
      projects: opts.codes.length,
      clientLatency: run.decisions.latency.summary(),
      server: breakdown(decisions),
      /** Self CPU ms per decision in this process (API and HTTP client both), by package or folder. */
      cpuMsPerDecision: cpuByBucket
        .slice(0, 12)
        .map((b) => ({ bucket: b.bucket, ms: round(b.ms / Math.max(1, decisions.length)) })),
      problems: run.errors.slice(0, 3).map((e) => `profile: ${e}`),
    };
  } finally {
    await api.stop();
  }
}

// --- Checks -------------------------------------------------------------------------------------------

type Checks = {
  problems: string[];
  /** Mean history events (and bytes) per project over a sample, per path. */
  history: Record<PathName, { sampled: number; events: number; bytes: number; runs: number }>;
  completed: Record<PathName, number>;
  readModelCompleted: Record<PathName, number>;
  auditedDecisions: number;
};

/**
 * Nothing lost: every decision answered, every workflow completed, the read model shows every project
 * completed, and (greenlane) every decision has its audit row. Then a few histories are measured.
 */
async function check(stack: Stack, runs: Record<PathName, PathRun>, perProject: number): Promise<Checks> {
  const problems: string[] = [];
  const completed = { greenlane: 0, raw: 0 };
  const readModelCompleted = { greenlane: 0, raw: 0 };
  const history = {} as Checks['history'];
  for (const name of ['greenlane', 'raw'] as const) {
    const run = runs[name];
    const expected = run.codes.length * perProject;
    if (run.errors.length > 0) {
      problems.push(`${name}: ${run.errors.length} errors, the first: ${run.errors[0]}`);
    }
    if (run.decisions.latency.count !== expected) {
      problems.push(`${name}: ${run.decisions.latency.count} decisions answered, expected ${expected}`);
    }
    const deadline = Date.now() + COMPLETION_TIMEOUT_MS;
    for (const code of run.codes) {
      for (;;) {
        const d = await stack.client.workflow.getHandle(projectWorkflowId(code)).describe();
        if (d.status.name === 'COMPLETED') completed[name] += 1;
        else if (d.status.name === 'RUNNING' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        } else problems.push(`${name}: workflow of ${code} is ${d.status.name}`);
        break;
      }
    }
    const rows = await stack.db
      .selectFrom('projects')
      .select(['code', 'status'])
      .where('code', 'in', run.codes)
      .execute();
    readModelCompleted[name] = rows.filter((r) => r.status === 'completed').length;
    if (readModelCompleted[name] !== run.codes.length) {
      problems.push(`${name}: read model shows ${readModelCompleted[name]}/${run.codes.length} completed`);
    }

    const sample = run.codes.slice(0, HISTORY_SAMPLE);
    let events = 0;
    let bytes = 0;
    let runCount = 0;
    for (const code of sample) {
      const handle = stack.client.workflow.getHandle(projectWorkflowId(code));
      const first = (await handle.describe()).raw.workflowExecutionInfo?.firstRunId;
      const chain = await fetchRunChain(stack.client, handle.workflowId, first ?? '');
      events += chain.reduce((s, r) => s + r.events, 0);
      bytes += chain.reduce((s, r) => s + r.bytes, 0);
      runCount += chain.length;
      const accepted = chain.reduce((s, r) => s + (r.updatesAccepted.decideItem ?? 0), 0);
      if (accepted !== perProject) {
        problems.push(`${name}: history of ${code} holds ${accepted} decisions, expected ${perProject}`);
      }
    }
    history[name] = {
      sampled: sample.length,
      events: round(events / Math.max(1, sample.length), 1),
      bytes: Math.round(bytes / Math.max(1, sample.length)),
      runs: round(runCount / Math.max(1, sample.length), 1),
    };
  }
  const audited = await stack.db
    .selectFrom('audit_log')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('project_code', 'in', runs.greenlane.codes)
    .where('action', 'like', 'item.%')
    .executeTakeFirstOrThrow();
  const greenlaneAnswered = runs.greenlane.decisions.latency.count;
  if (audited.n !== greenlaneAnswered) {
    problems.push(`greenlane: ${audited.n} audit rows for ${greenlaneAnswered} decisions`);
  }
  return { problems, history, completed, readModelCompleted, auditedDecisions: audited.n };
}

// --- Results --------------------------------------------------------------------------------------------

function machine(loadBefore: number) {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    kernel: release(),
    /** The machine is shared: its 1-minute load before the run says how much else was running. */
    loadBefore: round(loadBefore, 2),
  };
}

function pathSummary(run: PathRun) {
  const d = run.decisions;
  const answered = d.latency.count;
  const seconds = d.wallMs / 1000;
  const ours = PROCESSES.reduce((sum, p) => sum + (d.usage[p]?.cpuSeconds ?? 0), 0);
  const cpuPerDecision = Object.fromEntries(
    Object.entries(d.usage)
      .filter(([p]) => PROCESSES.includes(p as StackProcess))
      .map(([p, u]) => [p, round((u.cpuSeconds * 1000) / Math.max(1, answered), 2)]),
  );
  return {
    projects: run.codes.length,
    registration: {
      seconds: round(run.registration.wallMs / 1000),
      projectsPerSecond: round(run.codes.length / (run.registration.wallMs / 1000), 1),
      latency: run.registration.latency.summary(),
      usage: run.registration.usage,
    },
    decisions: {
      sent: d.sent,
      answered,
      seconds: round(seconds),
      perSecond: round(answered / seconds, 1),
      latency: d.latency.summary(),
      latencyByAction: Object.fromEntries(STEPS.map((a) => [a, d.byAction[a].summary()])) as Record<
        Action,
        LatencySummary
      >,
      peakInFlight: d.peakInFlight,
      usage: d.usage,
      cpuMsPerDecision: cpuPerDecision,
      /** CPU seconds of Greenlane's processes and the driver per wall second: cores they kept busy. */
      coresBusy: round(ours / seconds, 2),
      /** Cores every other process on the machine kept busy meanwhile (a shared machine's noise). */
      otherCoresBusy: round(Math.max(0, (d.usage.machine?.cpuSeconds ?? ours) - ours) / seconds, 2),
      /** Cores the hypervisor gave to other machines while ours wanted them (steal time). */
      coresStolen: round((d.usage.stolen?.cpuSeconds ?? 0) / seconds, 2),
    },
    errors: run.errors.length,
    firstErrors: run.errors.slice(0, 5),
  };
}

type Summary = ReturnType<typeof summarize>;

function summarize(input: {
  startedAt: Date;
  quick: boolean;
  projects: number;
  concurrency: number;
  plan: Plan;
  setupMs: number;
  greenlane: PathRun;
  raw: PathRun;
  checks: Checks;
  stack: Stack;
  profile: Profile;
  loadBefore: number;
  rounds: Round[];
}) {
  const g = pathSummary(input.greenlane);
  const r = pathSummary(input.raw);
  const ratio = (a: number, b: number) => round(a / Math.max(b, 1e-9), 2);
  const ratios = {
    registrationThroughput: ratio(g.registration.projectsPerSecond, r.registration.projectsPerSecond),
    throughput: ratio(g.decisions.perSecond, r.decisions.perSecond),
    p50: ratio(g.decisions.latency.p50Ms, r.decisions.latency.p50Ms),
    p95: ratio(g.decisions.latency.p95Ms, r.decisions.latency.p95Ms),
    p99: ratio(g.decisions.latency.p99Ms, r.decisions.latency.p99Ms),
  };
  return {
    benchmark: NAME,
    startedAt: input.startedAt.toISOString(),
    quick: input.quick,
    machine: machine(input.loadBefore),
    params: {
      template: TEMPLATE,
      items: input.plan.items.length,
      decisionsPerProject: input.plan.items.length * STEPS.length,
      projects: input.projects,
      concurrency: input.concurrency,
      perProjectInFlight: PER_PROJECT_IN_FLIGHT,
      warmUp: input.quick ? 'none' : '1 project per path, not measured',
      order:
        input.rounds.length > 2
          ? 'two rounds of half the projects each, greenlane, raw, raw, greenlane (ABBA)'
          : 'greenlane, then raw',
    },
    setupSeconds: round(input.setupMs / 1000),
    greenlane: g,
    raw: r,
    /** Each path's rounds in the order they ran. */
    rounds: input.rounds,
    ratios,
    goals: {
      throughput: { aim: `≥ ${GOAL_THROUGHPUT_RATIO}× raw`, met: ratios.throughput >= GOAL_THROUGHPUT_RATIO },
      p99: { aim: `≤ ${GOAL_P99_RATIO}× raw`, met: ratios.p99 <= GOAL_P99_RATIO },
    },
    history: input.checks.history,
    checks: {
      completed: input.checks.completed,
      readModelCompleted: input.checks.readModelCompleted,
      auditedDecisions: input.checks.auditedDecisions,
      problems: input.checks.problems,
    },
    peakRssMiB: {
      api: round(peakRss(input.stack.pids.api) / 2 ** 20, 1),
      worker: round(peakRss(input.stack.pids.worker) / 2 ** 20, 1),
    },
    profile: input.profile,
  };
}

const PROCESSES: StackProcess[] = ['api', 'worker', 'temporal', 'postgres', 'driver'];

function toMarkdown(s: Summary): string {
  const g = s.greenlane;
  const r = s.raw;
  const p = s.profile;
  const met = (ok: boolean) => (ok ? 'met' : 'missed');
  const m = s.machine;
  const lines = [
    `# decisions${s.quick ? ' (quick: a smoke run, not a measurement)' : ''} — ${s.startedAt}`,
    '',
    `Machine: ${m.nproc} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, Linux ${m.kernel}, 1-min load ${m.loadBefore} before the run. ` +
      `Everything on this machine over loopback: PostgreSQL, Temporal dev server (in memory), worker and API ` +
      `(child processes), and this driver.`,
    '',
    `Run: ${s.params.projects} ${s.params.template} projects × ${s.params.items} items = ` +
      `${s.params.projects * s.params.decisionsPerProject} decisions per path (submit, accept, approve each item), ` +
      `${s.params.concurrency} in flight (at most ${s.params.perProjectInFlight} on one project); warm-up: ${s.params.warmUp}; ${s.params.order}.`,
    '',
    markdownTable(
      ['measure', 'greenlane (HTTP)', 'raw (client)', 'greenlane / raw', 'goal'],
      [
        [
          'projects registered/s',
          g.registration.projectsPerSecond,
          r.registration.projectsPerSecond,
          s.ratios.registrationThroughput,
          '',
        ],
        [
          'decisions/s',
          g.decisions.perSecond,
          r.decisions.perSecond,
          s.ratios.throughput,
          `${s.goals.throughput.aim}: ${met(s.goals.throughput.met)}`,
        ],
        ['decision p50 ms', g.decisions.latency.p50Ms, r.decisions.latency.p50Ms, s.ratios.p50, ''],
        ['decision p95 ms', g.decisions.latency.p95Ms, r.decisions.latency.p95Ms, s.ratios.p95, ''],
        [
          'decision p99 ms',
          g.decisions.latency.p99Ms,
          r.decisions.latency.p99Ms,
          s.ratios.p99,
          `${s.goals.p99.aim}: ${met(s.goals.p99.met)}`,
        ],
        ['decision max ms', g.decisions.latency.maxMs, r.decisions.latency.maxMs, '', ''],
        ['decisions answered', g.decisions.answered, r.decisions.answered, '', ''],
        ['errors', g.errors, r.errors, '', 'none'],
        ['history events per project', s.history.greenlane.events, s.history.raw.events, '', ''],
        ['cores busy: ours (CPU s / wall s)', g.decisions.coresBusy, r.decisions.coresBusy, '', ''],
        ['cores busy: other processes', g.decisions.otherCoresBusy, r.decisions.otherCoresBusy, '', ''],
        ['cores stolen by the hypervisor', g.decisions.coresStolen, r.decisions.coresStolen, '', ''],
      ],
    ),
    '',
    ...(Math.max(g.decisions.otherCoresBusy, r.decisions.otherCoresBusy) >= 0.2
      ? [
          `**Shared machine:** other processes kept up to ${Math.max(g.decisions.otherCoresBusy, r.decisions.otherCoresBusy)} ` +
            'of the cores busy during the run; its numbers are noisier than a quiet run.',
          '',
        ]
      : []),
    `Rounds in order (decisions/s, p50/p99 ms): ${s.rounds.map((x) => `${x.path} ${x.projects} projects ${x.decisionsPerSecond}/s ${x.p50Ms}/${x.p99Ms}`).join('; ')}.`,
    '',
    `History: mean of ${s.history.greenlane.sampled} projects per path; ` +
      `${s.history.greenlane.bytes} bytes, ${s.history.greenlane.runs} run(s) per greenlane project. ` +
      `Peak RSS over the whole run: API ${s.peakRssMiB.api} MiB, worker ${s.peakRssMiB.worker} MiB.`,
    '',
    '## CPU and memory while deciding',
    '',
    markdownTable(
      [
        'process',
        'greenlane CPU s',
        'ms CPU / decision',
        'raw CPU s',
        'ms CPU / decision',
        'greenlane peak RSS MiB',
        'raw peak RSS MiB',
      ],
      PROCESSES.map((p) => [
        p,
        g.decisions.usage[p]?.cpuSeconds ?? 0,
        g.decisions.cpuMsPerDecision[p] ?? 0,
        r.decisions.usage[p]?.cpuSeconds ?? 0,
        r.decisions.cpuMsPerDecision[p] ?? 0,
        g.decisions.usage[p]?.peakRssMiB ?? 0,
        r.decisions.usage[p]?.peakRssMiB ?? 0,
      ]),
    ),
    '',
    'postgres is the postmaster and its backends (RSS summed, so shared memory counts more than once); ' +
      'driver is this process (HTTP client or Temporal client).',
    '',
    '## Latency by action (ms)',
    '',
    markdownTable(
      ['action', 'greenlane p50', 'greenlane p99', 'raw p50', 'raw p99'],
      STEPS.map((a) => [
        a,
        g.decisions.latencyByAction[a].p50Ms,
        g.decisions.latencyByAction[a].p99Ms,
        r.decisions.latencyByAction[a].p50Ms,
        r.decisions.latencyByAction[a].p99Ms,
      ]),
    ),
    '',
    `## Where a decision POST's time goes (instrumented API in the benchmark process, ${s.profile.projects} more projects)`,
    '',
    `${p.server.requests} decision POSTs; server time mean ${p.server.meanMs} ms, p50 ${p.server.p50Ms} ms; ` +
      `as the client saw them p50 ${p.clientLatency.p50Ms} ms, p99 ${p.clientLatency.p99Ms} ms.`,
    '',
    markdownTable(
      ['part', 'calls / request', 'ms / request', 'ms / call', 'share'],
      p.server.parts.map((x) => [
        x.part,
        x.callsPerRequest,
        x.msPerRequest,
        x.msPerCall,
        `${Math.round((100 * x.msPerRequest) / Math.max(p.server.meanMs, 1e-9))}%`,
      ]),
    ),
    '',
    `CPU of the benchmark process during the profile (API and its HTTP client), ms per decision: ` +
      p.cpuMsPerDecision.map((b) => `${b.bucket} ${b.ms}`).join(', ') +
      '.',
    '',
    `Checks: workflows completed ${s.checks.completed.greenlane} + ${s.checks.completed.raw}, read model completed ` +
      `${s.checks.readModelCompleted.greenlane} + ${s.checks.readModelCompleted.raw}, audit rows ${s.checks.auditedDecisions}` +
      (s.checks.problems.length > 0 ? `; PROBLEMS: ${s.checks.problems.join('; ')}` : '; no problems.'),
  ];
  return `${lines.join('\n')}\n`;
}
