import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './connect';

/**
 * Leaders' action links (notify/leader-links.ts says why and how): every statement on `leader_links`.
 * Callers hold the token; only its SHA-256 (the row's id) reaches the table, here.
 */

/** The row id of a token: lower-case hex SHA-256, as api/auth/key-material.ts hashes key secrets. */
export const leaderLinkId = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export type NewLeaderLink = {
  /** The random token the link carries (stored only as its hash). */
  token: string;
  /** The escalation's key (the `escalations` primary key). */
  escalationKey: string;
  personId: string;
  expiresAt: Date;
};

export async function insertLeaderLink(db: Db, link: NewLeaderLink): Promise<void> {
  await db
    .insertInto('leader_links')
    .values({
      id: leaderLinkId(link.token),
      escalation_id: link.escalationKey,
      person_id: link.personId,
      expires_at: link.expiresAt,
    })
    .execute();
}

export type LeaderLinkRow = {
  id: string;
  escalationKey: string;
  personId: string;
  personName: string;
  expiresAt: Date;
  usedAt: Date | null;
  /** Whether the link's end has passed, by the database's clock (the one `claimLeaderLink` uses). */
  expired: boolean;
};

/** The link of this token and the leader it is bound to, used or not, expired or not; undefined when unknown. */
export async function findLeaderLink(db: Db, token: string): Promise<LeaderLinkRow | undefined> {
  const id = leaderLinkId(token);
  const row = await db
    .selectFrom('leader_links as l')
    .innerJoin('people as p', 'p.id', 'l.person_id')
    .select(['l.id', 'l.escalation_id', 'l.person_id', 'l.expires_at', 'l.used_at', 'p.name'])
    .select(sql<boolean>`l.expires_at <= now()`.as('expired'))
    .where('l.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    escalationKey: row.escalation_id,
    personId: row.person_id,
    personName: row.name,
    expiresAt: row.expires_at,
    usedAt: row.used_at,
    expired: row.expired,
  };
}

/**
 * Takes the link for one use: true for exactly one caller while it is unused and unexpired, however
 * many ask at once (the row lock of the conditional UPDATE serialises them; the losers see `used_at`).
 */
export async function claimLeaderLink(db: Db, id: string): Promise<boolean> {
  const result = await db
    .updateTable('leader_links')
    .set({ used_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/**
 * Gives a claimed link back when the answer it was claimed for did not happen (Temporal unreachable,
 * the workflow refused): the leader may try again with the same link while it lasts.
 */
export async function releaseLeaderLink(db: Db, id: string): Promise<void> {
  await db.updateTable('leader_links').set({ used_at: null }).where('id', '=', id).execute();
}
