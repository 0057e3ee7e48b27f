import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { ProjectPhase } from '../../domain/lifecycle';
import { pinProjectAccess, projectAccess } from '../access';
import type { App, AppDeps } from '../app';
import { auditWithAnswer } from '../audit';
import { actorOf, canChangeLifecycle, forbidden } from '../auth/permissions';
import { problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotent } from '../idempotency';
import { jsonResponse, ProjectCodeParam } from '../openapi-shapes';
import { changeLifecycle } from '../temporal';

/**
 * A project's life beyond its items (domain/lifecycle.ts): suspend it (缓建: clocks and ladders stop),
 * resume it, cancel it (撤销, kept in the ledger with its reason) or close it once its completion
 * acceptance is done. Operators and the project's responsible leader; the workflow refuses what its
 * state does not allow (409, its reason unchanged).
 */

const reason = z.string().trim().min(1).max(2000);
export const LifecycleBody = z
  .discriminatedUnion('action', [
    z.strictObject({
      action: z.literal('suspend'),
      reason: reason.describe('Why (e.g. 资金未落实，业主申请缓建)'),
    }),
    z.strictObject({ action: z.literal('resume'), reason: reason.optional() }),
    z.strictObject({
      action: z.literal('cancel'),
      reason: reason.describe('Why the project will not be built'),
    }),
    z.strictObject({ action: z.literal('close'), reason: reason.optional() }),
  ])
  .meta({ id: 'LifecycleAction', example: { action: 'suspend', reason: '资金未落实，业主申请缓建' } });

const Changed = z.object({
  phase: ProjectPhase,
  since: z.string(),
  movedItems: z
    .array(z.string())
    .describe('Items whose clocks stopped or restarted, and problems whose deadlines moved out'),
  revision: z.number().int(),
});

const route = createRoute({
  method: 'post',
  path: '/projects/{code}/lifecycle',
  tags: ['projects'],
  summary: 'Suspend (缓建), resume, cancel (撤销) or close a project',
  description:
    'Suspending stops every clock and ladder; resuming moves the deadlines of items and open problems out by the working days suspended. Cancelling ends the workflow: items not finished show as withdrawn (已取消) and the project stays in the ledger. Closing requires the completion acceptance (JOINT-ACCEPTANCE) to be done.',
  request: {
    params: ProjectCodeParam,
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: LifecycleBody } } },
  },
  responses: {
    200: jsonResponse(Changed, 'The project is in its new phase'),
    403: problemResponse("Only operators and the project's responsible leader"),
    404: problemResponse('No such project'),
    409: problemResponse('The project refused: it is not in a phase that allows this, or it has ended'),
  },
});

export function registerProjectLifecycleRoutes(app: App, deps: AppDeps): void {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  app.use('/projects/:code/lifecycle', idempotent(deps.db));
  app.openapi(route, async (c) => {
    const { code } = c.req.valid('param');
    const body = c.req.valid('json');
    const principal = c.get('principal');
    const access = await projectAccess(deps, code);
    if (!canChangeLifecycle(principal, access)) {
      throw forbidden(`only an operator or the responsible leader of project ${code} changes its phase`);
    }
    const by = actorOf(principal).id ?? principal.keyId;
    const result = await changeLifecycle(temporal, code, { ...body, by }, c.get('updateId'));
    await pinProjectAccess(deps, code);
    auditWithAnswer(c, {
      projectCode: code,
      action: `project.${body.action}`,
      subject: code,
      body,
      result,
    });
    return c.json(result, 200);
  });
}
