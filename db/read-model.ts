import { dueDateOf } from '../domain/calendar';
import { TimeKind } from '../domain/catalog';
import type { DigestProblem } from '../domain/digest';
import type { ProblemState } from '../domain/project';
import type { ItemRecord, ProjectRecord } from '../domain/records';
import type { LedgerProject, ReportItem, ReportProject, ScoreRow } from '../domain/reports';
import { committedApprovalDays } from '../domain/time-kinds';
import { WITHDRAWN } from '../domain/vocabulary';
import type { Db } from './connect';
import { jsonb } from './schema';

/**
 * The read model: projects, their items and problems, and department scores, as the project workflow
 * last reported them. Every statement on `projects`, `project_items`, `problems` and `department_scores`
 * is here: the writer (recordProgress) and the readers (lists, queues, ledgers, reports, digests,
 * authorization facts). Readers return domain-shaped objects (camelCase, instants as ISO strings).
 */

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

// --- The writer ---------------------------------------------------------------------------------------

/** What recordProgress mirrors: activities/contract.ts `ProgressRecord` without its escalations. */
export type ReadModelSnapshot = {
  project: ProjectRecord;
  items: ItemRecord[];
  problems: ProblemState[];
  scores: Record<string, number>;
  syncedAt: string;
};

/**
 * Mirror a project's workflow state into PostgreSQL for lists, queues, ledgers and reports.
 *
 * Idempotent and order-proof: every row carries the workflow's revision and an upsert only wins over an
 * older revision, so a retried, late or replayed write changes nothing. The caller owns the transaction
 * (recordProgress writes escalations and the read model together), so a reader never sees half a project.
 */
export async function writeReadModel(trx: Db, snapshot: ReadModelSnapshot): Promise<void> {
  const { project } = snapshot;
  const { profile, revision, summary } = project;

  await trx
    .insertInto('projects')
    .values({
      code: profile.code,
      name: profile.name,
      category: profile.category,
      template_id: project.templateId,
      secretary: profile.secretary,
      leader: profile.leader,
      target_start: profile.targetStart ?? null,
      stage: summary.stage,
      status: project.status ?? (summary.done ? 'completed' : 'active'),
      overdue_items: summary.overdueItems.length,
      escalation_level: summary.escalationLevel,
      revision,
      snapshot: jsonb({ summary }),
      planned_days: project.plannedDays === null ? null : jsonb(project.plannedDays),
      committed_days: project.committedDays,
      created_at: project.registeredAt,
      updated_at: snapshot.syncedAt,
    })
    .onConflict((oc) =>
      oc
        .column('code')
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          secretary: eb.ref('excluded.secretary'),
          leader: eb.ref('excluded.leader'),
          target_start: eb.ref('excluded.target_start'),
          stage: eb.ref('excluded.stage'),
          status: eb.ref('excluded.status'),
          overdue_items: eb.ref('excluded.overdue_items'),
          escalation_level: eb.ref('excluded.escalation_level'),
          revision: eb.ref('excluded.revision'),
          snapshot: eb.ref('excluded.snapshot'),
          planned_days: eb.ref('excluded.planned_days'),
          committed_days: eb.ref('excluded.committed_days'),
          updated_at: eb.ref('excluded.updated_at'),
        }))
        .where('projects.revision', '<', revision),
    )
    .execute();

  if (snapshot.items.length > 0) {
    await trx
      .insertInto('project_items')
      .values(
        snapshot.items.map((i) => ({
          project_code: profile.code,
          item_code: i.code,
          name_zh: i.nameZh,
          department: i.department,
          stage: i.stage,
          lane: i.lane,
          status: i.status,
          planned_start: i.plannedStart,
          planned_finish: i.plannedFinish,
          latest_start: i.latestStart,
          submitted_at: i.submittedAt,
          accepted_at: i.acceptedAt,
          due_at: i.dueAt,
          accept_by: i.acceptBy ?? null,
          provisional: i.provisional,
          finished_at: i.finishedAt,
          working_days_used: i.workingDaysUsed,
          returns: i.returns,
          rung: i.rungLevel,
          time_kind: i.timeKind,
          clock_start: i.clockStart,
          pauses: jsonb(i.pauses),
          revision,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['project_code', 'item_code'])
          .doUpdateSet((eb) => ({
            status: eb.ref('excluded.status'),
            planned_start: eb.ref('excluded.planned_start'),
            planned_finish: eb.ref('excluded.planned_finish'),
            latest_start: eb.ref('excluded.latest_start'),
            submitted_at: eb.ref('excluded.submitted_at'),
            accepted_at: eb.ref('excluded.accepted_at'),
            due_at: eb.ref('excluded.due_at'),
            accept_by: eb.ref('excluded.accept_by'),
            provisional: eb.ref('excluded.provisional'),
            finished_at: eb.ref('excluded.finished_at'),
            working_days_used: eb.ref('excluded.working_days_used'),
            returns: eb.ref('excluded.returns'),
            rung: eb.ref('excluded.rung'),
            time_kind: eb.ref('excluded.time_kind'),
            clock_start: eb.ref('excluded.clock_start'),
            pauses: eb.ref('excluded.pauses'),
            revision: eb.ref('excluded.revision'),
          }))
          .where('project_items.revision', '<', revision),
      )
      .execute();
  }

  // Items an amendment took out of the plan stay in the ledger, withdrawn (已取消), never live.
  if (project.planItems.length > 0) {
    await trx
      .updateTable('project_items')
      .set({ status: WITHDRAWN, due_at: null, rung: 0, revision })
      .where('project_code', '=', profile.code)
      .where('item_code', 'not in', project.planItems)
      .where('status', '!=', WITHDRAWN)
      .where('revision', '<', revision)
      .execute();
  }

  if (snapshot.problems.length > 0) {
    await trx
      .insertInto('problems')
      .values(
        snapshot.problems.map((p) => ({
          project_code: profile.code,
          problem_id: p.id,
          title: p.title,
          description: p.description,
          owner_department: p.ownerDepartment ?? null,
          owner_person: p.ownerPerson ?? null,
          blocks_item: p.blocksItem ?? null,
          status: p.status,
          deadline_at: p.deadlineAt,
          raised_by: p.raisedBy.role === 'department' ? p.raisedBy.department : p.raisedBy.id,
          raised_at: p.raisedAt,
          resolved_at: p.resolvedAt ?? null,
          verified_at: p.verifiedAt ?? null,
          rung: p.rungLevel,
          revision,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['project_code', 'problem_id'])
          .doUpdateSet((eb) => ({
            owner_department: eb.ref('excluded.owner_department'),
            owner_person: eb.ref('excluded.owner_person'),
            status: eb.ref('excluded.status'),
            deadline_at: eb.ref('excluded.deadline_at'),
            resolved_at: eb.ref('excluded.resolved_at'),
            verified_at: eb.ref('excluded.verified_at'),
            rung: eb.ref('excluded.rung'),
            revision: eb.ref('excluded.revision'),
          }))
          .where('problems.revision', '<', revision),
      )
      .execute();
  }

  const scores = Object.entries(snapshot.scores);
  if (scores.length > 0) {
    await trx
      .insertInto('department_scores')
      .values(
        scores.map(([department, points]) => ({ department, project_code: profile.code, points, revision })),
      )
      .onConflict((oc) =>
        oc
          .columns(['department', 'project_code'])
          .doUpdateSet((eb) => ({
            points: eb.ref('excluded.points'),
            revision: eb.ref('excluded.revision'),
          }))
          .where('department_scores.revision', '<', revision),
      )
      .execute();
  }
}

// --- Items and projects, as the reports compute over them ----------------------------------------------

/**
 * Which rows a reader loads. The API derives it from the caller (api/routes/reports.ts), so what a
 * caller may not see is never loaded.
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
  /** Also the items taken out of their plans (only the ledger shows them). */
  withWithdrawn?: boolean;
  /** Only these projects' items. */
  projectCodes?: readonly string[];
};

/** Items in scope, with their department's name, by project and item code. */
export async function loadItems(db: Db, scope: ReportScope = {}): Promise<ReportItem[]> {
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
  if (!scope.withWithdrawn) q = q.where('i.status', '!=', WITHDRAWN);
  if (scope.projectCodes !== undefined) {
    if (scope.projectCodes.length === 0) return [];
    q = q.where('p.code', 'in', scope.projectCodes);
  }
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
    dueDate: r.due_at === null ? null : dueDateOf(r.due_at.getTime()),
    provisional: r.provisional,
    finishedAt: iso(r.finished_at),
    workingDaysUsed: r.working_days_used,
    returns: r.returns,
    rung: r.rung,
    timeKind: TimeKind.parse(r.time_kind), // the column's check constraint holds it to the enum
    clockStart: iso(r.clock_start),
    pauses: r.pauses,
  }));
}

/** Projects in scope (the item filters of the scope do not apply), by code. */
export async function loadProjects(db: Db, scope: ReportScope = {}): Promise<ReportProject[]> {
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

/** What a project's ledger shows besides its items (domain/reports.ts `LedgerProject`); null if unknown. */
export async function loadLedgerProject(db: Db, code: string): Promise<LedgerProject | null> {
  const row = await db
    .selectFrom('projects')
    .select(['created_at', 'category', 'planned_days', 'committed_days'])
    .where('code', '=', code)
    .executeTakeFirst();
  return row ? ledgerProjectOf(row) : null;
}

function ledgerProjectOf(row: {
  created_at: Date;
  category: string;
  planned_days: LedgerProject['plannedDays'];
  committed_days: number | null;
}): LedgerProject {
  return {
    registeredAt: row.created_at.toISOString(),
    plannedDays: row.planned_days,
    // Rows written before the commitment was recorded: the category's current one.
    committedDays:
      row.committed_days ?? committedApprovalDays(row.category === 'social' ? 'social' : 'government'),
  };
}

/** Projects registered before `to` and still running at `from` (or later), with their ledger facts. */
export async function loadProjectsOfMonth(
  db: Db,
  { from, to }: { from: number; to: number },
): Promise<(LedgerProject & { code: string; name: string })[]> {
  const rows = await db
    .selectFrom('projects')
    .select(['code', 'name', 'created_at', 'category', 'planned_days', 'committed_days'])
    .where('created_at', '<', new Date(to))
    .where((eb) =>
      eb.or([eb('status', 'in', ['active', 'suspended']), eb('updated_at', '>=', new Date(from))]),
    )
    .orderBy('code')
    .execute();
  return rows.map((row) => ({ code: row.code, name: row.name, ...ledgerProjectOf(row) }));
}

/** Points lost per department and project (department_scores). */
export async function loadScores(db: Db): Promise<ScoreRow[]> {
  const rows = await db.selectFrom('department_scores').selectAll().execute();
  return rows.map((r) => ({ department: r.department, projectCode: r.project_code, points: r.points }));
}

/** Points a department has lost across all projects. */
export async function departmentPoints(db: Db, department: string): Promise<number> {
  const row = await db
    .selectFrom('department_scores')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('points'), eb.lit(0)).as('points'))
    .where('department', '=', department)
    .executeTakeFirst();
  return Number(row?.points ?? 0);
}

/** Problems not yet resolved, of these projects, with the owning department's name. */
export async function loadOpenProblems(db: Db, codes: readonly string[]): Promise<DigestProblem[]> {
  if (codes.length === 0) return [];
  const rows = await db
    .selectFrom('problems as p')
    .leftJoin('departments as d', 'd.code', 'p.owner_department')
    .select([
      'p.project_code',
      'p.problem_id',
      'p.title',
      'p.status',
      'p.owner_department',
      'p.owner_person',
      'p.deadline_at',
      'd.name_zh as owner_department_name',
    ])
    .where('p.project_code', 'in', codes)
    .where('p.status', 'not in', ['resolved', 'verified'])
    .execute();
  return rows.map((r) => ({
    projectCode: r.project_code,
    problemId: r.problem_id,
    title: r.title,
    status: r.status,
    ownerDepartment: r.owner_department,
    ownerDepartmentName: r.owner_department_name,
    ownerPerson: r.owner_person,
    deadlineAt: r.deadline_at.toISOString(),
  }));
}
