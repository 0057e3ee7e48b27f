import { z } from 'zod';
import { defaultEscalationPolicy, type EscalationPolicy } from './ladder';
import { Quarter, quarterBounds } from './periods';
import { isDecided, ms, onTime, overdueAt, type ReportItem, round } from './reports';
import type { ReturnVisit } from './service-report';

/**
 * The quarterly assessment (季度考核) of the departments: a score out of 100 from the programme's rules,
 * as data (`AssessmentRules`, versioned, weights summing to 100), a ranking, and the counts behind every
 * component. Pure: the rows in, the scores out; no I/O, no clock.
 *
 * Components (each earns at most its weight):
 * - onTime (按时办结率): weight × items decided on time in the quarter / (items decided in it + items still
 *   open and past due at its end): an item left overdue weighs like one decided late.
 * - points (督办扣分): weight − perPoint × the ladder's points of the cards (yellow, red, interview) fired
 *   at the department in the quarter, not below 0. The ladder's base points: department_scores keeps
 *   totals to date, not by quarter, and does not say which cards were doubled for the department's own delay.
 * - interviews (约谈): weight − perInterview × interview notices (约谈通知) fired at it in the quarter, not below 0.
 * - returns (补正率): weight × (1 − the share of its decided items that were returned for correction at least once).
 * - satisfaction (回访满意度): weight × (mean − 1) / 4 over the return visits (1–5) dated in the quarter
 *   of the project stages the department had items in.
 * A component with nothing to measure (no item decided or overdue, no return visit) is left out and the score is
 * scaled to 100 over the weights that remain. A department with no item in hand in the quarter, no card
 * and no visit is not assessed: no score, no components, ranked last. Scores to 2 decimals.
 */

const Weight = z.number().min(0).max(100);

export const AssessmentRules = z
  .object({
    /** Which edition: scores are always published with the rules that made them. */
    version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'letters, digits, . _ -, at most 40'),
    title: z.string().min(1).max(100),
    /** The first quarter it scores. */
    effectiveFrom: Quarter,
    weights: z.strictObject({
      onTime: Weight,
      points: Weight,
      interviews: Weight,
      returns: Weight,
      satisfaction: Weight,
    }),
    /** Score lost per point of the ladder's cards. */
    perPoint: z.number().min(0).max(100),
    /** Score lost per interview notice. */
    perInterview: z.number().min(0).max(100),
  })
  .superRefine((r, ctx) => {
    const sum = Object.values(r.weights).reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 100) > 1e-9) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: `the weights sum to ${sum}, not 100` });
    }
  });
export type AssessmentRules = z.infer<typeof AssessmentRules>;
export type Component = keyof AssessmentRules['weights'];
export const COMPONENTS: readonly Component[] = ['onTime', 'points', 'interviews', 'returns', 'satisfaction'];

export const componentZh: Record<Component, string> = {
  onTime: '按时办结率',
  points: '督办扣分',
  interviews: '约谈',
  returns: '补正率',
  satisfaction: '回访满意度',
};

/** The rules Greenlane ships with, until the programme publishes its own. */
export const defaultAssessmentRules: AssessmentRules = AssessmentRules.parse({
  version: '2026-12-default',
  effectiveFrom: '2000Q1',
  title: '重大项目审批服务季度考核细则（默认）',
  weights: { onTime: 40, points: 20, interviews: 15, returns: 15, satisfaction: 10 },
  perPoint: 1,
  perInterview: 5,
});

/** A card fired at a department (escalations): its rung's name and when. */
export type AssessmentCard = { department: string; rung: string; firedAt: string };

export type AssessmentEvidence = {
  /** Items decided in the quarter, decided on time, returned at least once. */
  decided: number;
  onTime: number;
  returned: number;
  /** Open and past due at the quarter's end (now, for the current quarter): the monthly report's overdue rule. */
  overdueOpen: number;
  yellowCards: number;
  redCards: number;
  interviews: number;
  /** The ladder's points of those cards. */
  pointsLost: number;
  returnVisits: number;
  /** Sum of the visits' satisfaction (1–5). */
  satisfactionSum: number;
};

export type AssessmentRow = {
  department: string;
  nameZh: string | null;
  /** Out of 100, 2 decimals; null when nothing could be measured. */
  score: number | null;
  rank: number;
  /** Earned per component, 2 decimals; null when left out (nothing to measure). */
  components: Record<Component, number | null>;
  evidence: AssessmentEvidence;
};

export type Assessment = { quarter: string; rules: AssessmentRules; departments: AssessmentRow[] };

const CARD_RUNGS = new Set(['yellow', 'red', 'interview']);
const NOT_ASSESSED: Record<Component, null> = {
  onTime: null,
  points: null,
  interviews: null,
  returns: null,
  satisfaction: null,
};

export function assessQuarter(input: {
  quarter: string;
  rules: AssessmentRules;
  /** Items of the departments (withdrawn left out), whatever their dates: those decided in the quarter count. */
  items: readonly ReportItem[];
  cards: readonly AssessmentCard[];
  visits: readonly ReturnVisit[];
  /** Items of the visited projects whatever their dates, for whose stages a visit speaks (default `items`). */
  stageItems?: readonly ReportItem[];
  departments: readonly { code: string; nameZh: string | null }[];
  policy?: EscalationPolicy;
  /** Caps the quarter's end for the current quarter (default: the quarter's end). */
  now?: number;
}): Assessment {
  const { from, to, firstDay, nextFirstDay } = quarterBounds(input.quarter);
  const cutoff = Math.min(to, input.now ?? to);
  const rules = AssessmentRules.parse(input.rules);
  const policy = input.policy ?? defaultEscalationPolicy;
  const rungPoints = new Map(policy.rungs.map((r) => [r.name as string, r.points]));
  const names = new Map(input.departments.map((d) => [d.code, d.nameZh]));
  for (const i of input.items) if (!names.has(i.department)) names.set(i.department, i.departmentName);

  const inQuarter = (iso: string) => ms(iso) >= from && ms(iso) < to;
  const visits = input.visits.filter((v) => v.date >= firstDay && v.date < nextFirstDay);

  const rows = [...names.entries()].map(([department, nameZh]): AssessmentRow => {
    const mine = input.items.filter((i) => i.department === department);
    const decided = mine.filter((i) => isDecided(i) && inQuarter(i.finishedAt!));
    const cards = input.cards.filter(
      (c) => c.department === department && CARD_RUNGS.has(c.rung) && inQuarter(c.firedAt),
    );
    const count = (rung: string) => cards.filter((c) => c.rung === rung).length;
    // Visits of the project stages the department had items in.
    const stages = new Set(
      (input.stageItems ?? input.items)
        .filter((i) => i.department === department)
        .map((i) => `${i.projectCode}\u0000${i.stage}`),
    );
    const seen = visits.filter((v) => stages.has(`${v.projectCode}\u0000${v.stage}`));
    const evidence: AssessmentEvidence = {
      decided: decided.length,
      onTime: decided.filter((i) => onTime(i)).length,
      returned: decided.filter((i) => i.returns > 0).length,
      overdueOpen: mine.filter((i) => overdueAt(i, cutoff)).length,
      yellowCards: count('yellow'),
      redCards: count('red'),
      interviews: count('interview'),
      pointsLost: cards.reduce((a, c) => a + (rungPoints.get(c.rung) ?? 0), 0),
      returnVisits: seen.length,
      satisfactionSum: seen.reduce((a, v) => a + v.satisfaction, 0),
    };
    // Not assessed (no score, ranked last): no item of the department in hand in the quarter, no card,
    // no visit. In hand: accepted or finished before the quarter's end, not finished before its start.
    const inHand = mine.some(
      (i) =>
        ((i.acceptedAt !== null && ms(i.acceptedAt) < to) ||
          (i.finishedAt !== null && ms(i.finishedAt) < to)) &&
        (i.finishedAt === null || ms(i.finishedAt) >= from),
    );
    const assessed = inHand || cards.length > 0 || seen.length > 0;
    const components = assessed ? componentScores(rules, evidence) : NOT_ASSESSED;
    const score = assessed ? totalScore(rules, components) : null;
    return { department, nameZh, score, rank: 0, components, evidence };
  });
  return { quarter: input.quarter, rules, departments: rankAssessment(rows) };
}

/** What each component earned from the evidence; null when it had nothing to measure. */
export function componentScores(
  rules: AssessmentRules,
  e: AssessmentEvidence,
): Record<Component, number | null> {
  const w = rules.weights;
  return {
    onTime: e.decided + e.overdueOpen ? round((w.onTime * e.onTime) / (e.decided + e.overdueOpen), 2) : null,
    points: round(Math.max(0, w.points - rules.perPoint * e.pointsLost), 2),
    interviews: round(Math.max(0, w.interviews - rules.perInterview * e.interviews), 2),
    returns: e.decided ? round(w.returns * (1 - e.returned / e.decided), 2) : null,
    satisfaction: e.returnVisits
      ? round((w.satisfaction * (e.satisfactionSum / e.returnVisits - 1)) / 4, 2)
      : null,
  };
}

/**
 * Σ earned × 100 / Σ weights of the components measured, 2 decimals; null when no weight was measured.
 * Points and interviews are always measured (no card is a full score), so null needs both weighted 0.
 */
export function totalScore(rules: AssessmentRules, c: Record<Component, number | null>): number | null {
  let earned = 0;
  let weight = 0;
  for (const k of COMPONENTS) {
    const v = c[k];
    if (v === null) continue;
    earned += v;
    weight += rules.weights[k];
  }
  return weight > 0 ? round((earned * 100) / weight, 2) : null;
}

/** Highest score first, no score last; equal scores share a rank (1, 2, 2, 4); then by department code. */
export function rankAssessment(rows: readonly AssessmentRow[]): AssessmentRow[] {
  const s = (r: AssessmentRow) => r.score ?? -1;
  const sorted = [...rows].sort((a, b) => s(b) - s(a) || a.department.localeCompare(b.department));
  return sorted.map((r, i) => {
    let first = i;
    while (first > 0 && s(sorted[first - 1]!) === s(r)) first--;
    return { ...r, rank: first + 1 };
  });
}

/**
 * The rules a quarter is scored by: of the editions published, the one with the latest `effectiveFrom`
 * at or before the quarter, the last published among equals (editions come oldest first); before any,
 * the shipped default.
 */
export function rulesForQuarter(editions: readonly AssessmentRules[], quarter: string): AssessmentRules {
  let best: AssessmentRules | undefined;
  for (const e of editions) {
    if (e.effectiveFrom <= quarter && (!best || e.effectiveFrom >= best.effectiveFrom)) best = e;
  }
  return best ?? defaultAssessmentRules;
}
