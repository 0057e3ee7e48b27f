import type { AssessmentCard } from '../domain/assessment';
import type { BulletinCard, BulletinProblem } from '../domain/bulletin';
import type { Db } from './connect';

/**
 * What the monthly bulletin and the quarterly assessment read besides the monthly report's rows
 * (db/read-model.ts): escalations fired in a period, problems, return visits of a period. Read only.
 */

/** Red cards and interview notices fired in [from, to), with the project's and department's names. */
export async function loadCardsFired(db: Db, from: number, to: number): Promise<BulletinCard[]> {
  const rows = await db
    .selectFrom('escalations as e')
    .innerJoin('projects as p', 'p.code', 'e.project_code')
    .leftJoin('departments as d', 'd.code', 'e.department')
    .select([
      'e.id',
      'e.project_code',
      'p.name as project_name',
      'e.subject_kind',
      'e.subject_id',
      'e.rung',
      'e.department',
      'd.name_zh as department_name',
      'e.fired_at',
      'e.title',
    ])
    .where('e.rung', 'in', ['red', 'interview'])
    .where('e.fired_at', '>=', new Date(from))
    .where('e.fired_at', '<', new Date(to))
    .orderBy('e.fired_at')
    .orderBy('e.id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    projectCode: r.project_code,
    projectName: r.project_name,
    subjectKind: r.subject_kind,
    subjectId: r.subject_id,
    rung: r.rung as 'red' | 'interview',
    department: r.department,
    departmentName: r.department_name,
    firedAt: r.fired_at.toISOString(),
    title: r.title,
  }));
}

/** Cards (yellow, red, interview) fired at departments in [from, to). */
export async function loadDepartmentCards(db: Db, from: number, to: number): Promise<AssessmentCard[]> {
  const rows = await db
    .selectFrom('escalations')
    .select(['department', 'rung', 'fired_at'])
    .where('rung', 'in', ['yellow', 'red', 'interview'])
    .where('department', 'is not', null)
    .where('fired_at', '>=', new Date(from))
    .where('fired_at', '<', new Date(to))
    .execute();
  return rows.map((r) => ({ department: r.department!, rung: r.rung, firedAt: r.fired_at.toISOString() }));
}

/** Problems raised before `to` and not resolved before `from`: solved in the period or still open. */
export async function loadProblemsOfPeriod(db: Db, from: number, to: number): Promise<BulletinProblem[]> {
  const rows = await db
    .selectFrom('problems as pr')
    .innerJoin('projects as p', 'p.code', 'pr.project_code')
    .leftJoin('departments as d', 'd.code', 'pr.owner_department')
    .select([
      'pr.project_code',
      'p.name as project_name',
      'pr.problem_id',
      'pr.title',
      'pr.owner_department',
      'd.name_zh as owner_department_name',
      'pr.status',
      'pr.raised_at',
      'pr.deadline_at',
      'pr.resolved_at',
    ])
    .where('pr.raised_at', '<', new Date(to))
    .where((eb) => eb.or([eb('pr.resolved_at', 'is', null), eb('pr.resolved_at', '>=', new Date(from))]))
    .orderBy('pr.deadline_at')
    .execute();
  return rows.map((r) => ({
    projectCode: r.project_code,
    projectName: r.project_name,
    problemId: r.problem_id,
    title: r.title,
    ownerDepartment: r.owner_department,
    ownerDepartmentName: r.owner_department_name,
    status: r.status,
    raisedAt: r.raised_at.toISOString(),
    deadlineAt: r.deadline_at.toISOString(),
    resolvedAt: r.resolved_at?.toISOString() ?? null,
  }));
}
