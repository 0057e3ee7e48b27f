import { z } from 'zod';
import { type Calendar, dueDateOf, LocalDate } from './calendar';
import type { ForecastBrief } from './forecast';
import { RUNG_LEVEL, rungLabelZh, rungNameOf } from './ladder';
import { latestFullMonth } from './periods';
import { overdueAt, type ReportItem, type ReportProject } from './reports';
import { type Colour, leaderProjects } from './standing';
import {
  AT_DEPARTMENT_STATUSES,
  CLOSED_PROBLEM_STATUSES,
  isLiveProject,
  ON_CLOCK_STATUSES,
} from './vocabulary';

/**
 * The rhythm of the programme: what the digests say. A morning digest (每日督办) for
 * each project secretary on every working day — the daily check against the plan: items overdue, items
 * due within two working days, items whose planned start has passed without an application, and open
 * problems — and a weekly digest (每周督办) for each responsible leader on the first working day of the
 * week: their projects by colour with the reasons, the items on a yellow or red card, and the problems
 * past their deadline.
 *
 * Pure: the read-model rows, the working-day calendar and the instant `now` are parameters. The digest
 * workflow decides the day with `digestDay`; the digest activity builds and renders with the rest.
 */

export const DigestKind = z
  .enum(['secretaries-morning', 'leaders-weekly'])
  .describe(
    'secretaries-morning: 每日督办 at 08:30 on working days; leaders-weekly: 每周督办 on Monday 09:00',
  );
export type DigestKind = z.infer<typeof DigestKind>;

/**
 * What a digest run is asked: its kind, the day (default: the day it was scheduled for, CST) and, for a
 * run by hand, only these people (default: everyone the kind is for).
 */
export const DigestRunInput = z.object({
  kind: DigestKind,
  date: LocalDate.optional(),
  people: z.array(z.string().min(1).max(64)).min(1).max(500).optional(),
});
export type DigestRunInput = z.infer<typeof DigestRunInput>;

/** When each kind runs, China Standard Time (the Temporal Schedules are built from this). */
export const digestTimes: Readonly<Record<DigestKind, { hour: number; minute: number; weekly: boolean }>> = {
  'secretaries-morning': { hour: 8, minute: 30, weekly: false },
  'leaders-weekly': { hour: 9, minute: 0, weekly: true },
};

/** Items due within this many working days are "due soon" (临期). */
export const DUE_SOON_WORKING_DAYS = 2;

// --- Which day a run sends on ---------------------------------------------------------------------------

export type DayInfo = { date: LocalDate; working: boolean };
export type DigestDay = { send: true; date: LocalDate; deferred: boolean } | { send: false; reason: string };

/** 0 = Sunday … 6 = Saturday, for a calendar date (no time zone involved). */
export function weekdayOf(date: LocalDate): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

export function addDays(date: LocalDate, n: number): LocalDate {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** The days a run looks at: the day itself for the morning digest, the rest of its week (to Sunday) for the weekly one. */
export function daysToConsider(kind: DigestKind, date: LocalDate): number {
  return digestTimes[kind].weekly ? 7 - ((weekdayOf(date) + 6) % 7) : 1;
}

/**
 * Whether and on which day a run sends, from the calendar's view of `days` (the first is the run's own
 * day, see daysToConsider). The morning digest skips a day off and runs on a make-up working day (调休上班,
 * a Saturday or Sunday). The weekly digest, when Monday is a holiday, waits for the first working day of
 * the week; a week without one is skipped.
 */
export function digestDay(kind: DigestKind, days: readonly DayInfo[]): DigestDay {
  const first = days[0];
  if (!first) return { send: false, reason: 'no day given' };
  if (!digestTimes[kind].weekly) {
    return first.working
      ? { send: true, date: first.date, deferred: false }
      : { send: false, reason: `${first.date} is not a working day` };
  }
  const day = days.find((d) => d.working);
  return day
    ? { send: true, date: day.date, deferred: day.date !== first.date }
    : { send: false, reason: `no working day from ${first.date} to the end of its week` };
}

/** The instant a digest of `kind` is due on `date` (08:30 or 09:00 China Standard Time). */
export function sendInstant(kind: DigestKind, date: LocalDate): number {
  const { hour, minute } = digestTimes[kind];
  const hm = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  return Date.parse(`${date}T${hm}:00+08:00`);
}

/** The inbox entry's id and the outbox's message key: one digest per (kind, day, person). */
export function digestId(kind: DigestKind, date: LocalDate, personId: string): string {
  return `digest/${kind}/${date}/${personId}`;
}

// --- What a digest says ---------------------------------------------------------------------------------

export type DigestPerson = { id: string; name: string };

/** One open problem of the read model (problems table). */
export type DigestProblem = {
  projectCode: string;
  problemId: string;
  title: string;
  status: string;
  ownerDepartment: string | null;
  ownerDepartmentName: string | null;
  ownerPerson: string | null;
  deadlineAt: string;
};

export type LineBase = {
  projectCode: string;
  projectName: string;
  itemCode: string;
  nameZh: string;
  department: string;
  departmentName: string | null;
};
export type OverdueLine = LineBase & {
  dueDate: LocalDate;
  dueLabel: string;
  workingDaysOverdue: number;
  rung: number;
};
export type DueSoonLine = LineBase & { dueDate: LocalDate; dueLabel: string; workingDaysLeft: number };
export type LateStartLine = LineBase & { plannedStart: LocalDate; plannedLabel: string };
export type CardLine = LineBase & {
  rung: number;
  rungLabel: string;
  dueDate: LocalDate | null;
  dueLabel: string | null;
  /** Negative: working days left; positive: working days overdue. */
  workingDaysOverdue: number;
};
export type ProblemLine = {
  projectCode: string;
  projectName: string;
  problemId: string;
  title: string;
  owner: string | null;
  deadlineDate: LocalDate;
  deadlineLabel: string;
  pastDeadline: boolean;
  workingDaysPast: number;
};

/** What every digest begins with: its kind, the day it is for (and its Chinese label), when it was made, for whom. */
export type DigestHeading<K extends DigestKind> = {
  kind: K;
  date: LocalDate;
  dateLabel: string;
  asOf: string;
  person: DigestPerson;
};

function heading<K extends DigestKind>(
  kind: K,
  date: LocalDate,
  now: number,
  calendar: Calendar,
  person: DigestPerson,
): DigestHeading<K> {
  return { kind, date, dateLabel: dayLabelZh(date, calendar), asOf: new Date(now).toISOString(), person };
}

export type SecretaryDigest = DigestHeading<'secretaries-morning'> & {
  projects: { code: string; name: string }[];
  overdue: OverdueLine[];
  dueSoon: DueSoonLine[];
  lateStarts: LateStartLine[];
  problems: ProblemLine[];
  /** Nothing to report: the inbox gets it, the channels do not. */
  quiet: boolean;
};

export type LeaderProjectLine = {
  code: string;
  /** The permit forecast's gist (domain/forecast.ts), when one was made for the digest. */
  forecast?: ForecastBrief;
  name: string;
  stage: number;
  colour: Colour;
  reasons: string[];
  overdueItems: number;
  countdown: number | null;
};

export type LeaderDigest = DigestHeading<'leaders-weekly'> & {
  counts: Record<Colour, number>;
  projects: LeaderProjectLine[];
  cardItems: CardLine[];
  problemsPastDeadline: ProblemLine[];
  /** The latest monthly supervision bulletin (the last full month) and its dashboard page. */
  bulletin?: { month: string; link: string };
  quiet: false;
};

export type Digest = SecretaryDigest | LeaderDigest;

export type DigestSource = {
  person: DigestPerson;
  /** The dashboard's address (PUBLIC_URL) for links; without it, links are paths. */
  publicUrl?: string;
  /** The run's day (CST); `now` is when the digest is computed. */
  date: LocalDate;
  now: number;
  calendar: Calendar;
  /** The person's projects (as secretary or as leader): completed ones are left out. */
  projects: readonly ReportProject[];
  /** Items of those projects (others are ignored). */
  items: readonly ReportItem[];
  /** Open problems of those projects (others are ignored). */
  problems: readonly DigestProblem[];
  /** The permit forecasts of those projects, by code, where they could be made (leaders' digest). */
  forecasts?: ReadonlyMap<string, ForecastBrief>;
};

const WEEKDAY_ZH = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];
const ON_CLOCK: ReadonlySet<string> = ON_CLOCK_STATUSES;
const AT_DEPARTMENT: ReadonlySet<string> = new Set(AT_DEPARTMENT_STATUSES);
const CLOSED_PROBLEM: ReadonlySet<string> = CLOSED_PROBLEM_STATUSES;

/** `6月16日（周六·调休上班）`: the weekday, and a make-up working day marked as such; the year when it differs. */
export function dayLabelZh(date: LocalDate, calendar: Calendar, relativeTo?: LocalDate): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const weekday = weekdayOf(date);
  const makeUp = (weekday === 0 || weekday === 6) && calendar.isWorkingDay(date);
  const year = relativeTo && relativeTo.slice(0, 4) === date.slice(0, 4) ? '' : `${y}年`;
  return `${year}${m}月${d}日（${WEEKDAY_ZH[weekday]}${makeUp ? '·调休上班' : ''}）`;
}

/** The due day of a deadline stored as the end of the day (00:00 CST of the next). */
/** Working days after the due day, up to and including today's (0 while not past due). */
const workingDaysPast = (calendar: Calendar, deadline: string, now: number) =>
  Date.parse(deadline) < now ? calendar.workingDaysBetween(Date.parse(deadline) - 1, now) : 0;

function scope(src: DigestSource) {
  const active = src.projects.filter((p) => isLiveProject(p.status));
  const names = new Map(active.map((p) => [p.code, p.name]));
  const items = src.items.filter((i) => names.has(i.projectCode));
  const problems = src.problems.filter((p) => names.has(p.projectCode) && !CLOSED_PROBLEM.has(p.status));
  const base = (i: ReportItem): LineBase => ({
    projectCode: i.projectCode,
    projectName: names.get(i.projectCode)!,
    itemCode: i.itemCode,
    nameZh: i.nameZh,
    department: i.department,
    departmentName: i.departmentName,
  });
  return { active, names, items, problems, base };
}

const byDue = <T extends { dueDate: string | null; projectCode: string; itemCode: string }>(a: T, b: T) =>
  (a.dueDate ?? '9999').localeCompare(b.dueDate ?? '9999') ||
  a.projectCode.localeCompare(b.projectCode) ||
  a.itemCode.localeCompare(b.itemCode);

function problemLines(
  src: DigestSource,
  problems: readonly DigestProblem[],
  names: ReadonlyMap<string, string>,
): ProblemLine[] {
  return problems
    .map((p) => {
      const deadlineDate = dueDateOf(p.deadlineAt);
      const past = workingDaysPast(src.calendar, p.deadlineAt, src.now);
      return {
        projectCode: p.projectCode,
        projectName: names.get(p.projectCode)!,
        problemId: p.problemId,
        title: p.title,
        owner: p.ownerDepartmentName ?? p.ownerDepartment ?? p.ownerPerson,
        deadlineDate,
        deadlineLabel: dayLabelZh(deadlineDate, src.calendar, src.date),
        pastDeadline: Date.parse(p.deadlineAt) < src.now,
        workingDaysPast: past,
      };
    })
    .sort(
      (a, b) =>
        Number(b.pastDeadline) - Number(a.pastDeadline) ||
        a.deadlineDate.localeCompare(b.deadlineDate) ||
        a.projectCode.localeCompare(b.projectCode) ||
        a.problemId.localeCompare(b.problemId, undefined, { numeric: true }),
    );
}

/** A secretary's morning digest: the daily check of their projects against the plan. */
export function secretaryDigest(src: DigestSource): SecretaryDigest {
  const { calendar, now, date } = src;
  const { active, names, items, problems, base } = scope(src);
  const today = calendar.dateOf(now);
  const horizon = calendar.addWorkingDays(today, DUE_SOON_WORKING_DAYS).date;
  const label = (d: LocalDate) => dayLabelZh(d, calendar, date);

  const overdue: OverdueLine[] = [];
  const dueSoon: DueSoonLine[] = [];
  for (const i of items) {
    if (!ON_CLOCK.has(i.status) || i.dueAt === null) continue;
    const dueDate = dueDateOf(i.dueAt);
    if (overdueAt(i, now)) {
      const workingDaysOverdue = workingDaysPast(calendar, i.dueAt, now);
      overdue.push({ ...base(i), dueDate, dueLabel: label(dueDate), workingDaysOverdue, rung: i.rung });
    } else if (dueDate <= horizon) {
      // Working days after today up to the due day: 0 = due today.
      const workingDaysLeft = calendar.workingDaysBetween(now, Date.parse(i.dueAt) - 1);
      dueSoon.push({ ...base(i), dueDate, dueLabel: label(dueDate), workingDaysLeft });
    }
  }
  const lateStarts: LateStartLine[] = items
    .filter((i) => i.status === 'ready' && i.plannedStart !== null && i.plannedStart <= today)
    .map((i) => ({ ...base(i), plannedStart: i.plannedStart!, plannedLabel: label(i.plannedStart!) }))
    .sort(
      (a, b) =>
        a.plannedStart.localeCompare(b.plannedStart) ||
        a.projectCode.localeCompare(b.projectCode) ||
        a.itemCode.localeCompare(b.itemCode),
    );
  const problemList = problemLines(src, problems, names);
  overdue.sort((a, b) => b.workingDaysOverdue - a.workingDaysOverdue || byDue(a, b));
  dueSoon.sort(byDue);
  return {
    ...heading('secretaries-morning', date, now, calendar, src.person),
    projects: active.map((p) => ({ code: p.code, name: p.name })),
    overdue,
    dueSoon,
    lateStarts,
    problems: problemList,
    quiet: overdue.length + dueSoon.length + lateStarts.length + problemList.length === 0,
  };
}

/** A leader's weekly digest: their projects by colour with reasons, carded items, problems past deadline. */
export function leaderDigest(src: DigestSource): LeaderDigest {
  const { calendar, now, date } = src;
  const { active, names, items, problems, base } = scope(src);
  const standing = leaderProjects(active, items, calendar, now);
  const bulletinMonth = latestFullMonth(now);
  const counts: Record<Colour, number> = { red: 0, yellow: 0, green: 0 };
  for (const p of standing) counts[p.colour] += 1;
  const cardItems: CardLine[] = items
    .filter((i) => AT_DEPARTMENT.has(i.status) && i.rung >= RUNG_LEVEL.yellow)
    .map((i) => {
      const dueDate = i.dueAt === null ? null : dueDateOf(i.dueAt);
      const name = rungNameOf(i.rung);
      const past = i.dueAt === null ? 0 : workingDaysPast(calendar, i.dueAt, now);
      const left =
        i.dueAt === null || past > 0 ? 0 : calendar.workingDaysBetween(now, Date.parse(i.dueAt) - 1);
      return {
        ...base(i),
        rung: i.rung,
        rungLabel: name ? rungLabelZh[name] : `第 ${i.rung} 级`,
        dueDate,
        dueLabel: dueDate === null ? null : dayLabelZh(dueDate, calendar, date),
        workingDaysOverdue: past > 0 ? past : -left,
      };
    })
    .sort((a, b) => b.rung - a.rung || b.workingDaysOverdue - a.workingDaysOverdue || byDue(a, b));
  return {
    ...heading('leaders-weekly', date, now, calendar, src.person),
    counts,
    projects: standing.map((p) => ({
      code: p.code,
      name: p.name,
      stage: p.stage,
      colour: p.colour,
      reasons: p.reasons,
      overdueItems: p.overdueItems,
      countdown: p.countdown,
      ...(src.forecasts?.has(p.code) ? { forecast: src.forecasts.get(p.code)! } : {}),
    })),
    cardItems,
    problemsPastDeadline: problemLines(src, problems, names).filter((p) => p.pastDeadline),
    bulletin: {
      month: bulletinMonth,
      link: `${src.publicUrl ?? ''}/ui/reports/bulletin?month=${bulletinMonth}`,
    },
    quiet: false,
  };
}
