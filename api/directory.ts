import type { Kysely } from 'kysely';
import { type DirectoryRef, missingFromDirectory } from '../db/directory';
import type { DB } from '../db/schema';
import { type FieldError, ProblemError, ProblemType } from './http-problem';

/**
 * 422 problem naming each field whose person or department is not in the directory; the fields are in
 * the body unless `where` says otherwise (a department in a query or a path).
 */
export async function requireInDirectory(
  db: Kysely<DB>,
  refs: readonly DirectoryRef[],
  where: FieldError['in'] = 'body',
): Promise<void> {
  const misses = await missingFromDirectory(db, refs);
  if (misses.length === 0) return;
  throw new ProblemError({
    status: 422,
    type: ProblemType.validation,
    title: 'The request names someone who is not in the directory',
    detail: misses.map((m) => `${m.field}: ${m.message}`).join('; '),
    errors: misses.map((m) => ({ in: where, path: m.field, message: m.message, code: 'not_in_directory' })),
  });
}
