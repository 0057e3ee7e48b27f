import type { Actor } from '../../domain/project';
import { ProblemError, ProblemType } from '../http-problem';
import type { Principal, Role } from './principal';

/**
 * Who may do what. Routes check these (403 via `forbidUnless`) before calling Temporal; the workflow's
 * validators check ownership again against its own state, so a stale read model cannot grant anything.
 *
 * | action                                                      | department      | secretary | leader   | operator, admin |
 * | ----------------------------------------------------------- | --------------- | --------- | -------- | --------------- |
 * | register a project                                          | –               | as its secretary | – | yes          |
 * | read a project (plan state, problems, audit trail)          | – (its queue)   | assigned  | assigned | all             |
 * | act on a project (amend, submit, resubmit, waive, problems) | –               | assigned  | –        | all             |
 * | decide an item (accept, return, approve, reject, 告知承诺)   | its own items   | –         | –        | – (workflow refuses) |
 * | raise a problem                                             | on a project where it has items | assigned | assigned | all |
 * | see a department's queue                                    | its own         | –         | –        | all             |
 * | answer an escalation (批示)                                  | –               | –         | assigned | all             |
 * | administer: reassign, load calendars, manage keys           | –               | –         | –        | yes (operator/admin keys: admin only) |
 *
 * "assigned" means the project's `secretary` / `leader` is the caller's person id.
 */
export type ProjectOwners = { secretary: string; leader: string };

export function isAdministrator(p: Principal): boolean {
  return p.role === 'operator' || p.role === 'admin';
}

export function canRegisterProject(p: Principal, profile: { secretary: string }): boolean {
  return isAdministrator(p) || (p.role === 'secretary' && p.personId === profile.secretary);
}

export function canReadProject(p: Principal, project: ProjectOwners): boolean {
  if (isAdministrator(p)) return true;
  if (p.role === 'secretary') return p.personId === project.secretary;
  if (p.role === 'leader') return p.personId === project.leader;
  return false;
}

export function canActOnProject(p: Principal, project: ProjectOwners): boolean {
  return isAdministrator(p) || (p.role === 'secretary' && p.personId === project.secretary);
}

/** `departments`: those with items in the project's plan. */
export function canRaiseProblem(
  p: Principal,
  project: ProjectOwners,
  departments: ReadonlyArray<string>,
): boolean {
  if (p.role === 'department') return p.department !== null && departments.includes(p.department);
  return canReadProject(p, project);
}

export function canSeeQueue(p: Principal, department: string): boolean {
  return isAdministrator(p) || (p.role === 'department' && p.department === department);
}

export function canAnswerEscalation(p: Principal, project: ProjectOwners): boolean {
  return isAdministrator(p) || (p.role === 'leader' && p.personId === project.leader);
}

/** Suspend, resume, cancel or close a project: operators, and the project's responsible leader. */
export function canChangeLifecycle(p: Principal, project: ProjectOwners): boolean {
  return isAdministrator(p) || (p.role === 'leader' && p.personId === project.leader);
}

export function canAdminister(p: Principal): boolean {
  return isAdministrator(p);
}

/** Operators issue and revoke department, secretary and leader keys; only admins those of operators and admins. */
export function canManageKey(p: Principal, keyRole: Role): boolean {
  if (p.role === 'admin') return true;
  return p.role === 'operator' && keyRole !== 'operator' && keyRole !== 'admin';
}

export function forbidden(detail: string, extensions: Record<string, unknown> = {}): ProblemError {
  return new ProblemError({
    status: 403,
    type: ProblemType.forbidden,
    title: 'Forbidden',
    detail,
    ...extensions,
  });
}

/** Throws a 403 problem with `detail` unless `allowed`: `forbidUnless(canActOnProject(p, project), '…')`. */
export function forbidUnless(allowed: boolean, detail: string): void {
  if (!allowed) throw forbidden(detail);
}

/** What the workflow knows of the caller (domain/project.ts `Actor`); operators and admins act as operator. */
export function actorOf(p: Principal): Actor {
  switch (p.role) {
    case 'department':
      if (!p.department) throw new Error(`department key ${p.keyId} names no department`);
      return p.personId
        ? { role: 'department', department: p.department, id: p.personId }
        : { role: 'department', department: p.department };
    case 'secretary':
    case 'leader':
      // The api_keys_person_check constraint guarantees a person for these roles.
      if (!p.personId) throw new Error(`${p.role} key ${p.keyId} names no person`);
      return { role: p.role, id: p.personId };
    case 'operator':
    case 'admin':
      // A key issued to no person (the bootstrap admin key) acts under its key id.
      return { role: 'operator', id: p.personId ?? `key-${p.keyId}` };
  }
}
