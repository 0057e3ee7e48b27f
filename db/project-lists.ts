import { sql } from 'kysely';
import { dueDateOf, type LocalDate } from '../domain/calendar';
import { isLiveProject } from '../domain/vocabulary';
import type { Db } from './connect';

/**
 * The read model as people browse it: the project list, a department's queue, counts for the metrics
 * page, and the facts authorization needs about a project. The writer and the report loaders are in
 * db/read-model.ts.
 */

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

// --- Lists and queues --------------------------------------------------------------------------------

/** A project as the project list shows it. */
export type ProjectListing = {
  code: string;
  name: string;
  category: string;
  templateId: string;
  secretary: string;
  leader: string;
  targetStart: string | null;
  stage: number;
  status: string;
  overdueItems: number;
  escalationLevel: number;
  updatedAt: string;
};

export type ProjectListFilter = {
  category?: string;
  stage?: number;
  leader?: string;
  secretary?: string;
  /** Only projects with overdue items. */
  overdue?: boolean;
  /** The caller's own projects, on top of the filters above (a secretary's or a leader's). */
  mine?: { secretary: string } | { leader: string };
};

/** Projects matching every filter given, most overdue first, then by code (at most 1,000). */
export async function listProjects(db: Db, filter: ProjectListFilter): Promise<ProjectListing[]> {
  let query = db.selectFrom('projects').selectAll();
  if (filter.category) query = query.where('category', '=', filter.category);
  if (filter.stage) query = query.where('stage', '=', filter.stage);
  if (filter.leader) query = query.where('leader', '=', filter.leader);
  if (filter.secretary) query = query.where('secretary', '=', filter.secretary);
  if (filter.overdue) query = query.where('overdue_items', '>', 0);
  if (filter.mine && 'secretary' in filter.mine) query = query.where('secretary', '=', filter.mine.secretary);
  if (filter.mine && 'leader' in filter.mine) query = query.where('leader', '=', filter.mine.leader);
  const rows = await query.orderBy('overdue_items', 'desc').orderBy('code').limit(1000).execute();
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    category: r.category,
    templateId: r.template_id,
    secretary: r.secretary,
    leader: r.leader,
    targetStart: r.target_start,
    stage: r.stage,
    status: r.status,
    overdueItems: r.overdue_items,
    escalationLevel: r.escalation_level,
    updatedAt: r.updated_at.toISOString(),
  }));
}

/** An open item in a department's queue. */
export type QueueItem = {
  projectCode: string;
  projectName: string;
  item: string;
  nameZh: string;
  status: string;
  submittedAt: string | null;
  acceptedAt: string | null;
  dueAt: string | null;
  /** The China date dueAt ends: the day people read. */
  dueDate: LocalDate | null;
  /** Submitted and not yet accepted: the end of its acceptance window (受理时限), and its China date. */
  acceptBy: string | null;
  acceptByDate: LocalDate | null;
  provisional: boolean;
  rung: number;
  returns: number;
};

/** The most a department's queue lists. */
export const QUEUE_LIMIT = 1000;

/**
 * A department's open items across all projects, or one project's, soonest due first (at most 1,000): by the promised
 * time limit, or for a submission not yet accepted by its acceptance deadline.
 */
export async function departmentQueue(
  db: Db,
  department: string,
  opts: { project?: string } = {},
): Promise<QueueItem[]> {
  const rows = await db
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
      'i.accept_by',
      'i.provisional',
      'i.rung',
      'i.returns',
    ])
    .where('i.department', '=', department)
    .where('i.status', 'in', ['submitted', 'accepted', 'returned'])
    .$if(opts.project !== undefined, (q) => q.where('i.project_code', '=', opts.project!))
    // The department's own deadline first: to accept a submission, or to decide an accepted item.
    .orderBy(
      (eb) => eb.fn.coalesce('i.due_at', 'i.accept_by'),
      (ob) => ob.asc().nullsLast(),
    )
    .orderBy('i.submitted_at')
    // Ties in a fixed order, so that pages neither repeat nor skip an item.
    .orderBy('i.project_code')
    .orderBy('i.item_code')
    .limit(QUEUE_LIMIT)
    .execute();
  return rows.map((r) => ({
    projectCode: r.project_code,
    projectName: r.name,
    item: r.item_code,
    nameZh: r.name_zh,
    status: r.status,
    submittedAt: iso(r.submitted_at),
    acceptedAt: iso(r.accepted_at),
    dueAt: iso(r.due_at),
    dueDate: r.due_at === null ? null : dueDateOf(r.due_at.getTime()),
    acceptBy: iso(r.accept_by),
    acceptByDate: r.accept_by === null ? null : dueDateOf(r.accept_by.getTime()),
    provisional: r.provisional,
    rung: r.rung,
    returns: r.returns,
  }));
}

/** Projects by status, for the metrics page. */
export async function countProjectsByStatus(db: Db): Promise<{ status: string; n: number }[]> {
  return db
    .selectFrom('projects')
    .select(['status', sql<number>`count(*)::int`.as('n')])
    .groupBy('status')
    .orderBy('status')
    .execute();
}

/** A live project (active or suspended), as the read model last heard, and who is on it. */
export type HeldProject = { code: string; name: string; secretary: string; leader: string };

/**
 * The live projects (domain/vocabulary.ts isLiveProject) that name one of these people (every person
 * when not given) as secretary or leader, by code. The read model lags its workflows by a moment: a
 * handover asks each workflow too.
 */
export async function projectsHeldBy(db: Db, personIds?: readonly string[]): Promise<HeldProject[]> {
  if (personIds?.length === 0) return [];
  let q = db.selectFrom('projects').select(['code', 'name', 'secretary', 'leader', 'status']);
  if (personIds) {
    q = q.where((eb) => eb.or([eb('secretary', 'in', personIds), eb('leader', 'in', personIds)]));
  }
  const rows = await q.orderBy('code').execute();
  return rows
    .filter((r) => isLiveProject(r.status))
    .map(({ code, name, secretary, leader }) => ({ code, name, secretary, leader }));
}

// --- Authorization facts -----------------------------------------------------------------------------

/** Who is on a project, as the read model last heard: its secretary, leader and items' departments. */
export type ProjectFacts = {
  secretary: string;
  leader: string;
  /** Item code → its responsible department. */
  itemDepartments: Map<string, string>;
  /** The workflow revision the project row was written at. */
  revision: number;
};

/** The facts of project `code`, or null when the read model has no row for it (yet). */
export async function projectFacts(db: Db, code: string): Promise<ProjectFacts | null> {
  const project = await db
    .selectFrom('projects')
    .select(['secretary', 'leader', 'revision'])
    .where('code', '=', code)
    .executeTakeFirst();
  if (!project) return null;
  const items = await db
    .selectFrom('project_items')
    .select(['item_code', 'department'])
    .where('project_code', '=', code)
    .execute();
  return {
    secretary: project.secretary,
    leader: project.leader,
    itemDepartments: new Map(items.map((i) => [i.item_code, i.department])),
    revision: project.revision,
  };
}

/** The workflow revision the read model holds for project `code`, and whether it completed; null: no row yet. */
export async function readModelRevision(
  db: Db,
  code: string,
): Promise<{ revision: number; completed: boolean } | null> {
  const row = await db
    .selectFrom('projects')
    .select(['revision', 'status'])
    .where('code', '=', code)
    .executeTakeFirst();
  return row ? { revision: row.revision, completed: row.status === 'completed' } : null;
}
