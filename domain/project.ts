import { z } from 'zod';
import { type Calendar, type CalendarYear, LocalDate, makeCalendar } from './calendar';
import { DepartmentCode, ItemCode, ProjectCategory } from './catalog';
import { defaultEscalationPolicy, type EscalationPolicy } from './ladder';
import type { Lifecycle } from './lifecycle';
import type { Plan, PlanItem } from './plan';
import { type Schedule, schedulePlan } from './schedule';
import { DONE_STATUSES } from './vocabulary';

/**
 * A major project's live state: the tailored plan, every item's lifecycle, problems, escalations and
 * department points. Owned by the project workflow (its single source of truth) and changed only
 * through the functions in decisions.ts, problems.ts and supervision.ts, which take the time as a
 * parameter so the workflow stays deterministic.
 */

export const PersonId = z
  .string()
  .min(1)
  .max(64)
  // ASCII on purpose: ids end up in URLs, search attributes and JSON Schema patterns (no /u flag there).
  .regex(/^[A-Za-z0-9._@-]+$/, 'a person id is ASCII letters, digits, . _ @ or -');
export type PersonId = z.infer<typeof PersonId>;

export { LocalDate };
export const ProjectCode = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]{1,63}$/, 'a project code is 2–64 letters, digits or -');

/** Who acts. The API derives it from the caller's key; the workflow checks it again. */
export const Actor = z.discriminatedUnion('role', [
  z.object({ role: z.literal('secretary'), id: PersonId }),
  z.object({ role: z.literal('department'), department: DepartmentCode, id: PersonId.optional() }),
  z.object({ role: z.literal('leader'), id: PersonId }),
  z.object({ role: z.literal('operator'), id: PersonId }),
]);
export type Actor = z.infer<typeof Actor>;

export const ProjectProfile = z.object({
  code: ProjectCode,
  name: z.string().min(1).max(200),
  category: ProjectCategory,
  secretary: PersonId,
  leader: PersonId,
  /** Target start of construction (开工), from which the plan is scheduled backwards. */
  targetStart: LocalDate.optional(),
});
export type ProjectProfile = z.infer<typeof ProjectProfile>;

/**
 * waiting (prerequisites open) → ready → submitted → accepted (受理: clock runs) ⇄ returned (补正: paused)
 * → approved | approvedOnCommitment (告知承诺) | rejected; any open item may be waived.
 */
export const ItemStatus = z.enum([
  'waiting',
  'ready',
  'submitted',
  'accepted',
  'returned',
  'approved',
  'approvedOnCommitment',
  'rejected',
  'waived',
]);
export type ItemStatus = z.infer<typeof ItemStatus>;

export type Pause = { from: string; to: string | null; reason: string };

export type ItemState = {
  code: string;
  status: ItemStatus;
  /** Submitted under 提前介入 while prerequisites are still open: may be reviewed, not approved. */
  preReview: boolean;
  /** Applications made for this item; a new one starts after a rejection. Escalations are per round. */
  round: number;
  returns: number;
  missing: string[];
  /** Set while a `return` is open: where `resubmit` leads back to. */
  returnedFrom?: 'submitted' | 'accepted';
  openedAt?: string;
  submittedAt?: string;
  acceptedAt?: string;
  /** When the promised-time clock started (acceptance, or the end of pre-review). */
  clockStart?: string;
  pauses: Pause[];
  dueAt?: string | null;
  dueDate?: string | null;
  provisional: boolean;
  /** Highest ladder level fired in this round (0 = none). */
  rungLevel: number;
  finishedAt?: string;
  /** When the acceptance window (domain/acceptance.ts) started: the last submission or resubmission. */
  acceptanceFrom?: string;
  /** Highest rung of the acceptance window fired for the current submission (0 or absent = none). */
  acceptanceRung?: number;
  /** Accepted by law when the window passed without an answer (视为受理), not by the department. */
  deemedAccepted?: boolean;
  documentNo?: string;
  reason?: string;
  lastActor?: Actor;
};

export type ProblemStatus = 'open' | 'assigned' | 'planned' | 'resolved' | 'verified';

export type ProblemState = {
  id: string;
  title: string;
  description: string;
  raisedBy: Actor;
  raisedAt: string;
  ownerDepartment?: string;
  ownerPerson?: string;
  solution?: string;
  resolution?: string;
  status: ProblemStatus;
  deadlineAt: string;
  deadlineProvisional: boolean;
  blocksItem?: string;
  /** Bumped when a new deadline restarts the ladder, so its escalations get fresh dedupe keys. */
  round: number;
  rungLevel: number;
  resolvedAt?: string;
  verifiedAt?: string;
};

export type EscalationEvent = {
  /** Dedupe key: the same escalation never reaches anyone twice. */
  key: string;
  subjectKind: 'item' | 'problem' | 'score';
  subjectId: string;
  rung: string;
  level: number;
  department?: string;
  notify: string[];
  dueAt?: string;
  /** The instant the rung was due: the deadline shifted by the rung's working days. */
  rungAt: string;
  /** When the workflow fired it (at or just after rungAt; later if the worker was down). */
  firedAt: string;
  points: number;
  title: string;
  body: string;
};

export type Instruction = {
  escalationKey: string;
  leader: string;
  text: string;
  at: string;
};

export type ProjectState = {
  version: 1;
  profile: ProjectProfile;
  plan: Plan;
  registeredAt: string;
  /**
   * The acceptance clock applies (domain/acceptance.ts): set by the workflow behind
   * patched('acceptance-clock'), so projects begun on an earlier build take it on when they upgrade.
   */
  acceptanceClock?: boolean;
  /** The rules edition it runs on (domain/rules.ts); absent: the limits and ladder it was registered with. */
  rulesEdition?: string;
  /** Suspended, cancelled or closed (domain/lifecycle.ts); absent while the project simply runs. */
  lifecycle?: Lifecycle;
  /** Set when the project was brought in with its history (domain/import.ts): when Greenlane took it over. */
  importedAt?: string;
  items: Record<string, ItemState>;
  problems: Record<string, ProblemState>;
  nextProblemNo: number;
  /** Points deducted per department within this project, and whether the leader was alerted. */
  scores: Record<string, { points: number; alerted: boolean }>;
  /** The most recent escalations (bounded): the full list is in the read model. */
  recentEscalations: EscalationEvent[];
  escalationCount: number;
  instructions: Instruction[];
  calendarYears: CalendarYear[];
  policy: EscalationPolicy;
  /** The plan as scheduled at registration (or its last amendment): the ledger's planned dates (计划). */
  baseline: Baseline;
  /** Bumped by every change: read-model writes carry it so a stale write never wins. */
  revision: number;
};

export const RECENT_ESCALATIONS = 50;

export type Baseline = {
  start: string;
  permitFinish: string | null;
  /** The plan's approval and elapsed working days (Schedule.approvalDays); absent in older baselines. */
  approvalDays?: Schedule['approvalDays'];
  items: Record<
    string,
    { plannedStart: string; plannedFinish: string; latestStart: string | null; critical: boolean }
  >;
};

/** Schedule the plan from `start` (and the target start of construction, when there is one). */
export function baselineOf(plan: Plan, calendar: Calendar, start: string, targetStart?: string): Baseline {
  return baselineFrom(schedulePlan(plan, calendar, { start, targetStart }));
}

/** The plan a project is measured against, from its schedule (planned dates, latest starts, critical path). */
export function baselineFrom(schedule: Schedule): Baseline {
  return {
    start: schedule.start,
    permitFinish: schedule.permitFinish,
    approvalDays: schedule.approvalDays,
    items: Object.fromEntries(
      schedule.items.map((i) => [
        i.code,
        {
          plannedStart: i.earliestStart,
          plannedFinish: i.earliestFinish,
          latestStart: i.latestStart ?? null,
          critical: i.critical,
        },
      ]),
    ),
  };
}

export function itemDef(state: ProjectState, code: string): PlanItem | undefined {
  return state.plan.items.find((i) => i.code === code);
}

export function isDone(item: ItemState): boolean {
  return DONE_STATUSES.has(item.status);
}

export function prerequisitesDone(state: ProjectState, def: PlanItem): boolean {
  return def.prerequisites.every((p) => {
    const s = state.items[p];
    return s === undefined || isDone(s);
  });
}

export function openPrerequisites(state: ProjectState, def: PlanItem): string[] {
  return def.prerequisites.filter((p) => {
    const s = state.items[p];
    return s !== undefined && !isDone(s);
  });
}

export function openProblemsBlocking(state: ProjectState, code: string): ProblemState[] {
  return Object.values(state.problems).filter(
    (p) => p.blocksItem === code && p.status !== 'resolved' && p.status !== 'verified',
  );
}

export type NewProject = {
  profile: ProjectProfile;
  plan: Plan;
  calendarYears: CalendarYear[];
  policy?: EscalationPolicy;
  /** The rules edition the plan's limits and the policy come from (domain/rules.ts). */
  rulesEdition?: string;
  /**
   * The schedule registration computed and answered with (its start may be a date in the past); the
   * project keeps it. Absent in projects registered before it was passed on: then computed from today.
   */
  baseline?: Baseline;
};

/** The state of a newly registered project: items without prerequisites open at once (大并联). */
export function createProjectState(input: NewProject, now: number): ProjectState {
  const at = new Date(now).toISOString();
  const items: Record<string, ItemState> = {};
  for (const def of input.plan.items) {
    items[def.code] = newItemState(def.code);
  }
  const calendar = makeCalendar(input.calendarYears);
  const baseline =
    input.baseline ?? baselineOf(input.plan, calendar, calendar.dateOf(now), input.profile.targetStart);
  const state: ProjectState = {
    version: 1,
    profile: input.profile,
    plan: input.plan,
    registeredAt: at,
    items,
    problems: {},
    nextProblemNo: 1,
    scores: {},
    recentEscalations: [],
    escalationCount: 0,
    instructions: [],
    calendarYears: input.calendarYears,
    // A copy: the workflow shares this module's constants between projects, frozen; state is the project's own.
    policy: input.policy ?? (JSON.parse(JSON.stringify(defaultEscalationPolicy)) as EscalationPolicy),
    ...(input.rulesEdition ? { rulesEdition: input.rulesEdition } : {}),
    baseline,
    revision: 1,
  };
  for (const def of input.plan.items) {
    if (prerequisitesDone(state, def)) open(state.items[def.code]!, at);
  }
  return state;
}

/** An item as it enters a plan: waiting for its prerequisites, no application yet. */
export function newItemState(code: string): ItemState {
  return {
    code,
    status: 'waiting',
    preReview: false,
    round: 1,
    returns: 0,
    missing: [],
    pauses: [],
    provisional: false,
    rungLevel: 0,
  };
}

export function open(item: ItemState, at: string): void {
  item.status = 'ready';
  item.openedAt = at;
}

/** A stable, small copy of one item for answers and read models. */
export function itemView(state: ProjectState, code: string) {
  const def = itemDef(state, code)!;
  const s = state.items[code]!;
  return {
    ...s,
    nameZh: def.nameZh,
    department: def.department,
    stage: def.stage,
    lane: def.lane,
    committedLimit: def.committedLimit,
    prerequisites: def.prerequisites,
  };
}
export type ItemView = ReturnType<typeof itemView>;

export { ItemCode };
