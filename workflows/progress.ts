import { log } from '@temporalio/workflow';
import type { ProgressRecord } from '../activities/contract';
import type { Calendar } from '../domain/calendar';
import type { EscalationEvent, ProjectState } from '../domain/project';
import { itemRecords, problemRecords, projectRecord } from '../domain/records';
import type { ProjectSummary } from '../domain/supervision';

/**
 * Writes a project's progress to PostgreSQL from the workflow, in the background: the escalations that
 * fired and the read-model records that changed, in one activity call (one transaction), one call at a
 * time. Whatever happens while a call is in flight goes with the next one, so a burst of decisions costs
 * one write, and an outage of PostgreSQL only delays the mirror (the activity retries until it succeeds).
 *
 * Only records whose content changed since the last acknowledged write are sent (fingerprints kept in
 * memory; a new run sends everything once), so history stays small however long a project lives.
 */
export function progressRecorder(send: (record: ProgressRecord) => Promise<unknown>, onSettled: () => void) {
  const acknowledged = new Map<string, string>();
  let acknowledgedRevision = 0;
  let pending: EscalationEvent[] = [];
  let inFlight: Promise<void> | undefined;

  const needsWrite = (state: ProjectState) => state.revision > acknowledgedRevision || pending.length > 0;

  function write(state: ProjectState, summary: ProjectSummary, calendar: Calendar, now: number): void {
    if (inFlight || !needsWrite(state)) return;
    const escalations = pending;
    pending = [];
    const revision = state.revision;
    const { record, fingerprints } = delta(state, summary, calendar, acknowledged, escalations, now);
    inFlight = send(record)
      .then(
        () => {
          acknowledgedRevision = revision;
          for (const [k, v] of fingerprints) acknowledged.set(k, v);
        },
        (err) => {
          // Only a non-retryable failure gets here; keep the escalations for the next write.
          pending = [...escalations, ...pending];
          log.error('recordProgress failed', { error: String(err) });
        },
      )
      .finally(() => {
        inFlight = undefined;
        onSettled();
      });
  }

  return {
    escalate(events: EscalationEvent[]): void {
      pending.push(...events);
    },
    write,
    /** Wait until everything up to now is written (before continue-as-new and completion). */
    async flush(state: ProjectState, summarize: () => ProjectSummary, calendar: Calendar): Promise<void> {
      for (let attempt = 0; attempt < 5 && (inFlight || needsWrite(state)); attempt++) {
        if (!inFlight) write(state, summarize(), calendar, Date.now());
        await inFlight;
      }
    },
  };
}

function delta(
  state: ProjectState,
  summary: ProjectSummary,
  calendar: Calendar,
  acknowledged: ReadonlyMap<string, string>,
  escalations: EscalationEvent[],
  now: number,
) {
  const fingerprints = new Map<string, string>();
  const changed = (key: string, value: unknown): boolean => {
    const print = JSON.stringify(value);
    if (acknowledged.get(key) === print) return false;
    fingerprints.set(key, print);
    return true;
  };
  const scores = Object.fromEntries(Object.entries(state.scores).map(([d, s]) => [d, s.points]));
  const record: ProgressRecord = {
    project: projectRecord(state, summary),
    items: itemRecords(state, calendar).filter((r) => changed(`item:${r.code}`, r)),
    problems: problemRecords(state).filter((p) => changed(`problem:${p.id}`, p)),
    scores: changed('scores', scores) ? scores : {},
    escalations,
    syncedAt: new Date(now).toISOString(),
  };
  return { record, fingerprints };
}
