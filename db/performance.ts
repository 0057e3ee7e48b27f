import type { ForecastRecord } from '../domain/forecast';
import type { PerformanceRecord, ProblemRecord } from '../domain/performance';
import { DECIDED_STATUSES } from '../domain/vocabulary';
import type { Db } from './connect';

/**
 * The record the forecast learns from (domain/performance.ts): every decided application in the read
 * model, with only the columns the figures need, and every solved problem that had a deadline. Across
 * all projects on purpose: a department's pace is its own, whichever project the application came from.
 */

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export async function loadPerformanceRecords(db: Db): Promise<PerformanceRecord[]> {
  const rows = await db
    .selectFrom('project_items')
    .select([
      'project_code',
      'item_code',
      'department',
      'status',
      'submitted_at',
      'accepted_at',
      'clock_start',
      'finished_at',
      'returns',
      'pauses',
    ])
    .where('status', 'in', [...DECIDED_STATUSES])
    .where('submitted_at', 'is not', null)
    .where('finished_at', 'is not', null)
    .orderBy('project_code')
    .orderBy('item_code')
    .execute();
  return rows.map((r) => ({
    projectCode: r.project_code,
    itemCode: r.item_code,
    department: r.department,
    status: r.status,
    submittedAt: iso(r.submitted_at),
    acceptedAt: iso(r.accepted_at),
    clockStart: iso(r.clock_start),
    finishedAt: iso(r.finished_at),
    returns: r.returns,
    pauses: r.pauses,
  }));
}

export async function loadSolvedProblems(db: Db): Promise<ProblemRecord[]> {
  const rows = await db
    .selectFrom('problems')
    .select(['deadline_at', 'resolved_at'])
    .where('resolved_at', 'is not', null)
    .orderBy('project_code')
    .orderBy('problem_id')
    .execute();
  return rows.map((r) => ({ deadlineAt: r.deadline_at.toISOString(), resolvedAt: iso(r.resolved_at) }));
}

/** Both, as a forecast takes them (domain/forecast.ts `forecastFromRecord`). */
export async function loadRecord(db: Db): Promise<ForecastRecord> {
  const [records, problems] = await Promise.all([loadPerformanceRecords(db), loadSolvedProblems(db)]);
  return { records, problems };
}

/**
 * Each project's revision in the read model and when it last moved (absent codes are unknown): what
 * tells a forecast still true, and which projects changed last.
 */
export async function loadRevisions(
  db: Db,
  codes: readonly string[],
): Promise<Map<string, { revision: number; updatedAt: number }>> {
  if (codes.length === 0) return new Map();
  const rows = await db
    .selectFrom('projects')
    .select(['code', 'revision', 'updated_at'])
    .where('code', 'in', codes)
    .execute();
  return new Map(rows.map((r) => [r.code, { revision: r.revision, updatedAt: r.updated_at.getTime() }]));
}
