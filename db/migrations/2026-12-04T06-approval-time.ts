import { type Kysely, sql } from 'kysely';

// Frozen in time: approval time in the read model, as of 2026-12-04. Never imports code that may change
// later; changes go in a new, later-dated migration.
//
// project_items gains what approval time (审批用时) is computed from: the item's time kind (only
// 'approval' counts), when its clock started, and the clock's pauses (returns for correction, the
// periods Licensing Law Art. 45 keeps off the clock, blocking problems) as [{from, to}] instants.
// Items taken out of a plan stay in the ledger as 'withdrawn' (已取消) instead of their last live status.
// projects gains the plan's approval and elapsed days (Schedule.approvalDays) and the commitment.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('project_items')
    .addColumn('time_kind', 'text', (c) =>
      c
        .notNull()
        .defaultTo('approval')
        .check(sql`time_kind in ('approval', 'technical', 'notice', 'owner', 'utility')`),
    )
    .addColumn('clock_start', 'timestamptz')
    .addColumn('pauses', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await db.schema
    .alterTable('projects')
    .addColumn('planned_days', 'jsonb')
    .addColumn('committed_days', 'integer')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('projects').dropColumn('planned_days').dropColumn('committed_days').execute();
  await db.schema
    .alterTable('project_items')
    .dropColumn('time_kind')
    .dropColumn('clock_start')
    .dropColumn('pauses')
    .execute();
}
