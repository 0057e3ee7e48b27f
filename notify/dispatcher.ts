import type { Kysely } from 'kysely';
import type { NotifySettings } from '../config';
import { markAttemptFailed, markSent, releaseUntried } from '../db/notifications';
import type { DB } from '../db/schema';
import { adapters, targetOf } from './adapters';
import type { ChannelAdapter, SendOutcome } from './channel';
import { redact, snippet } from './http';
import { mintLeaderLinks } from './leader-links';
import { NotificationMessage } from './message';
import { type ClaimedTarget, claimDue } from './outbox';
import { retryDelayMs } from './pacing';

/**
 * The notification dispatcher: a loop in each worker process (worker.ts starts and stops it) that
 * claims due outbox rows, sends them through their channel's adapter and marks the outcome.
 *
 * Delivery is at least once. A row is claimed (a lease), sent, then marked `sent` only if its claim
 * token still holds; a marked row is never claimed again. The one window for a duplicate is a crash, or
 * a lost database, between the provider's 2xx and that mark: the lease lapses and the row is sent
 * again. Receivers that care can deduplicate by escalation key (webhook `X-Greenlane-Delivery`, the
 * e-mail's fixed Message-ID).
 *
 * Isolation: each target is sent to by its own chain of promises, so a slow or failing robot delays
 * only its own rows; a target still being sent to is skipped by the next claims of this process.
 * Failures are per row, with exponential backoff and jitter, up to `maxAttempts`, then `failed` (kept,
 * for operators: outbox.ts listNotifications).
 */

export type DispatcherDeps = {
  db: Kysely<DB>;
  settings: NotifySettings;
  publicUrl: string;
  /** Milliseconds since the epoch; tests pass a clock they move. */
  clock?: () => number;
  random?: () => number;
  log?: Pick<Console, 'warn' | 'error'>;
  /** Adapters to use instead of the real ones (tests of the loop itself). */
  adapters?: Partial<typeof adapters>;
  /** Rows claimed per pass, in all and per target. */
  batch?: number;
  perTarget?: number;
  /**
   * Send only to these targets (`channel:name`), e.g. a dispatcher inside the government intranet for
   * its mail relay while another, with internet access, serves the robots. Default: all.
   */
  only?: readonly string[];
};

export type PassResult = { sent: number; retried: number; failed: number; requests: number };

export type NotificationDispatcher = {
  /** One pass: claim what is due and send it; resolves once every claimed row is marked. */
  runOnce(): Promise<PassResult>;
  /** Poll every `settings.pollMs` until stop(). */
  start(): void;
  /** Stop polling and wait for the sends under way to be marked. */
  stop(): Promise<void>;
};

export function createNotificationDispatcher(deps: DispatcherDeps): NotificationDispatcher {
  const { db, settings } = deps;
  const clock = deps.clock ?? Date.now;
  const random = deps.random ?? Math.random;
  const log = deps.log ?? console;
  const channels = { ...adapters, ...deps.adapters } as typeof adapters;
  /** Target key → the chain of sends under way for it in this process. */
  const inFlight = new Map<string, Promise<PassResult>>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopping = false;

  async function claim(): Promise<Promise<PassResult>[]> {
    const claimed = await claimDue(db, {
      now: clock(),
      targets: settings.targets,
      digestMax: settings.digestMax,
      sendTimeoutMs: settings.sendTimeoutMs,
      busy: [...inFlight.keys()],
      batch: deps.batch ?? 500,
      perTarget: deps.perTarget ?? 200,
      ...(deps.only ? { only: deps.only } : {}),
    });
    return claimed.map((c) => {
      const chain = sendTarget(c)
        .catch((error) => {
          log.error(`notify: ${c.key}: ${String((error as Error).message ?? error)}`);
          return { sent: 0, retried: 0, failed: 0, requests: 0 };
        })
        .finally(() => inFlight.delete(c.key));
      inFlight.set(c.key, chain);
      return chain;
    });
  }

  /** Send a target's requests one after another (the group sees them in order). */
  async function sendTarget(c: ClaimedTarget): Promise<PassResult> {
    const result: PassResult = { sent: 0, retried: 0, failed: 0, requests: 0 };
    const adapter = channels[c.channel] as ChannelAdapter<unknown>;
    const target = targetOf(settings.targets, c.channel, c.target);
    const secrets = target ? adapter.secretsOf(target) : [];
    for (let i = 0; i < c.requests.length; i++) {
      const request = c.requests[i]!;
      const ids = request.rows.map((r) => r.id);
      let outcome: SendOutcome;
      const messages = request.rows.map((r) => NotificationMessage.safeParse(r.message));
      if (!target) {
        outcome = { ok: false, error: `no ${c.channel} target named "${c.target}" is configured` };
      } else if (messages.some((m) => !m.success)) {
        outcome = {
          ok: false,
          permanent: true,
          error: 'the stored message does not have the expected shape',
        };
      } else {
        result.requests += 1;
        const parsed = messages.map((m) => m.data!);
        try {
          // Made for this attempt only: a retry makes fresh links and the unused ones expire.
          const actionLinks = await mintLeaderLinks(db, parsed, deps.publicUrl, clock());
          outcome = await adapter.send(target, parsed, {
            now: clock(),
            targetName: c.target,
            publicUrl: deps.publicUrl,
            actionLinks,
            timeoutMs: settings.sendTimeoutMs,
            notificationIds: ids,
          });
        } catch (error) {
          // Adapters return failures; a throw is a bug, kept as a failure of this request only.
          outcome = { ok: false, error: redact(`adapter error: ${String(error)}`, secrets) };
        }
      }
      const now = clock();
      try {
        if (outcome.ok) {
          const response = redact(JSON.stringify(outcome.response ?? null), secrets);
          const marked = await markSent(db, ids, c.token, now, response);
          if (marked < ids.length) {
            log.warn(
              `notify: ${c.key} #${ids.join(',#')} delivered, but ${ids.length - marked} lost their claim`,
            );
          }
          result.sent += marked;
          continue;
        }
        const error = snippet(redact(outcome.error, secrets), 500);
        let firstRetryAt = now;
        for (const row of request.rows) {
          const final = outcome.permanent || row.attempts >= settings.maxAttempts;
          const wait = Math.max(
            retryDelayMs(row.attempts, settings.backoffBaseMs, settings.backoffCapMs, random),
            outcome.retryAfterMs ?? 0,
          );
          const retryAt = final ? null : now + wait;
          await markAttemptFailed(db, row.id, c.token, now, error, retryAt);
          if (final) {
            result.failed += 1;
            log.warn(
              `notify: ${c.key} #${row.id} failed for good after ${row.attempts} attempt(s): ${error}`,
            );
          } else {
            result.retried += 1;
            firstRetryAt = Math.max(firstRetryAt, retryAt!);
          }
        }
        // The target just failed: what is left of this claim waits as long, untried and uncounted.
        const rest = c.requests.slice(i + 1).flatMap((r) => r.rows.map((row) => row.id));
        await releaseUntried(db, rest, c.token, now, firstRetryAt);
        result.retried += rest.length;
        break;
      } catch (dbError) {
        // The database is gone: the rows keep their lease and are claimed again once it lapses.
        log.warn(
          `notify: ${c.key}: cannot record the outcome: ${String((dbError as Error).message ?? dbError)}`,
        );
        break;
      }
    }
    return result;
  }

  async function loop(): Promise<void> {
    if (stopping) return;
    try {
      await claim();
    } catch (error) {
      log.warn(`notify: cannot claim notifications: ${String((error as Error).message ?? error)}`);
    }
    if (!stopping) timer = setTimeout(() => (running = loop()), settings.pollMs);
  }

  return {
    async runOnce() {
      const chains = await claim();
      const results = await Promise.all(chains);
      return results.reduce(
        (a, r) => ({
          sent: a.sent + r.sent,
          retried: a.retried + r.retried,
          failed: a.failed + r.failed,
          requests: a.requests + r.requests,
        }),
        { sent: 0, retried: 0, failed: 0, requests: 0 },
      );
    },
    start() {
      if (running || stopping) return;
      running = loop();
    },
    async stop() {
      stopping = true;
      if (timer) clearTimeout(timer);
      await running;
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
