import { type Kysely, sql, type Transaction } from 'kysely';
import type { Db } from './connect';
import type { ApiKeyRow, DB } from './schema';

/**
 * API keys: every statement on `api_keys`. Only the SHA-256 of a key's secret is stored; making and
 * checking keys is api/auth/key-material.ts, the rules for issuing them api/auth/people-and-keys.ts.
 */

/** A key as issued: never revoked, never used. */
export type NewKeyValues = Pick<
  ApiKeyRow,
  'id' | 'person_id' | 'role' | 'department' | 'label' | 'secret_hash'
>;

/** A key as listed: everything but its secret's hash. */
export type KeyListRow = Omit<ApiKeyRow, 'secret_hash'>;

/** A key with what authentication needs: its secret's hash and the name of its person, if any. */
export type KeyWithPerson = Omit<ApiKeyRow, 'created_at'> & { person_name: string | null };

/** Inserts a key; an id already taken is a primary-key error, never an overwrite. */
export async function insertKey(db: Db, values: NewKeyValues): Promise<void> {
  await db.insertInto('api_keys').values(values).execute();
}

/** The keys (of one person, with `personId`), oldest first (ties by id); revoked ones only with `includeRevoked`. */
export async function selectKeys(
  db: Db,
  options: { includeRevoked?: boolean; personId?: string } = {},
): Promise<KeyListRow[]> {
  let q = db
    .selectFrom('api_keys')
    .select(['id', 'person_id', 'role', 'department', 'label', 'created_at', 'last_used_at', 'revoked_at'])
    .orderBy('created_at')
    .orderBy('id');
  if (!options.includeRevoked) q = q.where('revoked_at', 'is', null);
  if (options.personId !== undefined) q = q.where('person_id', '=', options.personId);
  return q.execute();
}

/** Sets revoked_at unless it is set already; false when there is no such key. */
export async function markKeyRevoked(db: Db, id: string): Promise<boolean> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** The key with this id and its person's name, revoked or not; undefined when there is none. */
export async function findKeyWithPerson(db: Db, id: string): Promise<KeyWithPerson | undefined> {
  return db
    .selectFrom('api_keys as k')
    .leftJoin('people as p', 'p.id', 'k.person_id')
    .select(['k.id', 'k.person_id', 'k.role', 'k.department', 'k.label', 'k.secret_hash'])
    .select(['k.revoked_at', 'k.last_used_at', 'p.name as person_name'])
    .where('k.id', '=', id)
    .executeTakeFirst();
}

export async function touchKeyLastUsed(db: Db, id: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: sql<Date>`now()` }).where('id', '=', id).execute();
}

export async function activeAdminKeyExists(db: Db): Promise<boolean> {
  const existing = await db
    .selectFrom('api_keys')
    .select('id')
    .where('role', '=', 'admin')
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return existing !== undefined;
}

/**
 * Runs `fn` in a transaction holding the advisory lock on issuing the bootstrap admin key, so two
 * processes starting at once see each other's key.
 */
export async function withAdminKeyLock<T>(
  db: Kysely<DB>,
  fn: (tx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext('greenlane:ensure-admin-key'))`.execute(tx);
    return fn(tx);
  });
}
