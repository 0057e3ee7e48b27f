import { AssessmentRules } from '../domain/assessment';
import type { Db } from './connect';
import { jsonb } from './schema';

/** Published editions of the quarterly assessment's rules (domain/assessment.ts): every statement on `assessment_rules`. */

export type PublishedAssessmentRules = AssessmentRules & { publishedBy: string; publishedAt: string };

/** Store a new edition; false when one with this version exists (nothing is written). */
export async function insertAssessmentRules(db: Db, rules: AssessmentRules, by: string): Promise<boolean> {
  const inserted = await db
    .insertInto('assessment_rules')
    .values({
      version: rules.version,
      effective_from: rules.effectiveFrom,
      rules: jsonb(rules),
      published_by: by,
    })
    .onConflict((oc) => oc.column('version').doNothing())
    .returning('version')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Every edition, oldest published first. */
export async function listAssessmentRules(db: Db): Promise<PublishedAssessmentRules[]> {
  const rows = await db
    .selectFrom('assessment_rules')
    .selectAll()
    .orderBy('published_at')
    .orderBy('version')
    .execute();
  return rows.map((r) => ({
    ...AssessmentRules.parse(r.rules),
    publishedBy: r.published_by,
    publishedAt: r.published_at.toISOString(),
  }));
}
