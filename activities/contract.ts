import type { DayInfo, DigestKind } from '../domain/digest';
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

/**
 * What the digest workflow (workflows/digest.ts) asks of the outside world; activities/digests.ts
 * implements it. Separate from GreenlaneActivities so the project workflow's test doubles need not
 * implement it.
 */
export interface DigestActivities {
  /** The working-day calendar (calendar_years) for `days` days from `from`: which are working days. */
  digestCalendar(input: { from: string; days: number }): Promise<DayInfo[]>;
  /**
   * Build, render and store the digests of `kind` for `date`: one inbox row per person, and the channel
   * messages for those with routes, in one transaction. Idempotent per (kind, date, person): a retried
   * or repeated run adds nothing. `people` limits the run to those people (a run by hand).
   */
  writeDigests(input: { kind: DigestKind; date: string; people?: string[] }): Promise<DigestWriteResult>;
}

export type DigestWriteResult = {
  /** People the run is for (secretaries or leaders of projects still running). */
  people: number;
  /** Inbox rows this call added (0 when the run had already written them). */
  written: number;
  /** Outbox rows this call added. */
  notifications: number;
  /** Of those written, how many had nothing to report (not sent to channels). */
  quiet: number;
};

/** Everything the worker registers: createActivities(deps) returns it. */
export type WorkerActivities = GreenlaneActivities & DigestActivities;
