import { createHmac, timingSafeEqual } from 'node:crypto';
import { dueDateOf } from '../domain/calendar';
import type { ChannelAdapter, SendOutcome, TargetOf } from './channel';
import { postAndJudge, urlSecrets } from './http';
import { bodyZh, type NotificationMessage, projectLink, type RenderContext } from './message';
import { channelLimits } from './pacing';

/**
 * A generic JSON webhook for systems of the city's own (an OA, a 政务 platform relay): the messages as
 * data, signed `X-Greenlane-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`. The body carries the
 * same `sentAt` as the `X-Greenlane-Timestamp` header, so the signature covers the time and a receiver
 * can refuse replays; `X-Greenlane-Delivery` (and each entry's `notificationId`) is stable across
 * retries, so a receiver can drop the duplicates that at-least-once delivery allows.
 */

export const SIGNATURE_HEADER = 'x-greenlane-signature';
export const TIMESTAMP_HEADER = 'x-greenlane-timestamp';
export const DELIVERY_HEADER = 'x-greenlane-delivery';

export function webhookSignature(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody, 'utf8').digest('hex')}`;
}

/** What a receiver does (and our test receiver does): recompute over the raw body, compare in constant time. */
export function verifyWebhookSignature(
  secret: string,
  rawBody: string,
  header: string | null | undefined,
): boolean {
  if (!header) return false;
  const expected = Buffer.from(webhookSignature(secret, rawBody));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function webhookBody(
  messages: NotificationMessage[],
  ctx: RenderContext & { notificationIds: number[] },
  sentAtSeconds: number,
) {
  return {
    type: 'greenlane.escalations' as const,
    sentAt: sentAtSeconds,
    escalations: messages.map((m, i) => ({
      notificationId: ctx.notificationIds[i] ?? null,
      key: m.escalationKey,
      projectCode: m.projectCode,
      projectName: m.projectName,
      rung: m.rung,
      level: m.level,
      title: m.title,
      text: bodyZh(m.body),
      subject: m.subject,
      department: m.department,
      dueAt: m.dueAt,
      // The China date the deadline ends (dueAt is 00:00 China time of the day after it).
      dueDate: m.dueAt === null ? null : dueDateOf(m.dueAt),
      firedAt: m.firedAt,
      link: projectLink(ctx.publicUrl, m.projectCode),
      recipients: m.recipients.map((r) => ({ personId: r.personId, name: r.name, roles: r.roles })),
    })),
  };
}

export const webhook: ChannelAdapter<TargetOf<'webhook'>> = {
  channel: 'webhook',
  limits: channelLimits.webhook,
  secretsOf: (t) => [...urlSecrets(t.url), t.secret],
  send(target, messages, ctx): Promise<SendOutcome> {
    const sentAt = Math.floor(ctx.now / 1000);
    const body = JSON.stringify(webhookBody(messages, ctx, sentAt));
    const request = {
      url: target.url,
      body,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        [TIMESTAMP_HEADER]: String(sentAt),
        [SIGNATURE_HEADER]: webhookSignature(target.secret, body),
        [DELIVERY_HEADER]: ctx.notificationIds.join(','),
      },
    };
    // Any 2xx is an answer; the body, if JSON, is kept as the provider's answer.
    return postAndJudge(request, ctx.timeoutMs, () => ({ ok: true }), webhook.secretsOf(target));
  },
};
