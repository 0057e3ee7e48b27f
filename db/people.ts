import type { Db } from './connect';
import type { PersonRow } from './schema';

/** The people keys belong to and notifications reach: every statement on `people`. */

/** A person as written: every column but `created_at` (the first registration's time) and `left_at`. */
export type PersonValues = Omit<PersonRow, 'created_at' | 'left_at'>;

/** Inserts the person, or overwrites every column of the one with this id. */
export async function upsertPersonRow(db: Db, row: PersonValues): Promise<void> {
  const { id: _, ...update } = row;
  await db
    .insertInto('people')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet(update))
    .execute();
}

/** Inserts the person unless one with this id exists; false when one does (nothing is changed). */
export async function insertPersonRow(db: Db, row: PersonValues): Promise<boolean> {
  const inserted = await db
    .insertInto('people')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findPerson(db: Db, id: string): Promise<PersonRow | undefined> {
  return db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
}

/** These people (those not in the directory are left out), by id. */
export async function findPeople(db: Db, ids: readonly string[]): Promise<PersonRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('people').selectAll().where('id', 'in', ids).orderBy('id').execute();
}

/** Everyone, by id. */
export async function listPeople(db: Db): Promise<PersonRow[]> {
  return db.selectFrom('people').selectAll().orderBy('id').execute();
}
