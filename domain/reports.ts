import {
  type ItemApprovalTime,
  itemApprovalTime,
  type ProjectApprovalTime,
  projectApprovalTime,
} from './approval-time';
import type { Calendar, LocalDate } from './calendar';
import type { TimeKind } from './catalog';
import { monthBounds } from './periods';
import type { Schedule } from './schedule';
import { DECIDED_STATUSES, WITHDRAWN } from './vocabulary';

/**
 * Ledgers and reports (台账 and 月度通报) over read-model rows: pure functions of the rows, the working-day
 * calendar the workflow uses, and the time `now` (epoch ms) they are computed at. No I/O, no clock.
 *
 * Conventions shared by every report:
 * - An item is *decided* (办结) when its department approved it, approved it on commitment (告知承诺) or
 *   rejected it; `finishedAt` is that moment. A waived item is finished but not decided: the secretary
 *   dropped it, no department handled it.
 * - *On time*: decided at or before `dueAt` (the end of the due day, China Standard Time). An item decided
 *   before its clock started has no due date and counts as on time.
 * - *Overdue* at an instant t: accepted by t, due before t and not finished by t.
 * - Working days are the calendar's: finished items report what the workflow stored (pauses for
 *   correction excluded); open items are counted from their clock's start to `now` without its pauses.
 * - Approval time (审批用时) and elapsed time (历时): domain/approval-time.ts.
 * - Items an amendment took out of the plan are `withdrawn` (已取消): the ledger lists them as such,
 *   the other reports never see them (the loader leaves them out).
 * - Months are calendar months in China Standard Time.
 */

/** One row of project_items, instants as ISO strings. */
export type ReportItem = {
  projectCode: string;
  itemCode: string;
  nameZh: string;
  department: string;
  departmentName: string | null;
  stage: number;
  status: string;
  plannedStart: LocalDate | null;
  plannedFinish: LocalDate | null;
  latestStart: LocalDate | null;
  submittedAt: string | null;
  acceptedAt: string | null;
  /** The deadline instant, and the China date it ends (calendar.ts dueDateOf), the day people read. */
  dueAt: string | null;
  dueDate: LocalDate | null;
  /** The due date was computed over a provisional day (Calendar.isProvisional). */
  provisional: boolean;
  finishedAt: string | null;
  /** Stored by the workflow once the item finished. */
  workingDaysUsed: number | null;
  returns: number;
  /** Escalation rung reached in the item's current round (0 none … 4 约谈). */
  rung: number;
  /** What approval time is computed from (domain/approval-time.ts `ClockFacts`). */
  timeKind: TimeKind;
  clockStart: string | null;
  pauses: { from: string; to: string | null }[];
};

/** One row of projects. */
export type ReportProject = {
  code: string;
  name: string;
  leader: string;
  secretary: string;
  targetStart: LocalDate | null;
  stage: number;
  status: string;
  overdueItems: number;
  escalationLevel: number;
};

export type DepartmentRef = { code: string; nameZh: string };
export type ScoreRow = { department: string; projectCode: string; points: number };

const DECIDED: ReadonlySet<string> = DECIDED_STATUSES;

export const ms = (iso: string) => Date.parse(iso);
export const isDecided = (i: ReportItem) => DECIDED.has(i.status) && i.finishedAt !== null;
export const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

/** Decided at or before its due time; null until decided. */
export function onTime(i: ReportItem): boolean | null {
  return isDecided(i) ? i.dueAt === null || ms(i.finishedAt!) <= ms(i.dueAt) : null;
}

/** Accepted by `at`, due before `at` and not finished by `at`. */
export function overdueAt(i: ReportItem, at: number): boolean {
  if (i.acceptedAt === null || i.dueAt === null || ms(i.acceptedAt) > at) return false;
  return ms(i.dueAt) < at && (i.finishedAt === null || ms(i.finishedAt) > at);
}

/**
 * Stored for a finished item; for an open one, from its clock's start to `now` without its pauses (from
 * acceptance, pauses included, for rows written before the read model kept the clock); null before.
 */
export function workingDaysUsed(i: ReportItem, calendar: Calendar, now: number): number | null {
  if (i.finishedAt !== null) return i.workingDaysUsed;
  if (i.clockStart !== null) {
    const pauses = i.pauses.map((p) => ({ from: ms(p.from), to: p.to === null ? null : ms(p.to) }));
    return calendar.workingDaysBetween(ms(i.clockStart), now, pauses);
  }
  return i.acceptedAt === null ? null : calendar.workingDaysBetween(ms(i.acceptedAt), now);
}

/** Nearest-rank percentile: the value at rank ⌈p/100 × n⌉ of the values sorted ascending; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

// --- 项目台账: the project ledger ---------------------------------------------------------------------

export type LedgerLine = ReportItem & {
  /** See `workingDaysUsed`: stored once finished, counted to `now` while open. */
  workingDaysUsed: number | null;
  onTime: boolean | null;
  /** Open and past due at `now`. */
  overdue: boolean;
} & ItemApprovalTime;

/** Every item of a project, by stage, planned start and code. */
export function projectLedger(items: readonly ReportItem[], calendar: Calendar, now: number): LedgerLine[] {
  return [...items]
    .sort(
      (a, b) =>
        a.stage - b.stage ||
        (a.plannedStart ?? '9999').localeCompare(b.plannedStart ?? '9999') ||
        a.itemCode.localeCompare(b.itemCode),
    )
    .map((i) => ({
      ...i,
      workingDaysUsed: workingDaysUsed(i, calendar, now),
      onTime: onTime(i),
      overdue: i.status !== WITHDRAWN && overdueAt(i, now),
      ...itemApprovalTime(i, calendar, now),
    }));
}

/** What the ledger shows of a project besides its items: registration, the plan's days, the commitment. */
export type LedgerProject = {
  registeredAt: string;
  plannedDays: Schedule['approvalDays'] | null;
  committedDays: number;
};

/** The project's approval time from its ledger rows (withdrawn items left out), with the plan's beside it. */
export function ledgerApprovalTime(
  project: LedgerProject,
  items: readonly ReportItem[],
  calendar: Calendar,
  now: number,
): ProjectApprovalTime & { planned: Schedule['approvalDays'] | null } {
  const live = items.filter((i) => i.status !== WITHDRAWN).map((i) => ({ ...i, code: i.itemCode }));
  return {
    ...projectApprovalTime(
      { registeredAt: project.registeredAt, committedDays: project.committedDays, items: live },
      calendar,
      now,
    ),
    planned: project.plannedDays,
  };
}

// --- 部门月度通报: the department monthly report ----------------------------------------------------------

export type DepartmentMonth = {
  department: string;
  nameZh: string | null;
  /** Items decided in the month. */
  handled: number;
  onTime: number;
  /** onTime / handled, 4 decimals; null when nothing was handled. */
  onTimeRate: number | null;
  /** Over the handled items, 2 decimals. */
  meanWorkingDays: number | null;
  p90WorkingDays: number | null;
  /** Open and past due at the month's end (or now, for the current month), plus those decided late in it. */
  overdue: number;
  /** Points lost to date across all projects (department_scores has no history by month). */
  points: number;
  /** Times the department was urged (催办) on an item in the month, over every project. */
  urgings: number;
  /** 1 = best; see `rankDepartments`. */
  rank: number;
};

/**
 * The monthly report for every department known (those listed, and any other that has items).
 * `now` caps the month's end, so the current month is reported as of now.
 */
export function departmentMonthly(input: {
  month: string;
  items: readonly ReportItem[];
  scores: readonly ScoreRow[];
  departments: readonly DepartmentRef[];
  now: number;
  /** Urgings in the month by department (db/urgings.ts `urgingsByDepartment`); none when absent. */
  urgings?: readonly { department: string; urgings: number }[];
}): DepartmentMonth[] {
  const { from, to } = monthBounds(input.month);
  const cutoff = Math.min(to, input.now);
  const names = new Map<string, string | null>(input.departments.map((d) => [d.code, d.nameZh]));
  for (const i of input.items) if (!names.has(i.department)) names.set(i.department, i.departmentName);
  const points = new Map<string, number>();
  for (const s of input.scores) points.set(s.department, (points.get(s.department) ?? 0) + s.points);
  const urged = new Map((input.urgings ?? []).map((u) => [u.department, u.urgings]));

  const rows = [...names.entries()].map(([department, nameZh]) => {
    const mine = input.items.filter((i) => i.department === department);
    const handled = mine.filter(
      (i) => isDecided(i) && ms(i.finishedAt!) >= from && ms(i.finishedAt!) < cutoff,
    );
    const days = handled.map((i) => i.workingDaysUsed).filter((d): d is number => d !== null);
    const onTimeCount = handled.filter((i) => onTime(i)).length;
    const lateInMonth = handled.filter((i) => !onTime(i)).length;
    return {
      department,
      nameZh,
      handled: handled.length,
      onTime: onTimeCount,
      onTimeRate: handled.length ? round(onTimeCount / handled.length, 4) : null,
      meanWorkingDays: days.length ? round(days.reduce((a, b) => a + b, 0) / days.length, 2) : null,
      p90WorkingDays: percentile(days, 90),
      overdue: mine.filter((i) => overdueAt(i, cutoff)).length + lateInMonth,
      points: points.get(department) ?? 0,
      urgings: urged.get(department) ?? 0,
      rank: 0,
    };
  });
  return rankDepartments(rows);
}

/**
 * Ranking (排名): on-time rate, highest first (departments that handled nothing come after all that did);
 * then points lost, fewest first; equal on both, equal rank (competition ranking: 1, 2, 2, 4). Listed in
 * rank order, then by department code.
 */
export function rankDepartments<T extends { department: string; onTimeRate: number | null; points: number }>(
  rows: readonly T[],
): (T & { rank: number })[] {
  const rate = (r: T) => r.onTimeRate ?? -1;
  const sorted = [...rows].sort(
    (a, b) => rate(b) - rate(a) || a.points - b.points || a.department.localeCompare(b.department),
  );
  return sorted.map((r, i) => {
    let first = i;
    while (first > 0 && rate(sorted[first - 1]!) === rate(r) && sorted[first - 1]!.points === r.points)
      first--;
    return { ...r, rank: first + 1 };
  });
}

// --- 一次办结率: the "not done in one trip" ledger ---------------------------------------------------------

export type ReturnsLine = ReportItem & { projectName: string };

export type OneTripRate = {
  department: string;
  nameZh: string | null;
  /** Items decided (approved, approved on commitment, rejected). */
  decided: number;
  withoutReturn: number;
  /** withoutReturn / decided, 4 decimals; null when nothing was decided. */
  oneTripRate: number | null;
};

/** Items returned for correction more than once (most returns first), and each department's one-trip rate. */
export function returnsLedger(
  projects: readonly ReportProject[],
  items: readonly ReportItem[],
): { items: ReturnsLine[]; departments: OneTripRate[] } {
  const names = new Map(projects.map((p) => [p.code, p.name]));
  const returned = items
    .filter((i) => i.returns > 1)
    .map((i) => ({ ...i, projectName: names.get(i.projectCode) ?? i.projectCode }))
    .sort(
      (a, b) =>
        b.returns - a.returns ||
        a.projectCode.localeCompare(b.projectCode) ||
        a.itemCode.localeCompare(b.itemCode),
    );
  const byDepartment = new Map<string, OneTripRate>();
  for (const i of items) {
    const d = byDepartment.get(i.department) ?? {
      department: i.department,
      nameZh: i.departmentName,
      decided: 0,
      withoutReturn: 0,
      oneTripRate: null,
    };
    if (isDecided(i)) {
      d.decided++;
      if (i.returns === 0) d.withoutReturn++;
      d.oneTripRate = round(d.withoutReturn / d.decided, 4);
    }
    byDepartment.set(i.department, d);
  }
  return {
    items: returned,
    departments: [...byDepartment.values()].sort((a, b) => a.department.localeCompare(b.department)),
  };
}
