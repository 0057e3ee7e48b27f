import { makeCalendar } from '../../domain/calendar';
import type { PerformanceRecord } from '../../domain/performance';
import type { PlanItem } from '../../domain/plan';
import { planItem, testCalendarYears } from './projects';

/** Factories for the performance and forecast tests: plan items by department and limit, decided records. */

const calendar = makeCalendar(testCalendarYears());
/** An instant given as a China Standard Time (UTC+8) wall-clock time. */
export const cst = (local: string) => Date.parse(`${local}+08:00`);
const iso = (t: number) => new Date(t).toISOString();
export const times = <T>(n: number, f: (i: number) => T) => Array.from({ length: n }, (_, i) => f(i));

/** A promised item of `department` with a committed limit of `days` working days. */
export const item = (code: string, department: string, days: number, prerequisites: string[] = []) =>
  planItem(code, {
    department,
    committedLimit: { days, dayType: 'working', estimate: false },
    prerequisites,
  });

/** Committed working days by item, as the API builds them from the plan. */
export const committed = (items: PlanItem[]) => new Map(items.map((i) => [i.code, i.committedLimit.days]));

/**
 * A decided application of `itemCode` in March 2035 (no holidays): submitted and accepted on Monday 03-05
 * 09:00, decided `decision` working days later on the clock; `returned` adds one return pausing the clock
 * for 3 working days (Tue 6 – Thu 8); `preReviewed` starts the clock 3 working days after acceptance
 * (Thu 03-08), when the prerequisites were done, and counts the decision from there.
 */
export function record(
  itemCode: string,
  department: string,
  decision: number,
  returned = false,
  preReviewed = false,
): PerformanceRecord {
  const at = cst('2035-03-05T09:00:00');
  const clock = preReviewed ? cst('2035-03-08T09:00:00') : at;
  const finish = calendar.addWorkingDays(
    preReviewed ? '2035-03-08' : '2035-03-05',
    decision + (returned ? 3 : 0),
  ).date;
  return {
    projectCode: 'H',
    itemCode,
    department,
    status: 'approved',
    submittedAt: iso(at),
    acceptedAt: iso(at),
    clockStart: iso(clock),
    finishedAt: iso(cst(`${finish}T16:00:00`)),
    returns: returned ? 1 : 0,
    pauses: returned
      ? [
          {
            from: iso(cst('2035-03-05T11:00:00')),
            to: iso(cst('2035-03-08T09:00:00')),
          },
        ]
      : [],
  };
}
