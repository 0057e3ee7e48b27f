import { randomBytes } from 'node:crypto';
import type { Db } from '../db/connect';
import { insertLeaderLink } from '../db/leader-links';
import { LEADER_LINK_TTL_HOURS, type NotificationMessage } from './message';
import { soleLeaderOf } from './render';

/**
 * Leaders act from the message: an escalation message that reaches the project's
 * responsible leader on their own channel carries an action — DingTalk ActionCard, WeCom template
 * card, Feishu interactive card, a line in the e-mail — that opens a phone-sized page where the leader
 * reads the project and answers with an instruction (批示), no key to paste (api/routes/leader-page.ts).
 *
 * The link is made like a password-reset token: 32 random bytes, only their SHA-256 kept
 * (`leader_links`), bound to one escalation and one leader, good for LEADER_LINK_TTL_MS and for one
 * answer (a conditional UPDATE … where used_at is null takes it, so two taps at once answer once).
 * Opening the page uses nothing (chat apps prefetch links to preview them); only the answer does.
 *
 * What proves that the opener is the leader: the link alone, for one use within its lifetime — as a
 * reset link proves its mailbox's owner. So a link is put only where the leader alone reads it: a
 * message whose only recipient is the leader (their own robot, work notification or mailbox). A
 * message to a department's or the project's group names the leader among others and carries the
 * ordinary 查看项目 link, never an action. A link forwarded nonetheless still shows, in large type,
 * whose link it is; and the page refuses when that person is no longer the project's responsible
 * leader (reassigned or handed over since), so a link outlives neither its lifetime nor its leader's
 * role. A retried send makes a fresh link; the unused one simply expires.
 */

/** How long a leader's link may be used (message.ts LEADER_LINK_TTL_HOURS, said in every message). */
export const LEADER_LINK_TTL_MS = LEADER_LINK_TTL_HOURS * 3_600_000;

/** The page a link opens: the token in the path, base64url (no encoding needed). */
export const leaderLinkUrl = (publicUrl: string, token: string) =>
  `${publicUrl.replace(/\/+$/, '')}/l/${token}`;

/** An action link per escalation in `messages` that its leader alone reads, stored hashed; key → URL. */
export async function mintLeaderLinks(
  db: Db,
  messages: readonly NotificationMessage[],
  publicUrl: string,
  now: number,
): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  for (const m of messages) {
    const personId = soleLeaderOf(m);
    if (!personId || links.has(m.escalationKey)) continue;
    const token = randomBytes(32).toString('base64url');
    await insertLeaderLink(db, {
      token,
      escalationKey: m.escalationKey,
      personId,
      expiresAt: new Date(now + LEADER_LINK_TTL_MS),
    });
    links.set(m.escalationKey, leaderLinkUrl(publicUrl, token));
  }
  return links;
}
