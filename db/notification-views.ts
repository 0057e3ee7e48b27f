import { escalationIdOf } from '../domain/escalation-ids';
import type { Db } from './connect';
import type { NotificationChannel, NotificationStatus } from './schema';

/** What operators read of the notification outbox, and the retry they may ask for. */

// --- What operators read and do -----------------------------------------------------------------------

/** A delivery as operators see it (instants as ISO strings). */
export type NotificationView = {
  id: number;
  /**
   * What the message announces: an escalation, a digest (每日督办 / 每周督办, activities/digests.ts) or an
   * urging (催办, api/urge.ts).
   */
  kind: 'escalation' | 'digest' | 'urging';
  /** Null for a digest's or an urging's message. */
  escalationId: string | null;
  /** Null for an escalation's or an urging's message. */
  digestId: string | null;
  /** Null but for an urging's message. */
  urgingId: string | null;
  /** The escalation's or urging's project; null for a digest (it spans the person's projects). */
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
    kind?: 'escalation' | 'digest' | 'urging';
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
    // An urging's message names its urging (migration 2026-12-07T10), which names the project.
    .leftJoin('urgings as u', 'u.id', 'n.urging_id')
    .select((eb) => [
      'n.id',
      'n.escalation_id',
      'n.digest_id',
      'n.urging_id',
      eb.fn.coalesce('e.project_code', 'u.project_code').as('project_code'),
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
  if (filter.kind === 'digest') q = q.where('n.digest_id', 'is not', null);
  if (filter.kind === 'urging') q = q.where('n.urging_id', 'is not', null);
  if (filter.kind === 'escalation') q = q.where('n.digest_id', 'is', null).where('n.urging_id', 'is', null);
  if (filter.status) q = q.where('n.status', '=', filter.status);
  if (filter.channel) q = q.where('n.channel', '=', filter.channel);
  if (filter.projectCode) {
    const code = filter.projectCode;
    q = q.where((eb) => eb.or([eb('e.project_code', '=', code), eb('u.project_code', '=', code)]));
  }
  if (filter.before !== undefined) q = q.where('n.id', '<', filter.before);
  const rows = await q
    .orderBy('n.id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 100, 1), 500))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.digest_id !== null ? 'digest' : r.urging_id !== null ? 'urging' : 'escalation',
    escalationId: r.digest_id === null && r.urging_id === null ? escalationIdOf(r.escalation_id) : null,
    digestId: r.digest_id,
    urgingId: r.urging_id,
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
