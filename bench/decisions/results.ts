import type { Plan } from '../../domain/plan';
import { TEMPLATE } from '../lib/gov-building';
import { type LatencySummary, peakRss, round } from '../lib/load';
import { describeMachine } from '../lib/machine';
import { markdownTable, resultHead } from '../lib/results';
import type { Stack, StackProcess } from '../lib/stack';
import type { Checks } from './checks';
import { type PathRun, PER_PROJECT_IN_FLIGHT, type Round } from './drive';
import { type Action, STEPS } from './paths';
import type { Profile } from './profile';

export const NAME = 'decisions';
const GOAL_THROUGHPUT_RATIO = 0.7;
const GOAL_P99_RATIO = 1.5;
/** The processes whose CPU and memory the report shows. */
const PROCESSES: StackProcess[] = ['api', 'worker', 'temporal', 'postgres', 'driver'];
/** On the cluster, `temporal` split by service as well (not counted twice in the sums). */
const TEMPORAL_PARTS: StackProcess[] = [
  'temporal-frontend',
  'temporal-history',
  'temporal-matching',
  'temporal-worker',
];
const SHOWN = [...PROCESSES, ...TEMPORAL_PARTS];

function pathSummary(run: PathRun) {
  const d = run.decisions;
  const answered = d.latency.count;
  const seconds = d.wallMs / 1000;
  const ours = PROCESSES.reduce((sum, p) => sum + (d.usage[p]?.cpuSeconds ?? 0), 0);
  const cpuPerDecision = Object.fromEntries(
    Object.entries(d.usage)
      .filter(([p]) => SHOWN.includes(p as StackProcess))
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

export type Summary = ReturnType<typeof summarize>;

export function summarize(input: {
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
    ...resultHead(NAME, input),
    /** PostgreSQL with fsync and Temporal with its SQLite file (false: the labelled volatile comparison). */
    durable: input.stack.durable,
    /** The Temporal the run used: the dev server in memory, or the cluster on durable PostgreSQL. */
    temporal: input.stack.temporalKind,
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

export function toMarkdown(s: Summary): string {
  const g = s.greenlane;
  const r = s.raw;
  const p = s.profile;
  const met = (ok: boolean) => (ok ? 'met' : 'missed');
  const m = s.machine;
  const lines = [
    `# decisions${s.temporal === 'cluster' ? ' on the Temporal cluster' : ''}${s.quick ? ' (quick: a smoke run, not a measurement)' : ''} — ${s.startedAt}`,
    '',
    `${describeMachine(m)}, 1-min load ${m.loadBefore} before the run. ` +
      `Everything on this machine over loopback: ${
        s.temporal === 'cluster'
          ? 'PostgreSQL (fsync and synchronous_commit on) with Temporal on it as five processes (frontend, matching, worker, 2 × history)'
          : s.durable
            ? 'PostgreSQL (fsync, synchronous_commit and full_page_writes on), the Temporal dev server keeping its state in a SQLite file'
            : '**volatile, not what users run:** PostgreSQL without fsync, the Temporal dev server in memory'
      }, worker and API (child processes), and this driver.`,
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
      SHOWN.filter((p) => g.decisions.usage[p] !== undefined).map((p) => [
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
