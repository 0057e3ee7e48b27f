import { bodyZh, factsZh, type NotificationMessage, type Recipient } from './message';

/**
 * Text pieces shared by the channels' renderers: who is told, in Chinese, and the lines of a digest.
 * Each channel wraps them in its own markup.
 */

const roleZh: Record<string, string> = {
  leader: '责任领导',
  secretary: '项目秘书',
  departmentHead: '部门负责人',
  handler: '经办人',
};

/** `李建国（责任领导）、王秘书（项目秘书）`: everyone told, by name, whether or not the channel can ping them. */
export function toldZh(recipients: Recipient[]): string {
  return recipients
    .map((r) => {
      const roles = r.roles.map((x) => roleZh[x] ?? x).join('、');
      return roles ? `${r.name}（${roles}）` : r.name;
    })
    .join('、');
}

/** The message's own text: the workflow's body with instants in China time. */
export function bodyTextZh(m: NotificationMessage): string {
  return bodyZh(m.body);
}

/** One line per escalation of a digest: its title, then its deadline and department in brief. */
export function digestLineZh(m: NotificationMessage): { title: string; detail: string } {
  const facts = Object.fromEntries(factsZh(m));
  const detail = [facts['承诺时限'] ? `承诺时限 ${facts['承诺时限']}` : null, m.department?.name ?? null]
    .filter((x): x is string => x !== null)
    .join(' · ');
  return { title: m.title, detail };
}
