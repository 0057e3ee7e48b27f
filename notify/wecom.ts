import type { ChannelAdapter, SendOutcome, TargetOf } from './channel';
import { markdownPolicy, plainPolicy, validUserId } from './escape';
import { errcodeVerdict, postAndJudge, urlSecrets } from './http';
import type { NotificationMessage, RenderContext } from './message';
import * as msg from './message';
import { channelLimits } from './pacing';
import { actionLinkOf, bodyTextZh, digestLineZh, toldZh } from './render';

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
        const act = actionLinkOf(ctx, m);
        return `${i + 1}. <font color="${colourOf(m.rung)}">${line.title}</font>\n> ${line.detail} [${msg.LINK_TEXT_ZH}](${msg.projectLink(ctx.publicUrl, m.projectCode)})${act ? ` [${msg.ACTION_TEXT_ZH}](${act})` : ''}`;
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

/** At most `max` characters (WeCom counts a template card's fields in characters), marked when cut. */
const cut = (value: string, max: number) =>
  [...value].length <= max ? value : `${[...value].slice(0, max - 1).join('')}…`;

/**
 * The leader's own message with an action (notify/leader-links.ts): a text-notice template card, its
 * fields plain text (values one line each, nothing invisible), cut to WeCom's lengths; tapping the card
 * or its first jump opens the answer page.
 */
export function wecomTemplateCard(m: NotificationMessage, action: string, ctx: RenderContext) {
  const text = plainPolicy;
  return {
    msgtype: 'template_card' as const,
    template_card: {
      card_type: 'text_notice' as const,
      source: { desc: msg.FOOTER_ZH, desc_color: m.rung === 'reminder' ? 3 : 2 },
      main_title: { title: cut(text.value(m.title), 26), desc: cut(msg.ACTION_NOTE_ZH, 30) },
      sub_title_text: cut(bodyTextZh(m, text), 112),
      horizontal_content_list: msg
        .factsZh(m, text)
        .slice(0, 6)
        .map(([k, v]) => ({ keyname: cut(k, 5), value: cut(v, 26) })),
      jump_list: [
        { type: 1, title: msg.ACTION_TEXT_ZH, url: action },
        { type: 1, title: msg.LINK_TEXT_ZH, url: msg.projectLink(ctx.publicUrl, m.projectCode) },
      ],
      card_action: { type: 1, url: action },
    },
  };
}

/** What is sent: the template card when the one message carries an action, else the markdown message. */
export function wecomBody(messages: NotificationMessage[], ctx: RenderContext) {
  const action = messages.length === 1 ? actionLinkOf(ctx, messages[0]!) : undefined;
  return action ? wecomTemplateCard(messages[0]!, action, ctx) : wecomPayload(messages, ctx);
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
      body: JSON.stringify(wecomBody(messages, ctx)),
      headers: { 'content-type': 'application/json;charset=utf-8' },
    };
    return postAndJudge(request, ctx.timeoutMs, wecomVerdict, wecom.secretsOf(target));
  },
};
