import type { EscalationEvent, ProblemState } from '../domain/project';
import type { ItemRecord, ProjectRecord } from '../domain/records';

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

/**
 * A project's read-model write: the project row always, and only the item, problem and score records
 * that changed since the workflow's last successful write (all of them on a run's first write).
 */
export type ReadModelSnapshot = {
  project: ProjectRecord;
  items: ItemRecord[];
  problems: ProblemState[];
  scores: Record<string, number>;
  syncedAt: string;
};
