import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';
import { loadCalendarYears } from '../db/seed';
import { type Calendar, makeCalendar } from '../domain/calendar';
import type {
  DepartmentRef,
  ReportItem,
  ReportProject,
  ReturnVisit,
  ScoreRow,
  ServiceContact,
} from '../domain/reports';

/**
 * The read-model rows the reports in domain/reports.ts compute over. Each loader takes a scope that the
 * route derives from the caller (api/routes/reports.ts), so what a caller may not see is never loaded.
 */

export type ReportScope = {
  projectCode?: string;
  secretary?: string;
  leader?: string;
  department?: string;
  /** Items with a planned start or finish in this year. */
  plannedInYear?: number;
  /** Items accepted or decided before `to` and not finished before `from`: those a month's figures touch. */
  activeBetween?: { from: number; to: number };
};

/** The working-day calendar the workflow uses: the calendar_years operators loaded. */
export async function loadCalendar(db: Kysely<DB>): Promise<Calendar> {
  return makeCalendar(await loadCalendarYears(db));
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export async function loadItems(db: Kysely<DB>, scope: ReportScope = {}): Promise<ReportItem[]> {
  let q = db
    .selectFrom('project_items as i')
    .innerJoin('projects as p', 'p.code', 'i.project_code')
    .leftJoin('departments as d', 'd.code', 'i.department')
    .selectAll('i')
    .select('d.name_zh as department_name');
  if (scope.projectCode !== undefined) q = q.where('p.code', '=', scope.projectCode);
  if (scope.secretary !== undefined) q = q.where('p.secretary', '=', scope.secretary);
  if (scope.leader !== undefined) q = q.where('p.leader', '=', scope.leader);
  if (scope.department !== undefined) q = q.where('i.department', '=', scope.department);
  if (scope.plannedInYear !== undefined) {
    const [first, last] = [`${scope.plannedInYear}-01-01`, `${scope.plannedInYear}-12-31`];
    q = q.where((eb) =>
      eb.or([eb.between('i.planned_start', first, last), eb.between('i.planned_finish', first, last)]),
    );
  }
  if (scope.activeBetween !== undefined) {
    const { from, to } = scope.activeBetween;
    // Accepted (or decided without acceptance) before the month ends, and not finished before it begins.
    q = q
      .where((eb) => eb.or([eb('i.accepted_at', '<', new Date(to)), eb('i.finished_at', '<', new Date(to))]))
      .where((eb) => eb.or([eb('i.finished_at', 'is', null), eb('i.finished_at', '>=', new Date(from))]));
  }
  const rows = await q.orderBy('i.project_code').orderBy('i.item_code').execute();
  return rows.map((r) => ({
    projectCode: r.project_code,
    itemCode: r.item_code,
    nameZh: r.name_zh,
    department: r.department,
    departmentName: r.department_name,
    stage: r.stage,
    status: r.status,
    plannedStart: r.planned_start,
    plannedFinish: r.planned_finish,
    latestStart: r.latest_start,
    submittedAt: iso(r.submitted_at),
    acceptedAt: iso(r.accepted_at),
    dueAt: iso(r.due_at),
    finishedAt: iso(r.finished_at),
    workingDaysUsed: r.working_days_used,
    returns: r.returns,
    rung: r.rung,
  }));
}

export async function loadProjects(db: Kysely<DB>, scope: ReportScope = {}): Promise<ReportProject[]> {
  let q = db.selectFrom('projects').selectAll();
  if (scope.projectCode !== undefined) q = q.where('code', '=', scope.projectCode);
  if (scope.secretary !== undefined) q = q.where('secretary', '=', scope.secretary);
  if (scope.leader !== undefined) q = q.where('leader', '=', scope.leader);
  const rows = await q.orderBy('code').execute();
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    leader: r.leader,
    secretary: r.secretary,
    targetStart: r.target_start,
    stage: r.stage,
    status: r.status,
    overdueItems: r.overdue_items,
    escalationLevel: r.escalation_level,
  }));
}

/** Points lost per department and project (department_scores). */
export async function loadScores(db: Kysely<DB>): Promise<ScoreRow[]> {
  const rows = await db.selectFrom('department_scores').selectAll().execute();
  return rows.map((r) => ({ department: r.department, projectCode: r.project_code, points: r.points }));
}

export async function loadDepartments(db: Kysely<DB>): Promise<DepartmentRef[]> {
  const rows = await db.selectFrom('departments').select(['code', 'name_zh']).orderBy('code').execute();
  return rows.map((r) => ({ code: r.code, nameZh: r.name_zh }));
}

/** The first day of a month 'YYYY-MM' and of the next, as dates. */
function monthDays(month: string): [string, string] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return [`${month}-01`, `${next}-01`];
}

/** Service-log entries dated in the month (every project: the summary is city-wide). */
export async function loadServiceContacts(db: Kysely<DB>, month: string): Promise<ServiceContact[]> {
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
export async function loadReturnVisits(db: Kysely<DB>, month: string): Promise<ReturnVisit[]> {
  const [first, next] = monthDays(month);
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
