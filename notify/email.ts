import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { ChannelAdapter, SendOutcome, TargetOf } from './channel';
import { plainPolicy } from './escape';
import { describeError, redact } from './http';
import type { NotificationMessage, RenderContext } from './message';
import * as msg from './message';
import { channelLimits } from './pacing';
import { actionLinkOf, bodyTextZh, digestLineZh, toldZh } from './render';

/**
 * E-mail over SMTP (nodemailer: STARTTLS, AUTH, RFC 2047 subjects and UTF-8 bodies are its job):
 * plain text, the escalation's title as the subject, sent to everyone routed here who has an address
 * plus the target's fixed `to` list.
 */

export type EmailContent = { to: string[]; subject: string; text: string };

export function emailContent(
  messages: NotificationMessage[],
  ctx: RenderContext,
  fixedTo: readonly string[] = [],
): EmailContent {
  // Plain text: values one line each and nothing invisible (escape.ts); the subject is a single line.
  const text = plainPolicy;
  const recipients = msg.recipientsOf(messages);
  const to = [...new Set([...recipients.map((r) => r.email).filter((x): x is string => !!x), ...fixedTo])];
  const told = recipients.length > 0 ? [`通知：${toldZh(recipients, text)}`, ''] : [];
  if (messages.length === 1) {
    const m = messages[0]!;
    const subject = text.value(m.title);
    const body = [
      subject,
      '',
      bodyTextZh(m, text),
      '',
      ...msg.factsZh(m, text).map(([k, v]) => `${k}：${v}`),
      '',
      ...told,
      ...actionLines(actionLinkOf(ctx, m)),
      `${msg.LINK_TEXT_ZH}：${msg.projectLink(ctx.publicUrl, m.projectCode)}`,
      '',
      `—— ${msg.FOOTER_ZH}（系统自动发送，请勿直接回复）`,
    ].join('\n');
    return { to, subject, text: body };
  }
  const subject = msg.digestTitleZh(messages, text);
  const body = [
    subject,
    '',
    ...messages.flatMap((m, i) => {
      const line = digestLineZh(m, text);
      return [
        `${i + 1}. ${line.title}`,
        `   ${line.detail}`,
        `   ${msg.projectLink(ctx.publicUrl, m.projectCode)}`,
        ...actionLines(actionLinkOf(ctx, m)).map((l) => `   ${l}`),
      ];
    }),
    '',
    ...told,
    `—— ${msg.FOOTER_ZH}（系统自动发送，请勿直接回复）`,
  ].join('\n');
  return { to, subject, text: body };
}

/** The leader's action link (notify/leader-links.ts) and what it is, when the message carries one. */
function actionLines(action: string | undefined): string[] {
  return action ? [`${msg.ACTION_TEXT_ZH}（${msg.ACTION_NOTE_ZH}）：${action}`] : [];
}

/**
 * The same escalations to the same target always get the same Message-ID, so a message sent twice (the
 * at-least-once window) is recognisable as one by mail clients that deduplicate.
 */
export function emailMessageId(messages: NotificationMessage[], targetName: string, from: string): string {
  const digest = createHash('sha256')
    .update(messages.map((m) => m.escalationKey).join('\n'))
    .update(`\n${targetName}`)
    .digest('hex')
    .slice(0, 32);
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'greenlane.invalid';
  return `<${digest}.greenlane@${domain}>`;
}

export const email: ChannelAdapter<TargetOf<'email'>> = {
  channel: 'email',
  limits: channelLimits.email,
  secretsOf: (t) => (t.password ? [t.password] : []),
  async send(target, messages, ctx): Promise<SendOutcome> {
    const content = emailContent(messages, ctx, target.to);
    if (content.to.length === 0) {
      return { ok: false, permanent: true, error: 'no recipient of this message has an e-mail address' };
    }
    const transport = createTransport({
      host: target.host,
      port: target.port,
      secure: target.secure,
      requireTLS: target.requireTls,
      ...(target.user ? { auth: { user: target.user, pass: target.password ?? '' } } : {}),
      connectionTimeout: ctx.timeoutMs,
      greetingTimeout: ctx.timeoutMs,
      socketTimeout: ctx.timeoutMs,
      logger: false,
    });
    try {
      const info = await transport.sendMail({
        from: target.from,
        to: content.to,
        subject: content.subject,
        text: content.text,
        messageId: emailMessageId(messages, ctx.targetName, target.from),
        headers: { 'X-Greenlane-Escalations': messages.map((m) => m.escalationKey).join(', ') },
      });
      return {
        ok: true,
        response: {
          messageId: info.messageId,
          response: info.response,
          accepted: info.accepted,
          rejected: info.rejected,
        },
      };
    } catch (error) {
      return { ok: false, error: redact(`SMTP: ${describeError(error)}`, email.secretsOf(target)) };
    } finally {
      transport.close();
    }
  },
};
