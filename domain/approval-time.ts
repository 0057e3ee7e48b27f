import type { Calendar, LocalDate } from './calendar';
import type { TimeKind } from './catalog';
import type { ProjectState } from './project';
import { effectivePauses } from './supervision';
import { committedApprovalDays, timeKindOf } from './time-kinds';
import { CONSTRUCTION_PERMIT, DONE_STATUSES } from './vocabulary';

/**
 * Approval time (审批用时), the reform's headline figure, beside elapsed time (历时).
 *
 * - An item's *counted* days are the working days its department held the accepted application: from
 *   the day after acceptance (受理) to its decision, without the clock's pauses (补正, the periods of
 *   Licensing Law Art. 45 such as expert review or public notice, a blocking problem). Only items whose
 *   time kind is `approval` count (domain/catalog.ts `TimeKind`); the others are not the government's time.
 * - An item's *elapsed* days run from the day after it was submitted to its end, nothing taken out: what
 *   the applicant waited.
 * - A project's counted days are the working days on which at least one of its approval items was on
 *   the clock: parallel approvals (大并联) count once, which is the point of running them in parallel.
 *   Its elapsed days run from registration to completion (or now), and to the construction permit.
 * Working days are the calendar's (`workingDaysBetween`: days after the first instant's day, up to and
 * including the last instant's day).
 */

/** The facts of one item the figures are computed from: the workflow's state or a read-model row. */
export type ClockFacts = {
  timeKind: TimeKind;
  status: string;
  submittedAt: string | null;
  clockStart: string | null;
  finishedAt: string | null;
  /** The clock's pauses, as the workflow holds them (domain/supervision.ts `effectivePauses`). */
  pauses: readonly { from: string; to: string | null }[];
};

export type ItemApprovalTime = {
  /** Whether the item's time is approval time at all. */
  counts: boolean;
  /** Working days on the clock so far (or in all, once finished); null when it does not count or has no clock. */
  countedDays: number | null;
  /** Working days since submission; null before submission. */
  elapsedDays: number | null;
};

const ms = (iso: string) => Date.parse(iso);
const APPROVED: ReadonlySet<string> = new Set(['approved', 'approvedOnCommitment']);
const DONE: ReadonlySet<string> = DONE_STATUSES;

const pausesOf = (item: ClockFacts) =>
  item.pauses.map((p) => ({ from: ms(p.from), to: p.to === null ? null : ms(p.to) }));
const endOf = (item: ClockFacts, now: number) => (item.finishedAt === null ? now : ms(item.finishedAt));

/** The working days an item's clock ran, in order (empty when it does not count). */
export function countedDates(item: ClockFacts, calendar: Calendar, now: number): LocalDate[] {
  if (item.timeKind !== 'approval' || item.clockStart === null) return [];
  return calendar.workingDates(ms(item.clockStart), endOf(item, now), pausesOf(item));
}

export function itemApprovalTime(item: ClockFacts, calendar: Calendar, now: number): ItemApprovalTime {
  const counts = item.timeKind === 'approval';
  const end = endOf(item, now);
  return {
    counts,
    countedDays:
      counts && item.clockStart !== null
        ? calendar.workingDaysBetween(ms(item.clockStart), end, pausesOf(item))
        : null,
    elapsedDays: item.submittedAt === null ? null : calendar.workingDaysBetween(ms(item.submittedAt), end),
  };
}

export type ProjectApprovalTime = {
  /** Working days on which at least one approval item was on the clock. */
  countedDays: number;
  /** Working days from registration to completion, or to now while the project runs. */
  elapsedDays: number;
  /** The same two, up to the day the construction permit was issued; null until it is. */
  toPermit: { date: LocalDate; countedDays: number; elapsedDays: number } | null;
  /** The city's commitment for the whole approval time (domain/catalog.ts `ApprovalTimeCommitment`). */
  committedDays: number;
  /** committedDays − countedDays: negative once the commitment is broken. */
  remainingDays: number;
};

/** A project's approval and elapsed time from its items' facts. */
export function projectApprovalTime(
  input: {
    registeredAt: string;
    /** The commitment the project is measured against (`committedApprovalDays` of its category). */
    committedDays: number;
    items: readonly (ClockFacts & { code: string })[];
  },
  calendar: Calendar,
  now: number,
): ProjectApprovalTime {
  const counted = new Set<LocalDate>();
  for (const item of input.items) for (const d of countedDates(item, calendar, now)) counted.add(d);
  const complete = input.items.length > 0 && input.items.every((i) => DONE.has(i.status) && i.finishedAt);
  const end = complete ? Math.max(...input.items.map((i) => ms(i.finishedAt!))) : now;
  const start = ms(input.registeredAt);

  const permit = input.items.find((i) => i.code === CONSTRUCTION_PERMIT);
  const issued = permit && permit.finishedAt !== null && APPROVED.has(permit.status);
  let toPermit: ProjectApprovalTime['toPermit'] = null;
  if (issued) {
    const date = calendar.dateOf(ms(permit.finishedAt!));
    toPermit = {
      date,
      countedDays: [...counted].filter((d) => d <= date).length,
      elapsedDays: calendar.workingDaysBetween(start, ms(permit.finishedAt!)),
    };
  }
  const { committedDays } = input;
  return {
    countedDays: counted.size,
    elapsedDays: calendar.workingDaysBetween(start, end),
    toPermit,
    committedDays,
    remainingDays: committedDays - counted.size,
  };
}

/** An item's clock facts from the workflow's state. */
export function clockFacts(state: ProjectState, code: string): ClockFacts & { code: string } {
  const def = state.plan.items.find((i) => i.code === code)!;
  const item = state.items[code]!;
  const iso = (t: number) => new Date(t).toISOString();
  return {
    code,
    timeKind: timeKindOf(def),
    status: item.status,
    submittedAt: item.submittedAt ?? null,
    clockStart: item.preReview ? null : (item.clockStart ?? null),
    finishedAt: item.finishedAt ?? null,
    pauses: effectivePauses(state, item).map((p) => ({
      from: iso(p.from),
      to: p.to === null ? null : iso(p.to),
    })),
  };
}

/** A running project's approval time, as its workflow holds it, with the plan's figures beside it. */
export function stateApprovalTime(state: ProjectState, calendar: Calendar, now: number) {
  const actual = projectApprovalTime(
    {
      registeredAt: state.registeredAt,
      committedDays: committedApprovalDays(state.profile.category),
      items: state.plan.items.map((i) => clockFacts(state, i.code)),
    },
    calendar,
    now,
  );
  return { ...actual, planned: state.baseline?.approvalDays ?? null };
}

/** An item's facts as they stood at `t`: what happened later is not known yet. */
export function factsAsOf<T extends ClockFacts>(item: T, t: number): T {
  const by = (iso: string | null) => (iso !== null && ms(iso) <= t ? iso : null);
  return {
    ...item,
    submittedAt: by(item.submittedAt),
    clockStart: by(item.clockStart),
    finishedAt: by(item.finishedAt),
    pauses: item.pauses.filter((p) => ms(p.from) <= t).map((p) => ({ from: p.from, to: by(p.to) })),
  };
}

export type ProjectMonthLine = ProjectApprovalTime & {
  code: string;
  name: string;
  /** The plan's approval days (Schedule.approvalDays.counted); null for baselines made before they were kept. */
  plannedCountedDays: number | null;
};

/**
 * Every project's approval time as of a month's end (or `now`, for the current month), for the monthly
 * report: most approval time first, so a broken commitment leads.
 */
export function approvalTimeAsOf(
  projects: readonly {
    code: string;
    name: string;
    registeredAt: string;
    committedDays: number;
    plannedCountedDays: number | null;
    items: readonly (ClockFacts & { code: string })[];
  }[],
  calendar: Calendar,
  at: number,
): ProjectMonthLine[] {
  return projects
    .filter((p) => ms(p.registeredAt) < at)
    .map((p) => ({
      code: p.code,
      name: p.name,
      plannedCountedDays: p.plannedCountedDays,
      ...projectApprovalTime(
        {
          registeredAt: p.registeredAt,
          committedDays: p.committedDays,
          items: p.items.map((i) => factsAsOf(i, at)),
        },
        calendar,
        at,
      ),
    }))
    .sort((a, b) => b.countedDays - a.countedDays || a.code.localeCompare(b.code));
}
