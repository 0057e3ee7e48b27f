import type { Insertable, Selectable } from 'kysely';
import type { Db } from './connect';
import { type DB, jsonb, type PrincipalRole } from './schema';

/**
 * The audit trail: every statement on `audit_log` but the one that stores an idempotent answer with its
 * entry (api/idempotency.ts writes that row with `auditValues`). Why and when entries are written:
 * api/audit.ts.
 */

/** Who acted: the API's Principal, or any object with its key, person, role and department. */
export type AuditPrincipal = {
  keyId: string;
  personId: string | null;
  role: PrincipalRole;
  department: string | null;
};

export type AuditEntry = {
  /** Null for actions that concern no project (issuing or revoking keys). */
  projectCode: string | null;
  /** What was done, as `<subject kind>.<verb>`, e.g. `item.accept`, `problem.raise`, `key.revoke`. */
  action: string;
  /** What it was done to: an item code, a problem id, a key id. */
  subject: string;
  principal: AuditPrincipal;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** The request as accepted (after validation). Never put secrets here. */
  body: unknown;
  /** What the action returned or changed. */
  result: unknown;
};

/** One stored entry, as the API answers with it. */
export type AuditRecord = {
  id: number;
  projectCode: string | null;
  action: string;
  subject: string;
  keyId: string;
  personId: string | null;
  role: string;
  department: string | null;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  at: string;
  body: unknown;
  result: unknown;
};

/** The audit_log row for an entry. */
export function auditValues(entry: AuditEntry): Insertable<DB['audit_log']> {
  const { principal: p } = entry;
  return {
    project_code: entry.projectCode,
    action: entry.action,
    subject: entry.subject,
    key_id: p.keyId,
    person_id: p.personId,
    role: p.role,
    department: p.department,
    request_id: entry.requestId,
    ip: entry.ip,
    user_agent: entry.userAgent,
    body: entry.body === undefined ? null : jsonb(entry.body),
    result: entry.result === undefined ? null : jsonb(entry.result),
  };
}

export async function insertAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values(auditValues(entry)).execute();
}

/** A project's audit trail, oldest first. */
export async function auditTrail(db: Db, projectCode: string): Promise<AuditRecord[]> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('project_code', '=', projectCode)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map(recordOf);
}

/** The entries of actions on `subject` that concern no project (a person, a department), oldest first. */
export async function subjectAuditTrail(
  db: Db,
  subject: string,
  actionPrefix: string,
): Promise<AuditRecord[]> {
  const rows = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('project_code', 'is', null)
    .where('subject', '=', subject)
    .where('action', 'like', `${actionPrefix}%`)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map(recordOf);
}

function recordOf(r: Selectable<DB['audit_log']>): AuditRecord {
  return {
    id: r.id,
    projectCode: r.project_code,
    action: r.action,
    subject: r.subject,
    keyId: r.key_id,
    personId: r.person_id,
    role: r.role,
    department: r.department,
    requestId: r.request_id,
    ip: r.ip,
    userAgent: r.user_agent,
    at: r.at.toISOString(),
    body: r.body,
    result: r.result,
  };
}
