import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';

/** A department's open items across all projects (read model), soonest due first. */
export function departmentQueue(db: Kysely<DB>, department: string) {
  return db
    .selectFrom('project_items as i')
    .innerJoin('projects as p', 'p.code', 'i.project_code')
    .select([
      'i.project_code',
      'p.name',
      'i.item_code',
      'i.name_zh',
      'i.status',
      'i.submitted_at',
      'i.accepted_at',
      'i.due_at',
      'i.provisional',
      'i.rung',
      'i.returns',
    ])
    .where('i.department', '=', department)
    .where('i.status', 'in', ['submitted', 'accepted', 'returned'])
    .orderBy(
      (eb) => eb.ref('i.due_at'),
      (ob) => ob.asc().nullsLast(),
    )
    .orderBy('i.submitted_at')
    .limit(1000)
    .execute();
}
