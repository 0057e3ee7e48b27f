import type { NotifyTargets } from '../config';
import type { NotificationChannel } from '../db/schema';
import type { NotificationMessage } from './message';
import type { RateLimit } from './pacing';

/**
 * What a channel adapter does: send one request carrying one message or a digest of several to one
 * configured target, and say how it went. Building and signing the request are pure functions in each
 * channel's file (unit-tested); `send` is the only I/O.
 */
export type SendContext = {
  /** The dispatcher's clock (ms): signatures' timestamps come from it. */
  now: number;
  /** The target's name in the configuration (not a secret). */
  targetName: string;
  publicUrl: string;
  /** Escalation key → the leader's action link, for the messages that carry one (leader-links.ts). */
  actionLinks?: ReadonlyMap<string, string>;
  timeoutMs: number;
  /** The outbox rows carried, for receivers that deduplicate (the webhook's delivery header). */
  notificationIds: number[];
};

export type SendOutcome =
  | { ok: true; response: unknown }
  | {
      ok: false;
      /** Free of secrets: the adapter removes the target's before returning it. */
      error: string;
      /** The provider asked us to wait (HTTP 429 Retry-After, a throttling error code). */
      retryAfterMs?: number;
      /** No retry can succeed (e.g. no recipient has an address): fail the row now. */
      permanent?: boolean;
    };

export interface ChannelAdapter<Target> {
  channel: NotificationChannel;
  /** The provider's limits per target, honoured before sending (never by dropping). */
  limits: RateLimit[];
  /** Secrets of a target that must never be stored or logged: removed from every error text. */
  secretsOf(target: Target): string[];
  send(target: Target, messages: NotificationMessage[], ctx: SendContext): Promise<SendOutcome>;
}

export type TargetOf<C extends NotificationChannel> = NonNullable<NotifyTargets[C]>[string];
