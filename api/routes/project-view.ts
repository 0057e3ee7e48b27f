import { z } from 'zod';
import { stateApprovalTime } from '../../domain/approval-time';
import { dueDateOf, LocalDate, makeCalendar } from '../../domain/calendar';
import { escalationIdOf } from '../../domain/escalation-ids';
import { EscalationPolicy } from '../../domain/ladder';
import { ProjectPhase } from '../../domain/lifecycle';
import { Plan } from '../../domain/plan';
import {
  Actor,
  type EscalationEvent,
  type Instruction,
  type ItemState,
  ItemStatus,
  type ProblemState,
  ProjectProfile,
} from '../../domain/project';
import type { ProjectStateView } from '../../workflows/messages';
import { deadlineDate, ProjectApprovalTime } from '../openapi-shapes';

/**
 * The answer of `GET /projects/{code}`: the workflow's live state as the OpenAPI document shows it, with
 * the China date beside every deadline instant, and the problem and escalation shapes the problem
 * routes answer with. The handlers' answers are type-checked against these schemas.
 */

const Instant = z.string().describe('An instant, ISO 8601 UTC');

const rungLevel = z
  .number()
  .int()
  .describe(
    'The highest rung of the escalation ladder reached in this round (0 none, 1 reminder, 2 yellow, 3 red, 4 interview). A rung whose instant came before the clock started is passed over and tells no one: a same-day item (即办) or a problem due the day it was raised reaches 1 at once with no reminder sent',
  );

export const ProjectItem = z
  .object({
    code: z.string(),
    status: ItemStatus,
    preReview: z.boolean().describe('Submitted under 提前介入 while prerequisites are open'),
    round: z.number().int().describe('Applications made; a new one starts after a rejection'),
    returns: z.number().int(),
    missing: z.array(z.string()).describe('What the last return for correction (补正) asked for'),
    returnedFrom: z.enum(['submitted', 'accepted']).optional(),
    openedAt: Instant.optional(),
    submittedAt: Instant.optional(),
    acceptedAt: Instant.optional(),
    clockStart: Instant.optional().describe('When the promised-time clock started'),
    pauses: z.array(z.object({ from: Instant, to: Instant.nullable(), reason: z.string() })),
    dueAt: Instant.nullable()
      .optional()
      .describe('The deadline instant; null while an open pause holds the count, absent off the clock'),
    dueDate: deadlineDate('dueAt').nullable().optional(),
    provisional: z.boolean().describe('The deadline counts days a holiday notice not yet out may change'),
    rungLevel,
    finishedAt: Instant.optional(),
    acceptanceFrom: Instant.optional().describe(
      'When the acceptance window (受理时限, 5 working days) started: the last submission or resubmission',
    ),
    acceptanceRung: z
      .number()
      .int()
      .optional()
      .describe('Rungs of the acceptance window fired (1 reminder, 2 deemed)'),
    deemedAccepted: z
      .boolean()
      .optional()
      .describe(
        'Accepted by law when the window passed without an answer (视为受理), from the day it was received',
      ),
    documentNo: z.string().optional(),
    reason: z.string().optional(),
    lastActor: Actor.optional(),
  })
  .meta({ id: 'ProjectItem' });

/** An item as a decision's answer shows it: its state and what the plan says of it. */
export const DecidedItem = ProjectItem.extend({
  nameZh: z.string(),
  department: z.string(),
  stage: z.number().int(),
  lane: z.enum(['stage', 'parallel', 'utility']),
  committedLimit: z.object({
    days: z.number().int(),
    dayType: z.enum(['working', 'calendar']),
    estimate: z.boolean(),
  }),
  prerequisites: z.array(z.string()),
}).meta({ id: 'DecidedItem' });

export const ProjectProblem = z
  .object({
    id: z.string().describe('P1, P2, … per project'),
    title: z.string(),
    description: z.string(),
    raisedBy: Actor,
    raisedAt: Instant,
    ownerDepartment: z.string().optional(),
    ownerPerson: z.string().optional(),
    solution: z.string().optional(),
    resolution: z.string().optional(),
    status: z.enum(['open', 'assigned', 'planned', 'resolved', 'verified']),
    deadlineAt: Instant,
    deadlineDate: deadlineDate('deadlineAt'),
    deadlineProvisional: z.boolean(),
    blocksItem: z.string().optional(),
    round: z.number().int(),
    rungLevel,
    resolvedAt: Instant.optional(),
    verifiedAt: Instant.optional(),
  })
  .meta({ id: 'ProjectProblem' });

const ProjectEscalation = z.object({
  id: z.string().describe('As `GET /escalations` lists it: no encoding needed in a path'),
  key: z.string().describe("The workflow's dedupe key"),
  subjectKind: z.enum(['item', 'problem', 'score']),
  subjectId: z.string(),
  rung: z.string(),
  level: z.number().int(),
  department: z.string().optional(),
  notify: z.array(z.string()),
  dueAt: Instant.optional(),
  dueDate: deadlineDate('dueAt').optional(),
  rungAt: Instant,
  firedAt: Instant,
  points: z.number().int(),
  title: z.string(),
  body: z.string(),
});

export const ProjectInstruction = z.object({
  escalationKey: z.string(),
  escalationId: z.string().describe('The escalation it answers, as `GET /escalations` lists it'),
  leader: z.string(),
  text: z.string(),
  at: Instant,
});

const Days = z.number().int();
const Baseline = z
  .object({
    start: LocalDate,
    permitFinish: LocalDate.nullable(),
    approvalDays: z
      .object({
        counted: Days,
        elapsed: Days,
        countedToPermit: Days.nullable(),
        elapsedToPermit: Days.nullable(),
      })
      .optional(),
    items: z.record(
      z.string(),
      z.object({
        plannedStart: LocalDate,
        plannedFinish: LocalDate,
        latestStart: LocalDate.nullable(),
        critical: z.boolean(),
      }),
    ),
  })
  .describe('The plan as scheduled at registration or its last amendment: the planned dates (计划)');

export const ProjectView = z
  .object({
    version: z.literal(1),
    profile: ProjectProfile,
    plan: Plan,
    registeredAt: Instant,
    importedAt: Instant.optional().describe(
      'When the project was brought in with its history (POST /projects/import)',
    ),
    acceptanceClock: z.boolean().optional().describe('The acceptance window applies to this project'),
    lifecycle: z
      .object({
        phase: ProjectPhase,
        since: Instant,
        events: z.array(
          z.object({
            action: z.enum(['suspend', 'resume', 'cancel', 'close']),
            at: Instant,
            by: z.string(),
            reason: z.string().optional(),
          }),
        ),
      })
      .optional()
      .describe(
        'Suspended (缓建), cancelled or closed, and the history of those actions; absent while it simply runs',
      ),
    items: z.record(z.string(), ProjectItem).describe('Every item of the plan, by code'),
    problems: z.record(z.string(), ProjectProblem).describe('Every problem, by id'),
    nextProblemNo: z.number().int(),
    scores: z
      .record(z.string(), z.object({ points: z.number(), alerted: z.boolean() }))
      .describe('Points deducted per department, and whether the leader was alerted'),
    recentEscalations: z.array(ProjectEscalation).describe('The latest 50; all are in GET /escalations'),
    escalationCount: z.number().int(),
    instructions: z.array(ProjectInstruction).describe("The leader's instructions (批示)"),
    policy: EscalationPolicy,
    baseline: Baseline,
    revision: z.number().int().describe('Bumped by every change'),
    summary: z.object({
      stage: z.number().int().describe('1–4, 5 when every stage item is done'),
      openItems: z.array(z.string()),
      overdueItems: z.array(z.string()),
      blockedItems: z.array(z.string()),
      escalationLevel: z.number().int(),
      done: z.boolean(),
    }),
    nextEscalationAt: Instant.nullable().describe('When the next rung is due; null when none is'),
    approvalTime: ProjectApprovalTime,
  })
  .meta({ id: 'ProjectView' });

/** A problem as every answer shows it: its deadline's China date beside the instant. */
export function problemView(p: ProblemState): z.infer<typeof ProjectProblem> {
  return { ...p, deadlineDate: dueDateOf(p.deadlineAt) };
}

/** The China date computed from the instant, so an item of a state older than `dueDate` has it too. */
export const itemView = <I extends ItemState>(i: I) => ({
  ...i,
  ...(i.dueAt === undefined ? {} : { dueDate: i.dueAt === null ? null : dueDateOf(i.dueAt) }),
});

const escalationView = (e: EscalationEvent) => ({
  ...e,
  id: escalationIdOf(e.key),
  ...(e.dueAt === undefined ? {} : { dueDate: dueDateOf(e.dueAt) }),
});

/** An instruction (批示) with the id of the escalation it answers, as `GET /escalations` lists it. */
export const instructionView = (i: Instruction) => ({ ...i, escalationId: escalationIdOf(i.escalationKey) });

/** The answer of GET /projects/{code}: the live state without its calendar years, dates beside instants. */
export function projectView(view: ProjectStateView, now: number): z.infer<typeof ProjectView> {
  const { calendarYears, ...state } = view.state;
  return {
    ...state,
    items: Object.fromEntries(Object.entries(state.items).map(([code, i]) => [code, itemView(i)])),
    problems: Object.fromEntries(Object.entries(state.problems).map(([id, p]) => [id, problemView(p)])),
    recentEscalations: state.recentEscalations.map(escalationView),
    instructions: state.instructions.map(instructionView),
    summary: view.summary,
    nextEscalationAt: view.nextEscalationAt,
    approvalTime: stateApprovalTime(view.state, makeCalendar(calendarYears), now),
  };
}
