import { describe, expect, it } from 'vitest';
import {
  type CalendarYear,
  chinaDateOf,
  chinaMinuteOf,
  dueDateOf,
  type LocalDate,
  makeCalendar,
  missingNextYearNotice,
  syntheticYear,
  validateCalendarYear,
} from '../../domain/calendar';
import { shippedCalendarYears } from '../../domain/calendar-data';

const cal = makeCalendar(shippedCalendarYears);
/** An instant given as a CST wall-clock time. */
const cst = (date: LocalDate, time = '10:00') => Date.parse(`${date}T${time}:00+08:00`);
const wd = (days: number) => ({ days, dayType: 'working' as const });
const cd = (days: number) => ({ days, dayType: 'calendar' as const });
const year = (y: number, days: { date: string; isOffDay: boolean }[]): unknown => ({
  year: y,
  papers: [],
  days: days.map((d) => ({ name: 'test', ...d })),
});

describe('dates in China Standard Time', () => {
  it('reads and ends days at UTC+8 whatever the host time zone', () => {
    expect(cal.dateOf(Date.parse('2026-02-12T15:59:59.999Z'))).toBe('2026-02-12');
    expect(cal.dateOf(Date.parse('2026-02-12T16:00:00Z'))).toBe('2026-02-13');
    expect(cal.endOfDay('2026-03-04')).toBe(Date.parse('2026-03-04T16:00:00Z'));
    expect(cal.dateOf(cal.endOfDay('2024-02-29') - 1)).toBe('2024-02-29');
  });

  it('prints an instant to the minute in China time, across the day and year boundary', () => {
    expect(chinaMinuteOf(Date.parse('2026-12-31T15:59:59.999Z'))).toBe('2026-12-31 23:59');
    expect(chinaMinuteOf(Date.parse('2026-12-31T16:00:00Z'))).toBe('2027-01-01 00:00');
    expect(chinaMinuteOf(Date.parse('2026-03-04T09:30:00+08:00'))).toBe('2026-03-04 09:30');
  });

  it('refuses a date that does not exist', () => {
    expect(() => cal.isWorkingDay('2026-02-30')).toThrow('"2026-02-30" is not a valid date (YYYY-MM-DD)');
    expect(() => cal.endOfDay('2026-3-4')).toThrow(RangeError);
  });
});

describe('working days', () => {
  it('counts make-up weekend days and not holidays', () => {
    expect(cal.isWorkingDay('2026-02-14')).toBe(true); // Sat, make-up
    expect(cal.isWorkingDay('2026-01-04')).toBe(true); // Sun, make-up
    expect(cal.isWorkingDay('2026-02-16')).toBe(false); // Mon, Spring Festival
    expect(cal.isWorkingDay('2026-03-07')).toBe(false); // plain Saturday
    expect(cal.isWorkingDay('2026-03-06')).toBe(true); // plain Friday
  });

  it.each([2025, 2026])('finds 248 working days in %i', (y) => {
    let count = 0;
    for (let d: LocalDate = `${y}-01-01`; d.startsWith(String(y)); d = cal.dateOf(cal.endOfDay(d))) {
      if (cal.isWorkingDay(d)) count++;
    }
    expect(count).toBe(248);
  });

  it("lets a later year's notice govern late December (the 2019 notice moved 2018-12-29 and 12-31)", () => {
    expect(cal.isWorkingDay('2018-12-29')).toBe(true); // Sat
    expect(cal.isWorkingDay('2018-12-31')).toBe(false); // Mon
  });

  it('knows which years have data (2027 is published empty)', () => {
    expect(cal.hasData(2026)).toBe(true);
    expect(cal.hasData(2027)).toBe(false);
    expect(cal.hasData(2030)).toBe(false);
  });
});

describe('deadline', () => {
  it.each(['00:00', '10:00', '23:59'])(
    'counts 10 working days after Thu 2026-02-12 %s to Wed 03-04',
    (time) => {
      expect(cal.deadline(cst('2026-02-12', time), wd(10))).toEqual({
        dueAt: Date.parse('2026-03-04T16:00:00Z'),
        dueDate: '2026-03-04',
        provisional: false,
      });
    },
  );

  it('skips National Day', () => {
    expect(cal.deadline(cst('2026-09-30'), wd(1))?.dueDate).toBe('2026-10-08');
  });

  it('is provisional across the year end into unpublished 2027, and firm once 2027 is loaded', () => {
    expect(cal.deadline(cst('2026-12-29'), wd(3))).toMatchObject({
      dueDate: '2027-01-01',
      provisional: true,
    });
    // 22 23 24: before the last week of 2026, whose days the 2027 notice may still claim.
    expect(cal.deadline(cst('2026-12-21'), wd(3))).toMatchObject({
      dueDate: '2026-12-24',
      provisional: false,
    });
    // 25 28 29: inside it, so a guess until 2027's notice is loaded.
    expect(cal.deadline(cst('2026-12-24'), wd(3))).toMatchObject({
      dueDate: '2026-12-29',
      provisional: true,
    });
    const with2027 = makeCalendar([...shippedCalendarYears, syntheticYear(2027, { off: ['2027-01-01'] })]);
    expect(with2027.deadline(cst('2026-12-29'), wd(3))).toMatchObject({
      dueDate: '2027-01-04',
      provisional: false,
    });
  });

  it('says which dates are guesses: a year without a notice, and the last week before one', () => {
    expect(cal.isProvisional('2026-12-24')).toBe(false);
    expect(cal.isProvisional('2026-12-25')).toBe(true);
    expect(cal.isProvisional('2026-12-31')).toBe(true);
    expect(cal.isProvisional('2027-03-01')).toBe(true);
    expect(cal.isProvisional('2025-12-31')).toBe(false); // 2026's notice is published
    const span = (a: string, b: string) => cal.provisionalBetween(cst(a), cst(b));
    expect(span('2026-12-20', '2026-12-24')).toBe(false);
    expect(span('2026-12-20', '2026-12-25')).toBe(true);
    expect(span('2026-12-25', '2026-12-20')).toBe(false);
    const with2027 = makeCalendar([...shippedCalendarYears, syntheticYear(2027, { off: ['2027-01-01'] })]);
    expect(with2027.isProvisional('2026-12-31')).toBe(false);
    expect(with2027.isProvisional('2027-12-25')).toBe(true);
    expect(with2027.provisionalBetween(cst('2026-12-20'), cst('2027-06-01'))).toBe(false);
  });

  it('moves a calendar-day limit that ends on a day off to the next working day', () => {
    expect(cal.deadline(cst('2026-09-23'), cd(10))?.dueDate).toBe('2026-10-08'); // 10-03 is National Day
    expect(cal.deadline(cst('2026-03-05'), cd(3))?.dueDate).toBe('2026-03-09'); // Sun 03-08 → Mon
    expect(cal.deadline(cst('2026-02-12'), cd(2))?.dueDate).toBe('2026-02-14'); // make-up Saturday stands
    expect(cal.deadline(cst('2026-03-02'), cd(30))?.dueDate).toBe('2026-04-01');
  });

  it('is due the same day for 0 days on a working day, else at the end of the next working day', () => {
    expect(cal.deadline(cst('2026-03-04'), wd(0))?.dueAt).toBe(cal.endOfDay('2026-03-04'));
    expect(cal.deadline(cst('2026-03-08'), wd(0))?.dueDate).toBe('2026-03-09'); // Sunday
    expect(cal.deadline(cst('2026-02-15'), cd(0))?.dueDate).toBe('2026-02-24'); // Sunday in Spring Festival
    expect(cal.deadline(cst('2026-02-14'), wd(0))?.dueDate).toBe('2026-02-14'); // make-up Saturday
  });

  describe('with pauses (补正)', () => {
    const start = cst('2026-03-05'); // Thu; 5 working days → Thu 03-12
    it('loses nothing when returned and resubmitted the same day', () => {
      expect(cal.deadline(start, wd(5))?.dueDate).toBe('2026-03-12');
      const pause = { from: cst('2026-03-09', '09:00'), to: cst('2026-03-09', '17:00') };
      expect(cal.deadline(start, wd(5), [pause])?.dueDate).toBe('2026-03-12');
    });

    it('over a weekend costs no working day until the resubmission falls on one', () => {
      const friToSun = { from: cst('2026-03-06'), to: cst('2026-03-08') };
      expect(cal.deadline(start, wd(5), [friToSun])?.dueDate).toBe('2026-03-12');
      const friToMon = { from: cst('2026-03-06'), to: cst('2026-03-09') };
      expect(cal.deadline(start, wd(5), [friToMon])?.dueDate).toBe('2026-03-13');
      expect(cal.deadline(start, cd(5), [friToSun])?.dueDate).toBe('2026-03-12'); // Tue 03-10 without the pause
    });

    it('is unknown while an open pause began before the due date', () => {
      expect(cal.deadline(start, wd(5), [{ from: cst('2026-03-09'), to: null }])).toBeNull();
      expect(cal.deadline(start, wd(0), [{ from: start, to: null }])?.dueDate).toBe('2026-03-05');
      // Returned on the due date itself: that day still counts, so the due date is known.
      expect(cal.deadline(start, wd(5), [{ from: cst('2026-03-12'), to: null }])?.dueDate).toBe('2026-03-12');
    });
  });
});

describe('shiftWorkingDays (escalation ladder)', () => {
  const due = cal.endOfDay('2026-03-04'); // Wed
  it('moves from the end of the deadline day, and from any instant on it', () => {
    expect(cal.shiftWorkingDays(due, -1)).toEqual({ at: cal.endOfDay('2026-03-03'), provisional: false });
    expect(cal.shiftWorkingDays(due, 2).at).toBe(cal.endOfDay('2026-03-06'));
    expect(cal.shiftWorkingDays(due, 0).at).toBe(due);
    expect(cal.shiftWorkingDays(cst('2026-03-04', '00:01'), 2).at).toBe(cal.endOfDay('2026-03-06'));
    // Exactly midnight is the end of the day before (a dueAt), not the start of the next.
    expect(cal.shiftWorkingDays(cst('2026-03-05', '00:00'), 2).at).toBe(cal.endOfDay('2026-03-06'));
    expect(cal.shiftWorkingDays(due - 1, 2).at).toBe(cal.endOfDay('2026-03-06'));
  });

  it('crosses the Spring Festival both ways', () => {
    const fri = cal.endOfDay('2026-02-13');
    expect(cal.shiftWorkingDays(fri, 1).at).toBe(cal.endOfDay('2026-02-14'));
    expect(cal.shiftWorkingDays(fri, 2).at).toBe(cal.endOfDay('2026-02-24'));
    const tue = cal.endOfDay('2026-02-24');
    expect(cal.shiftWorkingDays(tue, -1).at).toBe(cal.endOfDay('2026-02-14'));
    expect(cal.shiftWorkingDays(tue, -2).at).toBe(cal.endOfDay('2026-02-13'));
  });

  it('is provisional when it walks into 2027', () => {
    expect(cal.shiftWorkingDays(cal.endOfDay('2026-12-31'), 1)).toEqual({
      at: cal.endOfDay('2027-01-01'),
      provisional: true,
    });
  });
});

describe('workingDaysBetween', () => {
  it('counts the working days used, minus pauses', () => {
    expect(cal.workingDaysBetween(cst('2026-02-12'), cst('2026-03-04', '09:00'))).toBe(10);
    expect(cal.workingDaysBetween(cst('2026-03-04'), cst('2026-03-04', '18:00'))).toBe(0);
    expect(cal.workingDaysBetween(cst('2026-03-05'), cst('2026-03-01'))).toBe(0);
    const pause = { from: cst('2026-03-06'), to: cst('2026-03-09') };
    expect(cal.workingDaysBetween(cst('2026-03-05'), cst('2026-03-13'), [pause])).toBe(5);
    expect(cal.workingDaysBetween(cst('2026-03-05'), cst('2026-03-13'), [{ ...pause, to: null }])).toBe(1);
  });
});

describe('planning helpers', () => {
  it('adds and subtracts working days on dates', () => {
    expect(cal.addWorkingDays('2026-02-12', 10)).toEqual({ date: '2026-03-04', provisional: false });
    expect(cal.addWorkingDays('2026-03-04', -10).date).toBe('2026-02-12');
    expect(cal.addWorkingDays('2026-03-08', 0).date).toBe('2026-03-08');
    expect(cal.addWorkingDays('2027-01-08', -7)).toEqual({ date: '2026-12-30', provisional: true });
    expect(cal.nextWorkingDay('2026-02-13')).toEqual({ date: '2026-02-14', provisional: false });
    expect(cal.nextWorkingDay('2026-02-14').date).toBe('2026-02-24');
  });
});

describe('validateCalendarYear', () => {
  it('accepts every shipped notice except 2020, which lists Monday 2020-02-03 as a workday', () => {
    const refused = shippedCalendarYears.flatMap((y) => {
      const r = validateCalendarYear(y);
      return r.ok ? [] : [{ year: y.year, problems: r.problems }];
    });
    expect(refused).toEqual([
      {
        year: 2020,
        problems: [
          'days[12]: 2020-02-03 is a Monday; a make-up workday (isOffDay false) must be a Saturday or Sunday.',
        ],
      },
    ]);
  });

  it('accepts late December of the year before (a New Year holiday can start there)', () => {
    const r = validateCalendarYear({
      ...(year(2019, [{ date: '2018-12-29', isOffDay: false }]) as object),
      $id: 'x',
    });
    expect(r.ok).toBe(true);
  });

  it('refuses a weekday make-up day, a duplicate date and a date outside the year', () => {
    const r = validateCalendarYear(
      year(2026, [
        { date: '2026-02-12', isOffDay: false },
        { date: '2026-02-16', isOffDay: true },
        { date: '2026-02-16', isOffDay: true },
        { date: '2027-01-01', isOffDay: true },
        { date: '2025-12-24', isOffDay: true },
      ]),
    );
    expect(r).toEqual({
      ok: false,
      problems: [
        'days[0]: 2026-02-12 is a Thursday; a make-up workday (isOffDay false) must be a Saturday or Sunday.',
        'days[2]: 2026-02-16 is listed twice (first at days[1]).',
        'days[3]: 2027-01-01 is outside the 2026 notice, which covers 2026 and 2025-12-25 to 2025-12-31.',
        'days[4]: 2025-12-24 is outside the 2026 notice, which covers 2026 and 2025-12-25 to 2025-12-31.',
      ],
    });
  });

  it('refuses a bad shape with the path of each problem', () => {
    expect(validateCalendarYear(year(2026, [{ date: '2026-02-30', isOffDay: true }]))).toEqual({
      ok: false,
      problems: ['days[0].date: "2026-02-30" is not a valid date (YYYY-MM-DD)'],
    });
    expect(validateCalendarYear({ year: '2026', papers: [], days: [{ date: '2026-02-16' }] })).toEqual({
      ok: false,
      problems: [
        'year: Invalid input: expected number, received string',
        'days[0].name: Invalid input: expected string, received undefined',
        'days[0].isOffDay: Invalid input: expected boolean, received undefined',
      ],
    });
    expect(validateCalendarYear(null)).toEqual({
      ok: false,
      problems: ['the calendar year: Invalid input: expected object, received null'],
    });
  });
});

describe('synthetic years and makeCalendar', () => {
  it('builds a hand-made year whose holiday moves deadlines', () => {
    const y: CalendarYear = syntheticYear(2031, { off: ['2031-03-05', '2031-03-06'], work: ['2031-03-08'] });
    const c = makeCalendar([y]);
    expect(c.hasData(2031)).toBe(true);
    // Tue 03-04: Wed and Thu off, Fri 03-07 and make-up Sat 03-08 count.
    expect(c.deadline(cst('2031-03-04'), wd(2))).toMatchObject({ dueDate: '2031-03-08', provisional: false });
    expect(() => syntheticYear(2031, { work: ['2031-03-05'] })).toThrow(
      'syntheticYear(2031): days[0]: 2031-03-05 is a Wednesday; a make-up workday (isOffDay false) must be a Saturday or Sunday.',
    );
  });

  it('lets a later entry for the same year replace the earlier one whole', () => {
    const first = syntheticYear(2031, { off: ['2031-03-05'] });
    const corrected = syntheticYear(2031, { off: ['2031-03-06'] });
    const c = makeCalendar([first, corrected]);
    expect(c.isWorkingDay('2031-03-05')).toBe(true);
    expect(c.isWorkingDay('2031-03-06')).toBe(false);
    expect(makeCalendar([corrected, syntheticYear(2031)]).hasData(2031)).toBe(false);
  });
});

describe('the missing notice for next year, and due dates', () => {
  const published = makeCalendar(shippedCalendarYears.filter((y) => y.year <= 2026));
  const with2027 = makeCalendar([
    ...shippedCalendarYears.filter((y) => y.year <= 2026),
    syntheticYear(2027, { off: ['2027-01-01'] }),
  ]);
  it('warns from 1 November China time when next year has no notice, and not once it is loaded', () => {
    expect(missingNextYearNotice(published, Date.parse('2026-10-31T23:59:00+08:00'))).toBeNull();
    expect(missingNextYearNotice(published, Date.parse('2026-11-01T00:00:00+08:00'))).toBe(2027);
    expect(missingNextYearNotice(published, Date.parse('2026-12-31T23:00:00+08:00'))).toBe(2027);
    expect(missingNextYearNotice(with2027, Date.parse('2026-11-15T10:00:00+08:00'))).toBeNull();
  });

  it('reads a deadline instant (00:00 of the next day) as its own due date', () => {
    const due = published.deadline(cst('2026-12-01'), wd(3))!;
    expect(due.dueDate).toBe('2026-12-04');
    expect(published.dateOf(due.dueAt)).toBe('2026-12-05');
    expect(dueDateOf(due.dueAt)).toBe('2026-12-04');
    expect(dueDateOf(new Date(due.dueAt).toISOString())).toBe('2026-12-04');
    // A deadline typed as a date (a problem's) reads as that date, not the next; 16:00Z is its end.
    expect(new Date(published.endOfDay('2027-01-01')).toISOString()).toBe('2027-01-01T16:00:00.000Z');
    expect(dueDateOf(published.endOfDay('2027-01-01'))).toBe('2027-01-01');
    expect(chinaDateOf(Date.parse('2027-01-01T16:00:00Z'))).toBe('2027-01-02');
  });
});
