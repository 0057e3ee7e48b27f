import type { Client } from '@temporalio/client';
import proto, { type temporal as protoTypes } from '@temporalio/proto';

// A CommonJS module: Node's ESM loader sees only its default export.
const { temporal } = proto;
type HistoryEvent = protoTypes.api.history.v1.IHistoryEvent;

/**
 * The histories of a workflow's whole continue-as-new chain, measured the way Temporal limits them:
 * events per run, and bytes = the size of the encoded `History` message.
 */

/** Temporal's warning levels for one run (the hard limits are 51,200 events and 50 MB). */
export const HISTORY_WARN_EVENTS = 10_240;
export const HISTORY_WARN_BYTES = 10 * 1024 * 1024;

export type EventTypeCount = { type: string; count: number; bytes: number };

export type RunHistory = {
  runId: string;
  events: number;
  bytes: number;
  /** Updates accepted into this run's history, by update name. */
  updatesAccepted: Record<string, number>;
  types: EventTypeCount[];
  /** How the run closed, e.g. ContinuedAsNew, Completed. */
  closedBy: string;
};

const EventType = temporal.api.enums.v1.EventType;

/** `EVENT_TYPE_WORKFLOW_TASK_COMPLETED` → `WorkflowTaskCompleted`. */
export function eventTypeName(type: number | null | undefined): string {
  const raw = EventType[type ?? 0] ?? `EVENT_TYPE_${type}`;
  return raw
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/** Fetch every run from `firstRunId` on, following each run's ContinuedAsNew event to the next. */
export async function fetchRunChain(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<RunHistory[]> {
  const runs: RunHistory[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: protoTypes.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    const byType = new Map<string, EventTypeCount>();
    const updatesAccepted: Record<string, number> = {};
    for (const e of events) {
      const type = eventTypeName(e.eventType);
      const entry = byType.get(type) ?? { type, count: 0, bytes: 0 };
      entry.count += 1;
      entry.bytes += temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
      byType.set(type, entry);
      const name = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
      if (name) updatesAccepted[name] = (updatesAccepted[name] ?? 0) + 1;
    }
    const last: HistoryEvent | undefined = events.at(-1);
    runs.push({
      runId,
      events: events.length,
      bytes: temporal.api.history.v1.History.encode(history).finish().length,
      updatesAccepted,
      types: [...byType.values()].sort((a, b) => b.count - a.count || b.bytes - a.bytes),
      closedBy: eventTypeName(last?.eventType).replace(/^WorkflowExecution/, ''),
    });
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

/** Event types over all runs, most frequent first. */
export function mergeTypes(runs: readonly RunHistory[]): EventTypeCount[] {
  const merged = new Map<string, EventTypeCount>();
  for (const run of runs) {
    for (const t of run.types) {
      const entry = merged.get(t.type) ?? { type: t.type, count: 0, bytes: 0 };
      entry.count += t.count;
      entry.bytes += t.bytes;
      merged.set(t.type, entry);
    }
  }
  return [...merged.values()].sort((a, b) => b.count - a.count || b.bytes - a.bytes);
}

/** Why each run over Temporal's warning levels is over (empty when none is). */
export function overWarningLevels(runs: readonly RunHistory[]): string[] {
  const problems: string[] = [];
  for (const [i, run] of runs.entries()) {
    if (run.events > HISTORY_WARN_EVENTS)
      problems.push(`run ${i + 1} (${run.runId}) has ${run.events} events > ${HISTORY_WARN_EVENTS}`);
    if (run.bytes > HISTORY_WARN_BYTES)
      problems.push(`run ${i + 1} (${run.runId}) has ${run.bytes} bytes > ${HISTORY_WARN_BYTES} (10 MB)`);
  }
  return problems;
}
