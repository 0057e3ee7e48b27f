import type { Client } from '@temporalio/client';
import type { ProjectState } from '../domain/project';
import { projectStateQuery, projectWorkflowId } from '../workflows/messages';

/**
 * The live states of projects, read from their workflows for the leaders' weekly digest's forecasts.
 * Four queries at a time; a project whose workflow cannot answer now (ended, Temporal restarting) is
 * left out, so the digest goes out without its forecast rather than not at all.
 */
export type ProjectStates = (codes: readonly string[]) => Promise<Map<string, ProjectState>>;

export function projectStateReader(client: Client): ProjectStates {
  return async (codes) => {
    const states = new Map<string, ProjectState>();
    const queue = [...codes];
    const read = async () => {
      for (let code = queue.shift(); code !== undefined; code = queue.shift()) {
        const view = await client.workflow
          .getHandle(projectWorkflowId(code))
          .query(projectStateQuery)
          .catch(() => null);
        if (view) states.set(code, view.state);
      }
    };
    await Promise.all([read(), read(), read(), read()]);
    return states;
  };
}
