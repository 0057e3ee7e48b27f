import { z } from 'zod';
import { TimeKind } from '../../domain/catalog';
import { deadlineDate } from '../openapi-shapes';

/** The answers of the report routes (api/routes/reports.ts), as the OpenAPI document shows them. */

export const Item = z.object({
  projectCode: z.string(),
  itemCode: z.string(),
  nameZh: z.string(),
  department: z.string(),
  departmentName: z.string().nullable(),
  stage: z.number().int(),
  status: z.string(),
  plannedStart: z.string().nullable(),
  plannedFinish: z.string().nullable(),
  latestStart: z
    .string()
    .nullable()
    .describe('The latest start that still meets the target start (倒排工期)'),
  submittedAt: z.string().nullable(),
  acceptedAt: z.string().nullable(),
  dueAt: z.string().nullable(),
  dueDate: deadlineDate('dueAt').nullable(),
  provisional: z
    .boolean()
    .describe(
      'The due date is a guess: it lies in, or was counted through, days a holiday notice not yet published may change',
    ),
  finishedAt: z.string().nullable(),
  workingDaysUsed: z.number().int().nullable(),
  returns: z.number().int(),
  rung: z.number().int(),
});
export const LedgerLine = Item.extend({
  workingDaysUsed: z
    .number()
    .int()
    .nullable()
    .describe('Finished: as stored (pauses excluded); open: counted from acceptance to now'),
  onTime: z.boolean().nullable().describe('Decided at or before the due time; null until decided'),
  overdue: z.boolean().describe('Open and past due now'),
  timeKind: TimeKind.describe('Only approval counts toward approval time (审批用时)'),
  counts: z.boolean().describe("Whether the item's time is approval time"),
  countedDays: z
    .number()
    .int()
    .nullable()
    .describe(
      'Approval time: working days on the clock since acceptance, without its pauses (补正, Art. 45 periods)',
    ),
  elapsedDays: z.number().int().nullable().describe('Working days since submission, nothing taken out'),
});
export const DepartmentMonth = z.object({
  department: z.string(),
  nameZh: z.string().nullable(),
  handled: z.number().int(),
  onTime: z.number().int(),
  onTimeRate: z.number().nullable(),
  meanWorkingDays: z.number().nullable(),
  p90WorkingDays: z.number().nullable(),
  overdue: z.number().int(),
  points: z.number(),
  urgings: z.number().int().describe('Times the department was urged (催办) on an item in the month'),
  rank: z.number().int(),
});
export const ServiceMonth = z
  .object({
    contacts: z
      .object({
        phone: z.number().int(),
        visit: z.number().int(),
        meeting: z.number().int(),
        total: z.number().int(),
      })
      .describe('Service-log entries (服务日志) dated in the month, by contact type (电话, 走访, 会议)'),
    projectsContacted: z.number().int().describe('Projects with at least one contact in the month'),
    returnVisits: z
      .object({ count: z.number().int(), meanSatisfaction: z.number().nullable() })
      .describe('Return visits (回访) dated in the month, mean satisfaction 1–5 (null for none)'),
  })
  .describe('The service summary of the month, over every project');
export const Project = z.object({
  code: z.string(),
  name: z.string(),
  leader: z.string(),
  secretary: z.string(),
  targetStart: z.string().nullable(),
  stage: z.number().int(),
  status: z.string(),
  overdueItems: z.number().int(),
  escalationLevel: z.number().int(),
});
export const LeaderProject = Project.extend({
  colour: z.enum(['green', 'yellow', 'red']),
  reasons: z.array(z.string()),
  lateStarts: z.array(z.string()),
  targetShortBy: z
    .number()
    .int()
    .nullable()
    .describe(
      'Working days the plan was short of the target start from its first day; not a colour (null: feasible or no target)',
    ),
  countdown: z.number().int().nullable(),
});
export const AnnualLine = Item.extend({
  projectName: z.string(),
  done: z.boolean(),
  behindPlan: z.boolean(),
});
export const AnnualDepartment = z.object({
  department: z.string(),
  nameZh: z.string().nullable(),
  planned: z.number().int(),
  done: z.number().int(),
  open: z.number().int(),
  behindPlan: z.number().int(),
});
export const OneTripRate = z.object({
  department: z.string(),
  nameZh: z.string().nullable(),
  decided: z.number().int(),
  withoutReturn: z.number().int(),
  oneTripRate: z.number().nullable(),
});
