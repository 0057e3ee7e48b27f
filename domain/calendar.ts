import { z } from 'zod';

/**
 * Working-day arithmetic for approval deadlines (工作日, Administrative Licensing Law art. 82) on China's
 * statutory holiday calendar: days off (法定节假日) and weekend make-up workdays (调休上班) from the State
 * Council's yearly notice, in the NateScarlet/holiday-cn JSON shape.
 *
 * Pure and deterministic (workflow code imports it): instants are epoch milliseconds passed in, never read
 * from a clock; dates are China Standard Time, a fixed UTC+8 without DST, so every date maps to a plain day
 * number and its boundaries are arithmetic. No Date objects, so the host's time zone never leaks in.
 */

const DAY_MS = 86_400_000;
/** China Standard Time is UTC+8 all year. */
export const CST_OFFSET_MS = 8 * 3_600_000;
/** Guards the day walks against a malformed calendar; real limits are a few hundred days. */
const MAX_WALK_DAYS = 40_000;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

// Day numbers count days since 1970-01-01 (a Thursday); civil conversions after H. Hinnant's algorithms.
function dayFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

function civilFromDay(dayNumber: number): [year: number, month: number, day: number] {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, doy - Math.floor((153 * mp + 2) / 5) + 1];
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const formatDay = (dayNumber: number): string => {
  const [y, m, d] = civilFromDay(dayNumber);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
};
/** 0 = Sunday … 6 = Saturday. */
const weekdayOf = (dayNumber: number) => (((dayNumber + 4) % 7) + 7) % 7;
const isWeekend = (dayNumber: number) => weekdayOf(dayNumber) % 6 === 0;

/** The day number of a 'YYYY-MM-DD' string, or null when it is not a real date in that form. */
function parseDay(date: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const n = dayFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
  return formatDay(n) === date ? n : null; // the round trip rejects 2026-02-30 and 2026-13-01
}

function dayOrThrow(date: string): number {
  const n = parseDay(date);
  if (n === null) throw new RangeError(`${JSON.stringify(date)} is not a valid date (YYYY-MM-DD)`);
  return n;
}

function dayOfInstant(at: number): number {
  if (!Number.isFinite(at)) throw new RangeError(`${at} is not an instant (epoch milliseconds)`);
  return Math.floor((at + CST_OFFSET_MS) / DAY_MS);
}

const endOfDayNumber = (dayNumber: number) => (dayNumber + 1) * DAY_MS - CST_OFFSET_MS;

/** A calendar date in China Standard Time, 'YYYY-MM-DD'. */
export const LocalDate = z
  .string()
  // Year 0000 is a proleptic Gregorian year but not one PostgreSQL's `date` has (a 500 where it was stored).
  .refine((s) => parseDay(s) !== null && !s.startsWith('0000'), {
    error: (iss) => `${JSON.stringify(iss.input)} is not a valid date (YYYY-MM-DD)`,
  })
  .describe('A calendar date in China Standard Time (UTC+8), YYYY-MM-DD');
export type LocalDate = z.infer<typeof LocalDate>;

export const CalendarDay = z.object({
  name: z.string().describe('The holiday the entry belongs to, e.g. 春节'),
  date: LocalDate,
  isOffDay: z.boolean().describe('true: a day off; false: a weekend make-up workday (调休上班)'),
});
export type CalendarDay = z.infer<typeof CalendarDay>;

const exceptionsOnly = 'Only the exceptions: any date not listed is a workday Monday–Friday';

/** One year of the State Council's holiday notice, in the holiday-cn JSON shape (extra keys are dropped). */
export const CalendarYear = z
  .object({
    year: z.number().int().min(1001).max(9999),
    papers: z.array(z.string()).describe('Links to the State Council notices'),
    days: z.array(CalendarDay).describe(exceptionsOnly),
  })
  .describe("One year's statutory holidays and make-up workdays");
export type CalendarYear = z.infer<typeof CalendarYear>;

/**
 * A holiday-cn file as published, as the API takes it: its `$schema` and `$id` too, and no key nothing
 * reads (refused, not dropped). What is kept of it is its `CalendarYear`.
 */
export const HolidayCnFile = CalendarYear.extend({
  $schema: z.string().max(500).optional(),
  $id: z.string().max(500).optional(),
  days: z.array(CalendarDay.strict()).describe(exceptionsOnly),
}).strict();

/** An item's clock stopped (e.g. returned for correction, 补正) from `from` to `to` (null: still stopped). */
export const Pause = z.object({ from: z.number(), to: z.number().nullable() });
export type Pause = z.infer<typeof Pause>;

export const Limit = z.object({ days: z.number().int().min(0), dayType: z.enum(['working', 'calendar']) });
export type Limit = z.infer<typeof Limit>;

export type Deadline = { dueAt: number; dueDate: LocalDate; provisional: boolean };

/** The first day of December of year-1 that a year's notice may cover (its New Year holiday can start there). */
const DECEMBER_WINDOW_FROM = 25;

const formatPath = (path: readonly PropertyKey[]) =>
  path.length === 0
    ? 'the calendar year'
    : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

/**
 * Checks a year an operator loads, beyond its shape: every date belongs to the year's notice (the year itself,
 * or from 25 December of the year before, because a notice's New Year holiday can start then, as 2019's did
 * on 2018-12-29; January of the next year belongs to the next notice), no date twice, and a make-up workday
 * (isOffDay false) falls on a Saturday or Sunday.
 */
export function validateCalendarYear(
  input: unknown,
): { ok: true; year: CalendarYear } | { ok: false; problems: string[] } {
  const parsed = CalendarYear.safeParse(input);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`) };
  }
  const { year, days } = parsed.data;
  const earliest = `${pad(year - 1, 4)}-12-${DECEMBER_WINDOW_FROM}`;
  const problems: string[] = [];
  const firstIndex = new Map<string, number>();
  days.forEach(({ date, isOffDay }, i) => {
    if (date < earliest || date > `${year}-12-31`) {
      problems.push(
        `days[${i}]: ${date} is outside the ${year} notice, which covers ${year} and ${earliest} to ${year - 1}-12-31.`,
      );
    }
    const first = firstIndex.get(date);
    if (first === undefined) firstIndex.set(date, i);
    else problems.push(`days[${i}]: ${date} is listed twice (first at days[${first}]).`);
    const dayNumber = dayOrThrow(date);
    if (!isOffDay && !isWeekend(dayNumber)) {
      problems.push(
        `days[${i}]: ${date} is a ${WEEKDAYS[weekdayOf(dayNumber)]}; a make-up workday (isOffDay false) must be a Saturday or Sunday.`,
      );
    }
  });
  return problems.length === 0 ? { ok: true, year: parsed.data } : { ok: false, problems };
}

/**
 * A hand-made year for tests and what-if planning: `off` days and weekend make-up `work` days.
 * Throws when the result would not pass validateCalendarYear.
 */
export function syntheticYear(
  year: number,
  { off = [], work = [] }: { off?: readonly LocalDate[]; work?: readonly LocalDate[] } = {},
): CalendarYear {
  const days = [
    ...off.map((date) => ({ name: 'synthetic', date, isOffDay: true })),
    ...work.map((date) => ({ name: 'synthetic', date, isOffDay: false })),
  ].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const result = validateCalendarYear({ year, papers: [], days });
  if (!result.ok) throw new Error(`syntheticYear(${year}): ${result.problems.join(' ')}`);
  return result.year;
}

export interface Calendar {
  /** Monday–Friday unless listed off; Saturday and Sunday only when listed as a make-up workday. */
  isWorkingDay(date: LocalDate): boolean;
  /** False when the year is missing or its notice lists no days (not yet published). */
  hasData(year: number): boolean;
  /**
   * A guess: the date's year has no published notice, or the date lies in 25–31 December and the next
   * year's notice, which may still claim those days (a New Year holiday, a make-up workday), is missing.
   */
  isProvisional(date: LocalDate): boolean;
  /** Whether any day `workingDaysBetween(from, to)` looks at is provisional. */
  provisionalBetween(from: number, to: number): boolean;
  dateOf(at: number): LocalDate;
  /** 00:00 CST of the next day, as epoch ms. */
  endOfDay(date: LocalDate): number;
  /**
   * When an item accepted at `start` is due. Counting starts the day after acceptance. Working days: the
   * Nth working day not paused. Calendar days: the Nth day not paused, moved to the next working day when it
   * is not one. 0 days (即办): the end of the day of acceptance, or of the next working day. A pause covers
   * the days after the day of return up to and including the day of resubmission. Null while an open pause
   * holds the count (it began before the due date). Provisional when a working day was looked up in a year
   * without data.
   */
  deadline(start: number, limit: Limit, pauses?: readonly Pause[]): Deadline | null;
  /**
   * The end of the nth working day after (n > 0) or before (n < 0) the day D of `at`; n = 0: the end of D.
   * An instant exactly at midnight is read as the end of the day before, so a deadline's dueAt maps to its own
   * due date.
   */
  shiftWorkingDays(at: number, n: number): { at: number; provisional: boolean };
  /** Working days d, dateOf(from) < d <= dateOf(to), not paused: the working days used so far. */
  workingDaysBetween(from: number, to: number, pauses?: readonly Pause[]): number;
  /** The days `workingDaysBetween` counts, in order: to join the counts of items that overlap. */
  workingDates(from: number, to: number, pauses?: readonly Pause[]): LocalDate[];
  /** The nth working day after (n > 0) or before (n < 0) `date`; n = 0 returns `date` itself. */
  addWorkingDays(date: LocalDate, n: number): { date: LocalDate; provisional: boolean };
  /** The first working day after `date` (strictly after: addWorkingDays(date, 1)). */
  nextWorkingDay(date: LocalDate): { date: LocalDate; provisional: boolean };
}

/** The China date (UTC+8) of an instant; needs no holiday data (Calendar.dateOf is the same). */
export function chinaDateOf(at: number): LocalDate {
  return formatDay(dayOfInstant(at));
}

/** An instant as China time to the minute, 'YYYY-MM-DD HH:mm': what reports and messages print. */
export function chinaMinuteOf(at: number): string {
  return new Date(at + CST_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * The China date a deadline instant belongs to: deadlines are stored as 00:00 CST of the day after the
 * due day, so the instant itself would read as the next day. What every answer shows beside the instant
 * (`dueDate` beside `dueAt`, `deadlineDate` beside `deadlineAt`) and every page shows instead of it.
 */
export function dueDateOf(dueAt: string | number): LocalDate {
  return chinaDateOf((typeof dueAt === 'number' ? dueAt : Date.parse(dueAt)) - 1);
}

/**
 * From 1 November (China time) of a year whose next year has no published notice, that next year: the
 * State Council usually publishes in November, and until it is loaded every deadline reaching into it (and
 * into the last week of this year) is a guess. Null otherwise.
 */
export function missingNextYearNotice(calendar: Calendar, now: number): number | null {
  const today = calendar.dateOf(now);
  const year = Number(today.slice(0, 4));
  return today.slice(5) >= '11-01' && !calendar.hasData(year + 1) ? year + 1 : null;
}

/** Pauses as day-number spans [first, last]; `last` is Infinity while open. */
type Span = { first: number; last: number };
const toSpans = (pauses: readonly Pause[]): Span[] =>
  pauses.map((p) => ({
    first: dayOfInstant(p.from) + 1,
    last: p.to === null ? Number.POSITIVE_INFINITY : dayOfInstant(p.to),
  }));
/** 'open' when an open pause covers the day (the count cannot go on), 'closed' for a finished pause. */
function pausedBy(spans: readonly Span[], day: number): 'open' | 'closed' | null {
  let state: 'closed' | null = null;
  for (const s of spans) {
    if (day < s.first || day > s.last) continue;
    if (s.last === Number.POSITIVE_INFINITY) return 'open';
    state = 'closed';
  }
  return state;
}

function assertInteger(n: number, what: string, min = Number.NEGATIVE_INFINITY): void {
  if (!Number.isInteger(n) || n < min)
    throw new RangeError(`${what} must be an integer${min === 0 ? ' >= 0' : ''}, got ${n}`);
}

/**
 * Builds a calendar from notice years. A later entry for the same `year` replaces the earlier one whole;
 * then years apply in ascending order, so a later year's notice wins a date that an earlier file also lists.
 */
export function makeCalendar(years: readonly CalendarYear[]): Calendar {
  const byYear = new Map<number, CalendarYear>();
  for (const y of years) byYear.set(y.year, y);
  const ordered = [...byYear.values()].sort((a, b) => a.year - b.year);
  const offByDay = new Map<number, boolean>();
  for (const y of ordered) for (const d of y.days) offByDay.set(dayOrThrow(d.date), d.isOffDay);
  const withData = new Set(ordered.filter((y) => y.days.length > 0).map((y) => y.year));

  const working = (day: number) => {
    const off = offByDay.get(day);
    return off === undefined ? !isWeekend(day) : !off;
  };
  const provisionalDay = (day: number) => {
    const [y, m, d] = civilFromDay(day);
    return !withData.has(y) || (m === 12 && d >= DECEMBER_WINDOW_FROM && !withData.has(y + 1));
  };
  /** A working-day lookup that remembers whether it ever looked at a provisional day. */
  const probe = () => {
    const seen = { provisional: false };
    const check = (day: number) => {
      if (!seen.provisional && provisionalDay(day)) seen.provisional = true;
      return working(day);
    };
    return { seen, check };
  };
  /** The |n|th working day after (n > 0) or before (n < 0) `day`. */
  const walk = (day: number, n: number) => {
    const { seen, check } = probe();
    const step = Math.sign(n);
    let d = day;
    for (let left = Math.abs(n), guard = 0; left > 0; guard++) {
      if (guard > MAX_WALK_DAYS) throw new RangeError(`no ${n} working days from ${formatDay(day)}`);
      d += step;
      if (check(d)) left--;
    }
    return { day: d, provisional: seen.provisional };
  };

  return {
    isWorkingDay: (date) => working(dayOrThrow(date)),
    hasData: (year) => withData.has(year),
    isProvisional: (date) => provisionalDay(dayOrThrow(date)),
    provisionalBetween(from, to) {
      for (let d = dayOfInstant(from) + 1, last = dayOfInstant(to); d <= last; d++) {
        if (provisionalDay(d)) return true;
      }
      return false;
    },
    dateOf: chinaDateOf,
    endOfDay: (date) => endOfDayNumber(dayOrThrow(date)),

    deadline(start, limit, pauses = []) {
      assertInteger(limit.days, 'limit.days', 0);
      const spans = toSpans(pauses);
      const { seen, check } = probe();
      let d = dayOfInstant(start);
      // Count the limit from the day after acceptance; calendar days need no lookup until the last one.
      for (let counted = 0; counted < limit.days; ) {
        d++;
        const paused = pausedBy(spans, d);
        if (paused === 'open') return null;
        if (paused === null && (limit.dayType === 'calendar' || check(d))) counted++;
      }
      // Settle on a working day that is not paused: the day counted last for working days, the day itself
      // or the next working day for calendar days and for 0 days.
      for (let guard = 0; ; d++, guard++) {
        if (guard > MAX_WALK_DAYS) throw new RangeError(`no working day after ${formatDay(d)}`);
        const paused = pausedBy(spans, d);
        if (paused === 'open') return null;
        if (paused === null && check(d)) break;
      }
      return { dueAt: endOfDayNumber(d), dueDate: formatDay(d), provisional: seen.provisional };
    },

    shiftWorkingDays(at, n) {
      assertInteger(n, 'n');
      const day = dayOfInstant(at);
      const d = at === endOfDayNumber(day - 1) ? day - 1 : day;
      const r = walk(d, n);
      return { at: endOfDayNumber(r.day), provisional: r.provisional };
    },

    workingDaysBetween(from, to, pauses = []) {
      if (!(to > from)) return 0;
      const spans = toSpans(pauses);
      let used = 0;
      for (let d = dayOfInstant(from) + 1, last = dayOfInstant(to); d <= last; d++) {
        if (pausedBy(spans, d) === null && working(d)) used++;
      }
      return used;
    },

    workingDates(from, to, pauses = []) {
      if (!(to > from)) return [];
      const spans = toSpans(pauses);
      const dates: LocalDate[] = [];
      for (let d = dayOfInstant(from) + 1, last = dayOfInstant(to); d <= last; d++) {
        if (pausedBy(spans, d) === null && working(d)) dates.push(formatDay(d));
      }
      return dates;
    },

    addWorkingDays(date, n) {
      assertInteger(n, 'n');
      const r = walk(dayOrThrow(date), n);
      return { date: formatDay(r.day), provisional: r.provisional };
    },

    nextWorkingDay(date) {
      const r = walk(dayOrThrow(date), 1);
      return { date: formatDay(r.day), provisional: r.provisional };
    },
  };
}
