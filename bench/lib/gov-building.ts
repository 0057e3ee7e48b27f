import { projectStartOptions, projectWorkflowId } from '../../api/temporal';
import { loadCalendarYears } from '../../db/reference';
import { shippedCatalog } from '../../domain/catalog-data';
import type { Decision } from '../../domain/decisions';
import { instantiatePlan, type Plan } from '../../domain/plan';
import { ProjectProfile } from '../../domain/project';
import type { majorProjectWorkflow } from '../../workflows/major-project';
import { decideItemUpdate } from '../../workflows/messages';
import type { Stack } from './stack';

/** The template the stack benchmarks (decisions, scale) open their projects from: 47 items. */
export const TEMPLATE = 'gov-building';

/** The shipped catalog's gov-building plan. */
export function govBuildingPlan(): Plan {
  const result = instantiatePlan(shippedCatalog, TEMPLATE);
  if (!result.ok) throw new Error(`template ${TEMPLATE}: ${result.problems.join('; ')}`);
  return result.plan;
}

/**
 * Projects straight on Temporal, without Greenlane's API: started with `client.workflow.start` as
 * api/temporal.ts startProject starts them (same id, input, summary and search attributes), and
 * decided with the workflow's own update, `executeUpdate(decideItemUpdate)`, one update id per
 * project, item and action.
 */
export async function rawProjects(stack: Pick<Stack, 'db' | 'client' | 'taskQueue'>, plan: Plan) {
  const calendarYears = await loadCalendarYears(stack.db);
  const category = shippedCatalog.templates.find((t) => t.id === TEMPLATE)!.category;
  const handle = (code: string) =>
    stack.client.workflow.getHandle<typeof majorProjectWorkflow>(projectWorkflowId(code));
  return {
    async start(code: string, name: string, people: { secretary: string; leader: string }): Promise<void> {
      const profile = ProjectProfile.parse({ code, name, category, ...people });
      await stack.client.workflow.start<typeof majorProjectWorkflow>(
        'majorProjectWorkflow',
        projectStartOptions(stack.taskQueue, { profile, plan, calendarYears }),
      );
    },
    /** The items the decision opened. */
    async decide(code: string, decision: Decision): Promise<string[]> {
      const result = await handle(code).executeUpdate(decideItemUpdate, {
        args: [decision],
        updateId: `${code}-${decision.item}-${decision.action}`,
      });
      return result.opened;
    },
  };
}
