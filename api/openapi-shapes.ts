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
