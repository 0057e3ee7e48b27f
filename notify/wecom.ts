import type { ChannelAdapter, SendOutcome, TargetOf } from './channel';
import { markdownPolicy, validUserId } from './escape';
import { errcodeVerdict, postAndJudge, urlSecrets } from './http';
import type { NotificationMessage, RenderContext } from './message';
import * as msg from './message';
import { channelLimits } from './pacing';
import { bodyTextZh, digestLineZh, toldZh } from './render';

/**
 * WeCom group robot (企业微信群机器人): a markdown message; people are pinged with
 * `<@userid>` inside the content (the `mentioned_*` lists apply to text messages only). There is no
 * signing: the key in the URL is the credential.
 */

/** WeCom's markdown content is at most 4096 bytes. */
const MAX_CONTENT_BYTES = 4096;

/** Reminders in green, cards in orange-red (WeCom's three markdown colours: info, comment, warning). */
const colourOf = (rung: string) => (rung === 'reminder' ? 'info' : 'warning');

/**
 * Every value that came from a person is made inert first (escape.ts); the headings, colours, the link
 * to PUBLIC_URL and the `<@userid>` mentions of recipients from the directory are the template's.
 */
export function wecomPayload(messages: NotificationMessage[], ctx: RenderContext) {
  const text = markdownPolicy;
  const recipients = msg.recipientsOf(messages);
  const mentions = [
    ...new Set(recipients.map((r) => validUserId(r.wecomUserId)).filter((x): x is string => !!x)),
  ];
  let main: string;
  if (messages.length === 1) {
    const m = messages[0]!;
    main = [
      `### <font color="${colourOf(m.rung)}">${text.value(m.title)}</font>`,
      bodyTextZh(m, text),
      ...msg.factsZh(m, text).map(([k, v]) => `> ${k}：<font color="comment">${v}</font>`),
      `[${msg.LINK_TEXT_ZH}](${msg.projectLink(ctx.publicUrl, m.projectCode)})`,
    ].join('\n');
  } else {
    main = [
      `### ${msg.digestTitleZh(messages, text)}`,
      ...messages.map((m, i) => {
        const line = digestLineZh(m, text);
        return `${i + 1}. <font color="${colourOf(m.rung)}">${line.title}</font>\n> ${line.detail} [${msg.LINK_TEXT_ZH}](${msg.projectLink(ctx.publicUrl, m.projectCode)})`;
      }),
    ].join('\n');
  }
  const tail = [
    recipients.length > 0 ? `通知：${toldZh(recipients, text)}` : null,
    mentions.map((id) => `<@${id}>`).join(' ') || null,
    msg.FOOTER_ZH,
  ]
    .filter((x) => x !== null)
    .join('\n');
  const content = `${msg.truncateUtf8(main, MAX_CONTENT_BYTES - Buffer.byteLength(tail, 'utf8') - 1)}\n${tail}`;
  return { msgtype: 'markdown' as const, markdown: { content } };
}

/** WeCom answers HTTP 200 with `errcode`; 0 is the only success. */
export const wecomVerdict = (json: unknown) => errcodeVerdict('WeCom', json, SLOW_DOWN);

const SLOW_DOWN: Readonly<Record<number, number>> = {
  // 45009: API frequency over the limit.
  45009: 60_000,
};

export const wecom: ChannelAdapter<TargetOf<'wecom'>> = {
  channel: 'wecom',
  limits: channelLimits.wecom,
  secretsOf: (t) => urlSecrets(t.url),
  send(target, messages, ctx): Promise<SendOutcome> {
    const request = {
      url: target.url,
      body: JSON.stringify(wecomPayload(messages, ctx)),
      headers: { 'content-type': 'application/json;charset=utf-8' },
    };
    return postAndJudge(request, ctx.timeoutMs, wecomVerdict, wecom.secretsOf(target));
  },
};
