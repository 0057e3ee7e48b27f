import type { Calendar, LocalDate } from './calendar';

/** Working days d with a < d ≤ b; when b is before a, minus those with b < d ≤ a. */
export function workingDaysFromTo(calendar: Calendar, a: LocalDate, b: LocalDate): number {
  // The last instant of each day stands for the day.
  return signedWorkingDaysBetween(calendar, calendar.endOfDay(a) - 1, calendar.endOfDay(b) - 1);
}

/** `workingDaysBetween` for two instants in either order: negative when `to` is before `from`. */
export function signedWorkingDaysBetween(calendar: Calendar, from: number, to: number): number {
  return to >= from ? calendar.workingDaysBetween(from, to) : -calendar.workingDaysBetween(to, from);
}

/**
 * Where a date falls, in working days after `anchor` (a working day): a day off counts as the next
 * working day (`up`, e.g. a start) or as the last one by then (`down`, e.g. a finish).
 */
export function workingDayOffset(
  calendar: Calendar,
  anchor: LocalDate,
  date: LocalDate,
  round: 'up' | 'down',
): number {
  const offset = workingDaysFromTo(calendar, anchor, date);
  return round === 'up' && !calendar.isWorkingDay(date) ? offset + 1 : offset;
}
