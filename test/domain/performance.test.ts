import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import { itemFigures, measurePerformance } from '../../domain/performance';
import { committed, item, record, times } from '../helpers/forecast-records';
import { testCalendarYears } from '../helpers/projects';

const calendar = makeCalendar(testCalendarYears());

describe('performance from the record', () => {
  const items = [item('A', 'FGW', 8), item('C', 'FGW', 20)];
  const records = [
    ...times(10, () => record('A', 'FGW', 10)),
    ...times(5, () => record('A', 'FGW', 10, true)),
  ];
  const perf = measurePerformance(records, calendar, { committedDays: committed(items) });

  it('measures each figure and shrinks it towards the department, then the committed limit (k = 5)', () => {
    const a = itemFigures(perf, { code: 'A', department: 'FGW' });
    // 15 own observations of 10 days: weight 15/20; the department (the same 15) 15/20 of the rest; prior 8.
    expect(a.decisionDays).toEqual({
      estimate: 9.88, // 0.75 × 10 + 0.25 × (0.75 × 10 + 0.25 × 8)
      item: 10,
      itemObservations: 15,
      department: 10,
      departmentObservations: 15,
      prior: 8,
    });
    expect(a.intakeDays.estimate).toBe(0);
    // 5 returns over 15 applications: 5 / 20 per submission, shrunk: 0.75 × 0.25 + 0.25 × 0.75 × 0.25.
    expect(a.returnShare).toMatchObject({ item: 0.25, itemObservations: 15, estimate: 0.23 });
    // 3 paused days per return on 5 observations: 0.5 × 3 + 0.5 × (0.5 × 3 + 0.5 × 5).
    expect(a.pausedDaysPerReturn).toMatchObject({ item: 3, itemObservations: 5, estimate: 3.5 });
  });

  it("carries a department's pace to its items without history, on the scale of their limits", () => {
    const c = itemFigures(perf, { code: 'C', department: 'FGW' });
    // FGW takes (1 + 10) / (1 + 8) of its limit: on a 20-day item (11/9) × 21 − 1 = 24.67, drawn as 25.
    expect(c.decisionDays).toMatchObject({ itemObservations: 0, department: 25, estimate: 23.75 });
  });
});
