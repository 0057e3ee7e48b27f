import type { AppDeps } from './app';
import { queryProject } from './temporal';

/**
 * The facts the authorization matrix in auth.ts needs about one project: its secretary and leader, and
 * the department of each item.
 */
export type ProjectAccess = {
  secretary: string;
  leader: string;
  /** Item code → its responsible department. */
  itemDepartments: Map<string, string>;
};

/**
 * The facts authorization needs, from the read model (fast); from the workflow itself when the read model
 * has not caught up yet (a project registered a moment ago). 404 when the project does not exist.
 */
export async function projectAccess(deps: AppDeps, code: string): Promise<ProjectAccess> {
  const cached = deps.accessCache?.get(code);
  if (cached) return cached;
  const access = await lookUp(deps, code);
  deps.accessCache?.set(code, access);
  return access;
}

async function lookUp(deps: AppDeps, code: string): Promise<ProjectAccess> {
  const project = await deps.db
    .selectFrom('projects')
    .select(['secretary', 'leader'])
    .where('code', '=', code)
    .executeTakeFirst();
  if (project) {
    const items = await deps.db
      .selectFrom('project_items')
      .select(['item_code', 'department'])
      .where('project_code', '=', code)
      .execute();
    if (items.length > 0) {
      return { ...project, itemDepartments: new Map(items.map((i) => [i.item_code, i.department])) };
    }
  }
  const view = await queryProject(
    { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue },
    code,
  );
  return {
    secretary: view.state.profile.secretary,
    leader: view.state.profile.leader,
    itemDepartments: new Map(view.state.plan.items.map((i) => [i.code, i.department])),
  };
}

/**
 * Authorization facts per project, kept for a minute in this API process. They change only on
 * reassignment and plan amendment (which clear the entry here); another API process sees such a change
 * within the minute, and the workflow checks the secretary and the department again in any case, so a
 * stale entry can refuse late but never grant. Primed at registration, so the first decisions on a new
 * project need neither the read model nor a workflow query.
 */
export class AccessCache {
  private readonly entries = new Map<string, { access: ProjectAccess; until: number }>();
  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 5_000,
  ) {}

  get(code: string): ProjectAccess | undefined {
    const entry = this.entries.get(code);
    if (!entry || entry.until < Date.now()) return undefined;
    return entry.access;
  }

  set(code: string, access: ProjectAccess): void {
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(code, { access, until: Date.now() + this.ttlMs });
  }

  forget(code: string): void {
    this.entries.delete(code);
  }
}
