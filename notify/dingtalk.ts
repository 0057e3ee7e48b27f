import { createHmac } from 'node:crypto';
import type { ChannelAdapter, SendOutcome, TargetOf } from './channel';
import { markdownPolicy, validMobile, validUserId } from './escape';
import { errcodeVerdict, postAndJudge, urlSecrets } from './http';
import type { NotificationMessage, RenderContext } from './message';
import * as msg from './message';
import { channelLimits } from './pacing';
import { actionLinkOf, bodyTextZh, digestLineZh, toldZh } from './render';

/**
 * DingTalk custom group robot (钉钉自定义机器人): a markdown message, people pinged by
 * mobile (`at.atMobiles` and `@<mobile>` in the text), signed (加签) with HmacSHA256 keyed by the SEC…
 * secret over `timestamp\nsecret`, the millisecond timestamp and the URL-encoded sign in the query.
 */

/** `sign` before URL-encoding: base64(HmacSHA256(key = secret, message = `${timestampMs}\n${secret}`)). */
export function dingtalkSign(secret: string, timestampMs: number): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
}

/** The robot's URL with `timestamp` and the URL-encoded `sign` appended (unchanged without a secret). */
export function dingtalkSignedUrl(url: string, secret: string | undefined, timestampMs: number): string {
  if (!secret) return url;
  const sep = url.includes('?') ? '&' : '?';
  return `${url}${sep}timestamp=${timestampMs}&sign=${encodeURIComponent(dingtalkSign(secret, timestampMs))}`;
}

/** DingTalk accepts about 20,000 bytes of markdown; we stay under it with room for the mentions. */
const MAX_TEXT_BYTES = 18_000;

/**
 * The markdown message for one escalation, or a digest of several. Every value that came from a person
 * is made inert first (escape.ts); the headings, bold, bullets, the link to PUBLIC_URL and the mentions
 * of recipients from the directory are the template's, added around them.
 */
export function dingtalkPayload(messages: NotificationMessage[], ctx: RenderContext) {
  const text = markdownPolicy;
  const recipients = msg.recipientsOf(messages);
  const mobiles = unique(recipients.map((r) => validMobile(r.mobile)));
  // A person without a (well-formed) mobile is pinged by DingTalk user id, if we have one.
  const userIds = unique(
    recipients.filter((r) => !validMobile(r.mobile)).map((r) => validUserId(r.dingtalkUserId)),
  );
  const title = messages.length === 1 ? text.value(messages[0]!.title) : msg.digestTitleZh(messages, text);

  let main: string;
  if (messages.length === 1) {
    const m = messages[0]!;
    main = [
      `#### ${title}`,
      bodyTextZh(m, text),
      '',
      ...msg.factsZh(m, text).map(([k, v]) => `- ${k}：${v}`),
      '',
      `[${msg.LINK_TEXT_ZH}](${msg.projectLink(ctx.publicUrl, m.projectCode)})`,
    ].join('\n');
  } else {
    main = [
      `#### ${title}`,
      ...messages.map((m, i) => {
        const line = digestLineZh(m, text);
        const act = actionLinkOf(ctx, m);
        return `${i + 1}. **${line.title}**\n   ${line.detail} · [${msg.LINK_TEXT_ZH}](${msg.projectLink(ctx.publicUrl, m.projectCode)})${act ? ` · [${msg.ACTION_TEXT_ZH}](${act})` : ''}`;
      }),
    ].join('\n');
  }
  const tail = [
    '',
    recipients.length > 0 ? `通知：${toldZh(recipients, text)}` : null,
    [...mobiles, ...userIds].map((x) => `@${x}`).join(' ') || null,
    '',
    msg.FOOTER_ZH,
  ]
    .filter((x) => x !== null)
    .join('\n');
  return {
    msgtype: 'markdown' as const,
    markdown: { title, text: `${msg.truncateUtf8(main, MAX_TEXT_BYTES)}\n${tail}` },
    at: { atMobiles: mobiles, atUserIds: userIds, isAtAll: false },
  };
}

/**
 * The leader's own message with an action (notify/leader-links.ts): an ActionCard whose buttons open the
 * answer page and the project page. Its text is markdown written like the plain message's, values made
 * inert the same way; a card pings nobody (the robot reaches the leader alone).
 */
export function dingtalkActionCard(m: NotificationMessage, action: string, ctx: RenderContext) {
  const text = markdownPolicy;
  const title = text.value(m.title);
  const body = [
    `#### ${title}`,
    bodyTextZh(m, text),
    '',
    ...msg.factsZh(m, text).map(([k, v]) => `- ${k}：${v}`),
    '',
    msg.ACTION_NOTE_ZH,
    '',
    msg.FOOTER_ZH,
  ].join('\n');
  return {
    msgtype: 'actionCard' as const,
    actionCard: {
      title,
      text: msg.truncateUtf8(body, MAX_TEXT_BYTES),
      btnOrientation: '1',
      btns: [
        { title: msg.ACTION_TEXT_ZH, actionURL: action },
        { title: msg.LINK_TEXT_ZH, actionURL: msg.projectLink(ctx.publicUrl, m.projectCode) },
      ],
    },
  };
}

/** What is sent: the ActionCard when the one message carries an action, else the markdown message. */
export function dingtalkBody(messages: NotificationMessage[], ctx: RenderContext) {
  const action = messages.length === 1 ? actionLinkOf(ctx, messages[0]!) : undefined;
  return action ? dingtalkActionCard(messages[0]!, action, ctx) : dingtalkPayload(messages, ctx);
}

/** DingTalk answers HTTP 200 with `errcode`; 0 is the only success. */
export const dingtalkVerdict = (json: unknown) => errcodeVerdict('DingTalk', json, SLOW_DOWN);

const SLOW_DOWN: Readonly<Record<number, number>> = {
  // 130101: sending too fast (over 20 messages a minute); DingTalk silences the robot for 10 minutes.
  130101: 10 * 60_000,
};

export const dingtalk: ChannelAdapter<TargetOf<'dingtalk'>> = {
  channel: 'dingtalk',
  limits: channelLimits.dingtalk,
  secretsOf: (t) => [...urlSecrets(t.url), ...(t.secret ? [t.secret] : [])],
  send(target, messages, ctx): Promise<SendOutcome> {
    const request = {
      url: dingtalkSignedUrl(target.url, target.secret, ctx.now),
      body: JSON.stringify(dingtalkBody(messages, ctx)),
      headers: { 'content-type': 'application/json;charset=utf-8' },
    };
    return postAndJudge(request, ctx.timeoutMs, dingtalkVerdict, dingtalk.secretsOf(target));
  },
};

function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}
