import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { departmentQueue } from '../../db/project-lists';
import { DepartmentCode, ItemCode } from '../../domain/catalog';
import { DecisionBody } from '../../domain/decisions';
import { ProjectCode } from '../../domain/project';
import type { App, AppDeps } from '../app';
import { canSeeQueue, forbidden } from '../auth/permissions';
import { takeDecision } from '../decide';
import { requireInDirectory } from '../directory';
import { problemResponse } from '../http-problem';
import { idempotent } from '../idempotency';
import { deadlineDate } from '../openapi-shapes';
import { DecidedItem } from './project-view';

/** Decisions on items (departments and secretaries) and a department's queue across projects. */

const DecisionAnswer = z.object({
  item: DecidedItem,
  opened: z
    .array(z.string())
    .describe('Items that became ready because this decision finished their last prerequisite'),
  revision: z.number().int(),
});

const decide = createRoute({
  method: 'post',
  path: '/projects/{code}/items/{item}/decisions',
  tags: ['items'],
  summary:
    'Take a decision on an item: submit, accept (受理), return (补正), resubmit, approve, reject, approveOnCommitment, waive, suspend, resume',
  description:
    'Departments accept, return, approve, reject and approve on commitment their own items, and suspend and resume their clock for a period Licensing Law Art. 45 keeps off it (`period`: expertReview 专家评审, hearing 听证, inspection 检验检测鉴定, publicNotice 公示; the days do not count toward the deadline or the approval time); the project secretary submits, resubmits and waives. The Idempotency-Key is the Temporal update id: a repeat replays the first answer.',
  request: {
    params: z.object({ code: ProjectCode, item: ItemCode }),
    headers: z.object({ 'idempotency-key': z.string().min(1).max(200) }),
    body: { required: true, content: { 'application/json': { schema: DecisionBody } } },
  },
  responses: {
    200: {
      description: "The item's new state and the items it opened",
      content: { 'application/json': { schema: DecisionAnswer } },
    },
    403: problemResponse('Not your item or not your project'),
    404: problemResponse('No such project or item'),
    409: problemResponse('The workflow refused the decision; `detail` is its reason, unchanged'),
    422: problemResponse('Malformed decision; every failing field is listed'),
  },
});

const QueueItem = z.object({
  projectCode: z.string(),
  projectName: z.string(),
  item: z.string(),
  nameZh: z.string(),
  status: z.string(),
  submittedAt: z.string().nullable(),
  acceptedAt: z.string().nullable(),
  dueAt: z.string().nullable(),
  dueDate: deadlineDate('dueAt').nullable(),
  acceptBy: z
    .string()
    .nullable()
    .describe(
      'Submitted and not yet accepted: the end of its acceptance window (受理时限, five working days)',
    ),
  acceptByDate: deadlineDate('acceptBy').nullable(),
  provisional: z.boolean(),
  rung: z.number().int(),
  returns: z.number().int(),
});

const queue = createRoute({
  method: 'get',
  path: '/departments/{department}/queue',
  tags: ['items'],
  summary: "A department's open items across all projects, soonest due first",
  request: { params: z.object({ department: DepartmentCode }) },
  responses: {
    200: {
      description: 'The queue',
      content: { 'application/json': { schema: z.object({ items: z.array(QueueItem) }) } },
    },
    403: problemResponse("Another department's queue"),
    422: problemResponse('No such department in the directory'),
  },
});

export function registerItemRoutes(app: App, deps: AppDeps): void {
  app.use('/projects/:code/items/:item/decisions', idempotent(deps.db));

  app.openapi(decide, async (c) => {
    const { code, item } = c.req.valid('param');
    return c.json(await takeDecision(c, deps, code, item, c.req.valid('json')), 200);
  });

  app.openapi(queue, async (c) => {
    const { department } = c.req.valid('param');
    const principal = c.get('principal');
    if (!canSeeQueue(principal, department)) {
      throw forbidden(`the queue of ${department} is for ${department} and operators`);
    }
    // An unknown department has no queue, not an empty one (a misspelt code would look like a quiet day).
    await requireInDirectory(deps.db, [{ field: 'department', department }], 'path');
    return c.json({ items: await departmentQueue(deps.db, department) }, 200);
  });
}
