import { createHmac } from 'node:crypto';
import type { ChannelAdapter, SendOutcome, TargetOf } from './channel';
import { feishuPolicy, validUserId } from './escape';
import { postAndJudge, urlSecrets } from './http';
import type { NotificationMessage, RenderContext } from './message';
import * as msg from './message';
import { channelLimits } from './pacing';
import { actionLinkOf, bodyTextZh, digestLineZh, toldZh } from './render';

/**
 * Feishu custom bot (飞书自定义机器人): a rich-text `post` message with `at` elements (a
 * custom bot can mention only by open_id). Its signature differs from DingTalk's: HmacSHA256 keyed by
 * `timestamp\nsecret` over an EMPTY message, a timestamp in SECONDS, both in the JSON body.
 */

/** base64(HmacSHA256(key = `${timestampSeconds}\n${secret}`, message = empty)). Not URL-encoded. */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

type PostElement =
  | { tag: 'text'; text: string }
  | { tag: 'a'; text: string; href: string }
  | { tag: 'at'; user_id: string };

/** Feishu refuses bodies over 20 KB: a digest keeps its first lines and says how many it left out. */
const MAX_BODY_BYTES = 19_000;

/**
 * Text elements carry values as plain text (escape.ts: one line each, nothing invisible, no `<at>`
 * markup); the `a` links to PUBLIC_URL and the `at` mentions of recipients from the directory are the
 * template's.
 */
export function feishuContent(messages: NotificationMessage[], ctx: RenderContext) {
  const text = feishuPolicy;
  const recipients = msg.recipientsOf(messages);
  const single = messages.length === 1;
  const title = single ? text.value(messages[0]!.title) : msg.digestTitleZh(messages, text);
  const lines: PostElement[][] = [];
  if (single) {
    const m = messages[0]!;
    lines.push([{ tag: 'text', text: bodyTextZh(m, text) }]);
    for (const [k, v] of msg.factsZh(m, text)) lines.push([{ tag: 'text', text: `${k}：${v}` }]);
    lines.push([{ tag: 'a', text: msg.LINK_TEXT_ZH, href: msg.projectLink(ctx.publicUrl, m.projectCode) }]);
  } else {
    messages.forEach((m, i) => {
      const line = digestLineZh(m, text);
      const act = actionLinkOf(ctx, m);
      lines.push([
        { tag: 'text', text: `${i + 1}. ${line.title}（${line.detail}） ` },
        { tag: 'a', text: msg.LINK_TEXT_ZH, href: msg.projectLink(ctx.publicUrl, m.projectCode) },
        ...(act
          ? [
              { tag: 'text' as const, text: ' ' },
              { tag: 'a' as const, text: msg.ACTION_TEXT_ZH, href: act },
            ]
          : []),
      ]);
    });
  }
  const tail: PostElement[][] = [];
  if (recipients.length > 0) tail.push([{ tag: 'text', text: `通知：${toldZh(recipients, text)}` }]);
  const ats = [
    ...new Set(recipients.map((r) => validUserId(r.feishuOpenId)).filter((x): x is string => !!x)),
  ];
  if (ats.length > 0) tail.push(ats.map((id) => ({ tag: 'at', user_id: id })));
  tail.push([{ tag: 'text', text: msg.FOOTER_ZH }]);
  const post = (body: PostElement[][]) => ({ post: { zh_cn: { title, content: [...body, ...tail] } } });
  while (lines.length > 1 && Buffer.byteLength(JSON.stringify(post(lines)), 'utf8') > MAX_BODY_BYTES) {
    lines.splice(-2, 2, [{ tag: 'text', text: '……（其余略，见项目页）' }]);
  }
  return post(lines);
}

const plain = (content: string) => ({ tag: 'plain_text' as const, content });

/**
 * The leader's own message with an action (notify/leader-links.ts): an interactive card, every value in
 * `plain_text` elements (never `lark_md`, so a value cannot format it), its buttons opening the answer
 * page and the project page.
 */
export function feishuActionCard(m: NotificationMessage, action: string, ctx: RenderContext) {
  const text = feishuPolicy;
  return {
    config: { wide_screen_mode: true },
    header: {
      title: plain(text.value(m.title)),
      template: m.rung === 'reminder' ? 'blue' : m.rung === 'yellow' ? 'yellow' : 'red',
    },
    elements: [
      { tag: 'div', text: plain(bodyTextZh(m, text)) },
      {
        tag: 'div',
        fields: msg.factsZh(m, text).map(([k, v]) => ({ is_short: true, text: plain(`${k}：${v}`) })),
      },
      {
        tag: 'action',
        actions: [
          { tag: 'button', text: plain(msg.ACTION_TEXT_ZH), type: 'primary', url: action },
          {
            tag: 'button',
            text: plain(msg.LINK_TEXT_ZH),
            type: 'default',
            url: msg.projectLink(ctx.publicUrl, m.projectCode),
          },
        ],
      },
      { tag: 'note', elements: [plain(`${msg.ACTION_NOTE_ZH} · ${msg.FOOTER_ZH}`)] },
    ],
  };
}

/** The request body: the signature fields first, then the message. */
export function feishuPayload(
  messages: NotificationMessage[],
  ctx: RenderContext,
  secret: string | undefined,
  timestampSeconds: number,
) {
  return {
    ...feishuSignature(secret, timestampSeconds),
    msg_type: 'post' as const,
    content: feishuContent(messages, ctx),
  };
}

function feishuSignature(secret: string | undefined, timestampSeconds: number) {
  return secret ? { timestamp: String(timestampSeconds), sign: feishuSign(secret, timestampSeconds) } : {};
}

/** What is sent: the interactive card when the one message carries an action, else the `post` message. */
export function feishuBody(
  messages: NotificationMessage[],
  ctx: RenderContext,
  secret: string | undefined,
  timestampSeconds: number,
) {
  const action = messages.length === 1 ? actionLinkOf(ctx, messages[0]!) : undefined;
  if (!action) return feishuPayload(messages, ctx, secret, timestampSeconds);
  const card = feishuActionCard(messages[0]!, action, ctx);
  return { ...feishuSignature(secret, timestampSeconds), msg_type: 'interactive' as const, card };
}

/** Feishu answers HTTP 200 with `code` (older deployments: `StatusCode`); 0 is the only success. */
export function feishuVerdict(
  json: unknown,
): { ok: true } | { ok: false; error: string; retryAfterMs?: number } {
  const body = (json ?? {}) as {
    code?: unknown;
    msg?: unknown;
    StatusCode?: unknown;
    StatusMessage?: unknown;
  };
  const code = body.code ?? body.StatusCode;
  if (code === 0) return { ok: true };
  return {
    ok: false,
    error: `Feishu code ${String(code ?? 'missing')}: ${String(body.msg ?? body.StatusMessage ?? '')}`.trim(),
    // 11232: throttled (often on the hour or half hour); 9499: too many requests.
    ...(code === 11232 || code === 9499 ? { retryAfterMs: 60_000 } : {}),
  };
}

export const feishu: ChannelAdapter<TargetOf<'feishu'>> = {
  channel: 'feishu',
  limits: channelLimits.feishu,
  secretsOf: (t) => [...urlSecrets(t.url), ...(t.secret ? [t.secret] : [])],
  send(target, messages, ctx): Promise<SendOutcome> {
    const payload = feishuBody(messages, ctx, target.secret, Math.floor(ctx.now / 1000));
    const request = {
      url: target.url,
      body: JSON.stringify(payload),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    };
    return postAndJudge(request, ctx.timeoutMs, feishuVerdict, feishu.secretsOf(target));
  },
};
