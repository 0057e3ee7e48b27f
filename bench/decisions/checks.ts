import { sql } from 'kysely';
import { projectWorkflowId } from '../../api/temporal';
import { fetchRunChain } from '../lib/history';
import { round } from '../lib/load';
import type { Stack } from '../lib/stack';
import type { PathRun } from './drive';
import type { PathName } from './paths';

/** Histories fetched and measured per path: enough for a per-project figure, cheap to fetch. */
const HISTORY_SAMPLE = 3;
const COMPLETION_TIMEOUT_MS = 60_000;

export type Checks = {
  problems: string[];
  /** Mean history events (and bytes) per project over a sample, per path. */
  history: Record<PathName, { sampled: number; events: number; bytes: number; runs: number }>;
  completed: Record<PathName, number>;
  readModelCompleted: Record<PathName, number>;
  auditedDecisions: number;
};

/**
 * Nothing lost: every decision answered, every workflow completed, the read model shows every project
 * completed, and (greenlane) every decision has its audit row. Then a few histories are measured.
 */
export async function check(
  stack: Stack,
  runs: Record<PathName, PathRun>,
  perProject: number,
): Promise<Checks> {
  const problems: string[] = [];
  const completed = { greenlane: 0, raw: 0 };
  const readModelCompleted = { greenlane: 0, raw: 0 };
  const history = {} as Checks['history'];
  for (const name of ['greenlane', 'raw'] as const) {
    const run = runs[name];
    const expected = run.codes.length * perProject;
    if (run.errors.length > 0) {
      problems.push(`${name}: ${run.errors.length} errors, the first: ${run.errors[0]}`);
    }
    if (run.decisions.latency.count !== expected) {
      problems.push(`${name}: ${run.decisions.latency.count} decisions answered, expected ${expected}`);
    }
    const deadline = Date.now() + COMPLETION_TIMEOUT_MS;
    for (const code of run.codes) {
      for (;;) {
        const d = await stack.client.workflow.getHandle(projectWorkflowId(code)).describe();
        if (d.status.name === 'COMPLETED') completed[name] += 1;
        else if (d.status.name === 'RUNNING' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        } else problems.push(`${name}: workflow of ${code} is ${d.status.name}`);
        break;
      }
    }
    const rows = await stack.db
      .selectFrom('projects')
      .select(['code', 'status'])
      .where('code', 'in', run.codes)
      .execute();
    readModelCompleted[name] = rows.filter((r) => r.status === 'completed').length;
    if (readModelCompleted[name] !== run.codes.length) {
      problems.push(`${name}: read model shows ${readModelCompleted[name]}/${run.codes.length} completed`);
    }

    const sample = run.codes.slice(0, HISTORY_SAMPLE);
    let events = 0;
    let bytes = 0;
    let runCount = 0;
    for (const code of sample) {
      const handle = stack.client.workflow.getHandle(projectWorkflowId(code));
      const first = (await handle.describe()).raw.workflowExecutionInfo?.firstRunId;
      const chain = await fetchRunChain(stack.client, handle.workflowId, first ?? '');
      events += chain.reduce((s, r) => s + r.events, 0);
      bytes += chain.reduce((s, r) => s + r.bytes, 0);
      runCount += chain.length;
      const accepted = chain.reduce((s, r) => s + (r.updatesAccepted.decideItem ?? 0), 0);
      if (accepted !== perProject) {
        problems.push(`${name}: history of ${code} holds ${accepted} decisions, expected ${perProject}`);
      }
    }
    history[name] = {
      sampled: sample.length,
      events: round(events / Math.max(1, sample.length), 1),
      bytes: Math.round(bytes / Math.max(1, sample.length)),
      runs: round(runCount / Math.max(1, sample.length), 1),
    };
  }
  const audited = await stack.db
    .selectFrom('audit_log')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('project_code', 'in', runs.greenlane.codes)
    .where('action', 'like', 'item.%')
    .executeTakeFirstOrThrow();
  const greenlaneAnswered = runs.greenlane.decisions.latency.count;
  if (audited.n !== greenlaneAnswered) {
    problems.push(`greenlane: ${audited.n} audit rows for ${greenlaneAnswered} decisions`);
  }
  return { problems, history, completed, readModelCompleted, auditedDecisions: audited.n };
}
