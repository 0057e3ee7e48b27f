import type { EscalationEvent, ProjectState } from '../domain/project';
import type { ProjectSummary } from '../domain/supervision';

/**
 * What the project workflow asks of the outside world. Workflows see only these types (the lint keeps
 * activity implementations out of the workflow bundle); createActivities(deps) implements them.
 * Every activity is idempotent: Temporal retries it until it succeeds, so a replayed or retried call
 * must change nothing the first one did.
 */
export interface GreenlaneActivities {
  /** Store escalations durably (deduplicated by `key`) and queue their notifications. */
  recordEscalations(input: { projectCode: string; events: EscalationEvent[] }): Promise<{ inserted: number }>;
  /** Write the project's read model; a write older than what is stored (by revision) changes nothing. */
  syncReadModel(input: ReadModelSnapshot): Promise<void>;
  /** Tell the project secretary of a leader's instruction (批示). */
  deliverInstruction(input: {
    projectCode: string;
    escalationKey: string;
    leader: string;
    secretary: string;
    text: string;
    at: string;
  }): Promise<void>;
}

export type ReadModelSnapshot = {
  state: ProjectState;
  summary: ProjectSummary;
  syncedAt: string;
};
