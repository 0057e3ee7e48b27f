import { z } from 'zod';
import { type Calendar, type CalendarYear, LocalDate, makeCalendar } from './calendar';
import { DepartmentCode, ItemCode } from './catalog';
import { applyDecision, Decision, DecisionBody, isDepartmentDecision, refuseDecision } from './decisions';
import type { EscalationPolicy } from './ladder';
import type { Plan } from './plan';
import { applyProblemAction, ProblemAction, refuseProblemAction } from './problems';
import {
  type Actor,
  type Baseline,
  createProjectState,
  itemDef,
  PersonId,
  type ProjectProfile,
  type ProjectState,
} from './project';
import { fireDueEscalations } from './supervision';

/**
 * Bringing in a project that a service centre already serves (存量项目导入): its registration date, the
 * decisions already taken on its items and its open problems, each on its real date. The facts are
 * replayed in date order through the same rules as live decisions (refuseDecision / applyDecision,
 * refuseProblemAction / applyProblemAction), so an imported project is exactly the project Greenlane
 * would hold had it served it from the first day: clocks started on the real acceptance dates, 补正
 * pauses on the real return dates, deadlines counted from them.
 *
 * What the history does not do: rungs that fell due before the import and were answered before it
 * (an item approved late last month) are not fired and cost no points; Greenlane supervises from the
 * day it holds the project. Rungs of items and problems that are still open and late fire at once when
 * the workflow starts, each dated when it fell due (rungAt), fired at the import.
 */

/**
 * A decision already taken: on which day, on which item, and the decision as a department or secretary
 * sends it. Strict like the live bodies: a column the import does not read is refused, not dropped.
 */
export const ImportedDecision = z.strictObject({
  on: LocalDate,
  item: ItemCode,
  decision: DecisionBody,
});
export type ImportedDecision = z.infer<typeof ImportedDecision>;

/** A problem still open: raised on a day, with its owner, deadline and the item it blocks, if any. */
export const ImportedProblem = z.strictObject({
  raisedOn: LocalDate,
  title: z.string().trim().min(1).max(200),
  description: z.string().trim().min(1).max(4000),
  ownerDepartment: DepartmentCode.optional(),
  ownerPerson: PersonId.optional(),
  deadline: LocalDate.optional(),
  blocksItem: ItemCode.optional(),
  solution: z.string().trim().min(1).max(4000).optional(),
});
export type ImportedProblem = z.infer<typeof ImportedProblem>;

export type ImportInput = {
  profile: ProjectProfile;
  plan: Plan;
  calendarYears: CalendarYear[];
  policy?: EscalationPolicy;
  baseline: Baseline;
  registeredOn: string;
  history: readonly ImportedDecision[];
  problems: readonly ImportedProblem[];
  /** Departments that exist (the catalog's): a problem's owner must be one of them. */
  departments: ReadonlySet<string>;
};

/** One refused fact: where it is in the body (`history.3`, `problems.0.ownerDepartment`) and the rule. */
export type ImportRefusal = { path: string; message: string };

export type ImportedEscalation = { subject: string; rung: string; rungAt: string; department?: string };

export type ImportOutcome =
  | { ok: true; state: ProjectState; facts: number; escalatesAtOnce: ImportedEscalation[] }
  | { ok: false; refusals: ImportRefusal[] };

type Fact =
  | { kind: 'decision'; path: string; on: string; order: number; fact: ImportedDecision }
  | { kind: 'problem'; path: string; on: string; order: number; fact: ImportedProblem };

/** The working-day hour a fact of a given date is taken to have happened at: 09:00 China time, a minute apart. */
const HOUR_MS = 3_600_000;
export function factInstant(calendar: Calendar, on: string, sequence: number): number {
  const startOfDay = calendar.endOfDay(on) - 24 * HOUR_MS;
  return startOfDay + 9 * HOUR_MS + sequence * 60_000;
}

/**
 * The project's state after its history, or every rule the history breaks. Dates must lie between the
 * registration date and today; facts of one day keep the order they were given in.
 */
export function importProject(input: ImportInput, now: number): ImportOutcome {
  const calendar = makeCalendar(input.calendarYears);
  const today = calendar.dateOf(now);
  const refusals = checkFacts(input, today);
  if (refusals.length > 0) return { ok: false, refusals };

  const registeredAt = factInstant(calendar, input.registeredOn, 0);
  const state = createProjectState(
    {
      profile: input.profile,
      plan: input.plan,
      calendarYears: input.calendarYears,
      policy: input.policy,
      baseline: input.baseline,
    },
    registeredAt,
  );
  const perDay = new Map<string, number>();
  for (const f of timeline(input)) {
    const sequence = (perDay.get(f.on) ?? 0) + 1;
    perDay.set(f.on, sequence);
    const at = factInstant(calendar, f.on, sequence);
    const refusal =
      f.kind === 'decision' ? takeDecision(state, f.fact, at, calendar) : raise(state, f.fact, at, calendar);
    if (refusal) return { ok: false, refusals: [{ path: f.path, message: `${f.on}: ${refusal}` }] };
  }
  state.importedAt = new Date(now).toISOString();
  // Imported by this build: the acceptance clock (domain/acceptance.ts) applies from the start, and the
  // preview below already counts its rungs.
  state.acceptanceClock = true;
  const preview = fireDueEscalations(structuredClone(state), now, calendar);
  return {
    ok: true,
    state,
    facts: input.history.length + input.problems.length,
    escalatesAtOnce: preview
      .filter((e) => e.subjectKind !== 'score')
      .map((e) => ({ subject: e.subjectId, rung: e.rung, rungAt: e.rungAt, department: e.department })),
  };
}

function checkFacts(input: ImportInput, today: string): ImportRefusal[] {
  const out: ImportRefusal[] = [];
  const within = (path: string, on: string) => {
    if (on < input.registeredOn)
      out.push({ path, message: `${on} is before the registration on ${input.registeredOn}` });
    else if (on > today)
      out.push({ path, message: `${on} is after today (${today}): import only what has happened` });
  };
  if (input.registeredOn > today) {
    out.push({ path: 'registeredOn', message: `${input.registeredOn} is after today (${today})` });
  }
  input.history.forEach((h, i) => {
    within(`history.${i}.on`, h.on);
  });
  input.problems.forEach((p, i) => {
    within(`problems.${i}.raisedOn`, p.raisedOn);
    if (p.deadline && p.deadline < p.raisedOn) {
      out.push({
        path: `problems.${i}.deadline`,
        message: `${p.deadline} is before the problem was raised (${p.raisedOn})`,
      });
    }
    if (p.ownerDepartment && !input.departments.has(p.ownerDepartment)) {
      out.push({
        path: `problems.${i}.ownerDepartment`,
        message: `no department ${p.ownerDepartment} in the catalog`,
      });
    }
  });
  return out;
}

/** Decisions and problems in date order; on one day, decisions first, each list in its given order. */
function timeline(input: ImportInput): Fact[] {
  const facts: Fact[] = [
    ...input.history.map((fact, i) => ({
      kind: 'decision' as const,
      path: `history.${i}`,
      on: fact.on,
      order: i,
      fact,
    })),
    ...input.problems.map((fact, i) => ({
      kind: 'problem' as const,
      path: `problems.${i}`,
      on: fact.raisedOn,
      order: input.history.length + i,
      fact,
    })),
  ];
  return facts.sort((a, b) => (a.on === b.on ? a.order - b.order : a.on < b.on ? -1 : 1));
}

/** Who took a decision of the history: the item's department for its decisions, else the secretary. */
function deciderOf(state: ProjectState, f: ImportedDecision): Actor {
  const def = itemDef(state, f.item);
  const secretary: Actor = { role: 'secretary', id: state.profile.secretary };
  return def && isDepartmentDecision(f.decision.action)
    ? { role: 'department', department: def.department }
    : secretary;
}

function takeDecision(
  state: ProjectState,
  f: ImportedDecision,
  at: number,
  calendar: Calendar,
): string | null {
  const decision = Decision.parse({ ...f.decision, item: f.item, actor: deciderOf(state, f) });
  const refusal = refuseDecision(state, decision);
  if (refusal) return refusal;
  applyDecision(state, decision, at, calendar);
  return null;
}

function raise(state: ProjectState, p: ImportedProblem, at: number, calendar: Calendar): string | null {
  const actor: Actor = { role: 'secretary', id: state.profile.secretary };
  const raised = ProblemAction.parse({
    action: 'raise',
    actor,
    title: p.title,
    description: p.description,
    ownerDepartment: p.ownerDepartment,
    ownerPerson: p.ownerPerson,
    deadline: p.deadline,
    blocksItem: p.blocksItem,
  });
  const refusal = refuseProblemAction(state, raised, p.raisedOn);
  if (refusal) return refusal;
  const { problem } = applyProblemAction(state, raised, at, calendar);
  if (!p.solution) return null;
  const plan = ProblemAction.parse({ action: 'plan', actor, problemId: problem.id, solution: p.solution });
  applyProblemAction(state, plan, at, calendar);
  return null;
}
