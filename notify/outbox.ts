import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { NotifyTargets } from '../config';
import {
  claimRows,
  deferRows,
  lockDue,
  lockTarget,
  logRequest,
  pruneRequests,
  requestTimes,
} from '../db/notifications';
import type { DB, NotificationChannel } from '../db/schema';
import { adapters, targetOf } from './adapters';
import { freeSlots, planRequests, WINDOW_MARGIN } from './pacing';

/**
 * The outbox's state changes, each one short transaction: claim (with rate pacing), then mark sent,
 * retry or failed (db/notifications.ts `markSent`, `markAttemptFailed`, `releaseUntried`). Claims are
 * leases: a row being sent is `sending` with a `claim_token` and a `claimed_until`; only the holder of
 * the token may mark it, and a row whose lease lapsed (its dispatcher died) is due again. Time is always
 * the caller's clock, never the database's. The statements are in db/notifications.ts; the rules (which
 * rows, how many per request, when the deferred ones are due) are here.
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
  return db.transaction().execute(async (trx) => {
    const rows = await lockDue(trx, {
      now,
      busy: opts.busy,
      only: opts.only,
      perTarget: opts.perTarget,
      batch: opts.batch,
    });
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
        claimRows(trx, ids, { token, claimedUntil: new Date(opts.now + leaseMs), requestId, now });

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
        await lockTarget(trx, key);
        const widest = Math.max(...limits.map((l) => l.windowMs)) * (1 + WINDOW_MARGIN);
        history = await requestTimes(trx, key, new Date(opts.now - widest - 1));
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
        const requestId = await logRequest(trx, key, now, size);
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
        await deferRows(
          trx,
          deferred.map((r) => r.id),
          new Date(Math.max(after.nextFreeAt, opts.now + 1)),
          now,
        );
      }
      await pruneRequests(trx, key, new Date(opts.now - REQUEST_LOG_KEEP_MS));
      if (requests.length > 0) claimed.push({ key, channel, target, token, configured: true, requests });
    }
    return claimed;
  });
}
