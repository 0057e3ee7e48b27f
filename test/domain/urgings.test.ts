import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import { urgingDay, urgingId } from '../../domain/urgings';
import { testCalendarYears } from '../helpers/projects';

/** The working day an urging (催办) counts against, with the test calendar's hand-made 2035 holiday. */
const cal = makeCalendar(testCalendarYears());
const at = (local: string) => Date.parse(`${local}+08:00`);

describe('urgingDay', () => {
  it('is the China date on a working day, late evening included', () => {
    expect(urgingDay(cal, at('2035-06-13T09:00:00'))).toBe('2035-06-13');
    // 23:30 China time is still the 13th, though already the 13th 15:30 UTC.
    expect(urgingDay(cal, at('2035-06-13T23:30:00'))).toBe('2035-06-13');
  });

  it('moves a rest day’s urging to the next working day, a make-up workday (调休) included', () => {
    // Thu 14 and Fri 15 are off; Sat 16 is worked.
    expect(urgingDay(cal, at('2035-06-14T10:00:00'))).toBe('2035-06-16');
    expect(urgingDay(cal, at('2035-06-15T10:00:00'))).toBe('2035-06-16');
    expect(urgingDay(cal, at('2035-06-16T10:00:00'))).toBe('2035-06-16');
    // Sun 17 is off: Monday 18.
    expect(urgingDay(cal, at('2035-06-17T10:00:00'))).toBe('2035-06-18');
  });

  it('names the project, the item and the day in the id', () => {
    expect(urgingId('P-1', 'PROPOSAL', '2035-06-16')).toBe('urging/P-1/PROPOSAL/2035-06-16');
  });
});
