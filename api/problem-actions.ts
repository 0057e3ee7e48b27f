import type { Context } from 'hono';
import type { z } from 'zod';
import { mayBlockItem } from '../domain/problems';
import type { ProblemState } from '../domain/project';
import { projectAccess } from './access';
import type { AppDeps } from './app';
import { auditWithAnswer } from './audit';
import { actorOf, canActOnProject, canRaiseProblem, forbidden } from './auth/permissions';
import type { Principal } from './auth/principal';
import { requireInDirectory } from './directory';
import { invalid, notFound } from './http-problem';
import type { ProblemActionBody, RaiseProblem } from './routes/problems';
import { problemView } from './routes/project-view';
import { actOnProblem, queryProject } from './temporal';

/**
 * Raising and acting on a project's problems (钉住不放), however they arrive: POST /projects/{code}/problems
 * and /projects/{code}/problems/{id}/actions (api/routes/problems.ts) and the project page's forms
 * (api/routes/ui-project-actions.ts). Who may (403), the directory (422), the workflow's update with the
 * request's update id (its refusal a 409), the audit entry with the stored answer. Behind `idempotent`.
 */

type RaiseBody = Omit<z.infer<typeof RaiseProblem>, 'action'>;
type ActionBody = z.infer<typeof ProblemActionBody>;

/** Mirrors the workflow's owner rule (domain/problems.ts): a department by code, anyone else by person id. */
export function ownsProblem(principal: Principal, p: ProblemState): boolean {
  if (principal.role === 'department') return p.ownerDepartment === principal.department;
  return p.ownerPerson !== undefined && actorOf(principal).id === p.ownerPerson;
}

const temporalOf = (deps: AppDeps) => ({
  client: deps.temporal.client,
  taskQueue: deps.config.temporal.taskQueue,
});

export async function raiseProblem(c: Context, deps: AppDeps, code: string, body: RaiseBody) {
  const temporal = temporalOf(deps);
  const principal = c.get('principal');
  const access = await projectAccess(deps, code);
  if (!canRaiseProblem(principal, access, [...access.itemDepartments.values()])) {
    throw forbidden(
      `only the secretary and leader of project ${code}, its departments and operators raise problems on it`,
    );
  }
  await requireInDirectory(deps.db, [
    ...(body.ownerDepartment ? [{ field: 'ownerDepartment', department: body.ownerDepartment }] : []),
    ...(body.ownerPerson ? [{ field: 'ownerPerson', person: body.ownerPerson }] : []),
  ]);
  const actor = actorOf(principal);
  const blockedDepartment = body.blocksItem ? access.itemDepartments.get(body.blocksItem) : undefined;
  if (body.blocksItem && blockedDepartment === undefined) {
    throw invalid('blocksItem', `item ${body.blocksItem} is not in the plan of project ${code}`);
  }
  if (blockedDepartment !== undefined && !mayBlockItem(access, actor, blockedDepartment)) {
    throw forbidden(
      `only ${blockedDepartment}, the secretary and leader of project ${code} and operators may block ${body.blocksItem}`,
    );
  }
  const raised = await actOnProblem(temporal, code, { action: 'raise', ...body, actor }, c.get('updateId'));
  const result = { ...raised, problem: problemView(raised.problem) };
  auditWithAnswer(c, {
    projectCode: code,
    action: 'problem.raise',
    subject: result.problem.id,
    body,
    result,
  });
  return result;
}

export async function actOnProblemAs(c: Context, deps: AppDeps, code: string, id: string, body: ActionBody) {
  const temporal = temporalOf(deps);
  const principal = c.get('principal');
  // The live state, not the read model: who owns the problem may have changed a moment ago.
  const { state } = await queryProject(temporal, code);
  const problem = state.problems[id];
  if (!problem) {
    throw notFound(`problem ${id} does not exist in project ${code}`, 'No such problem');
  }
  const secretarial = canActOnProject(principal, state.profile);
  if (body.action === 'assign' || body.action === 'verify') {
    if (!secretarial)
      throw forbidden(`only the secretary of project ${code} or an operator may ${body.action} ${id}`);
  } else if (!secretarial && !ownsProblem(principal, problem)) {
    throw forbidden(
      `only the owner of problem ${id} or the secretary of project ${code} may ${body.action} it`,
    );
  }
  if (body.action === 'assign') {
    await requireInDirectory(deps.db, [
      { field: 'ownerDepartment', department: body.ownerDepartment },
      ...(body.ownerPerson ? [{ field: 'ownerPerson', person: body.ownerPerson }] : []),
    ]);
  }
  const acted = await actOnProblem(
    temporal,
    code,
    { ...body, problemId: id, actor: actorOf(principal) },
    c.get('updateId'),
  );
  const result = { ...acted, problem: problemView(acted.problem) };
  auditWithAnswer(c, {
    projectCode: code,
    action: `problem.${body.action}`,
    subject: id,
    body,
    result,
  });
  return result;
}
