import type { Calendar, LocalDate } from './calendar';

/**
 * Urging a department (催办): at most once per item a working day. An urging made on a rest day counts
 * against the next working day, so a weekend's urging and Monday's are the same one. Its id names the
 * project, the item and that day: the key that makes the rule hold (db/urgings.ts).
 */

/** The working day an urging at `now` counts against (China time). */
export function urgingDay(calendar: Calendar, now: number): LocalDate {
  const today = calendar.dateOf(now);
  return calendar.isWorkingDay(today) ? today : calendar.nextWorkingDay(today).date;
}

export const urgingId = (project: string, item: string, day: LocalDate) => `urging/${project}/${item}/${day}`;
