import { sql } from 'kysely';
import type { Db } from './connect';

/**
 * Signing in with the organisation's identity: every statement on `oidc_identities` (which person an
 * identity is) and `oidc_logins` (a sign-in under way at the provider).
 */

export type IdentityLink = { issuer: string; subject: string; personId: string; linkedBy: string };

/** Every identity (or this person's), by person, issuer. */
export async function selectIdentities(
  db: Db,
  personId?: string,
): Promise<{ personId: string; issuer: string; subject: string }[]> {
  let q = db
    .selectFrom('oidc_identities')
    .select(['person_id as personId', 'issuer', 'subject'])
    .orderBy('person_id')
    .orderBy('issuer');
  if (personId !== undefined) q = q.where('person_id', '=', personId);
  return q.execute();
}

/** The person this identity is linked to, or undefined. */
export async function personOfIdentity(db: Db, issuer: string, subject: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('oidc_identities')
    .select('person_id')
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
  return row?.person_id;
}

/** The person's identity at this issuer, or undefined. */
export async function identityOfPerson(
  db: Db,
  issuer: string,
  personId: string,
): Promise<{ subject: string; linkedAt: Date; linkedBy: string } | undefined> {
  const row = await db
    .selectFrom('oidc_identities')
    .select(['subject', 'linked_at', 'linked_by'])
    .where('issuer', '=', issuer)
    .where('person_id', '=', personId)
    .executeTakeFirst();
  return row && { subject: row.subject, linkedAt: row.linked_at, linkedBy: row.linked_by };
}

/**
 * Links the identity to the person, replacing the person's earlier identity at this issuer. False
 * (nothing changed) when the identity is linked to someone else.
 */
export async function linkIdentity(db: Db, link: IdentityLink): Promise<boolean> {
  const other = await personOfIdentity(db, link.issuer, link.subject);
  if (other !== undefined && other !== link.personId) return false;
  await db
    .deleteFrom('oidc_identities')
    .where('issuer', '=', link.issuer)
    .where('person_id', '=', link.personId)
    .execute();
  return insertLink(db, link, 'identity');
}

/** Removes the person's identity at this issuer; its subject, or undefined when there was none. */
export async function unlinkIdentity(db: Db, issuer: string, personId: string): Promise<string | undefined> {
  const row = await db
    .deleteFrom('oidc_identities')
    .where('issuer', '=', issuer)
    .where('person_id', '=', personId)
    .returning('subject')
    .executeTakeFirst();
  return row?.subject;
}

export type PendingLogin = { state: string; nonce: string; codeVerifier: string };

export async function insertLogin(db: Db, id: string, login: PendingLogin, expiresAt: Date): Promise<void> {
  // Abandoned sign-ins are swept by the next one to start.
  await db.deleteFrom('oidc_logins').where('expires_at', '<', sql<Date>`now()`).execute();
  await db
    .insertInto('oidc_logins')
    .values({
      id,
      state: login.state,
      nonce: login.nonce,
      code_verifier: login.codeVerifier,
      expires_at: expiresAt,
    })
    .execute();
}

/** The sign-in under way with this id, removed so it cannot be used twice; undefined when none is live. */
export async function takeLogin(db: Db, id: string): Promise<PendingLogin | undefined> {
  const row = await db
    .deleteFrom('oidc_logins')
    .where('id', '=', id)
    .returning(['state', 'nonce', 'code_verifier', 'expires_at'])
    .executeTakeFirst();
  if (!row || row.expires_at.getTime() <= Date.now()) return undefined;
  return { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier };
}

/** Marks the person as having left (a completed handover), keeping the first time. */
export async function markPersonLeft(db: Db, personId: string): Promise<void> {
  await db
    .updateTable('people')
    .set({ left_at: sql<Date>`now()` })
    .where('id', '=', personId)
    .where('left_at', 'is', null)
    .execute();
}

/**
 * Links the identity to the person only if neither is linked yet at this issuer (a first sign-in
 * through the person-id claim); false when one of them is.
 */
export async function linkIdentityIfFree(db: Db, link: IdentityLink): Promise<boolean> {
  return insertLink(db, link, 'either');
}

/**
 * Inserts the link unless it conflicts: with the identity's existing link (`identity`), or with that or
 * the person's link at this issuer (`either`). True when it was inserted.
 */
async function insertLink(db: Db, link: IdentityLink, yieldTo: 'identity' | 'either'): Promise<boolean> {
  const inserted = await db
    .insertInto('oidc_identities')
    .values({
      issuer: link.issuer,
      subject: link.subject,
      person_id: link.personId,
      linked_by: link.linkedBy,
    })
    .onConflict((oc) => (yieldTo === 'identity' ? oc.columns(['issuer', 'subject']) : oc).doNothing())
    .returning('person_id')
    .executeTakeFirst();
  return inserted !== undefined;
}
