import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { CalendarYear } from '../domain/calendar';
import type { Decision, DecisionResult } from '../domain/decisions';
import type { LifecycleAction } from '../domain/lifecycle';
import type { Plan } from '../domain/plan';
import type { ProblemAction, ProblemResult } from '../domain/problems';
import type { Instruction, NewProject, ProjectProfile, ProjectState } from '../domain/project';
import type { RulesEditionInput } from '../domain/rules';
import type { MajorProjectInput, majorProjectWorkflow } from '../workflows/major-project';
import {
  type AcknowledgeEscalation,
  type AmendPlan,
  acknowledgeEscalationUpdate,
  amendPlanUpdate,
  applyRulesUpdate,
  calendarPublishedSignal,
  decideItemUpdate,
  lifecycleUpdate,
  type ProjectStateView,
  problemUpdate,
  projectStateQuery,
  projectWorkflowId,
  type Reassign,
  reassignUpdate,
} from '../workflows/messages';
import * as SA from '../workflows/search-attributes';
import { notFound, ProblemError, ProblemType } from './http-problem';
import { ProjectLanes } from './project-lanes';

/**
 * The API's side of the project workflow: start, update, query, with Temporal's failures turned into
 * problems a caller can act on. The validator's reason for refusing a decision reaches the caller
 * unchanged.
 */

export type TemporalDeps = { client: Client; taskQueue: string };

/** A project's workflow id (workflows/messages.ts), for the API's callers. */
export { projectWorkflowId };

/** Every call to Temporal gets a deadline, so an outage becomes a 503 instead of a long retry loop. */
const CALL_DEADLINE_MS = 10_000;
/**
 * An update waits longer than a read. A worker that stops, even gracefully, can take a project's task
 * with it, and Temporal hands that task to another worker only when its workflow task timeout (10 s)
 * has passed. An update sent then is answered a moment after that; a 10 s deadline made it a 503 at
 * the very moment the project recovered, and a clerk retried a decision that was about to land.
 */
const UPDATE_DEADLINE_MS = 15_000;

/**
 * How a project's workflow is started: its id from the project code, the summary and details the
 * Temporal UI shows, and the search attributes known at registration (the workflow keeps them current).
 */
export function projectStartOptions(taskQueue: string, project: NewProject) {
  return startOptions(taskQueue, project.profile, { kind: 'new', ...project });
}

function startOptions(taskQueue: string, profile: ProjectProfile, input: MajorProjectInput) {
  return {
    taskQueue,
    workflowId: projectWorkflowId(profile.code),
    // A project code (项目代码) names one project for good: a finished project's code is not registered again.
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    args: [input] as [MajorProjectInput],
    staticSummary: `${profile.name} (${profile.code})`,
    staticDetails: `项目秘书 ${profile.secretary} · 责任领导 ${profile.leader}`,
    typedSearchAttributes: [
      { key: SA.ProjectCode, value: profile.code },
      { key: SA.ProjectCategory, value: profile.category },
      { key: SA.ResponsibleLeader, value: profile.leader },
      { key: SA.Secretary, value: profile.secretary },
    ],
  };
}

/** Start a newly registered project's workflow; 409 when the code is taken. */
export async function startProject(
  deps: TemporalDeps,
  project: NewProject,
): Promise<{ workflowId: string; runId: string }> {
  return start(deps, projectStartOptions(deps.taskQueue, project), project.profile.code);
}

/** Start the workflow of a project brought in with its history, from the state its history left (domain/import.ts). */
export async function startImportedProject(
  deps: TemporalDeps,
  state: ProjectState,
): Promise<{ workflowId: string; runId: string }> {
  const options = startOptions(deps.taskQueue, state.profile, { kind: 'carried', state });
  return start(deps, options, state.profile.code);
}

async function start(
  deps: TemporalDeps,
  options: ReturnType<typeof startOptions>,
  code: string,
): Promise<{ workflowId: string; runId: string }> {
  try {
    const handle = await deps.client.withDeadline(Date.now() + CALL_DEADLINE_MS, () =>
      deps.client.workflow.start<typeof majorProjectWorkflow>('majorProjectWorkflow', options),
    );
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new ProblemError({
        status: 409,
        type: ProblemType.projectExists,
        title: 'Project already registered',
        detail: `a project with code ${code} is already registered`,
      });
    }
    throw err;
  }
}

export function projectHandle(deps: TemporalDeps, code: string) {
  return deps.client.workflow.getHandle<typeof majorProjectWorkflow>(projectWorkflowId(code));
}

/** `deadlineMs`: how long to wait for the answer (a page that can do without it waits less). */
export async function queryProject(
  deps: TemporalDeps,
  code: string,
  deadlineMs = CALL_DEADLINE_MS,
): Promise<ProjectStateView> {
  return call(code, () => projectHandle(deps, code).query(projectStateQuery), deps, deadlineMs);
}

/** `updateId` is the caller's Idempotency-Key: Temporal runs an update id once per workflow run. */
export async function decideItem(
  deps: TemporalDeps,
  code: string,
  decision: Decision,
  updateId?: string,
): Promise<DecisionResult> {
  return update(
    code,
    () => projectHandle(deps, code).executeUpdate(decideItemUpdate, { args: [decision], updateId }),
    deps,
  );
}

export async function actOnProblem(
  deps: TemporalDeps,
  code: string,
  action: ProblemAction,
  updateId?: string,
): Promise<ProblemResult> {
  return update(
    code,
    () => projectHandle(deps, code).executeUpdate(problemUpdate, { args: [action], updateId }),
    deps,
  );
}

export async function acknowledgeEscalation(
  deps: TemporalDeps,
  code: string,
  ack: AcknowledgeEscalation,
  updateId?: string,
): Promise<Instruction> {
  return update(
    code,
    () => projectHandle(deps, code).executeUpdate(acknowledgeEscalationUpdate, { args: [ack], updateId }),
    deps,
  );
}

export async function amendProjectPlan(
  deps: TemporalDeps,
  code: string,
  amendment: AmendPlan,
  updateId?: string,
) {
  return update(
    code,
    () => projectHandle(deps, code).executeUpdate(amendPlanUpdate, { args: [amendment], updateId }),
    deps,
  );
}

export async function reassignProject(deps: TemporalDeps, code: string, r: Reassign, updateId?: string) {
  return update(
    code,
    () => projectHandle(deps, code).executeUpdate(reassignUpdate, { args: [r], updateId }),
    deps,
  );
}

export async function changeLifecycle(
  deps: TemporalDeps,
  code: string,
  action: LifecycleAction,
  updateId?: string,
) {
  return update(
    code,
    () => projectHandle(deps, code).executeUpdate(lifecycleUpdate, { args: [action], updateId }),
    deps,
  );
}

export async function applyRules(
  deps: TemporalDeps,
  code: string,
  edition: RulesEditionInput & { plan?: Plan },
  updateId?: string,
) {
  return update(
    code,
    () => projectHandle(deps, code).executeUpdate(applyRulesUpdate, { args: [edition], updateId }),
    deps,
  );
}

/** Updates to one project a few at a time in this process (api/project-lanes.ts). */
export const projectLanes = new ProjectLanes();

function update<T>(code: string, fn: () => Promise<T>, deps: TemporalDeps): Promise<T> {
  return projectLanes.run(code, () => call(code, fn, deps, UPDATE_DEADLINE_MS));
}

async function call<T>(
  code: string,
  fn: () => Promise<T>,
  deps: TemporalDeps,
  deadlineMs = CALL_DEADLINE_MS,
): Promise<T> {
  try {
    return await deps.client.withDeadline(Date.now() + deadlineMs, fn);
  } catch (err) {
    // Temporal answers "not found" to an update of a workflow that has finished: ask it which.
    if (err instanceof WorkflowNotFoundError && (await hasFinished(deps, code))) throw projectClosed(code);
    throw toProblem(code, err) ?? err;
  }
}

/** Whether the project's workflow exists and has finished (false when it cannot be told). */
async function hasFinished(deps: TemporalDeps, code: string): Promise<boolean> {
  try {
    const described = await deps.client.withDeadline(Date.now() + CALL_DEADLINE_MS, () =>
      projectHandle(deps, code).describe(),
    );
    return described.status.name !== 'RUNNING';
  } catch {
    return false; // not there at all, or Temporal unreachable: the first answer stands
  }
}

/** 409 when a workflow with the project's code exists (running or finished): its code is taken. */
export async function requireCodeFree(deps: TemporalDeps, code: string): Promise<void> {
  try {
    await deps.client.withDeadline(Date.now() + CALL_DEADLINE_MS, () => projectHandle(deps, code).describe());
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    throw toProblem(code, err) ?? err;
  }
  throw new ProblemError({
    status: 409,
    type: ProblemType.projectExists,
    title: 'Project already registered',
    detail: `a project with code ${code} is already registered`,
  });
}

function projectClosed(code: string): ProblemError {
  return new ProblemError({
    status: 409,
    type: ProblemType.projectClosed,
    title: 'Project closed',
    detail: `project ${code} has completed; it takes no more decisions`,
  });
}

/** A Temporal failure as the caller should see it, or undefined for the generic handlers (503/500). */
export function toProblem(code: string, err: unknown): ProblemError | undefined {
  if (err instanceof WorkflowNotFoundError) {
    return notFound(`no project with code ${code}`, 'No such project');
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const reason = err.cause.message;
    if (err.cause.type === 'Malformed') {
      return new ProblemError({
        status: 422,
        type: ProblemType.validation,
        title: 'Invalid decision',
        detail: reason,
      });
    }
    return new ProblemError({
      status: 409,
      type: ProblemType.invalidTransition,
      title: 'The project refused this decision',
      detail: reason,
    });
  }
  return undefined;
}

// --- A published calendar year, to every running project (PUT /calendars/{year}) --------------------

/** Signals in flight at once: enough to send a city's few hundred projects quickly, few enough for one API. */
const SIGNAL_CONCURRENCY = 8;
const LIST_DEADLINE_MS = 30_000;
const SIGNAL_DEADLINE_MS = 10_000;

/**
 * Sends the year to every running project workflow of this namespace and task queue; returns how many
 * took it. Visibility is eventually consistent, so a project started in the last second may be missed:
 * it read the calendar table at registration, after the year was stored, unless it registered in the
 * instant between the two (publishing again repairs that, and is harmless for the others).
 * A project that finished between the listing and its signal is not counted. Any other failure (Temporal
 * unreachable) fails the request, so a retry with the same Idempotency-Key sends the year again.
 */
export async function sendToRunningProjects(deps: TemporalDeps, year: CalendarYear): Promise<number> {
  const { client } = deps;
  const ids = await runningProjectWorkflows(deps, `TaskQueue = ${quoted(deps.taskQueue)}`);
  let signalled = 0;
  let next = 0;
  const sendNext = async (): Promise<void> => {
    while (next < ids.length) {
      const workflowId = ids[next++]!;
      try {
        // No run id: the signal goes to the current run, even if the project continued-as-new since.
        await client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
          client.workflow.getHandle(workflowId).signal(calendarPublishedSignal, year),
        );
        signalled++;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(SIGNAL_CONCURRENCY, ids.length) }, sendNext));
  return signalled;
}

/**
 * The codes of the running projects whose secretary or leader is `personId`, as Temporal's visibility
 * store knows them (search attributes the workflow keeps current; eventually consistent, like the read
 * model). Every task queue of the namespace: a project that names the person is theirs wherever it runs.
 */
export async function runningProjectsNaming(deps: TemporalDeps, personId: string): Promise<string[]> {
  const person = quoted(personId);
  const ids = await runningProjectWorkflows(
    deps,
    `(${SA.Secretary.name} = ${person} OR ${SA.ResponsibleLeader.name} = ${person})`,
  );
  const prefix = projectWorkflowId('');
  return ids.filter((id) => id.startsWith(prefix)).map((id) => id.slice(prefix.length));
}

/** The ids of running project workflows that also meet `condition` (a visibility query clause). */
async function runningProjectWorkflows(deps: TemporalDeps, condition: string): Promise<string[]> {
  const { client } = deps;
  const query = `WorkflowType = 'majorProjectWorkflow' AND ExecutionStatus = 'Running' AND ${condition}`;
  return client.withDeadline(Date.now() + LIST_DEADLINE_MS, async () => {
    const found = new Set<string>();
    for await (const execution of client.workflow.list({ query })) found.add(execution.workflowId);
    return [...found];
  });
}

const quoted = (value: string) => `'${value.replaceAll("'", "\\'")}'`;
