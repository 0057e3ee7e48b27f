import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { findEscalation, type InboxOwner, inboxPage } from '../../db/escalations';
import { escalationRungs, escalationSubjectKinds } from '../../db/schema';
import { escalationKeyOf } from '../../domain/escalation-ids';
import { LocalDate, ProjectCode } from '../../domain/project';
import type { App, AppDeps } from '../app';
import { auditWithAnswer } from '../audit';
import { authResponses } from '../auth/middleware';
import { answerEscalation } from '../escalation-answers';
import { invalid, problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotencyResponses, idempotent } from '../idempotency';
import { deadlineDate } from '../openapi-shapes';
import { instructionView, ProjectInstruction } from './project-view';

/**
 * Escalations (督办): each caller's inbox, from the `escalations` read model, and the leader's answer
 * with an instruction (批示), which goes to the project workflow; the workflow records it and hands it
 * to the secretary through its deliverInstruction activity, which marks the row acknowledged.
 *
 * An escalation's id needs no encoding in a path (`PRJ-1.item.EIA.1.red`); its `key` is the workflow's
 * dedupe key (`PRJ-1/item/EIA/1/red`), which instructions name. A key sent URL-encoded still works.
 */

const Escalation = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .describe('Its id, e.g. `PRJ-1.item.EIA.1.red`: used in paths as it is, no encoding needed'),
    key: z
      .string()
      .describe("The workflow's dedupe key, e.g. `PRJ-1/item/EIA/1/red`, as `instructions[].escalationKey`"),
    projectCode: z.string(),
    subjectKind: z.enum(escalationSubjectKinds),
    subjectId: z.string(),
    rung: z.enum(escalationRungs),
    department: z.string().nullable(),
    recipients: z.array(z.string()),
    title: z.string(),
    body: z.string(),
    dueAt: z.iso.datetime().nullable(),
    dueDate: deadlineDate('dueAt').nullable(),
    firedAt: z.iso.datetime(),
    acknowledgedAt: z.iso.datetime().nullable(),
    acknowledgedBy: z.string().nullable(),
    instruction: z.string().nullable().describe("The leader's instruction (批示)"),
  })
  .meta({ id: 'Escalation' });

const InboxQuery = z.strictObject({
  acknowledged: z.enum(['true', 'false']).optional(),
  project: ProjectCode.optional(),
  since: z
    .union([z.iso.datetime({ offset: true }), LocalDate])
    .optional()
    .describe('Fired at or after this instant; a date means its start in China Standard Time'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(400).optional().describe('`nextCursor` of the previous page'),
});

const inbox = createRoute({
  method: 'get',
  path: '/escalations',
  tags: ['escalations'],
  summary: "The caller's escalations, newest first",
  description:
    'A leader sees every escalation on the projects they lead (each is one they may answer, yellow cards to a department head included); a department those naming it; a secretary those of their projects; operators all.',
  request: { query: InboxQuery },
  responses: {
    200: {
      description: 'One page; `nextCursor` is null on the last',
      content: {
        'application/json': {
          schema: z.object({ escalations: z.array(Escalation), nextCursor: z.string().nullable() }),
        },
      },
    },
    ...authResponses,
    422: problemResponse('A filter or the cursor is malformed'),
  },
});

const acknowledge = createRoute({
  method: 'post',
  path: '/escalations/{id}/acknowledge',
  tags: ['escalations'],
  summary: 'Answer an escalation with an instruction (批示); the workflow delivers it to the secretary',
  description:
    "The project's responsible leader, or an operator entering the leader's instruction on their behalf. An escalation is answered once: a second answer is 409 (a retry with the same Idempotency-Key replays the first).",
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .max(300)
        .describe('The escalation id (`PRJ-1.item.EIA.1.red`); its key URL-encoded is taken too'),
    }),
    headers: IdempotencyKeyHeader,
    body: {
      required: true,
      content: {
        'application/json': { schema: z.strictObject({ instruction: z.string().trim().min(1).max(4000) }) },
      },
    },
  },
  responses: {
    200: {
      description: 'Acknowledged; the instruction has reached the secretary',
      content: {
        'application/json': {
          schema: z.object({
            escalation: Escalation,
            instruction: ProjectInstruction,
          }),
        },
      },
    },
    ...authResponses,
    ...idempotencyResponses,
    404: problemResponse('No such escalation'),
    409: problemResponse('Already acknowledged, or the workflow refused (its reason, unchanged)'),
  },
});

// The cursor is the last row's key: the next page continues strictly after its (fired_at, id), read
// from the row itself so the comparison keeps PostgreSQL's microseconds.
const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
const decodeCursor = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

const badCursor = () => invalid('cursor', 'not a cursor this API returned', 'query');

export function registerEscalationRoutes(app: App, deps: AppDeps): void {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  app.use('/escalations/:id/acknowledge', idempotent(deps.db));

  app.openapi(inbox, async (c) => {
    const q = c.req.valid('query');
    const principal = c.get('principal');
    const owner: InboxOwner =
      principal.role === 'leader'
        ? { leader: principal.personId ?? '' }
        : principal.role === 'secretary'
          ? { secretary: principal.personId ?? '' }
          : principal.role === 'department'
            ? { department: principal.department ?? '' }
            : 'all';
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after !== undefined && !(await findEscalation(deps.db, after))) throw badCursor();
    const { escalations, more } = await inboxPage(deps.db, {
      owner,
      acknowledged: q.acknowledged === undefined ? undefined : q.acknowledged === 'true',
      projectCode: q.project,
      since: q.since ? new Date(q.since.length === 10 ? `${q.since}T00:00:00+08:00` : q.since) : undefined,
      after,
      limit: q.limit,
    });
    const nextCursor = more ? encodeCursor(escalations.at(-1)!.key) : null;
    return c.json({ escalations, nextCursor }, 200);
  });

  app.openapi(acknowledge, async (c) => {
    const { id } = c.req.valid('param');
    const key = escalationKeyOf(id);
    const { instruction } = c.req.valid('json');
    const answered = await answerEscalation(
      { db: deps.db, temporal },
      { key, id, principal: c.get('principal'), instruction, updateId: c.get('updateId') },
    );
    const code = answered.escalation.projectCode;
    const result = { escalation: answered.escalation, instruction: instructionView(answered.instruction) };
    auditWithAnswer(c, {
      projectCode: code,
      action: 'escalation.acknowledge',
      subject: key,
      body: { instruction },
      result,
    });
    return c.json(result, 200);
  });
}
