import type { TextPolicy } from './escape';
import { bodyZh, factsZh, type NotificationMessage, type Recipient, type RenderContext } from './message';

/**
 * Text pieces shared by the channels' renderers: who is told, in Chinese, and the lines of a digest.
 * Each channel wraps them in its own markup; every value that came from a person is written through the
 * channel's policy (escape.ts) first, so the markup around it is the template's alone.
 */

const roleZh: Record<string, string> = {
  leader: '责任领导',
  secretary: '项目秘书',
  departmentHead: '部门负责人',
  handler: '经办人',
};

/** `李建国（责任领导）、王秘书（项目秘书）`: everyone told, by name, whether or not the channel can ping them. */
export function toldZh(recipients: Recipient[], text: TextPolicy): string {
  return recipients
    .map((r) => {
      const roles = r.roles.map((x) => roleZh[x] ?? text.value(x)).join('、');
      return roles ? `${text.value(r.name)}（${roles}）` : text.value(r.name);
    })
    .join('、');
}

/** A digest's body has lines of its own (its values are single-line); an escalation's is one line. */
export const isDigest = (m: NotificationMessage) => m.subject.kind === 'digest';

/** The message's own text: the workflow's body with instants in China time. */
export function bodyTextZh(m: NotificationMessage, text: TextPolicy): string {
  return isDigest(m) ? text.lines(bodyZh(m.body)) : text.value(bodyZh(m.body));
}

/** One line per escalation of a digest: its title, then its deadline and department in brief. */
export function digestLineZh(m: NotificationMessage, text: TextPolicy): { title: string; detail: string } {
  const facts = Object.fromEntries(factsZh(m, text));
  const detail = [
    facts['承诺时限'] ? `承诺时限 ${facts['承诺时限']}` : null,
    m.department ? text.value(m.department.name) : null,
  ]
    .filter((x): x is string => x !== null)
    .join(' · ');
  return { title: text.value(m.title), detail };
}

/** The leader who alone reads this message, when it is one; an action link is put only then (leader-links.ts). */
export function soleLeaderOf(m: NotificationMessage): string | undefined {
  if (isDigest(m) || m.recipients.length !== 1) return undefined;
  const [only] = m.recipients;
  return only!.roles.includes('leader') ? only!.personId : undefined;
}

/** The action link this message carries: only a message its leader alone reads ever carries one. */
export const actionLinkOf = (ctx: RenderContext, m: NotificationMessage): string | undefined =>
  soleLeaderOf(m) ? ctx.actionLinks?.get(m.escalationKey) : undefined;
