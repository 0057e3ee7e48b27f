import type { EscalationEvent, ProblemState } from '../domain/project';
import type { ItemRecord, ProjectRecord } from '../domain/records';

/**
 * What the project workflow asks of the outside world. Workflows see only these types (the lint keeps
 * activity implementations out of the workflow bundle); createActivities(deps) implements them.
 * Every activity is idempotent: Temporal retries it until it succeeds, so a replayed or retried call
 * must change nothing the first one did.
 */
export interface GreenlaneActivities {
  /**
   * In one transaction: store the escalations that fired (deduplicated by their key) and write the
   * project's read model (a write older than what is stored, by revision, changes nothing).
   */
  recordProgress(input: ProgressRecord): Promise<{ escalationsInserted: number }>;
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

/**
 * A project's progress since the workflow's last acknowledged write: the project row always, only the
 * item, problem and score records that changed (all of them on a run's first write), and the
 * escalations that fired.
 */
export type ProgressRecord = {
  project: ProjectRecord;
  items: ItemRecord[];
  problems: ProblemState[];
  scores: Record<string, number>;
  escalations: EscalationEvent[];
  syncedAt: string;
};
