import { z } from 'zod';
import { CST_OFFSET_MS, chinaMinuteOf, dueDateOf } from '../domain/calendar';
import type { TextPolicy } from './escape';

/**
 * The channel-neutral content of one notification: what the escalation says and who it names, fixed
 * when the escalation fired (stored in `notifications.message`). Each channel renders it (and digests
 * of several) in its own format at send time; the link is built then, from PUBLIC_URL.
 */

/** A person named in a notification, with only the contact the channel needs (least personal data). */
export const Recipient = z.object({
  personId: z.string(),
  name: z.string(),
  /** The escalation's roles this person holds: secretary, leader, departmentHead, handler. */
  roles: z.array(z.string()),
  mobile: z.string().optional(),
  email: z.string().optional(),
  dingtalkUserId: z.string().optional(),
  wecomUserId: z.string().optional(),
  feishuOpenId: z.string().optional(),
});
export type Recipient = z.infer<typeof Recipient>;

export const NotificationMessage = z.object({
  escalationKey: z.string(),
  projectCode: z.string(),
  projectName: z.string(),
  rung: z.string(),
  level: z.number().int(),
  title: z.string(),
  body: z.string(),
  subject: z.object({ kind: z.string(), id: z.string() }),
  department: z.object({ code: z.string(), name: z.string() }).nullable(),
  dueAt: z.string().nullable(),
  firedAt: z.string(),
  recipients: z.array(Recipient),
});
export type NotificationMessage = z.infer<typeof NotificationMessage>;

/** What every renderer needs besides the messages. */
export type RenderContext = {
  publicUrl: string;
  /**
   * Escalation key → the leader's action link (notify/leader-links.ts), for the messages that carry
   * one: made at send time, so the token is never stored in the outbox.
   */
  actionLinks?: ReadonlyMap<string, string>;
};

/** The action's label: the leader answers with an instruction (批示). */
export const ACTION_TEXT_ZH = '批示';
/** How long a leader's action link may be used: long enough for a message read the next working day. */
export const LEADER_LINK_TTL_HOURS = 72;
/** Beside the action: what the link is and how long it lasts. */
export const ACTION_NOTE_ZH = `批示链接仅限本人使用，一次有效，${LEADER_LINK_TTL_HOURS} 小时内有效`;

/**
 * The project's page on the dashboard (挂图作战). The code is encoded whole, `( ) ! * '` included, so it
 * cannot close a markdown link target early.
 */
export function projectLink(publicUrl: string, projectCode: string): string {
  const code = encodeURIComponent(projectCode).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${publicUrl.replace(/\/+$/, '')}/ui/projects/${code}`;
}

/**
 * An instant as a person in China reads it. Deadlines are the end of a working day, stored as the next
 * midnight China time (domain/calendar.ts endOfDay), so a midnight shows as the day before it ends.
 */
export function formatInstantZh(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const midnight = (t + CST_OFFSET_MS) % 86_400_000 === 0;
  return midnight ? dueDateOf(t) : chinaMinuteOf(t);
}

/** The workflow's body text with its ISO instants in China time (it is written for the inbox as well). */
export function bodyZh(body: string): string {
  return body.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:\d\d)/g, formatInstantZh);
}

/** The facts every channel lists under the title, as `label：value` pairs, values written by `text`. */
export function factsZh(m: NotificationMessage, text: TextPolicy): [string, string][] {
  const v = text.value;
  const facts: [string, string][] = [['项目', `${v(m.projectName)}（${v(m.projectCode)}）`]];
  if (m.department) facts.push(['责任单位', `${v(m.department.name)}（${v(m.department.code)}）`]);
  if (m.dueAt) facts.push(['承诺时限', v(formatInstantZh(m.dueAt))]);
  facts.push(['触发时间', v(formatInstantZh(m.firedAt))]);
  return facts;
}

/**
 * Every message carries “审批”, the keyword robots are commonly set to require (a robot with keyword security drops a message
 * without it), and names
 * its sender.
 */
export const FOOTER_ZH = 'Greenlane 审批督办';

export const LINK_TEXT_ZH = '查看项目';

/** A digest's title: how many escalations it folds together. */
export function digestTitleZh(messages: NotificationMessage[], text: TextPolicy): string {
  const projects = new Set(messages.map((m) => m.projectCode)).size;
  return projects === 1
    ? `【审批督办汇总】${text.value(messages[0]!.projectName)} 共 ${messages.length} 条预警`
    : `【审批督办汇总】${projects} 个项目共 ${messages.length} 条预警`;
}

/** Everyone named in any of the messages, once each, in order of first appearance. */
export function recipientsOf(messages: NotificationMessage[]): Recipient[] {
  const seen = new Map<string, Recipient>();
  for (const m of messages) for (const r of m.recipients) if (!seen.has(r.personId)) seen.set(r.personId, r);
  return [...seen.values()];
}

/** UTF-8 length, which is what providers' size limits count. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** `text` cut to at most `max` UTF-8 bytes, never inside a character, marked when cut. */
export function truncateUtf8(text: string, max: number, mark = '…'): string {
  if (utf8Bytes(text) <= max) return text;
  const budget = max - utf8Bytes(mark);
  let out = '';
  let used = 0;
  for (const ch of text) {
    const n = utf8Bytes(ch);
    if (used + n > budget) break;
    out += ch;
    used += n;
  }
  return out + mark;
}
