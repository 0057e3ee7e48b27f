import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { NotifyTargets } from '../../config';
import type { DB, NotificationChannel } from '../../db/schema';
import { adapters, targetOf } from './adapters';
import { freeSlots, planRequests, WINDOW_MARGIN } from './pacing';

/**
 * The outbox's state changes, each one short transaction: claim (with rate pacing), then mark sent,
 * retry or failed. Claims are leases: a row being sent is `sending` with a `claim_token` and a
 * `claimed_until`; only the holder of the token may mark it, and a row whose lease lapsed (its
 * dispatcher died) is due again. Time is always the caller's clock, never the database's.
 */

export type ClaimedRow = { id: number; attempts: number; message: unknown };
export type ClaimedTarget = {
  key: string;
  channel: NotificationChannel;
  target: string;
  token: string;
  /** False when the configuration names no such target: the rows are failed, not sent. */
  configured: boolean;
  /** In order; each is one request to the provider (several rows = a digest). */
  requests: { requestId: number | null; rows: ClaimedRow[] }[];
};

export type ClaimOptions = {
  now: number;
  targets: NotifyTargets;
  digestMax: number;
  sendTimeoutMs: number;
  /** Targets this process is still sending to: left alone so one target is never sent to twice at once. */
  busy: readonly string[];
  /** Rows claimed at most, in all and per target. */
  batch: number;
  perTarget: number;
  /** Claim only these targets (`channel:name`); by default every row, so a target missing from the
   * configuration shows up as an error on its rows instead of waiting unseen. */
  only?: readonly string[];
};

export const targetKey = (channel: string, target: string) => `${channel}:${target}`;

/** Request-log rows older than this are deleted (the longest window is a minute). */
const REQUEST_LOG_KEEP_MS = 24 * 3_600_000;

/**
 * Claim what is due. Several dispatchers may run this at once: `FOR UPDATE SKIP LOCKED` gives each its
 * own rows, and per target an advisory lock serialises the rate check against the shared request log,
 * so the robots' limits hold across workers. Rows over a target's limit are folded into digests or
 * deferred to the instant a slot frees (no attempt is counted for a deferral); none is dropped.
 */
export async function claimDue(db: Kysely<DB>, opts: ClaimOptions): Promise<ClaimedTarget[]> {
  const now = new Date(opts.now);
  const textArray = (xs: readonly string[]) =>
    sql`array[${sql.join(xs.length ? xs.map((x) => sql`${x}`) : [sql`''`])}]::text[]`;
  const only = opts.only ? sql`and (channel || ':' || target) = any(${textArray(opts.only)})` : sql``;
  const due = sql`((status = 'pending' and next_attempt_at <= ${now}) or (status = 'sending' and claimed_until <= ${now}))
    and not ((channel || ':' || target) = any(${textArray(opts.busy)})) ${only}`;
  return db.transaction().execute(async (trx) => {
    // The ranking keeps one target's backlog from filling the batch; the outer query repeats the
    // condition because PostgreSQL re-checks only the locked table's own clauses on a row that changed.
    const { rows } = await sql<{
      id: number;
      channel: NotificationChannel;
      target: string;
      message: unknown;
      attempts: number;
    }>`
      select id, channel, target, message, attempts from notifications
      where id in (
        select id from (
          select id, row_number() over (partition by channel, target order by next_attempt_at, id) as rn
          from notifications where ${due}
        ) ranked where rn <= ${opts.perTarget}
      ) and ${due}
      order by next_attempt_at, id
      limit ${opts.batch}
      for update skip locked`.execute(trx);
    if (rows.length === 0) return [];

    const groups = new Map<string, typeof rows>();
    for (const r of rows) {
      const key = targetKey(r.channel, r.target);
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const claimed: ClaimedTarget[] = [];
    // Sorted, so two dispatchers take the advisory locks in the same order and never deadlock.
    for (const key of [...groups.keys()].sort()) {
      const group = groups.get(key)!;
      const { channel, target } = group[0]!;
      const token = randomUUID();
      const claim = (ids: number[], requestId: number | null, leaseMs: number) =>
        trx
          .updateTable('notifications')
          .set((eb) => ({
            status: 'sending',
            claim_token: token,
            claimed_until: new Date(opts.now + leaseMs),
            attempts: eb('attempts', '+', 1),
            request_id: requestId,
            updated_at: now,
          }))
          .where('id', 'in', ids)
          .execute();

      if (!targetOf(opts.targets, channel, target)) {
        await claim(
          group.map((r) => r.id),
          null,
          60_000,
        );
        claimed.push({
          key,
          channel,
          target,
          token,
          configured: false,
          requests: [{ requestId: null, rows: group.map((r) => ({ ...r, attempts: r.attempts + 1 })) }],
        });
        continue;
      }

      const limits = adapters[channel].limits;
      let history: number[] = [];
      if (limits.length > 0) {
        await sql`select pg_advisory_xact_lock(hashtextextended(${`greenlane.notify:${key}`}, 0))`.execute(
          trx,
        );
        const widest = Math.max(...limits.map((l) => l.windowMs)) * (1 + WINDOW_MARGIN);
        const past = await trx
          .selectFrom('notification_requests')
          .select('at')
          .where('target_key', '=', key)
          .where('at', '>', new Date(opts.now - widest - 1))
          .execute();
        history = past.map((p) => p.at.getTime());
      }
      const slots = freeSlots(history, limits, opts.now);
      const plan = planRequests(group.length, slots.free, opts.digestMax);
      // Requests to one target go one after another, so the lease covers all of them.
      const leaseMs = opts.sendTimeoutMs * plan.sizes.length + 60_000;
      const requests: ClaimedTarget['requests'] = [];
      let next = 0;
      for (const size of plan.sizes) {
        const chunk = group.slice(next, next + size);
        next += size;
        const { id: requestId } = await trx
          .insertInto('notification_requests')
          .values({ target_key: key, at: now, messages: size })
          .returning('id')
          .executeTakeFirstOrThrow();
        await claim(
          chunk.map((r) => r.id),
          requestId,
          leaseMs,
        );
        requests.push({ requestId, rows: chunk.map((r) => ({ ...r, attempts: r.attempts + 1 })) });
      }
      const deferred = group.slice(next);
      if (deferred.length > 0) {
        const after = freeSlots([...history, ...plan.sizes.map(() => opts.now)], limits, opts.now);
        await trx
          .updateTable('notifications')
          .set({
            status: 'pending',
            next_attempt_at: new Date(Math.max(after.nextFreeAt, opts.now + 1)),
            claim_token: null,
            claimed_until: null,
            updated_at: now,
          })
          .where(
            'id',
            'in',
            deferred.map((r) => r.id),
          )
          .execute();
      }
      await trx
        .deleteFrom('notification_requests')
        .where('target_key', '=', key)
        .where('at', '<', new Date(opts.now - REQUEST_LOG_KEEP_MS))
        .execute();
      if (requests.length > 0) claimed.push({ key, channel, target, token, configured: true, requests });
    }
    return claimed;
  });
}

/** The provider answered 2xx: these rows are done and will never be claimed again. */
export async function markSent(
  db: Kysely<DB>,
  ids: number[],
  token: string,
  now: number,
  response: string,
): Promise<number> {
  const res = await db
    .updateTable('notifications')
    .set({
      status: 'sent',
      sent_at: new Date(now),
      response,
      last_error: null,
      claimed_until: null,
      updated_at: new Date(now),
    })
    .where('id', 'in', ids)
    .where('claim_token', '=', token)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** A failed attempt: back to pending at `retryAt`, or `failed` for good when `retryAt` is null. */
export async function markAttemptFailed(
  db: Kysely<DB>,
  id: number,
  token: string,
  now: number,
  error: string,
  retryAt: number | null,
): Promise<void> {
  await db
    .updateTable('notifications')
    .set({
      status: retryAt === null ? 'failed' : 'pending',
      next_attempt_at: new Date(retryAt ?? now),
      last_error: error,
      claim_token: null,
      claimed_until: null,
      updated_at: new Date(now),
    })
    .where('id', '=', id)
    .where('claim_token', '=', token)
    .where('status', '=', 'sending')
    .execute();
}

/**
 * Rows claimed but not tried, because an earlier request to the same target just failed: back to
 * pending at `retryAt` with the claim's attempt given back.
 */
export async function releaseUntried(
  db: Kysely<DB>,
  ids: number[],
  token: string,
  now: number,
  retryAt: number,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('notifications')
    .set((eb) => ({
      status: 'pending',
      attempts: eb('attempts', '-', 1),
      next_attempt_at: new Date(retryAt),
      claim_token: null,
      claimed_until: null,
      updated_at: new Date(now),
    }))
    .where('id', 'in', ids)
    .where('claim_token', '=', token)
    .where('status', '=', 'sending')
    .execute();
}
