import { describe, expect, it } from 'vitest';
import {
  defaultEscalationPolicy,
  EscalationPolicy,
  nextRung,
  pointsFor,
  type Rung,
  RungName,
  rungLabelZh,
} from '../../domain/ladder';

const rung = (name: Rung['name'], level: number, offsetWorkingDays: number, points = 1): Rung => ({
  name,
  level,
  offsetWorkingDays,
  notify: ['secretary'],
  points,
});
const policy = (rungs: Rung[], over: Partial<EscalationPolicy> = {}) => ({
  rungs,
  doubleWhenOwnDelay: true,
  alertThreshold: 20,
  ...over,
});
const issues = (input: unknown) => {
  const r = EscalationPolicy.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};

describe('EscalationPolicy', () => {
  it('refuses a rung whose offset does not come after the one before', () => {
    expect(issues(policy([rung('reminder', 1, 0), rung('yellow', 2, 0)]))).toEqual([
      {
        path: 'rungs.1',
        message: 'rung yellow must come after reminder: both its offset and its level must be higher',
      },
    ]);
    expect(issues(policy([rung('reminder', 1, 2), rung('yellow', 2, -1)]))).toHaveLength(1);
  });

  it('refuses a rung whose level does not come after the one before, naming each misplaced rung', () => {
    expect(
      issues(
        policy([rung('reminder', 2, -1), rung('yellow', 1, 0), rung('red', 3, 2), rung('interview', 3, 5)]),
      ),
    ).toEqual([
      {
        path: 'rungs.1',
        message: 'rung yellow must come after reminder: both its offset and its level must be higher',
      },
      {
        path: 'rungs.3',
        message: 'rung interview must come after red: both its offset and its level must be higher',
      },
    ]);
  });

  it('refuses a rung name used twice (the name is part of the escalation’s dedupe key)', () => {
    expect(issues(policy([rung('reminder', 1, -1), rung('yellow', 2, 0), rung('reminder', 3, 2)]))).toEqual([
      {
        path: 'rungs.2.name',
        message: 'rung reminder is named twice: each rung needs its own name, which keys its escalations',
      },
    ]);
  });

  it('refuses malformed rungs and settings', () => {
    expect(issues(policy([]))).toEqual([{ path: 'rungs', message: expect.any(String) }]);
    expect(issues(policy([{ ...rung('yellow', 2, 0), notify: [] }]))[0]!.path).toBe('rungs.0.notify');
    expect(issues(policy([rung('yellow', 0, 0)]))[0]!.path).toBe('rungs.0.level');
    expect(issues(policy([rung('yellow', 2, 0, -1)]))[0]!.path).toBe('rungs.0.points');
    expect(issues(policy([rung('yellow', 2, 61)]))[0]!.path).toBe('rungs.0.offsetWorkingDays');
    expect(issues({ ...policy([rung('yellow', 2, 0)]), alertThreshold: 0 })[0]!.path).toBe('alertThreshold');
    expect(issues(policy([{ ...rung('yellow', 2, 0), name: 'orange' } as unknown as Rung]))[0]!.path).toBe(
      'rungs.0.name',
    );
  });

  it('accepts a shorter ladder with gaps in its levels', () => {
    expect(issues(policy([rung('yellow', 2, 0), rung('interview', 4, 5)]))).toEqual([]);
  });
});

describe('defaultEscalationPolicy', () => {
  it('has four rungs: reminder -1, yellow at the deadline, red +2, interview +5 working days', () => {
    expect(
      defaultEscalationPolicy.rungs.map((r) => [r.name, r.level, r.offsetWorkingDays, r.points, r.notify]),
    ).toEqual([
      ['reminder', 1, -1, 0, ['handler', 'secretary']],
      ['yellow', 2, 0, 1, ['departmentHead', 'secretary']],
      ['red', 3, 2, 2, ['leader', 'departmentHead', 'secretary']],
      ['interview', 4, 5, 3, ['leader', 'departmentHead', 'secretary']],
    ]);
    expect(defaultEscalationPolicy.doubleWhenOwnDelay).toBe(true);
    expect(defaultEscalationPolicy.alertThreshold).toBe(20);
  });

  it('has a Chinese label for every rung name', () => {
    expect(Object.keys(rungLabelZh).sort()).toEqual([...RungName.options].sort());
    expect(rungLabelZh.red).toBe('红牌督办');
  });
});

describe('pointsFor', () => {
  const [reminder, yellow, red, interview] = defaultEscalationPolicy.rungs as [Rung, Rung, Rung, Rung];

  it('doubles the points when the delay is the department’s own', () => {
    expect(
      [reminder, yellow, red, interview].map((r) => pointsFor(r, true, defaultEscalationPolicy)),
    ).toEqual([0, 2, 4, 6]);
  });

  it('does not double when the delay is not the department’s own', () => {
    expect(
      [reminder, yellow, red, interview].map((r) => pointsFor(r, false, defaultEscalationPolicy)),
    ).toEqual([0, 1, 2, 3]);
  });

  it('never doubles when the policy says not to', () => {
    const single = EscalationPolicy.parse({ ...defaultEscalationPolicy, doubleWhenOwnDelay: false });
    expect(pointsFor(red, true, single)).toBe(2);
    expect(pointsFor(red, false, single)).toBe(2);
  });
});

describe('nextRung', () => {
  it('walks the default ladder from nothing fired to the end', () => {
    expect([0, 1, 2, 3, 4].map((level) => nextRung(defaultEscalationPolicy, level)?.name)).toEqual([
      'reminder',
      'yellow',
      'red',
      'interview',
      undefined,
    ]);
  });

  it('skips the levels a ladder does not have', () => {
    const gaps = EscalationPolicy.parse(policy([rung('yellow', 2, 0), rung('interview', 4, 5)]));
    expect(nextRung(gaps, 0)?.name).toBe('yellow');
    expect(nextRung(gaps, 2)?.name).toBe('interview');
    expect(nextRung(gaps, 3)?.name).toBe('interview');
    expect(nextRung(gaps, 4)).toBeUndefined();
  });
});
