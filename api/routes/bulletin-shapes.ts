import { z } from 'zod';
import { AssessmentRules } from '../../domain/assessment';
import { DepartmentMonth, ServiceMonth } from './report-shapes';

/** The answers of the bulletin and assessment routes (api/routes/bulletin.ts), as the OpenAPI document shows them. */

const Card = z.object({
  id: z.string(),
  projectCode: z.string(),
  projectName: z.string(),
  subjectKind: z.string(),
  subjectId: z.string(),
  rung: z.enum(['red', 'interview']),
  department: z.string().nullable(),
  departmentName: z.string().nullable(),
  firedAt: z.string(),
  title: z.string(),
});
const Problem = z.object({
  projectCode: z.string(),
  projectName: z.string(),
  problemId: z.string(),
  title: z.string(),
  ownerDepartment: z.string().nullable(),
  ownerDepartmentName: z.string().nullable(),
  status: z.string(),
  raisedAt: z.string(),
  deadlineAt: z.string(),
  resolvedAt: z.string().nullable(),
});

export const BulletinShape = z.object({
  month: z.string(),
  asOf: z.string(),
  totals: z
    .object({
      departments: z.number().int(),
      handled: z.number().int(),
      onTime: z.number().int(),
      onTimeRate: z.number().nullable(),
      overdue: z.number().int(),
      points: z.number(),
      redCards: z.number().int(),
      interviews: z.number().int(),
      problemsSolved: z.number().int(),
      problemsOpen: z.number().int(),
    })
    .describe("Sums of the monthly report's department rows, and counts of the lists below"),
  departments: z
    .array(DepartmentMonth)
    .describe('The monthly report’s rows (GET /reports/departments/monthly), unchanged, in rank order'),
  redCards: z.array(Card).describe('Red cards (红牌督办) fired in the month'),
  interviews: z.array(Card).describe('Interview notices (约谈通知) fired in the month'),
  problems: z
    .object({ solved: z.array(Problem), open: z.array(Problem) })
    .describe('Problems resolved in the month, and those raised by its end and not resolved by then'),
  rule: z
    .object({
      months: z.number().int(),
      atLeast: z.number().int(),
      minOverdue: z.number().int(),
      textZh: z.string(),
    })
    .describe('The repeated-delay rule (点名通报) the named departments meet'),
  named: z.array(
    z.object({
      department: z.string(),
      nameZh: z.string().nullable(),
      months: z.array(z.object({ month: z.string(), overdue: z.number().int() })),
      monthsWithDelay: z.number().int(),
    }),
  ),
  service: ServiceMonth,
});

const score = z.number().nullable();
export const AssessmentShape = z.object({
  quarter: z.string(),
  asOf: z.string(),
  rules: AssessmentRules,
  departments: z.array(
    z.object({
      department: z.string(),
      nameZh: z.string().nullable(),
      score: score.describe('Out of 100; null when nothing could be measured (ranked last)'),
      rank: z.number().int(),
      components: z
        .object({ onTime: score, points: score, interviews: score, returns: score, satisfaction: score })
        .describe(
          'Earned per component; null: nothing to measure, left out and the score scaled over the rest',
        ),
      evidence: z
        .object({
          decided: z.number().int(),
          onTime: z.number().int(),
          returned: z.number().int(),
          overdueOpen: z.number().int(),
          yellowCards: z.number().int(),
          redCards: z.number().int(),
          interviews: z.number().int(),
          pointsLost: z.number(),
          returnVisits: z.number().int(),
          satisfactionSum: z.number(),
        })
        .describe('The counts each component came from'),
    }),
  ),
});
