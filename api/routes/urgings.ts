import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { projectUrgings } from '../../db/urgings';
import { ItemCode } from '../../domain/catalog';
import { ProjectCode } from '../../domain/project';
import { projectAccess } from '../access';
import type { App, AppDeps } from '../app';
import { authResponses } from '../auth/middleware';
import { canReadProject, forbidden } from '../auth/permissions';
import { problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotencyResponses, idempotent } from '../idempotency';
import { jsonResponse, ProjectCodeParam } from '../openapi-shapes';
import { UrgeBody, urgeDepartment } from '../urge';

/** Urging a department on an item (催办): api/urge.ts. */

const Urging = z
  .object({
    id: z.string().describe('`urging/<project>/<item>/<working day>`'),
    projectCode: z.string(),
    item: z.string(),
    department: z.string(),
    workingDay: z.string().describe('The working day it counts against (China time)'),
    note: z.string().nullable(),
    urgedBy: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Urging' });

const urge = createRoute({
  method: 'post',
  path: '/projects/{code}/items/{item}/urgings',
  tags: ['items'],
  summary: 'Urge the department responsible for an open item (催办); once per item a working day',
  description:
    "The project's secretary, or an operator. The department's handler and head are told on the department's channels (its group robot, their own routes), as for an escalation. Recorded, audited and counted in the monthly report. 404 for an item not in the plan; 409 `conflict` for an item that is not open (waiting for prerequisites, or done) or a project suspended, cancelled or closed; 409 `already-urged` for an item already urged this working day (urged on a rest day, it counts against the next working day).",
  request: {
    params: z.object({ code: ProjectCode, item: ItemCode }),
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: UrgeBody } } },
  },
  responses: {
    201: jsonResponse(
      z.object({
        urging: Urging,
        messages: z.number().int().describe('Messages put in the outbox for the department'),
      }),
      'Urged',
    ),
    ...authResponses,
    ...idempotencyResponses,
    404: problemResponse('No such project or item'),
    409: problemResponse('The item is not open, or was already urged this working day'),
  },
});

const list = createRoute({
  method: 'get',
  path: '/projects/{code}/urgings',
  tags: ['items'],
  summary: "The project's urgings, newest first",
  request: { params: ProjectCodeParam },
  responses: {
    200: jsonResponse(z.object({ urgings: z.array(Urging) }), 'The urgings'),
    ...authResponses,
    404: problemResponse('No such project'),
  },
});

export function registerUrgingRoutes(app: App, deps: AppDeps): void {
  app.use('/projects/:code/items/:item/urgings', idempotent(deps.db));

  app.openapi(urge, async (c) => {
    const { code, item } = c.req.valid('param');
    const result = await urgeDepartment(c, deps, code, item, c.req.valid('json'));
    return c.json(result, 201);
  });

  app.openapi(list, async (c) => {
    const { code } = c.req.valid('param');
    const access = await projectAccess(deps, code);
    if (!canReadProject(c.get('principal'), access)) throw forbidden(`project ${code} is not one of yours`);
    return c.json({ urgings: await projectUrgings(deps.db, code) }, 200);
  });
}
