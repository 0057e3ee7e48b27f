import { readModelRevision } from '../db/project-lists';
import type { AppDeps } from './app';
import { queryProject } from './temporal';

/**
 * Read your own write. A decision returns once the workflow holds it; the read model is written after
 * that, by the workflow's recordProgress activity (tens of milliseconds later, longer when a burst of
 * decisions queues behind one write or PostgreSQL is slow). A report read from the read model right after
 * a decision would show the item as it was, so it first asks the workflow for its revision and waits,
 * a bounded time, for the read model to reach it. Reports are rare; decisions, which this leaves alone,
 * are the hot path.
 */

/** How long a report waits for the read model: far beyond its usual lag, short of a client's patience. */
const MAX_WAIT_MS = 3_000;
const POLL_MS = 25;

export type Freshness = {
  /** The workflow revision the read model's rows reflect; null before its first write. */
  revision: number | null;
  /**
   * true: the rows hold every change the workflow had when the report was asked for; false: the read
   * model had not caught up within the wait (it lags: an outage, a stopped worker); null: the workflow
   * could not be asked, so the rows are as last written.
   */
  upToDate: boolean | null;
};

export async function awaitReadModel(
  deps: AppDeps,
  code: string,
  maxWaitMs = MAX_WAIT_MS,
): Promise<Freshness> {
  const stored = await readModelRevision(deps.db, code);
  // A completed project's workflow wrote everything before it finished.
  if (stored?.completed) return { revision: stored.revision, upToDate: true };
  let live: number;
  try {
    const view = await queryProject(
      { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue },
      code,
    );
    live = view.state.revision;
  } catch {
    // Temporal unreachable or the run gone: the report still answers, from what the read model has.
    return { revision: stored?.revision ?? null, upToDate: null };
  }
  let current = stored;
  for (const until = Date.now() + maxWaitMs; (current?.revision ?? 0) < live && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    current = await readModelRevision(deps.db, code);
  }
  const revision = current?.revision ?? null;
  return { revision, upToDate: revision !== null && revision >= live };
}
