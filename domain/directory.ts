import type { Reassignment } from './leadership';

/**
 * The directory's rules (people, the departments they work in, the duties they hold there): who is
 * handed over when they leave (离任交接), what the handover asks of each project, and what stands in
 * the way of changing a person's role. Pure: the API gathers the facts (api/people.ts,
 * api/handover.ts) and applies these.
 */

/** A department's head (一把手, told from the yellow card on) or handler (经办人, told of reminders). */
export const duties = ['head', 'handler'] as const;
export type Duty = (typeof duties)[number];
export const dutyZh: Record<Duty, string> = { head: '一把手', handler: '经办人' };

/** The roles a project names, and so the people a handover is for. */
export const handoverRoles = ['secretary', 'leader'] as const;
export type HandoverRole = (typeof handoverRoles)[number];

export function isHandoverRole(role: string): role is HandoverRole {
  return (handoverRoles as readonly string[]).includes(role);
}

/** Why `person` cannot be handed over to `to`: a conflict with the person's state, or a bad request. */
export function refuseHandover(
  person: { id: string; role: string },
  to: string,
): { conflict: string } | { invalid: string } | null {
  if (!isHandoverRole(person.role)) {
    return {
      conflict: `${person.id} is a ${person.role}: a handover is for secretaries and leaders, whose projects name them; revoke a ${person.role}'s keys instead`,
    };
  }
  if (to === person.id) return { invalid: `${person.id} cannot be handed over to themselves` };
  return null;
}

/** What hands one project from `person` to `to`: each side the person holds on it, or null for none. */
export function handoverReassignment(
  project: { secretary: string; leader: string },
  person: string,
  to: string,
): Reassignment | null {
  const r: Reassignment = {
    ...(project.secretary === person ? { secretary: to } : {}),
    ...(project.leader === person ? { leader: to } : {}),
  };
  return r.secretary || r.leader ? r : null;
}

/** What depends on a person's role: their unrevoked keys, the running projects that name them, their duties. */
export type Dependents = {
  activeKeys: readonly string[];
  projects: readonly string[];
  duties: readonly { department: string; duty: Duty }[];
};

/**
 * Why a person's role cannot change to `role`, or null: a key carries the role it was issued for, a
 * project names its secretary and leader as such, and only a department's own people hold its duties.
 */
export function refuseRoleChange(
  person: { id: string; role: string },
  role: string,
  d: Dependents,
): string | null {
  if (role === person.role) return null;
  const reasons = [
    ...(d.activeKeys.length > 0
      ? [`${d.activeKeys.length} unrevoked ${person.role} key(s) (${d.activeKeys.join(', ')}): revoke them`]
      : []),
    ...(d.projects.length > 0
      ? [`running projects that name them (${d.projects.join(', ')}): hand them over first`]
      : []),
    ...(d.duties.length > 0 && role !== 'department'
      ? [`duties in ${d.duties.map((x) => `${x.department} (${x.duty})`).join(', ')}`]
      : []),
  ];
  return reasons.length === 0
    ? null
    : `${person.id} cannot change from ${person.role} to ${role} while they have ${reasons.join('; ')}`;
}
