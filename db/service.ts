import type { Selectable } from 'kysely';
import type { ReturnVisit, ServiceContact } from '../domain/service-report';
import type { Db } from './connect';
import { jsonb, type ReturnVisitsTable, type ServiceContactType, type ServiceLogRow } from './schema';

/**
 * The secretary's service to a project: the service log (服务日志) and the return visits (回访) after each
 * stage. Every statement on `service_log` and `return_visits`; entries come back camelCase, instants as
 * ISO strings, the shape the API answers with.
 */

// --- The service log ----------------------------------------------------------------------------------

export type ServiceLogEntry = {
  id: number;
  projectCode: string;
  date: string;
  contactType: ServiceContactType;
  participants: string[];
  outcome: string;
  /** The person id of who recorded it, or `key-<id>` for a key that names no person. */
  recordedBy: string;
  createdAt: string;
};

const entryOf = (r: ServiceLogRow): ServiceLogEntry => ({
  id: r.id,
  projectCode: r.project_code,
  date: r.date,
  contactType: r.contact_type,
  participants: r.participants,
  outcome: r.outcome,
  recordedBy: r.recorded_by,
  createdAt: r.created_at.toISOString(),
});

export async function insertServiceLogEntry(
  db: Db,
  e: Omit<ServiceLogEntry, 'id' | 'createdAt'>,
): Promise<ServiceLogEntry> {
  const row = await db
    .insertInto('service_log')
    .values({
      project_code: e.projectCode,
      date: e.date,
      contact_type: e.contactType,
      participants: jsonb(e.participants),
      outcome: e.outcome,
      recorded_by: e.recordedBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return entryOf(row);
}

/** A project's service log, newest first (at most 1,000 entries); `from` and `to` are inclusive days. */
export async function projectServiceLog(
  db: Db,
  projectCode: string,
  filter: { from?: string; to?: string; contactType?: ServiceContactType } = {},
): Promise<ServiceLogEntry[]> {
  let query = db.selectFrom('service_log').selectAll().where('project_code', '=', projectCode);
  if (filter.from) query = query.where('date', '>=', filter.from);
  if (filter.to) query = query.where('date', '<=', filter.to);
  if (filter.contactType) query = query.where('contact_type', '=', filter.contactType);
  const rows = await query.orderBy('date', 'desc').orderBy('id', 'desc').limit(1000).execute();
  return rows.map(entryOf);
}

// --- Return visits ------------------------------------------------------------------------------------

export type ReturnVisitRecord = {
  id: number;
  projectCode: string;
  stage: number;
  date: string;
  /** 1 (very dissatisfied) … 5 (very satisfied). */
  satisfaction: number;
  comment: string | null;
  /** The day the stage's last item finished, as the read model said when the visit was recorded. */
  stageClosedOn: string;
  recordedBy: string;
  createdAt: string;
};

const visitOf = (r: Selectable<ReturnVisitsTable>): ReturnVisitRecord => ({
  id: r.id,
  projectCode: r.project_code,
  stage: r.stage,
  date: r.visit_date,
  satisfaction: r.satisfaction,
  comment: r.comment,
  stageClosedOn: r.stage_closed_on,
  recordedBy: r.recorded_by,
  createdAt: r.created_at.toISOString(),
});

/** Records the stage's return visit; null when the stage already has one (one per project and stage). */
export async function insertReturnVisit(
  db: Db,
  v: Omit<ReturnVisitRecord, 'id' | 'createdAt'>,
): Promise<ReturnVisitRecord | null> {
  const row = await db
    .insertInto('return_visits')
    .values({
      project_code: v.projectCode,
      stage: v.stage,
      visit_date: v.date,
      satisfaction: v.satisfaction,
      comment: v.comment,
      stage_closed_on: v.stageClosedOn,
      recorded_by: v.recordedBy,
    })
    .onConflict((oc) => oc.columns(['project_code', 'stage']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return row ? visitOf(row) : null;
}

/** The return visit of a project's stage, if recorded. */
export async function findReturnVisit(
  db: Db,
  projectCode: string,
  stage: number,
): Promise<ReturnVisitRecord | undefined> {
  const row = await db
    .selectFrom('return_visits')
    .selectAll()
    .where('project_code', '=', projectCode)
    .where('stage', '=', stage)
    .executeTakeFirst();
  return row && visitOf(row);
}

/** A project's return visits, by stage. */
export async function projectReturnVisits(db: Db, projectCode: string): Promise<ReturnVisitRecord[]> {
  const rows = await db
    .selectFrom('return_visits')
    .selectAll()
    .where('project_code', '=', projectCode)
    .orderBy('stage')
    .execute();
  return rows.map(visitOf);
}

// --- The month, for the monthly report (every project: the summary is city-wide) -------------------------

/** The first day of a month 'YYYY-MM' and of the next, as dates. */
function monthDays(month: string): [string, string] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return [`${month}-01`, `${next}-01`];
}

/** Service-log entries dated in the month. */
export async function loadServiceContacts(db: Db, month: string): Promise<ServiceContact[]> {
  const [first, next] = monthDays(month);
  const rows = await db
    .selectFrom('service_log')
    .select(['project_code', 'date', 'contact_type'])
    .where('date', '>=', first)
    .where('date', '<', next)
    .execute();
  return rows.map((r) => ({ projectCode: r.project_code, date: r.date, contactType: r.contact_type }));
}

/** Return visits dated in the month. */
export async function loadReturnVisits(db: Db, month: string): Promise<ReturnVisit[]> {
  const [first, next] = monthDays(month);
  return loadReturnVisitsBetween(db, first, next);
}

/** Return visits dated in [first, next) (dates 'YYYY-MM-DD', China time). */
export async function loadReturnVisitsBetween(db: Db, first: string, next: string): Promise<ReturnVisit[]> {
  const rows = await db
    .selectFrom('return_visits')
    .select(['project_code', 'stage', 'visit_date', 'satisfaction'])
    .where('visit_date', '>=', first)
    .where('visit_date', '<', next)
    .execute();
  return rows.map((r) => ({
    projectCode: r.project_code,
    stage: r.stage,
    date: r.visit_date,
    satisfaction: r.satisfaction,
  }));
}
