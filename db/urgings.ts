import type { Db } from './connect';

/**
 * Urgings (催办): every statement on `urgings`. Rows come back camelCase, instants as ISO strings, the
 * shape the API answers with. The outbox rows an urging sends are written by api/urge.ts through
 * db/notifications.ts `enqueueMessages`, in the same transaction.
 */

export type Urging = {
  id: string;
  projectCode: string;
  item: string;
  department: string;
  /** The working day it counts against (China time): one urging per item a working day. */
  workingDay: string;
  note: string | null;
  /** The person id of who urged, or `key-<id>` for a key that names no person. */
  urgedBy: string;
  createdAt: string;
};

type Row = {
  id: string;
  project_code: string;
  item_code: string;
  department: string;
  working_day: string;
  note: string | null;
  urged_by: string;
  created_at: Date;
};

const urgingOf = (r: Row): Urging => ({
  id: r.id,
  projectCode: r.project_code,
  item: r.item_code,
  department: r.department,
  workingDay: r.working_day,
  note: r.note,
  urgedBy: r.urged_by,
  createdAt: r.created_at.toISOString(),
});

/** Adds the urging; null when the item was already urged that working day (the id exists). */
export async function insertUrging(db: Db, u: Omit<Urging, 'createdAt'>): Promise<Urging | null> {
  const row = await db
    .insertInto('urgings')
    .values({
      id: u.id,
      project_code: u.projectCode,
      item_code: u.item,
      department: u.department,
      working_day: u.workingDay,
      note: u.note,
      urged_by: u.urgedBy,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? urgingOf(row) : null;
}

export async function findUrging(db: Db, id: string): Promise<Urging | null> {
  const row = await db.selectFrom('urgings').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? urgingOf(row) : null;
}

/** A project's urgings, newest first. */
export async function projectUrgings(db: Db, projectCode: string): Promise<Urging[]> {
  const rows = await db
    .selectFrom('urgings')
    .selectAll()
    .where('project_code', '=', projectCode)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map(urgingOf);
}

/** How many times each department was urged in [from, to) (instants), over every project. */
export async function urgingsByDepartment(
  db: Db,
  bounds: { from: number; to: number },
): Promise<{ department: string; urgings: number }[]> {
  const rows = await db
    .selectFrom('urgings')
    .select(['department', (eb) => eb.fn.countAll<string>().as('n')])
    .where('created_at', '>=', new Date(bounds.from))
    .where('created_at', '<', new Date(bounds.to))
    .groupBy('department')
    .execute();
  return rows.map((r) => ({ department: r.department, urgings: Number(r.n) }));
}
