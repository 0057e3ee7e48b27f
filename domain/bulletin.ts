import { z } from 'zod';
import { monthBounds, monthsEndingAt } from './periods';
import { type DepartmentMonth, ms, round } from './reports';
import type { ServiceMonth } from './service-report';

/**
 * The monthly supervision bulletin (每月督查通报): what the monthly report (domain/reports.ts
 * `departmentMonthly`, domain/service-report.ts `serviceMonth`) says of the month, put together for
 * publication — programme totals, each department's row as the report has it, the red cards and
 * interview notices fired in the month, problems solved and still open, and the departments named for
 * repeated delay under a rule that is data (`RepeatedDelayRule`). Pure: the report's rows in, the
 * bulletin out; it computes no department figure of its own.
 */

/** Named (点名通报) when overdue items (the report's `overdue`) reach `minOverdue` in `atLeast` of the last `months` months, this one included. */
export const RepeatedDelayRule = z
  .strictObject({
    months: z.number().int().min(1).max(12),
    atLeast: z.number().int().min(1).max(12),
    minOverdue: z.number().int().min(1),
  })
  .refine((r) => r.atLeast <= r.months, { message: 'atLeast cannot exceed months', path: ['atLeast'] });
export type RepeatedDelayRule = z.infer<typeof RepeatedDelayRule>;

export const defaultRepeatedDelayRule: RepeatedDelayRule = RepeatedDelayRule.parse({
  months: 3,
  atLeast: 2,
  minOverdue: 1,
});

/** The rule in the words the bulletin prints. */
export function repeatedDelayRuleZh(r: RepeatedDelayRule): string {
  return `近 ${r.months} 个月（含本月）中有 ${r.atLeast} 个月及以上存在超期事项（当月超期 ${r.minOverdue} 件及以上）的部门，予以点名通报。`;
}

/** A red card or interview notice fired in the month (escalations). */
export type BulletinCard = {
  id: string;
  projectCode: string;
  projectName: string;
  subjectKind: string;
  subjectId: string;
  rung: 'red' | 'interview';
  department: string | null;
  departmentName: string | null;
  firedAt: string;
  title: string;
};

/** A problem (问题) as the bulletin lists it. */
export type BulletinProblem = {
  projectCode: string;
  projectName: string;
  problemId: string;
  title: string;
  ownerDepartment: string | null;
  ownerDepartmentName: string | null;
  status: string;
  raisedAt: string;
  deadlineAt: string;
  resolvedAt: string | null;
};

export type NamedDepartment = {
  department: string;
  nameZh: string | null;
  /** The window's months, oldest first, with the report's overdue count of each. */
  months: { month: string; overdue: number }[];
  monthsWithDelay: number;
};

export type Bulletin = {
  month: string;
  asOf: string;
  totals: {
    departments: number;
    handled: number;
    onTime: number;
    /** onTime / handled, 4 decimals; null when nothing was handled. */
    onTimeRate: number | null;
    overdue: number;
    points: number;
    redCards: number;
    interviews: number;
    problemsSolved: number;
    problemsOpen: number;
  };
  /** The monthly report's rows, unchanged, in rank order. */
  departments: DepartmentMonth[];
  redCards: BulletinCard[];
  interviews: BulletinCard[];
  problems: { solved: BulletinProblem[]; open: BulletinProblem[] };
  rule: RepeatedDelayRule & { textZh: string };
  named: NamedDepartment[];
  /** The monthly report's service summary, unchanged. */
  service: ServiceMonth;
};

export function monthlyBulletin(input: {
  month: string;
  now: number;
  /** departmentMonthly(…) of the month. */
  departments: readonly DepartmentMonth[];
  /** departmentMonthly(…) of each month of the rule's window, this one included. */
  window: ReadonlyMap<string, readonly DepartmentMonth[]>;
  service: ServiceMonth;
  /** Escalations fired in the month (others are ignored). */
  cards: readonly BulletinCard[];
  /** Problems raised before the month's end (others are ignored). */
  problems: readonly BulletinProblem[];
  rule?: RepeatedDelayRule;
}): Bulletin {
  const { from, to } = monthBounds(input.month);
  const cutoff = Math.min(to, input.now);
  const rule = RepeatedDelayRule.parse(input.rule ?? defaultRepeatedDelayRule);
  const rows = input.departments;
  const sum = (f: (r: DepartmentMonth) => number) => rows.reduce((a, r) => a + f(r), 0);
  const handled = sum((r) => r.handled);
  const onTime = sum((r) => r.onTime);

  const fired = input.cards
    .filter((c) => ms(c.firedAt) >= from && ms(c.firedAt) < cutoff)
    .sort((a, b) => a.firedAt.localeCompare(b.firedAt) || a.id.localeCompare(b.id));
  const problems = input.problems.filter((p) => ms(p.raisedAt) < cutoff);
  const byDeadline = (a: BulletinProblem, b: BulletinProblem) =>
    a.deadlineAt.localeCompare(b.deadlineAt) || a.problemId.localeCompare(b.problemId);
  const solved = problems
    .filter((p) => p.resolvedAt !== null && ms(p.resolvedAt) >= from && ms(p.resolvedAt) < cutoff)
    .sort(byDeadline);
  const open = problems.filter((p) => p.resolvedAt === null || ms(p.resolvedAt) >= cutoff).sort(byDeadline);

  return {
    month: input.month,
    asOf: new Date(input.now).toISOString(),
    totals: {
      departments: rows.length,
      handled,
      onTime,
      onTimeRate: handled ? round(onTime / handled, 4) : null,
      overdue: sum((r) => r.overdue),
      points: sum((r) => r.points),
      redCards: fired.filter((c) => c.rung === 'red').length,
      interviews: fired.filter((c) => c.rung === 'interview').length,
      problemsSolved: solved.length,
      problemsOpen: open.length,
    },
    departments: [...rows],
    redCards: fired.filter((c) => c.rung === 'red'),
    interviews: fired.filter((c) => c.rung === 'interview'),
    problems: { solved, open },
    rule: { ...rule, textZh: repeatedDelayRuleZh(rule) },
    named: namedForDelay(input.month, input.window, rule),
    service: input.service,
  };
}

/** The departments the rule names, most months with delay first, then by code. */
export function namedForDelay(
  month: string,
  window: ReadonlyMap<string, readonly DepartmentMonth[]>,
  rule: RepeatedDelayRule,
): NamedDepartment[] {
  const months = monthsEndingAt(month, rule.months);
  const names = new Map<string, string | null>();
  for (const m of months) for (const r of window.get(m) ?? []) names.set(r.department, r.nameZh);
  return [...names.entries()]
    .map(([department, nameZh]) => {
      const line = months.map((m) => ({
        month: m,
        overdue: window.get(m)?.find((r) => r.department === department)?.overdue ?? 0,
      }));
      return {
        department,
        nameZh,
        months: line,
        monthsWithDelay: line.filter((l) => l.overdue >= rule.minOverdue).length,
      };
    })
    .filter((d) => d.monthsWithDelay >= rule.atLeast)
    .sort((a, b) => b.monthsWithDelay - a.monthsWithDelay || a.department.localeCompare(b.department));
}
