import { acceptanceDueAt } from './acceptance';
import { clockFacts } from './approval-time';
import type { Calendar } from './calendar';
import type { TimeKind } from './catalog';
import { hasEnded, phaseOf } from './lifecycle';
import type { ProblemState, ProjectProfile, ProjectState } from './project';
import { isDone } from './project';
import type { Schedule } from './schedule';
import { effectivePauses, type ProjectSummary } from './supervision';
import { committedApprovalDays } from './time-kinds';
import { WITHDRAWN } from './vocabulary';

/**
 * Flat records of a project for the read model (项目台账): what PostgreSQL mirrors. The workflow sends only
 * the records that changed since its last successful write, so history stays small however long a
 * project lives.
 */

export type ItemRecord = {
  code: string;
  nameZh: string;
  department: string;
  stage: number;
  lane: string;
  status: string;
  submittedAt: string | null;
  acceptedAt: string | null;
  dueAt: string | null;
  /** Submitted and not yet accepted: the end of its acceptance window; absent from records of older code. */
  acceptBy?: string | null;
  provisional: boolean;
  finishedAt: string | null;
  /** Working days on the clock, pauses excluded; set once the item is finished. */
  workingDaysUsed: number | null;
  returns: number;
  rungLevel: number;
  plannedStart: string | null;
  plannedFinish: string | null;
  latestStart: string | null;
  /** What approval time is computed from (domain/approval-time.ts `ClockFacts`). */
  timeKind: TimeKind;
  clockStart: string | null;
  pauses: { from: string; to: string | null }[];
};

export type ProjectRecord = {
  profile: ProjectProfile;
  templateId: string;
  registeredAt: string;
  revision: number;
  summary: ProjectSummary;
  /** The read model's status (domain/vocabulary.ts projectStatusZh); absent from records of older code. */
  status?: 'active' | 'suspended' | 'completed' | 'cancelled' | 'closed';
  /** The plan's items now: the read model marks any other item of the project withdrawn (已取消). */
  planItems: string[];
  /** The plan's approval and elapsed days, null in baselines made before they were kept. */
  plannedDays: Schedule['approvalDays'] | null;
  committedDays: number;
};

export function itemRecords(state: ProjectState, calendar: Calendar): ItemRecord[] {
  const ended = hasEnded(state);
  return state.plan.items.map((def) => {
    const item = state.items[def.code]!;
    const withdrawn = ended && !isDone(item);
    const planned = state.baseline?.items[def.code];
    const used =
      item.finishedAt && item.clockStart
        ? calendar.workingDaysBetween(
            Date.parse(item.clockStart),
            Date.parse(item.finishedAt),
            effectivePauses(state, item),
          )
        : null;
    const clock = clockFacts(state, def.code);
    const acceptBy = state.acceptanceClock ? acceptanceDueAt(item, calendar) : null;
    return {
      code: def.code,
      nameZh: def.nameZh,
      department: def.department,
      stage: def.stage,
      lane: def.lane,
      // Items left open when the project was cancelled or closed are withdrawn (已取消), never live.
      status: withdrawn ? WITHDRAWN : item.status,
      submittedAt: item.submittedAt ?? null,
      acceptedAt: item.acceptedAt ?? null,
      dueAt: withdrawn ? null : (item.dueAt ?? null),
      acceptBy: acceptBy === null || withdrawn ? null : new Date(acceptBy).toISOString(),
      provisional: item.provisional,
      finishedAt: item.finishedAt ?? null,
      workingDaysUsed: used,
      returns: item.returns,
      rungLevel: item.rungLevel,
      plannedStart: planned?.plannedStart ?? null,
      plannedFinish: planned?.plannedFinish ?? null,
      latestStart: planned?.latestStart ?? null,
      timeKind: clock.timeKind,
      clockStart: clock.clockStart,
      pauses: [...clock.pauses],
    };
  });
}

/** The project's own record: its profile and summary, and what its ledger's approval time needs. */
export function projectRecord(state: ProjectState, summary: ProjectSummary): ProjectRecord {
  return {
    profile: state.profile,
    templateId: state.plan.templateId,
    registeredAt: state.registeredAt,
    revision: state.revision,
    summary,
    status: projectStatus(state, summary),
    planItems: state.plan.items.map((i) => i.code),
    // Carried states of projects registered before the baseline existed have none.
    plannedDays: state.baseline?.approvalDays ?? null,
    committedDays: committedApprovalDays(state.profile.category),
  };
}

function projectStatus(state: ProjectState, summary: ProjectSummary): ProjectRecord['status'] {
  const phase = phaseOf(state);
  return phase === 'active' ? (summary.done ? 'completed' : 'active') : phase;
}

export function problemRecords(state: ProjectState): ProblemState[] {
  return Object.values(state.problems);
}
