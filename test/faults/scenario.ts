import type { Client } from '@temporalio/client';
import { makeCalendar } from '../../domain/calendar';
import { shippedCalendarYears } from '../../domain/calendar-data';
import { shippedCatalog } from '../../domain/catalog-data';
import { applyDecision, type DecisionBody } from '../../domain/decisions';
import { instantiatePlan, type Plan, type Tailoring } from '../../domain/plan';
import { createProjectState, type ProjectState } from '../../domain/project';
import { fireDueEscalations } from '../../domain/supervision';
import type { MajorProjectInput } from '../../workflows/major-project';

/**
 * The fault tests' projects: gov-building tailored down to six items, the people who decide on them,
 * the decisions that take a project to approval, and a late file whose resubmission fires escalations.
 */

// --- The plan ------------------------------------------------------------------------------------------

/** Six items of gov-building: the proposal, and five parallel reviews, four of which wait for it. */
export const KEPT_ITEMS = [
  'PROPOSAL',
  'CLIMATE-FEASIBILITY',
  'ENERGY-REVIEW',
  'SOCIAL-STABILITY',
  'EIA',
  'SOIL-WATER',
] as const;
export const TEMPLATE = 'gov-building';

/** Waive every gov-building item but KEPT_ITEMS (none of them needs a waived one). */
export function smallTailoring(): Tailoring {
  const base = instantiatePlan(shippedCatalog, TEMPLATE);
  if (!base.ok) throw new Error(`template ${TEMPLATE}: ${base.problems.join('; ')}`);
  const kept = new Set<string>(KEPT_ITEMS);
  return { waive: base.plan.items.map((i) => i.code).filter((c) => !kept.has(c)) };
}

export function smallPlan(): Plan {
  const result = instantiatePlan(shippedCatalog, TEMPLATE, smallTailoring());
  if (!result.ok) throw new Error(`small plan: ${result.problems.join('; ')}`);
  return result.plan;
}

/** A project's workflow id, as the API names it (api/temporal.ts projectWorkflowId). */
export const workflowIdOf = (code: string) => `project-${code}`;

// --- Who decides ---------------------------------------------------------------------------------------

export type Credential = { key: string; id: string };
export type Cast = {
  secretary: Credential & { person: string };
  leader: string;
  /** Department code → its key. */
  departments: Record<string, Credential>;
};

export async function castFor(
  plan: Plan,
  keyFor: (
    role: 'secretary' | 'leader' | 'department',
    who: { person?: string; department?: string },
  ) => Promise<Credential>,
  tag: string,
): Promise<Cast> {
  const person = `sec-${tag}`;
  const secretary = { ...(await keyFor('secretary', { person })), person };
  const departments: Record<string, Credential> = {};
  for (const d of new Set(plan.items.map((i) => i.department))) {
    departments[d] = await keyFor('department', { department: d });
  }
  // The leader must be in the directory for registration to name them; their key is not used.
  const leader = `leader-${tag}`;
  await keyFor('leader', { person: leader });
  return { secretary, leader, departments };
}

// --- Decisions -----------------------------------------------------------------------------------------

export type Step = { item: string; body: DecisionBody; by: 'secretary' | string };

/** Submit, accept, approve every item, prerequisites first; `skip` leaves items out (decided otherwise). */
export function approvalSteps(plan: Plan, skip: readonly string[] = []): Step[] {
  const done = new Set<string>(skip);
  const steps: Step[] = [];
  const left = plan.items.filter((i) => !done.has(i.code));
  while (left.length > 0) {
    const i = left.findIndex((item) => item.prerequisites.every((p) => done.has(p)));
    if (i < 0) throw new Error('the plan has a cycle');
    const item = left.splice(i, 1)[0]!;
    steps.push(
      { item: item.code, by: 'secretary', body: { action: 'submit' } },
      { item: item.code, by: item.department, body: { action: 'accept' } },
      { item: item.code, by: item.department, body: { action: 'approve', documentNo: `批复-${item.code}` } },
    );
    done.add(item.code);
  }
  return steps;
}

export const credentialOf = (cast: Cast, step: Step): Credential =>
  step.by === 'secretary' ? cast.secretary : cast.departments[step.by]!;

/** The Temporal update id the API derives from a request: `<key id>:<Idempotency-Key>`. */
export const updateIdOf = (credential: Credential, idempotencyKey: string) =>
  `${credential.id}:${idempotencyKey}`;

// --- A late file: a project carried over with an overdue item --------------------------------------

const DAY_MS = 86_400_000;

/**
 * A project registered 40 days ago whose department accepted PROPOSAL, let its deadline pass (the
 * reminder and the yellow card fired), then returned it for correction, pausing the overdue clock.
 * Built with the domain's own functions at past instants, and started as a continued run
 * (`kind: 'carried'`, what continue-as-new passes on), the one way to give a workflow a past: when the
 * secretary resubmits, the clock runs again past its deadline and the red card and the interview
 * notice fire at once — escalations caused by a decision, while decisions are in flight.
 */
export function lateProjectState(code: string, cast: Cast, plan: Plan, now = Date.now()): ProjectState {
  const calendar = makeCalendar(shippedCalendarYears);
  const registered = now - 40 * DAY_MS;
  const state = createProjectState(
    {
      profile: {
        code,
        name: `逾期退回项目 ${code}`,
        category: plan.category,
        secretary: cast.secretary.person,
        leader: cast.leader,
      },
      plan,
      calendarYears: [...shippedCalendarYears],
    },
    registered,
  );
  const department = plan.items.find((i) => i.code === 'PROPOSAL')!.department;
  const secretary = { role: 'secretary' as const, id: cast.secretary.person };
  const dept = { role: 'department' as const, department };
  applyDecision(state, { action: 'submit', item: 'PROPOSAL', actor: secretary }, registered, calendar);
  applyDecision(state, { action: 'accept', item: 'PROPOSAL', actor: dept }, registered + 3_600_000, calendar);
  const due = Date.parse(state.items.PROPOSAL!.dueAt!);
  const returnedAt = calendar.shiftWorkingDays(due, 1).at - 10 * 3_600_000;
  fireDueEscalations(state, returnedAt, calendar);
  applyDecision(
    state,
    { action: 'return', item: 'PROPOSAL', actor: dept, missing: ['节能报告'] },
    returnedAt,
    calendar,
  );
  return state;
}

/** The steps that finish a late project: resubmit and approve PROPOSAL, then every other item. */
export function lateSteps(plan: Plan): Step[] {
  const department = plan.items.find((i) => i.code === 'PROPOSAL')!.department;
  return [
    { item: 'PROPOSAL', by: 'secretary', body: { action: 'resubmit' } },
    { item: 'PROPOSAL', by: department, body: { action: 'approve', documentNo: '批复-PROPOSAL' } },
    ...approvalSteps(plan, ['PROPOSAL']),
  ];
}

export async function startCarried(client: Client, taskQueue: string, state: ProjectState): Promise<void> {
  const input: MajorProjectInput = { kind: 'carried', state };
  await client.workflow.start('majorProjectWorkflow', {
    taskQueue,
    workflowId: `project-${state.profile.code}`,
    args: [input],
  });
}
