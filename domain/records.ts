import type { Calendar } from './calendar';
import type { ProblemState, ProjectProfile, ProjectState } from './project';
import { effectivePauses, type ProjectSummary } from './supervision';

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
  provisional: boolean;
  finishedAt: string | null;
  /** Working days on the clock, pauses excluded; set once the item is finished. */
  workingDaysUsed: number | null;
  returns: number;
  rungLevel: number;
  plannedStart: string | null;
  plannedFinish: string | null;
  latestStart: string | null;
};

export type ProjectRecord = {
  profile: ProjectProfile;
  templateId: string;
  registeredAt: string;
  revision: number;
  summary: ProjectSummary;
};

export function itemRecords(state: ProjectState, calendar: Calendar): ItemRecord[] {
  return state.plan.items.map((def) => {
    const item = state.items[def.code]!;
    const planned = state.baseline?.items[def.code];
    const used =
      item.finishedAt && item.clockStart
        ? calendar.workingDaysBetween(
            Date.parse(item.clockStart),
            Date.parse(item.finishedAt),
            effectivePauses(state, item),
          )
        : null;
    return {
      code: def.code,
      nameZh: def.nameZh,
      department: def.department,
      stage: def.stage,
      lane: def.lane,
      status: item.status,
      submittedAt: item.submittedAt ?? null,
      acceptedAt: item.acceptedAt ?? null,
      dueAt: item.dueAt ?? null,
      provisional: item.provisional,
      finishedAt: item.finishedAt ?? null,
      workingDaysUsed: used,
      returns: item.returns,
      rungLevel: item.rungLevel,
      plannedStart: planned?.plannedStart ?? null,
      plannedFinish: planned?.plannedFinish ?? null,
      latestStart: planned?.latestStart ?? null,
    };
  });
}

export function problemRecords(state: ProjectState): ProblemState[] {
  return Object.values(state.problems);
}
