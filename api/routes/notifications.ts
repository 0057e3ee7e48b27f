import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { personDigests } from '../../db/digests';
import { listNotifications, retryFailedNotification } from '../../db/notification-views';
import { digestKinds, notificationChannels, notificationStatuses } from '../../db/schema';
import { LocalDate } from '../../domain/calendar';
import { ProjectCode } from '../../domain/project';
import type { App, AppDeps } from '../app';
import { auditContext, recordAudit } from '../audit';
import { authResponses, requireRole } from '../auth/middleware';
import { forbidden } from '../auth/permissions';
import { conflict, notFound, problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotencyResponses, idempotent } from '../idempotency';
import { jsonResponse } from '../openapi-shapes';

/**
 * What goes out beyond the inbox, as operators see it: every delivery of the notification outbox
 * (escalations' and digests' messages to DingTalk, WeCom, Feishu, e-mail and webhooks) with its status,
 * so a failing channel is visible (`?status=failed`), and the retry of a failed one once its target is
 * fixed. Operators and admins only. The rows hold no secret (db/notifications.ts).
 *
 * And each person's digests (每日督办, 每周督办) in the app: `GET /me/digests`.
 */

const Delivery = z
  .object({
    id: z.number().int(),
    kind: z.enum(['escalation', 'digest', 'urging']),
    escalationId: z.string().nullable().describe('The escalation’s id, as `GET /escalations` lists it'),
    digestId: z.string().nullable(),
    urgingId: z
      .string()
      .nullable()
      .describe('The urging’s id (催办), as `GET /projects/{code}/urgings` lists it'),
    projectCode: z.string().nullable().describe("The escalation's or urging's project; null for a digest"),
    channel: z.enum(notificationChannels),
    target: z.string().describe('The target’s name in the configuration'),
    status: z.enum(notificationStatuses),
    attempts: z.number().int(),
    nextAttemptAt: z.iso.datetime(),
    lastError: z.string().nullable().describe('Why the last attempt failed (secrets removed)'),
    sentAt: z.iso.datetime().nullable(),
    requestId: z
      .number()
      .int()
      .nullable()
      .describe('The request that carried it (shared when folded into one)'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'NotificationDelivery' });

const DigestEntry = z
  .object({
    id: z.string().describe('digest/<kind>/<day>/<person>'),
    kind: z.enum(digestKinds),
    date: z.string().describe('The day it was written for (CST)'),
    title: z.string(),
    body: z.string().describe('The digest in Chinese, as the channels send it'),
    quiet: z.boolean().describe('Nothing to report: kept here, not sent to channels'),
    content: z.looseObject({}).describe('The structured digest (domain/digest.ts)'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Digest' });

const list = createRoute({
  method: 'get',
  path: '/notifications',
  tags: ['notifications'],
  summary: 'Deliveries of the notification outbox, newest first (operators)',
  description:
    'Filter by status (`failed`: given up after the last attempt, kept for a look), channel, kind or project. Keyset-paged: pass `nextBefore` as `before`.',
  request: {
    query: z.strictObject({
      status: z.enum(notificationStatuses).optional(),
      channel: z.enum(notificationChannels).optional(),
      kind: z.enum(['escalation', 'digest', 'urging']).optional(),
      project: ProjectCode.optional().describe("An escalation's project (digests have none)"),
      before: z.coerce.number().int().positive().optional().describe('Only ids below this'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ notifications: z.array(Delivery), nextBefore: z.number().int().nullable() }),
      'One page; nextBefore is null on the last',
    ),
    ...authResponses,
  },
});

const retry = createRoute({
  method: 'post',
  path: '/notifications/{id}/retry',
  tags: ['notifications'],
  summary: 'Send a failed delivery again (operators), after fixing its target',
  description: 'Due at once, attempts reset; the dispatcher picks it up on its next poll. Audited.',
  request: {
    params: z.object({ id: z.coerce.number().int().positive() }),
    headers: IdempotencyKeyHeader,
  },
  responses: {
    200: jsonResponse(z.object({ notification: Delivery }), 'Pending again'),
    ...authResponses,
    ...idempotencyResponses,
    404: problemResponse('No such delivery'),
    409: problemResponse('The delivery has not failed (pending, sending or sent)'),
  },
});

const myDigests = createRoute({
  method: 'get',
  path: '/me/digests',
  tags: ['notifications'],
  summary: "The caller's digests (每日督办 for secretaries, 每周督办 for leaders), newest first",
  request: {
    query: z.strictObject({
      kind: z.enum(digestKinds).optional(),
      before: LocalDate.optional().describe('Only digests for days before this one (paging)'),
      limit: z.coerce.number().int().min(1).max(100).default(20),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ digests: z.array(DigestEntry) }), 'The digests'),
    ...authResponses,
  },
});

export function registerNotificationRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;
  // Authorization before idempotency: a refused request must not become the key's stored answer.
  app.use('/notifications', requireRole('operator'));
  app.use('/notifications/*', requireRole('operator'));
  app.use('/notifications/:id/retry', idempotent(db));

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const rows = await listNotifications(db, {
      status: q.status,
      channel: q.channel,
      kind: q.kind,
      projectCode: q.project,
      before: q.before,
      limit: q.limit,
    });
    const nextBefore = rows.length === q.limit ? rows.at(-1)!.id : null;
    return c.json({ notifications: rows, nextBefore }, 200);
  });

  app.openapi(retry, async (c) => {
    const { id } = c.req.valid('param');
    const notification = await db.transaction().execute(async (trx) => {
      const [row] = await listNotifications(trx, { id, limit: 1 });
      if (!row) {
        throw notFound(`no notification ${id}`, 'No such delivery');
      }
      // Conditional on `failed` in the database, so a row the dispatcher took meanwhile is not reset.
      if (!(await retryFailedNotification(trx, id, Date.now()))) {
        throw conflict(
          `notification ${id} is ${row.status}; only a failed delivery is retried`,
          'Not failed',
        );
      }
      const after = (await listNotifications(trx, { id, limit: 1 }))[0]!;
      await recordAudit(trx, {
        ...auditContext(c),
        projectCode: after.projectCode,
        action: 'notification.retry',
        subject: String(id),
        body: null,
        result: { before: { status: row.status, attempts: row.attempts, lastError: row.lastError }, after },
      });
      return after;
    });
    return c.json({ notification }, 200);
  });

  app.openapi(myDigests, async (c) => {
    const q = c.req.valid('query');
    const principal = c.get('principal');
    if (!principal.personId) {
      throw forbidden(`key ${principal.keyId} names no person, and digests are a person's`);
    }
    const digests = await personDigests(db, principal.personId, {
      kind: q.kind,
      before: q.before,
      limit: q.limit,
    });
    return c.json({ digests }, 200);
  });
}
