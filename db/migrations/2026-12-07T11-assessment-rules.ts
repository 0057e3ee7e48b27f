import { type Kysely, sql } from 'kysely';

// Frozen in time: the quarterly assessment's rules, as of 2026-12-07. Never imports code that may change
// later; changes go in a new, later-dated migration.
//
// assessment_rules: editions of the rules the quarterly assessment (季度考核) scores departments by
// (domain/assessment.ts AssessmentRules: weights summing to 100, deductions), published by an operator.
// A quarter is scored by the edition with the latest `effective_from` at or before it (the latest
// published among equals); before any, by the rules Greenlane ships with.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('assessment_rules')
    .addColumn('version', 'text', (c) => c.primaryKey())
    .addColumn('effective_from', 'text', (c) => c.notNull().check(sql`effective_from ~ '^20[0-9]{2}Q[1-4]$'`))
    .addColumn('rules', 'jsonb', (c) => c.notNull())
    .addColumn('published_by', 'text', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('assessment_rules').execute();
}
