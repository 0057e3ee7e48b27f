import { escalationIdOf } from '../domain/escalation-ids';
import type { Db } from './connect';
import type { NotificationChannel, NotificationStatus } from './schema';

/** What operators read of the notification outbox, and the retry they may ask for. */

// --- What operators read and do -----------------------------------------------------------------------

/** A delivery as operators see it (instants as ISO strings). */
export type NotificationView = {
  id: number;
  /** What the message announces: an escalation, or a digest (每日督办 / 每周督办, activities/digests.ts). */
  kind: 'escalation' | 'digest';
  /** Null for a digest's message. */
  escalationId: string | null;
  /** Null for an escalation's message. */
  digestId: string | null;
  /** The escalation's project; null for a digest (it spans the person's projects). */
  projectCode: string | null;
  channel: NotificationChannel;
  target: string;
  status: NotificationStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  sentAt: string | null;
  requestId: number | null;
  createdAt: string;
  updatedAt: string;
};

/**
 * What operators read: notifications by status (failed ones are what needs a look), channel or project,
 * newest first. Keyset-paged by `before` (an id).
 */
export async function listNotifications(
  db: Db,
  filter: {
    id?: number;
    kind?: 'escalation' | 'digest';
    status?: NotificationStatus;
    channel?: NotificationChannel;
    projectCode?: string;
    before?: number;
    limit?: number;
  } = {},
): Promise<NotificationView[]> {
  let q = db
    .selectFrom('notifications as n')
    // A digest's message has no escalation (escalation_ref is null): left join, so it is listed too.
    .leftJoin('escalations as e', 'e.id', 'n.escalation_ref')
    .select([
      'n.id',
      'n.escalation_id',
      'n.digest_id',
      'e.project_code',
      'n.channel',
      'n.target',
      'n.status',
      'n.attempts',
      'n.next_attempt_at',
      'n.last_error',
      'n.sent_at',
      'n.request_id',
      'n.created_at',
      'n.updated_at',
    ]);
  if (filter.id !== undefined) q = q.where('n.id', '=', filter.id);
  if (filter.kind) q = q.where('n.digest_id', filter.kind === 'digest' ? 'is not' : 'is', null);
  if (filter.status) q = q.where('n.status', '=', filter.status);
  if (filter.channel) q = q.where('n.channel', '=', filter.channel);
  if (filter.projectCode) q = q.where('e.project_code', '=', filter.projectCode);
  if (filter.before !== undefined) q = q.where('n.id', '<', filter.before);
  const rows = await q
    .orderBy('n.id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), 500))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.digest_id === null ? 'escalation' : 'digest',
    escalationId: r.digest_id === null ? escalationIdOf(r.escalation_id) : null,
    digestId: r.digest_id,
    projectCode: r.project_code,
    channel: r.channel,
    target: r.target,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at.toISOString(),
    lastError: r.last_error,
    sentAt: r.sent_at?.toISOString() ?? null,
    requestId: r.request_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }));
}

/** An operator's retry of a failed notification (after fixing its target): due again now, attempts reset. */
export async function retryFailedNotification(db: Db, id: number, now: number): Promise<boolean> {
  const res = await db
    .updateTable('notifications')
    .set({ status: 'pending', attempts: 0, next_attempt_at: new Date(now), updated_at: new Date(now) })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}
