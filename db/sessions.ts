import { sql } from 'kysely';
import type { Db } from './connect';
import type { PrincipalRole } from './schema';

/** Web sessions (the dashboard's sign-in): every statement on `web_sessions`. */

export type NewSession = {
  /** SHA-256 hex of the token the browser holds. */
  id: string;
  keyId?: string;
  personId?: string;
  csrfToken: string;
  expiresAt: Date;
  userAgent?: string | null;
  /** The ID token, for a session signed in through the identity provider. */
  idToken?: string;
};

export async function insertSession(db: Db, s: NewSession): Promise<void> {
  await db
    .insertInto('web_sessions')
    .values({
      id: s.id,
      key_id: s.keyId ?? null,
      person_id: s.personId ?? null,
      csrf_token: s.csrfToken,
      expires_at: s.expiresAt,
      user_agent: s.userAgent?.slice(0, 300) ?? null,
      id_token: s.idToken ?? null,
    })
    .execute();
}

/** What a live session stands for, with the key or person it was signed in with. */
export type SessionRow = {
  id: string;
  csrfToken: string;
  lastSeenAt: Date;
  keyId: string | null;
  personId: string | null;
  role: PrincipalRole | null;
  department: string | null;
  name: string | null;
  label: string | null;
};

/**
 * The session with this id if it is live: not ended, before its absolute end, seen within `idleMs`,
 * (for a key's session) its key not revoked, and its person (if any) not left. Anything else reads as
 * no session.
 */
export async function liveSession(db: Db, id: string, idleMs: number): Promise<SessionRow | null> {
  const row = await db
    .selectFrom('web_sessions as s')
    .leftJoin('api_keys as k', 'k.id', 's.key_id')
    .leftJoin('people as p', (j) => j.on(sql`p.id`, '=', sql`coalesce(k.person_id, s.person_id)`))
    .select(['s.id', 's.csrf_token', 's.last_seen_at', 's.key_id', 'k.revoked_at', 'k.label'])
    .select([
      'p.id as person_id',
      'p.left_at',
      'p.name',
      'p.role as person_role',
      'p.department as person_department',
    ])
    .select(['k.role as key_role', 'k.department as key_department'])
    .where('s.id', '=', id)
    .where('s.ended_at', 'is', null)
    .where('s.expires_at', '>', sql<Date>`now()`)
    .where('s.last_seen_at', '>', sql<Date>`now() - make_interval(secs => ${idleMs / 1000})`)
    .executeTakeFirst();
  if (!row) return null;
  if (row.key_id !== null && (row.revoked_at !== null || row.key_role === null)) return null;
  if (row.left_at !== null) return null;
  const fromKey = row.key_id !== null;
  return {
    id: row.id,
    csrfToken: row.csrf_token,
    lastSeenAt: row.last_seen_at,
    keyId: row.key_id,
    personId: row.person_id,
    role: fromKey ? row.key_role : row.person_role,
    department: fromKey ? row.key_department : row.person_department,
    name: row.name,
    label: row.label,
  };
}

export async function touchSession(db: Db, id: string): Promise<void> {
  await db.updateTable('web_sessions').set({ last_seen_at: sql<Date>`now()` }).where('id', '=', id).execute();
}

/** Ends the session; its ID token when it was live and signed in through the identity provider. */
export async function endSession(db: Db, id: string): Promise<string | null> {
  const row = await db
    .updateTable('web_sessions')
    .set({ ended_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .returning('id_token')
    .executeTakeFirst();
  return row?.id_token ?? null;
}

/** Ends every live session signed in as this person through the identity provider; how many. */
export async function endPersonSessions(db: Db, personId: string): Promise<number> {
  const ended = await db
    .updateTable('web_sessions')
    .set({ ended_at: sql<Date>`now()` })
    .where('person_id', '=', personId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(ended.numUpdatedRows);
}
