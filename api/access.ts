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
