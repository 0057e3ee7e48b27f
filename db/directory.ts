import type { Db } from './connect';

/**
 * The directory (people and departments) as the rest of the system asks about it: does everyone a
 * request names exist, in the role the request gives them? A project whose leader is `ghost-leader`
 * would never reach a real leader, and its escalations would go wherever that id later points.
 */

/** A name a request uses, where it uses it (`field`), and the role the person must hold, if any. */
export type DirectoryRef =
  | { field: string; person: string; role?: 'secretary' | 'leader' | 'operator' | 'department' }
  | { field: string; department: string };

export type DirectoryMiss = { field: string; message: string };

/** Every ref that names nobody (or somebody in another role), in the order given; empty when all exist. */
export async function missingFromDirectory(db: Db, refs: readonly DirectoryRef[]): Promise<DirectoryMiss[]> {
  const personIds = [...new Set(refs.flatMap((r) => ('person' in r ? [r.person] : [])))];
  const codes = [...new Set(refs.flatMap((r) => ('department' in r ? [r.department] : [])))];
  const [people, departments] = await Promise.all([
    personIds.length === 0
      ? []
      : db.selectFrom('people').select(['id', 'role', 'department']).where('id', 'in', personIds).execute(),
    codes.length === 0
      ? []
      : db.selectFrom('departments').select('code').where('code', 'in', codes).execute(),
  ]);
  const roleOf = new Map(people.map((p) => [p.id, p.role]));
  const knownDepartments = new Set(departments.map((d) => d.code));
  const misses: DirectoryMiss[] = [];
  for (const ref of refs) {
    if ('person' in ref) {
      const role = roleOf.get(ref.person);
      if (role === undefined) {
        misses.push({ field: ref.field, message: `no person ${ref.person} in the directory` });
      } else if (ref.role && role !== ref.role) {
        misses.push({ field: ref.field, message: `${ref.person} is a ${role}, not a ${ref.role}` });
      }
    } else if (!knownDepartments.has(ref.department)) {
      misses.push({ field: ref.field, message: `no department ${ref.department} in the directory` });
    }
  }
  return misses;
}
