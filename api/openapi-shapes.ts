import { z } from 'zod';
import { LocalDate, ProjectCode } from '../domain/project';

/** Pieces every route declaration uses, once. */

/** A JSON answer of `schema`, for a route's `responses`. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** The `{code}` of a project in a path. */
export const ProjectCodeParam = z.object({ code: ProjectCode });

/**
 * A deadline as people read it: the China date (UTC+8) that its instant ends. Every answer with a
 * deadline instant carries it beside the instant (`dueDate` beside `dueAt`, `deadlineDate` beside
 * `deadlineAt`), and the instant is 00:00 China time of the next day, i.e. 16:00Z of the date itself.
 */
export const deadlineDate = (instant: string) =>
  LocalDate.describe(
    `The China date (UTC+8) the deadline ends: the day people read. \`${instant}\` is 00:00 China time of the day after it (16:00Z of this date)`,
  );

const Days = z.number().int();

/** A project's approval time (审批用时) and elapsed time (历时): domain/approval-time.ts. */
export const ProjectApprovalTime = z
  .object({
    countedDays: Days.describe('Working days on which at least one approval item was on the clock'),
    elapsedDays: Days.describe('Working days from registration to completion, or to now'),
    toPermit: z
      .object({ date: z.string(), countedDays: Days, elapsedDays: Days })
      .nullable()
      .describe('The same, up to the day the construction permit was issued; null until it is'),
    committedDays: Days.describe("The city's commitment for the project's whole approval time"),
    remainingDays: Days.describe('committedDays − countedDays; negative once the commitment is broken'),
    planned: z
      .object({
        counted: Days,
        elapsed: Days,
        countedToPermit: Days.nullable(),
        elapsedToPermit: Days.nullable(),
      })
      .nullable()
      .describe("The plan's figures as scheduled at registration (or its last amendment)"),
  })
  .meta({ id: 'ProjectApprovalTime' });
