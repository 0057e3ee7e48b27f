import {
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { z } from 'zod';
import type { GreenlaneActivities } from '../activities/contract';
import { applyPlanAmendment, refusePlanAmendment } from '../domain/amendments';
import { type Calendar, CalendarYear, makeCalendar } from '../domain/calendar';
import { applyDecision, Decision, refuseDecision } from '../domain/decisions';
import {
  applyAcknowledgement,
  applyReassignment,
  refuseAcknowledgement,
  refuseReassignment,
} from '../domain/leadership';
import {
  applyLifecycle,
  hasEnded,
  LifecycleAction,
  phaseOf,
  refuseInPhase,
  refuseLifecycle,
} from '../domain/lifecycle';
import { Plan } from '../domain/plan';
import { applyProblemAction, ProblemAction, refuseProblemAction } from '../domain/problems';
import { createProjectState, type NewProject, type ProjectState } from '../domain/project';
import { applyRulesEdition, RulesEdition, refuseRulesChange } from '../domain/rules';
import {
  fireDueEscalations,
  nextEscalationAt,
  type ProjectSummary,
  refreshAllDeadlines,
  summarize,
} from '../domain/supervision';
import { stageNameZh } from '../domain/vocabulary';
import {
  acknowledgeEscalationUpdate,
  amendPlanUpdate,
  applyRulesUpdate,
  calendarPublishedSignal,
  decideItemUpdate,
  lifecycleUpdate,
  problemUpdate,
  projectStateQuery,
  reassignUpdate,
} from './messages';
import { progressRecorder } from './progress';
import * as SA from './search-attributes';

/**
 * One major project (重大项目), from registration to completion acceptance.
 *
 * The state lives here and nowhere else; PostgreSQL only mirrors it. The loop below sleeps until either
 * a message changed the state or the earliest escalation rung is due, so a project holds exactly one
 * timer however many items are open. Activities (escalation records, read model) run in the background
 * and retry until they succeed: an outage of PostgreSQL delays the mirror, never a decision.
 */

export type MajorProjectInput =
  | ({ kind: 'new'; maxHistoryEvents?: number } & NewProject)
  | { kind: 'carried'; state: ProjectState; maxHistoryEvents?: number };

/** The acceptance clock's patch id: never reuse it for another change. */
export const ACCEPTANCE_CLOCK_PATCH = 'acceptance-clock';
/** A suspension pauses applications waiting for acceptance as well (domain/lifecycle.ts). */
export const SUSPENSION_STOPS_ACCEPTANCE_PATCH = 'suspension-stops-acceptance';

export type MajorProjectResult = {
  code: string;
  /** How the project ended: every item done, or cancelled / closed by an operator (absent in older results). */
  outcome?: 'completed' | 'cancelled' | 'closed';
  completedAt: string;
  escalations: number;
  revision: number;
};

const { recordProgress, deliverInstruction } = proxyActivities<GreenlaneActivities>({
  startToCloseTimeout: '30 seconds',
  // Keep trying through an outage: the record must eventually exist, exactly once (keys dedupe it).
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export async function majorProjectWorkflow(input: MajorProjectInput): Promise<MajorProjectResult> {
  const state: ProjectState = input.kind === 'carried' ? input.state : createProjectState(input, Date.now());
  let calendar: Calendar = makeCalendar(state.calendarYears);
  let changed = true;

  const touch = () => {
    changed = true;
  };

  setHandler(projectStateQuery, () => ({
    state,
    summary: summarize(state, Date.now()),
    nextEscalationAt: isoOrNull(nextEscalationAt(state, calendar)),
  }));

  setHandler(
    decideItemUpdate,
    (decision) => {
      const result = applyDecision(state, Decision.parse(decision), Date.now(), calendar);
      touch();
      return result;
    },
    {
      validator: (decision) => {
        const parsed = parseOrRefuse(Decision, decision);
        refuse(refuseInPhase(state) ?? refuseDecision(state, parsed));
      },
    },
  );

  setHandler(
    problemUpdate,
    (action) => {
      const result = applyProblemAction(state, ProblemAction.parse(action), Date.now(), calendar);
      touch();
      return result;
    },
    {
      validator: (action) =>
        refuse(refuseProblemAction(state, parseOrRefuse(ProblemAction, action), calendar.dateOf(Date.now()))),
    },
  );

  setHandler(
    acknowledgeEscalationUpdate,
    async (ack) => {
      const instruction = applyAcknowledgement(state, ack, Date.now());
      touch();
      // Awaited: the leader's answer returns once the secretary has it.
      await deliverInstruction({
        projectCode: state.profile.code,
        escalationKey: ack.escalationKey,
        leader: ack.leader,
        secretary: state.profile.secretary,
        text: ack.instruction,
        at: instruction.at,
      });
      return instruction;
    },
    { validator: (ack) => refuse(refuseAcknowledgement(state, ack)) },
  );

  setHandler(
    amendPlanUpdate,
    (amendment) => {
      const result = applyPlanAmendment(state, Plan.parse(amendment.plan), Date.now(), calendar);
      touch();
      return result;
    },
    {
      validator: (amendment) => {
        const plan = parseOrRefuse(Plan, amendment?.plan);
        refuse(refusePlanAmendment(state, plan));
      },
    },
  );

  setHandler(
    reassignUpdate,
    (r) => {
      const result = applyReassignment(state, r);
      touch();
      return result;
    },
    { validator: (r) => refuse(refuseReassignment(r)) },
  );

  setHandler(
    lifecycleUpdate,
    (action) => {
      const result = applyLifecycle(state, LifecycleAction.parse(action), Date.now(), calendar, {
        stopAcceptance: patched(SUSPENSION_STOPS_ACCEPTANCE_PATCH),
      });
      touch();
      return result;
    },
    { validator: (action) => refuse(refuseLifecycle(state, parseOrRefuse(LifecycleAction, action))) },
  );

  setHandler(
    applyRulesUpdate,
    ({ plan, ...edition }) => {
      const amendment = plan ? applyPlanAmendment(state, Plan.parse(plan), Date.now(), calendar) : undefined;
      const result = applyRulesEdition(state, RulesEdition.parse(edition), Date.now(), calendar);
      touch();
      return amendment ? { ...result, added: amendment.added, withdrawn: amendment.removed } : result;
    },
    {
      validator: (input) => {
        refuse(refuseRulesChange(state, parseOrRefuse(RulesEdition, input)));
        if (input?.plan !== undefined) refuse(refusePlanAmendment(state, parseOrRefuse(Plan, input.plan)));
      },
    },
  );

  setHandler(calendarPublishedSignal, (raw) => {
    const parsed = CalendarYear.safeParse(raw);
    if (!parsed.success) {
      log.warn('ignored a malformed calendar year', { issues: parsed.error.issues.length });
      return;
    }
    state.calendarYears = [...state.calendarYears.filter((y) => y.year !== parsed.data.year), parsed.data];
    calendar = makeCalendar(state.calendarYears);
    refreshAllDeadlines(state, calendar);
    state.revision += 1;
    touch();
  });

  const progress = progressRecorder(recordProgress, touch);
  let lastSearchAttributes = '';
  let timer: { at: number; scope: CancellationScope; fired: Promise<void> } | undefined;

  for (;;) {
    // Build B's change (domain/acceptance.ts): projects begun on an earlier build take it on from their
    // first task on this one; the marker keeps their replay on the old path before that point.
    if (!state.acceptanceClock && patched(ACCEPTANCE_CLOCK_PATCH)) state.acceptanceClock = true;
    const now = Date.now();
    progress.escalate(fireDueEscalations(state, now, calendar));
    const summary = summarize(state, now);
    lastSearchAttributes = publishVisibility(state, summary, lastSearchAttributes);
    progress.write(state, summary, calendar, now);

    if ((summary.done || hasEnded(state)) && allHandlersFinished()) break;
    if (shouldContinueAsNew(input.maxHistoryEvents)) {
      await condition(allHandlersFinished);
      await progress.flush(state, () => summarize(state, Date.now()), calendar);
      await continueAsNew<typeof majorProjectWorkflow>({
        kind: 'carried',
        state,
        maxHistoryEvents: input.maxHistoryEvents,
      });
    }

    const wakeAt = nextEscalationAt(state, calendar);
    if (timer && timer.at !== wakeAt) {
      timer.scope.cancel();
      timer = undefined;
    }
    if (!timer && wakeAt !== null) timer = startTimer(wakeAt);
    changed = false;
    const waits: Promise<unknown>[] = [condition(() => changed)];
    if (timer) waits.push(timer.fired);
    await Promise.race(waits);
    if (timer && Date.now() >= timer.at) timer = undefined;
  }

  timer?.scope.cancel();
  await progress.flush(state, () => summarize(state, Date.now()), calendar);
  return {
    code: state.profile.code,
    outcome: endedAs(state),
    completedAt: nowIso(),
    escalations: state.escalationCount,
    revision: state.revision,
  };
}

function endedAs(state: ProjectState): NonNullable<MajorProjectResult['outcome']> {
  const phase = phaseOf(state);
  return phase === 'cancelled' || phase === 'closed' ? phase : 'completed';
}

function startTimer(at: number) {
  const scope = new CancellationScope();
  const fired = scope
    .run(() => sleep(Math.max(1, at - Date.now())))
    .catch((err) => {
      if (!isCancellation(err)) throw err;
    });
  return { at, scope, fired };
}

function shouldContinueAsNew(maxHistoryEvents: number | undefined): boolean {
  const info = workflowInfo();
  return (
    info.continueAsNewSuggested || (maxHistoryEvents !== undefined && info.historyLength >= maxHistoryEvents)
  );
}

/** Search attributes and the UI's current details; upserted only when they change (each upsert is an event). */
function publishVisibility(state: ProjectState, summary: ProjectSummary, last: string): string {
  const p = state.profile;
  const attrs = {
    stage: summary.stage,
    leader: p.leader,
    secretary: p.secretary,
    overdue: summary.overdueItems.length,
    level: summary.escalationLevel,
  };
  const key = JSON.stringify(attrs);
  if (key === last) return last;
  const pairs = [
    { key: SA.ProjectCode, value: p.code },
    { key: SA.ProjectCategory, value: p.category },
    { key: SA.ProjectStage, value: summary.stage },
    { key: SA.ResponsibleLeader, value: p.leader },
    { key: SA.Secretary, value: p.secretary },
    { key: SA.OverdueItems, value: summary.overdueItems.length },
    { key: SA.EscalationLevel, value: summary.escalationLevel },
    ...(p.targetStart ? [{ key: SA.TargetStartDate, value: targetStartAttribute(p.targetStart) }] : []),
  ];
  upsertSearchAttributes(pairs);
  setCurrentDetails(currentDetails(state, summary));
  return key;
}

/**
 * TargetStartDate holds the target date at 00:00 UTC, which is what operators type in the Temporal UI:
 * `TargetStartDate < "2027-07-07T00:00:00Z"` leaves out a target of 7 July, `>=` finds it (README).
 * Before the patch it held 00:00 China time (16:00Z the day before); runs that upserted that keep it on
 * replay.
 */
function targetStartAttribute(date: string): Date {
  return patched('target-start-as-utc-date')
    ? new Date(`${date}T00:00:00Z`)
    : new Date(`${date}T00:00:00+08:00`);
}

function currentDetails(state: ProjectState, summary: ProjectSummary): string {
  const p = state.profile;
  const stageName = stageNameZh[summary.stage];
  const lines = [
    `**${p.name}** (${p.code}) · 阶段 ${summary.stage} ${stageName}`,
    `责任领导 ${p.leader} · 项目秘书 ${p.secretary}${p.targetStart ? ` · 目标开工 ${p.targetStart}` : ''}`,
    `在办 ${summary.openItems.length} 项: ${summary.openItems.slice(0, 12).join(', ') || '—'}`,
    `超期 ${summary.overdueItems.length} 项: ${summary.overdueItems.join(', ') || '—'}`,
    `受阻 ${summary.blockedItems.length} 项: ${summary.blockedItems.join(', ') || '—'}`,
    `督办级别 ${summary.escalationLevel}`,
  ];
  return lines.join('\n\n');
}

function refuse(reason: string | null): void {
  if (reason !== null)
    throw ApplicationFailure.create({ type: 'Refused', message: reason, nonRetryable: true });
}

function parseOrRefuse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
  throw ApplicationFailure.create({ type: 'Malformed', message: detail, nonRetryable: true });
}

const nowIso = () => new Date().toISOString();
const isoOrNull = (t: number | null) => (t === null ? null : new Date(t).toISOString());
