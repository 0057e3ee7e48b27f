import type { Kysely } from 'kysely';

// Frozen in time: the acceptance deadline in the read model, as of 2026-12-07. Never imports code that
// may change later; changes go in a new, later-dated migration.
//
// project_items.accept_by: for an item submitted and not yet accepted, the end of its acceptance window
// (受理时限: five working days, domain/acceptance.ts), as the workflow computed it; null otherwise. An
// item has no due_at until it is accepted, so a department's queue ordered by due_at alone put new
// submissions last. Rows written before this column read null until their project's next write.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('project_items').addColumn('accept_by', 'timestamptz').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('project_items').dropColumn('accept_by').execute();
}
