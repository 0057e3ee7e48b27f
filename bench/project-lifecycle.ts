import type { WorkflowHandle } from '@temporalio/client';
import { syntheticYear } from '../domain/calendar';
import { shippedCatalog } from '../domain/catalog-data';
import type { Decision } from '../domain/decisions';
import { instantiatePlan, type Plan } from '../domain/plan';
import type { NewProject } from '../domain/project';
import type { majorProjectWorkflow } from '../workflows/major-project';
import { decideItemUpdate, projectStateQuery } from '../workflows/messages';
import {
  fetchRunChain,
  HISTORY_WARN_BYTES,
  HISTORY_WARN_EVENTS,
  mergeTypes,
  overWarningLevels,
  type RunHistory,
} from './lib/history';
import { recordingActivities } from './lib/recorders';
import { type BenchOptions, markdownTable, publishResults } from './lib/results';
import { startTimeSkipping, type TimeSkipping, until } from './lib/time-skipping';

/**
 * One gov-building project (47 items) end to end on the time-skipping server, every item taken the long
 * way: submitted, accepted (受理), returned once for correction (补正), resubmitted, left to slip until its
 * red card (红牌) fires, then approved. Items that open together are worked as one wave, concurrently
 * (大并联). Then the history of every run is measured against Temporal's warning levels and the
 * aim of at most 15 events per accepted decision, timers and notifications included.
 */

const NAME = 'project-lifecycle';
const TEMPLATE = 'gov-building';
/** --quick keeps only what the land-use planning permit needs (13 items): same path, a third of the work. */
const QUICK_SINK = 'LAND-USE-PLANNING-PERMIT';
/**
 * --quick also forces continue-as-new every ~400 events (the workflow's own test knob), so CI walks a
 * chain of runs; the full run continues as new only when the server suggests it, as in production.
 */
const QUICK_MAX_HISTORY_EVENTS = 400;
const EVENTS_PER_DECISION_AIM = 15;
const RED = 3;
const DAY = 86_400_000;

/** Monday 2040-01-02 09:00 CST: a fixed start, so runs on different days measure the same calendar. */
const ANCHOR = Date.parse('2040-01-02T09:00:00+08:00');
/** Plain weekdays with a National Day week off each year; the project runs about two years. */
const calendarYears = [2040, 2041, 2042, 2043, 2044].map((y) =>
  syntheticYear(y, { off: [1, 2, 3, 4, 5, 6, 7].map((d) => `${y}-10-0${d}`) }),
);

const secretary = { role: 'secretary', id: 'sec-bench' } as const;
const department = (code: string) => ({ role: 'department', department: code }) as const;

type Handle = WorkflowHandle<typeof majorProjectWorkflow>;
type Wave = { items: string[]; startedAt: string; finishedAt: string };

export async function projectLifecycle({ quick }: BenchOptions): Promise<void> {
  const startedAt = new Date();
  const plan = benchPlan(quick);
  const recorder = recordingActivities();
  const setupStart = performance.now();
  const ts = await startTimeSkipping({ taskQueue: `bench-${NAME}`, activities: recorder.activities });
  try {
    await ts.skipTo(ANCHOR);
    const setupMs = performance.now() - setupStart;

    const workflowId = `BENCH-${quick ? 'QUICK' : 'FULL'}-${Date.now()}`;
    const driveStart = performance.now();
    const input: NewProject = {
      profile: {
        code: workflowId,
        name: `基准项目 ${plan.items.length} 项`,
        category: 'government',
        secretary: secretary.id,
        leader: 'leader-bench',
      },
      plan,
      calendarYears,
    };
    const handle = await ts.client.workflow.start<typeof majorProjectWorkflow>('majorProjectWorkflow', {
      taskQueue: ts.taskQueue,
      workflowId,
      args: [{ kind: 'new', ...input, ...(quick ? { maxHistoryEvents: QUICK_MAX_HISTORY_EVENTS } : {}) }],
    });
    const { decisions, waves } = await drive(handle, ts, plan);
    const closed = await until(
      'the workflow to close',
      () => ts.client.workflow.getHandle(workflowId).describe(),
      (d) => d.status.name !== 'RUNNING',
    );
    const wallMs = performance.now() - driveStart;
    if (closed.status.name !== 'COMPLETED') throw new Error(`the workflow ended ${closed.status.name}`);

    const runs = await fetchRunChain(ts.client, workflowId, handle.firstExecutionRunId);
    const result = summarize({ quick, plan, startedAt, setupMs, wallMs, decisions, waves, runs, recorder });
    const markdown = toMarkdown(result);
    await publishResults(NAME, { quick, startedAt }, result, markdown);

    const problems = [...overWarningLevels(runs), ...scenarioProblems(result, recorder, plan)];
    if (problems.length > 0) throw new Error(`${NAME} failed:\n  ${problems.join('\n  ')}`);
  } finally {
    await ts.stop();
  }
}

/** The gov-building plan, or for --quick the part of it that leads to QUICK_SINK. */
function benchPlan(quick: boolean): Plan {
  const full = instantiatePlan(shippedCatalog, TEMPLATE);
  if (!full.ok) throw new Error(`template ${TEMPLATE}: ${full.problems.join('; ')}`);
  if (!quick) return full.plan;
  const keep = new Set<string>();
  const byCode = new Map(full.plan.items.map((i) => [i.code, i]));
  const visit = (code: string) => {
    if (keep.has(code)) return;
    keep.add(code);
    for (const p of byCode.get(code)!.prerequisites) visit(p);
  };
  visit(QUICK_SINK);
  const waive = full.plan.items.map((i) => i.code).filter((c) => !keep.has(c));
  const subset = instantiatePlan(shippedCatalog, TEMPLATE, { waive });
  if (!subset.ok) throw new Error(`quick subset of ${TEMPLATE}: ${subset.problems.join('; ')}`);
  return subset.plan;
}

/**
 * Work the project wave by wave until every item is done. Within a wave each step is sent for all its
 * items at once; between steps the clock moves only as the scenario says (a day for the correction, then
 * from rung to rung), so the history holds exactly the timers the workflow needs.
 */
async function drive(
  handle: Handle,
  ts: TimeSkipping,
  plan: Plan,
): Promise<{ decisions: number; waves: Wave[] }> {
  const departmentOf = new Map(plan.items.map((i) => [i.code, i.department]));
  let decisions = 0;
  const decide = async (decision: Decision) => {
    await handle.executeUpdate(decideItemUpdate, { args: [decision] });
    decisions += 1;
  };
  const all = (items: string[], make: (item: string, dept: ReturnType<typeof department>) => Decision) =>
    Promise.all(items.map((item) => decide(make(item, department(departmentOf.get(item)!)))));
  const state = () => handle.query(projectStateQuery);
  const waves: Wave[] = [];

  for (;;) {
    const view = await state();
    if (view.summary.done) break;
    const wave = Object.values(view.state.items)
      .filter((i) => i.status === 'ready')
      .map((i) => i.code);
    if (wave.length === 0)
      throw new Error(`stuck: nothing ready, yet open: ${view.summary.openItems.join(', ')}`);
    const startedAt = new Date(await ts.now()).toISOString();

    await all(wave, (item) => ({ action: 'submit', item, actor: secretary }));
    await all(wave, (item, actor) => ({ action: 'accept', item, actor }));
    await all(wave, (item, actor) => ({ action: 'return', item, actor, missing: ['补充施工图审查意见'] }));
    await ts.skipTo((await ts.now()) + DAY); // the secretary gathers what is missing
    await all(wave, (item) => ({ action: 'resubmit', item, actor: secretary }));

    // Let every item slip to its red card, rung by rung, and approve each the moment its red card fires
    // (before its interview rung, five working days past the deadline).
    const pending = new Set(wave);
    while (pending.size > 0) {
      const now = await state();
      const red = [...pending].filter((c) => now.state.items[c]!.rungLevel >= RED);
      await all(red, (item, actor) => ({ action: 'approve', item, actor, documentNo: `${item}-001` }));
      for (const c of red) pending.delete(c);
      if (pending.size === 0) break;
      const next = red.length > 0 ? (await state()).nextEscalationAt : now.nextEscalationAt;
      if (next === null) throw new Error(`no rung pending for ${[...pending].join(', ')}`);
      const at = Date.parse(next);
      await ts.skipTo(at + 1_000);
      await until(
        `the rungs due at ${next}`,
        state,
        (v) => v.nextEscalationAt === null || Date.parse(v.nextEscalationAt) > at,
      );
    }
    waves.push({ items: wave, startedAt, finishedAt: new Date(await ts.now()).toISOString() });
  }
  return { decisions, waves };
}

type Recorder = ReturnType<typeof recordingActivities>;

function summarize(r: {
  quick: boolean;
  plan: Plan;
  startedAt: Date;
  setupMs: number;
  wallMs: number;
  decisions: number;
  waves: Wave[];
  runs: RunHistory[];
  recorder: Recorder;
}) {
  const events = r.runs.reduce((n, run) => n + run.events, 0);
  const bytes = r.runs.reduce((n, run) => n + run.bytes, 0);
  const accepted = r.runs.reduce((n, run) => n + (run.updatesAccepted.decideItem ?? 0), 0);
  const escalations = r.recorder.escalations();
  const byRung: Record<string, number> = {};
  for (const e of escalations) byRung[e.rung] = (byRung[e.rung] ?? 0) + 1;
  const per = (n: number) => (accepted === 0 ? 0 : Math.round((n / accepted) * 10) / 10);
  const types = mergeTypes(r.runs);
  return {
    benchmark: NAME,
    quick: r.quick,
    startedAt: r.startedAt.toISOString(),
    template: TEMPLATE,
    items: r.plan.items.length,
    waves: r.waves.length,
    setupSeconds: round(r.setupMs / 1000),
    wallSeconds: round(r.wallMs / 1000),
    projectDays: {
      from: r.waves[0]?.startedAt,
      to: r.waves.at(-1)?.finishedAt,
    },
    runs: r.runs.map(({ runId, events, bytes, closedBy, updatesAccepted }) => ({
      runId,
      events,
      bytes,
      closedBy,
      updatesAccepted,
    })),
    totals: { events, bytes },
    decisionsSent: r.decisions,
    acceptedDecisions: accepted,
    escalationsFired: escalations.length,
    escalationsByRung: byRung,
    eventsPerDecision: per(events),
    bytesPerDecision: Math.round(bytes / Math.max(1, accepted)),
    aimEventsPerDecision: EVENTS_PER_DECISION_AIM,
    activityCalls: r.recorder.calls(),
    readModelSnapshotBytes: r.recorder.snapshotBytes(),
    eventTypes: types.map((t) => ({ ...t, perDecision: per(t.count) })),
    waveSizes: r.waves.map((w) => w.items.length),
  };
}
type Result = ReturnType<typeof summarize>;

/** What the scenario promised: every item returned once and on red exactly once, nothing past red. */
function scenarioProblems(result: Result, recorder: Recorder, plan: Plan): string[] {
  const problems: string[] = [];
  const items = recorder.items();
  const reds = new Map<string, number>();
  for (const e of recorder.escalations()) {
    if (e.subjectKind === 'item' && e.rung === 'red') reds.set(e.subjectId, (reds.get(e.subjectId) ?? 0) + 1);
  }
  for (const { code } of plan.items) {
    const item = items.get(code);
    if (item?.status !== 'approved')
      problems.push(`${code} ended ${item?.status ?? 'unknown'}, not approved`);
    if (item?.returns !== 1) problems.push(`${code} was returned ${item?.returns ?? 0} times, not once`);
    if (reds.get(code) !== 1) problems.push(`${code} got ${reds.get(code) ?? 0} red cards, not one`);
  }
  if (result.escalationsByRung.interview)
    problems.push(`${result.escalationsByRung.interview} interview notices fired`);
  if (result.acceptedDecisions !== result.decisionsSent) {
    problems.push(
      `${result.decisionsSent} decisions sent but ${result.acceptedDecisions} accepted in history`,
    );
  }
  return problems;
}

function toMarkdown(r: Result): string {
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MB`;
  const aim = r.eventsPerDecision <= r.aimEventsPerDecision ? 'met' : 'missed';
  const summary = markdownTable(
    ['measure', 'value'],
    [
      ['template', `${r.template}${r.quick ? ' (quick subset)' : ''}: ${r.items} items in ${r.waves} waves`],
      [
        'project time (server clock)',
        `${r.projectDays.from?.slice(0, 10)} → ${r.projectDays.to?.slice(0, 10)}`,
      ],
      ['wall time', `${r.wallSeconds} s (+ ${r.setupSeconds} s server, bundle and worker start)`],
      ['runs', String(r.runs.length)],
      ['history events (all runs)', String(r.totals.events)],
      ['history bytes (all runs)', `${r.totals.bytes} (${mb(r.totals.bytes)})`],
      ['accepted decisions', String(r.acceptedDecisions)],
      [
        'escalations fired',
        `${r.escalationsFired} (${Object.entries(r.escalationsByRung)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
      ],
      ['events per accepted decision', `${r.eventsPerDecision} (aim ≤ ${r.aimEventsPerDecision}: ${aim})`],
      ['bytes per accepted decision', String(r.bytesPerDecision)],
      [
        'activity calls',
        Object.entries(r.activityCalls)
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      ],
      ['read-model snapshot JSON sent', mb(r.readModelSnapshotBytes)],
    ],
  );
  const runs = markdownTable(
    ['run', 'events', 'bytes', 'decisions', 'closed by'],
    r.runs.map((run, i) => [i + 1, run.events, run.bytes, run.updatesAccepted.decideItem ?? 0, run.closedBy]),
  );
  const types = markdownTable(
    ['event type', 'count', 'per decision', 'bytes'],
    r.eventTypes.slice(0, 10).map((t) => [t.type, t.count, t.perDecision, t.bytes]),
  );
  return [
    `# ${r.benchmark} — ${r.startedAt}`,
    summary,
    `## Runs (warning levels: ${HISTORY_WARN_EVENTS} events, ${mb(HISTORY_WARN_BYTES)})`,
    runs,
    '## Event types (top 10, all runs)',
    `${types}\n`,
  ].join('\n\n');
}

const round = (n: number) => Math.round(n * 10) / 10;
