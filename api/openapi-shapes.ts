import { z } from 'zod';
import { ProjectCode } from '../domain/project';

/** Pieces every route declaration uses, once. */

/** A JSON answer of `schema`, for a route's `responses`. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** The `{code}` of a project in a path. */
export const ProjectCodeParam = z.object({ code: ProjectCode });

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
