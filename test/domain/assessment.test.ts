import { describe, expect, it } from 'vitest';
import {
  type AssessmentRow,
  AssessmentRules,
  assessQuarter,
  defaultAssessmentRules,
  rankAssessment,
  rulesForQuarter,
} from '../../domain/assessment';
import { quarterBounds, quarterOf } from '../../domain/periods';
import type { ReportItem } from '../../domain/reports';
import { reportItem } from '../helpers/report-rows';

/**
 * The quarterly assessment of 2026Q4 on a scripted record, every figure computed by hand with the
 * default rules (on time 40, points 20, interviews 15, returns 15, satisfaction 10; 1 per point, 5 per
 * interview):
 *
 * ZJ 住建局 (items of P1 stage 2): A approved 10 Oct, due 12 Oct (on time); B approved 5 Nov, due 1 Nov
 *   (late, 1 return); C rejected 20 Dec, no due date (on time, 2 returns); D approved 30 Sep (Q3, not
 *   counted); E waived in November (not a decision). Cards in the quarter: yellow, red, interview (1+2+3 =
 *   6 points; a yellow of September and a reminder are not counted). Visits of P1 stage 2: 4 and 5 (one of
 *   September, 2, not counted).
 *   on time 40 × 2/3 = 26.67; points 20 − 6 = 14; interviews 15 − 5 = 10; returns 15 × (1 − 2/3) = 5;
 *   satisfaction 10 × (4.5 − 1)/4 = 8.75 → 64.42.
 * ZRZY 自然资源和规划局 (P1 stage 3): F approved 20 Oct due 25 Oct; G approved 31 Dec 23:00 CST, due that
 *   day (both on time, no return); H approved 1 Jan 2027 00:30 CST (next quarter, though 31 Dec in UTC).
 *   No card, no visit of its stage: 40 + 20 + 15 + 15 = 90 of 90 weighed → 100.
 * FGW 发改委 (P2 stage 1): one item accepted 8 Oct, due 20 Oct, still open (overdue at the quarter's end:
 *   on time 0 of 0 + 1); two red cards (4 points); a visit of P2 stage 1 scored 3. Nothing decided: returns
 *   left out; 0 + 16 + 15 + 5 = 36 of 85 → 42.35.
 * RF 人防办: in the directory, nothing in hand, no card, no visit: not assessed, ranked last.
 */

const at = (cst: string) => new Date(`${cst.replace(' ', 'T')}:00+08:00`).toISOString();

function item(itemCode: string, department: string, over: Partial<ReportItem>): ReportItem {
  return reportItem('P1', itemCode, {
    department,
    departmentName: null,
    stage: 2,
    status: 'approved',
    submittedAt: null,
    acceptedAt: null,
    dueDate: null,
    ...over,
  });
}
const decided = (code: string, dept: string, finished: string, due: string | null, over = {}) =>
  item(code, dept, {
    acceptedAt: at('2026-09-01 09:00'),
    finishedAt: at(finished),
    dueAt: due === null ? null : at(due),
    ...over,
  });

const items: ReportItem[] = [
  decided('A', 'ZJ', '2026-10-10 10:00', '2026-10-13 00:00'),
  decided('B', 'ZJ', '2026-11-05 10:00', '2026-11-02 00:00', { returns: 1 }),
  decided('C', 'ZJ', '2026-12-20 10:00', null, { status: 'rejected', returns: 2 }),
  decided('D', 'ZJ', '2026-09-30 10:00', '2026-10-01 00:00'),
  decided('E', 'ZJ', '2026-11-11 10:00', null, { status: 'waived' }),
  decided('F', 'ZRZY', '2026-10-20 10:00', '2026-10-26 00:00', { stage: 3 }),
  decided('G', 'ZRZY', '2026-12-31 23:00', '2027-01-01 00:00', { stage: 3 }),
  decided('H', 'ZRZY', '2027-01-01 00:30', '2027-01-02 00:00', { stage: 3 }),
  item('I', 'FGW', {
    projectCode: 'P2',
    stage: 1,
    status: 'accepted',
    acceptedAt: at('2026-10-08 09:00'),
    dueAt: at('2026-10-21 00:00'),
  }),
];
const card = (department: string, rung: string, firedAt: string) => ({
  department,
  rung,
  firedAt: at(firedAt),
});
const cards = [
  card('ZJ', 'yellow', '2026-11-02 09:00'),
  card('ZJ', 'red', '2026-11-04 09:00'),
  card('ZJ', 'interview', '2026-11-09 09:00'),
  card('ZJ', 'yellow', '2026-09-20 09:00'),
  card('ZJ', 'reminder', '2026-10-09 09:00'),
  card('FGW', 'red', '2026-10-20 09:00'),
  card('FGW', 'red', '2026-12-01 09:00'),
];
const visits = [
  { projectCode: 'P1', stage: 2, date: '2026-11-20', satisfaction: 4 },
  { projectCode: 'P1', stage: 2, date: '2026-12-01', satisfaction: 5 },
  { projectCode: 'P1', stage: 2, date: '2026-09-30', satisfaction: 2 },
  { projectCode: 'P2', stage: 1, date: '2026-10-15', satisfaction: 3 },
];
const departments = ['FGW', 'RF', 'ZJ', 'ZRZY'].map((code) => ({ code, nameZh: null }));

describe('the quarterly assessment (季度考核)', () => {
  const a = assessQuarter({
    quarter: '2026Q4',
    rules: defaultAssessmentRules,
    items,
    cards,
    visits,
    departments,
  });
  const row = (d: string) => a.departments.find((r) => r.department === d)!;

  it('scores each department by the rules, with the counts behind each component', () => {
    expect(row('ZJ')).toEqual({
      department: 'ZJ',
      nameZh: null,
      score: 64.42,
      rank: 2,
      components: { onTime: 26.67, points: 14, interviews: 10, returns: 5, satisfaction: 8.75 },
      evidence: {
        decided: 3,
        onTime: 2,
        returned: 2,
        overdueOpen: 0,
        yellowCards: 1,
        redCards: 1,
        interviews: 1,
        pointsLost: 6,
        returnVisits: 2,
        satisfactionSum: 9,
      },
    });
    expect(row('ZRZY')).toMatchObject({
      score: 100,
      components: { onTime: 40, points: 20, interviews: 15, returns: 15, satisfaction: null },
      evidence: { decided: 2, onTime: 2, returned: 0, returnVisits: 0 },
    });
    expect(row('FGW')).toMatchObject({
      score: 42.35,
      components: { onTime: 0, points: 16, interviews: 15, returns: null, satisfaction: 5 },
      evidence: {
        decided: 0,
        overdueOpen: 1,
        redCards: 2,
        pointsLost: 4,
        returnVisits: 1,
        satisfactionSum: 3,
      },
    });
    expect(row('RF')).toMatchObject({
      score: null,
      rank: 4,
      components: { onTime: null, points: null, interviews: null, returns: null, satisfaction: null },
    });
  });

  it('ranks highest score first, departments not assessed last', () => {
    expect(a.departments.map((r) => [r.department, r.rank])).toEqual([
      ['ZRZY', 1],
      ['ZJ', 2],
      ['FGW', 3],
      ['RF', 4],
    ]);
    expect(a.rules.version).toBe('2026-12-default');
  });

  it('gives equal scores an equal rank (1, 2, 2, 4)', () => {
    const r = (department: string, score: number | null) => ({ department, score }) as AssessmentRow;
    expect(
      rankAssessment([r('D', 70), r('C', 80), r('B', 80), r('A', 90)]).map((x) => [x.department, x.rank]),
    ).toEqual([
      ['A', 1],
      ['B', 2],
      ['C', 2],
      ['D', 4],
    ]);
  });

  it('takes rules whose weights sum to 100, and no others', () => {
    const w = defaultAssessmentRules.weights;
    expect(Object.values(w).reduce((x, y) => x + y, 0)).toBe(100);
    const bad = { ...defaultAssessmentRules, weights: { ...w, satisfaction: 9 } };
    const parsed = AssessmentRules.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('the weights sum to 99, not 100');
    expect(() =>
      assessQuarter({ quarter: '2026Q4', rules: bad, items, cards, visits, departments }),
    ).toThrow();
  });

  it('reads quarters in China time', () => {
    const q = quarterBounds('2026Q4');
    expect(new Date(q.from).toISOString()).toBe('2026-09-30T16:00:00.000Z');
    expect(new Date(q.to).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect([q.months, q.firstDay, q.nextFirstDay]).toEqual([
      ['2026-10', '2026-11', '2026-12'],
      '2026-10-01',
      '2027-01-01',
    ]);
    expect(quarterBounds('2027Q1').nextFirstDay).toBe('2027-04-01');
    expect([quarterOf('2026-11'), quarterOf('2027-01')]).toEqual(['2026Q4', '2027Q1']);
    expect(() => quarterBounds('2026Q5')).toThrow(RangeError);
  });

  it('scores a quarter by the edition in force: the latest effectiveFrom at or before it, else the default', () => {
    const edition = (version: string, effectiveFrom: string) => ({
      ...defaultAssessmentRules,
      version,
      effectiveFrom,
    });
    const editions = [edition('a', '2027Q1'), edition('b', '2027Q3'), edition('c', '2027Q1')];
    expect(rulesForQuarter(editions, '2026Q4').version).toBe('2026-12-default');
    expect(rulesForQuarter(editions, '2027Q1').version).toBe('c'); // the last published among equals
    expect(rulesForQuarter(editions, '2027Q2').version).toBe('c');
    expect(rulesForQuarter(editions, '2028Q1').version).toBe('b');
    expect(AssessmentRules.safeParse(edition('bad version!', '2027Q1')).success).toBe(false);
    expect(AssessmentRules.safeParse(edition('x', '2027Q5')).success).toBe(false);
  });
});
