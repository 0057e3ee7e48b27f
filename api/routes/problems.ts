import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { ProblemAction } from '../../domain/problems';
import { type ProblemState, ProjectCode, type ProblemStatus as Status } from '../../domain/project';
import type { App, AppDeps } from '../app';
import { authResponses } from '../auth/middleware';
import { canRaiseProblem, canReadProject, forbidden } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotencyResponses, idempotent } from '../idempotency';
import { jsonResponse, ProjectCodeParam } from '../openapi-shapes';
import { actOnProblemAs, ownsProblem, raiseProblem } from '../problem-actions';
import { queryProject } from '../temporal';
import { ProjectProblem, problemView } from './project-view';

/**
 * Problems that block a project (钉住不放): raise, assign, plan, resolve, verify, list. The bodies are
 * domain/problems.ts `ProblemAction` without `actor` (the caller's key says who acts) and, for actions
 * on an existing problem, without `problemId` (the path names it). The API refuses callers who are not
 * on the project (403) and unknown problems (404); the workflow's validator checks owners and states
 * again against its own state, and its reason reaches the caller unchanged as a 409.
 */

const [raiseShape, assignShape, planShape, resolveShape, verifyShape] = ProblemAction.options;
const noActor = { actor: true } as const;
const noActorOrId = { actor: true, problemId: true } as const;

// Strict, unlike the workflow's `ProblemAction` (tolerant for replay): an unknown field is a 422 naming it.
export const RaiseProblem = raiseShape
  .omit(noActor)
  .extend({ action: z.literal('raise').optional().describe('Implied; may be omitted') })
  .strict()
  .meta({ id: 'RaiseProblem', description: 'A problem (问题/堵点) raised on a project' });

export const ProblemActionBody = z
  .discriminatedUnion('action', [
    assignShape.omit(noActorOrId).strict(),
    planShape.omit(noActorOrId).strict(),
    resolveShape.omit(noActorOrId).strict(),
    verifyShape.omit(noActorOrId).strict(),
  ])
  .meta({
    id: 'ProblemActionBody',
    description:
      'assign (secretary): name the owner; plan (owner or secretary): the solution and an optional new deadline, which restarts the ladder; resolve (owner or secretary); verify (secretary): accept the resolution or send it back',
  });

const statuses = ['open', 'assigned', 'planned', 'resolved', 'verified'] as const satisfies readonly Status[];
const ProblemStatus = z.enum(statuses);
const ProblemAnswer = z.object({ problem: ProjectProblem, revision: z.number().int() });

const ProblemParams = z.object({ code: ProjectCode, id: z.string().min(1).max(32) });
const workflowRefusal = problemResponse(
  'The workflow refused the action (not the owner, wrong state, past deadline); `detail` is its reason, unchanged',
);

const raise = createRoute({
  method: 'post',
  path: '/projects/{code}/problems',
  tags: ['problems'],
  summary: 'Raise a problem on a project; its deadline defaults to the end of the working day (不让问题过夜)',
  description:
    "The project secretary and leader, departments with items in the project, and operators raise problems. A problem that blocks an item stops its approval and its clock until it is resolved; only the item's own department, the project's secretary and leader, and operators may block an item (403 otherwise). The owner department and owner person must exist in the directory, and the blocked item in the project's plan (422); a field the API does not know is refused (422).",
  request: {
    params: ProjectCodeParam,
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: RaiseProblem } } },
  },
  responses: {
    201: jsonResponse(ProblemAnswer, 'Raised; `problem.id` names it from now on'),
    ...authResponses,
    ...idempotencyResponses,
    404: problemResponse('No such project'),
    409: workflowRefusal,
  },
});

const act = createRoute({
  method: 'post',
  path: '/projects/{code}/problems/{id}/actions',
  tags: ['problems'],
  summary: 'Assign, plan, resolve or verify a problem',
  request: {
    params: ProblemParams,
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: ProblemActionBody } } },
  },
  responses: {
    200: jsonResponse(ProblemAnswer, "The problem's new state"),
    ...authResponses,
    ...idempotencyResponses,
    404: problemResponse('No such project or problem'),
    409: workflowRefusal,
  },
});

const list = createRoute({
  method: 'get',
  path: '/projects/{code}/problems',
  tags: ['problems'],
  summary: "The project's problems, live from its workflow, oldest first",
  description:
    "Read from the workflow (a query), not the read model: a problem raised a moment ago is listed, and its status is the one the next action will be checked against. The project's secretary and leader and operators see every problem; a department sees those it owns or raised.",
  request: {
    params: ProjectCodeParam,
    query: z.strictObject({
      status: ProblemStatus.optional(),
      open: z.enum(['true', 'false']).optional().describe('true: not yet resolved or verified'),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ problems: z.array(ProjectProblem) }), 'The problems'),
    ...authResponses,
    404: problemResponse('No such project'),
  },
});

const isOpen = (p: ProblemState) => p.status !== 'resolved' && p.status !== 'verified';

function seesProblem(principal: Principal, p: ProblemState): boolean {
  const by = p.raisedBy;
  return ownsProblem(principal, p) || (by.role === 'department' && by.department === principal.department);
}

export function registerProblemRoutes(app: App, deps: AppDeps): void {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  app.use('/projects/:code/problems', idempotent(deps.db));
  app.use('/projects/:code/problems/:id/actions', idempotent(deps.db));

  app.openapi(raise, async (c) => {
    const { code } = c.req.valid('param');
    const { action: _implied, ...body } = c.req.valid('json');
    const result = await raiseProblem(c, deps, code, body);
    c.header('Location', `/projects/${code}/problems/${result.problem.id}`);
    return c.json(result, 201);
  });

  app.openapi(act, async (c) => {
    const { code, id } = c.req.valid('param');
    return c.json(await actOnProblemAs(c, deps, code, id, c.req.valid('json')), 200);
  });

  app.openapi(list, async (c) => {
    const { code } = c.req.valid('param');
    const q = c.req.valid('query');
    const principal = c.get('principal');
    const { state } = await queryProject(temporal, code);
    let problems = Object.values(state.problems);
    if (!canReadProject(principal, state.profile)) {
      const departments = state.plan.items.map((i) => i.department);
      const mine = problems.filter((p) => seesProblem(principal, p));
      if (!canRaiseProblem(principal, state.profile, departments) && mine.length === 0) {
        throw forbidden(`project ${code} is not one of yours`);
      }
      problems = mine;
    }
    if (q.status) problems = problems.filter((p) => p.status === q.status);
    if (q.open) problems = problems.filter((p) => isOpen(p) === (q.open === 'true'));
    problems.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
    return c.json({ problems: problems.map(problemView) }, 200);
  });
}
