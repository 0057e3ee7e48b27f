import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema';
import { type ProjectStateView, projectStateQuery } from '../../workflows/messages';
import { acknowledged, type Sent } from './client';
import { workflowIdOf } from './scenario';

/**
 * What a fault test checks afterwards: each acknowledged decision accepted exactly once in its
 * workflow's history, the client's log and the read model equal to the workflows' own state; and the
 * waiting that comes first.
 */

// --- Checks --------------------------------------------------------------------------------------------

/** Update id → how many WorkflowExecutionUpdateAccepted events the workflow's history holds for it. */
export async function acceptedUpdates(client: Client, code: string): Promise<Map<string, number>> {
  const history = await client.workflow.getHandle(workflowIdOf(code)).fetchHistory();
  const counts = new Map<string, number>();
  for (const event of history.events ?? []) {
    const id = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId;
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Every acknowledged decision accepted exactly once in its workflow's history, one the client gave up
 * on at most once, and nothing accepted there that the client never sent (a decision applied behind
 * its back). Returns what is wrong, one line each, and how many acceptances the histories hold.
 */
export async function exactlyOnceProblems(
  client: Client,
  log: { project: string; updateId: string; acknowledged: boolean }[],
): Promise<{ problems: string[]; accepted: number }> {
  const byProject = new Map<string, typeof log>();
  for (const s of log) byProject.set(s.project, [...(byProject.get(s.project) ?? []), s]);
  const problems: string[] = [];
  let accepted = 0;
  for (const [code, sent] of byProject) {
    const counts = await acceptedUpdates(client, code);
    const logged = new Set(sent.map((s) => s.updateId));
    for (const s of sent) {
      const n = counts.get(s.updateId) ?? 0;
      if (s.acknowledged && n !== 1) problems.push(`${code}: acknowledged ${s.updateId} accepted ${n} times`);
      if (!s.acknowledged && n > 1)
        problems.push(`${code}: unacknowledged ${s.updateId} accepted ${n} times`);
    }
    for (const [id, n] of counts) {
      accepted += n;
      if (!logged.has(id))
        problems.push(`${code}: update ${id} accepted ${n} times but never sent by the client`);
    }
  }
  return { problems, accepted };
}

/** Waits until the project's workflow completed; on timeout the error shows its last history events. */
export async function untilCompleted(client: Client, code: string, timeoutMs: number): Promise<void> {
  const handle = client.workflow.getHandle(workflowIdOf(code));
  try {
    await until(
      () => handle.describe(),
      (d) => d.status.name === 'COMPLETED',
      `${code} completed`,
      timeoutMs,
    );
  } catch (error) {
    const history = await handle.fetchHistory();
    const tail = (history.events ?? []).slice(-25).map((e) => {
      const { eventId, eventTime, eventType, ...rest } = e as Record<string, unknown>;
      const attrs = Object.entries(rest).find(([k, v]) => k.endsWith('Attributes') && v);
      return `${eventId} ${String(eventType)} ${attrs ? JSON.stringify(attrs[1]).slice(0, 300) : ''}`;
    });
    throw new Error(
      `${code} did not complete within ${timeoutMs / 1000} s; history ends:\n${tail.join('\n')}`,
      {
        cause: error,
      },
    );
  }
}

export async function queryState(client: Client, code: string): Promise<ProjectStateView> {
  return client.workflow.getHandle(workflowIdOf(code)).query(projectStateQuery);
}

/**
 * The read model against the workflows' own state: the project row at the workflow's revision, one
 * project_items row per plan item with the workflow's status, returns and finish. Returns the
 * differences, one line each (empty when converged).
 */
export async function readModelProblems(
  db: Kysely<DB>,
  views: ReadonlyMap<string, ProjectStateView>,
): Promise<string[]> {
  const codes = [...views.keys()];
  const problems: string[] = [];
  const projects = await db
    .selectFrom('projects')
    .select(['code', 'revision', 'status'])
    .where('code', 'in', codes)
    .execute();
  const items = await db
    .selectFrom('project_items')
    .select(['project_code', 'item_code', 'status', 'returns', 'finished_at'])
    .where('project_code', 'in', codes)
    .execute();
  const projectRow = new Map(projects.map((p) => [p.code, p]));
  for (const [code, view] of views) {
    const row = projectRow.get(code);
    if (!row) {
      problems.push(`${code}: no projects row`);
      continue;
    }
    if (row.revision !== view.state.revision) {
      problems.push(`${code}: projects.revision ${row.revision}, workflow ${view.state.revision}`);
    }
    const status = view.summary.done ? 'completed' : 'active';
    if (row.status !== status) problems.push(`${code}: projects.status ${row.status}, workflow ${status}`);
    const rows = items.filter((r) => r.project_code === code);
    if (rows.length !== view.state.plan.items.length) {
      problems.push(`${code}: ${rows.length} project_items rows for ${view.state.plan.items.length} items`);
    }
    for (const r of rows) {
      const item = view.state.items[r.item_code];
      if (!item) {
        problems.push(`${code}/${r.item_code}: a row for an item the workflow does not have`);
        continue;
      }
      const finished = item.finishedAt ? Date.parse(item.finishedAt) : null;
      if (
        r.status !== item.status ||
        r.returns !== item.returns ||
        (r.finished_at?.getTime() ?? null) !== finished
      ) {
        problems.push(
          `${code}/${r.item_code}: row ${r.status}/${r.returns} returns, workflow ${item.status}/${item.returns}`,
        );
      }
    }
  }
  return problems;
}

/**
 * The client's log against the workflow: per project, the answers' revisions rise with each decision,
 * and each item's last acknowledged answer is its status in the workflow now.
 */
export function logProblems(log: Sent[], views: ReadonlyMap<string, ProjectStateView>): string[] {
  const problems: string[] = [];
  const byProject = new Map<string, Sent[]>();
  for (const s of log.filter(acknowledged))
    byProject.set(s.project, [...(byProject.get(s.project) ?? []), s]);
  for (const [code, sent] of byProject) {
    const view = views.get(code);
    if (!view) {
      problems.push(`${code}: no workflow state`);
      continue;
    }
    sent.sort((a, b) => a.seq - b.seq);
    let revision = 0;
    const lastStatus = new Map<string, string>();
    for (const s of sent) {
      if (!(s.answer?.revision > revision)) {
        problems.push(
          `${code} #${s.seq} ${s.action} ${s.item}: revision ${s.answer?.revision} after ${revision}`,
        );
      }
      revision = s.answer?.revision ?? revision;
      lastStatus.set(s.item, s.answer?.item?.status);
    }
    if (revision > view.state.revision) {
      problems.push(
        `${code}: the client saw revision ${revision}, the workflow is at ${view.state.revision}`,
      );
    }
    for (const [item, status] of lastStatus) {
      if (view.state.items[item]?.status !== status) {
        problems.push(`${code}/${item}: last answer ${status}, workflow ${view.state.items[item]?.status}`);
      }
    }
  }
  return problems;
}

// --- Small things --------------------------------------------------------------------------------------

/** Polls `probe` until `done` holds for its value; throws with `what` and the last value after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    await sleep(everyMs);
  }
  const detail = last === undefined ? String(lastError) : JSON.stringify(last).slice(0, 2000);
  throw new Error(`${what}: not reached within ${timeoutMs / 1000} s; last: ${detail}`);
}

/** p50/p95/max of a list of numbers, in their unit, rounded. */
export function spread(values: number[]): { n: number; p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { n: sorted.length, p50: Math.round(at(0.5)), p95: Math.round(at(0.95)), max: Math.round(at(1)) };
}
