import type { Db } from './connect';
import type { PersonRow } from './schema';

/** The people keys belong to and notifications reach: every statement on `people`. */

/** A person as written: every column but `created_at`, which keeps the first registration's time. */
export type PersonValues = Omit<PersonRow, 'created_at'>;

/** Inserts the person, or overwrites every column of the one with this id. */
export async function upsertPersonRow(db: Db, row: PersonValues): Promise<void> {
  const { id: _, ...update } = row;
  await db
    .insertInto('people')
    .values(row)
    .onConflict((oc) => oc.column('id').doUpdateSet(update))
    .execute();
}

export async function findPerson(db: Db, id: string): Promise<PersonRow | undefined> {
  return db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Everyone, by id. */
export async function listPeople(db: Db): Promise<PersonRow[]> {
  return db.selectFrom('people').selectAll().orderBy('id').execute();
}
