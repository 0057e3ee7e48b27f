import type { Db } from './connect';
import type { NotificationChannel } from './schema';

/**
 * The directory as operators edit it: who answers for a department (department_contacts) and the
 * channels its escalations go to (notification_routes of owner kind `department`). Reading them to
 * address an escalation is db/notifications.ts `loadDirectory`.
 */

export type Contact = { department: string; duty: 'head' | 'handler'; personId: string };
export type ChannelRoute = { channel: NotificationChannel; target: string };

/** The duties held in a department, or by one person, or every one; by department, duty, person. */
export async function selectContacts(
  db: Db,
  of: { department?: string; personId?: string } = {},
): Promise<Contact[]> {
  let q = db.selectFrom('department_contacts').select(['department', 'duty', 'person_id']);
  if (of.department !== undefined) q = q.where('department', '=', of.department);
  if (of.personId !== undefined) q = q.where('person_id', '=', of.personId);
  const rows = await q.orderBy('department').orderBy('duty').orderBy('person_id').execute();
  return rows.map((r) => ({ department: r.department, duty: r.duty, personId: r.person_id }));
}

/** Replaces every duty of the department with these (run in the caller's transaction). */
export async function replaceContacts(
  db: Db,
  department: string,
  contacts: readonly Contact[],
): Promise<void> {
  await db.deleteFrom('department_contacts').where('department', '=', department).execute();
  if (contacts.length === 0) return;
  await db
    .insertInto('department_contacts')
    .values(contacts.map((c) => ({ department, duty: c.duty, person_id: c.personId })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Removes the person's duties in the department; returns those removed. */
export async function dropDuties(db: Db, personId: string, department: string): Promise<Contact[]> {
  const rows = await db
    .deleteFrom('department_contacts')
    .where('person_id', '=', personId)
    .where('department', '=', department)
    .returning(['department', 'duty', 'person_id'])
    .execute();
  return rows.map((r) => ({ department: r.department, duty: r.duty, personId: r.person_id }));
}

/** The department's own channels, by channel and target. */
export async function departmentRoutes(db: Db, department: string): Promise<ChannelRoute[]> {
  return db
    .selectFrom('notification_routes')
    .select(['channel', 'target'])
    .where('owner_kind', '=', 'department')
    .where('owner_id', '=', department)
    .orderBy('channel')
    .orderBy('target')
    .execute();
}

/** Replaces the department's channels with these (run in the caller's transaction). */
export async function replaceDepartmentRoutes(
  db: Db,
  department: string,
  routes: readonly ChannelRoute[],
): Promise<void> {
  await db
    .deleteFrom('notification_routes')
    .where('owner_kind', '=', 'department')
    .where('owner_id', '=', department)
    .execute();
  if (routes.length === 0) return;
  await db
    .insertInto('notification_routes')
    .values(routes.map((r) => ({ owner_kind: 'department' as const, owner_id: department, ...r })))
    .onConflict((oc) => oc.doNothing())
    .execute();
}
