import { type Kysely, sql } from 'kysely';

// Frozen in time: this file describes the schema as it was on 2026-11-22 and never imports code that
// may change later (not db/schema.ts, not domain/). Changes go in a new, later-dated migration.
//
// Read-model tables carry the workflow's `revision` (bigint, never negative) so writers can upsert
// with `where revision < excluded.revision`. Child rows belong to their project and go with it.
// Department codes are not foreign keys: departments are reference data operators load separately,
// and a read-model write must never fail because that load has not happened yet.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('departments')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('calendar_years')
    .addColumn('year', 'integer', (c) => c.primaryKey().check(sql`year between 1900 and 2999`))
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('loaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('loaded_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('projects')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('template_id', 'text', (c) => c.notNull())
    .addColumn('secretary', 'text', (c) => c.notNull())
    .addColumn('leader', 'text', (c) => c.notNull())
    .addColumn('target_start', 'date')
    .addColumn('stage', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('overdue_items', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('escalation_level', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revision', 'bigint', (c) => c.notNull().check(sql`revision >= 0`))
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('projects_leader_idx').on('projects').column('leader').execute();
  await db.schema.createIndex('projects_secretary_idx').on('projects').column('secretary').execute();

  await db.schema
    .createTable('project_items')
    .addColumn('project_code', 'text', (c) => c.notNull().references('projects.code').onDelete('cascade'))
    .addColumn('item_code', 'text', (c) => c.notNull())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('stage', 'integer', (c) => c.notNull())
    .addColumn('lane', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('planned_start', 'date')
    .addColumn('planned_finish', 'date')
    .addColumn('latest_start', 'date')
    .addColumn('submitted_at', 'timestamptz')
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('due_at', 'timestamptz')
    .addColumn('provisional', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('working_days_used', 'integer')
    .addColumn('returns', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rung', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revision', 'bigint', (c) => c.notNull().check(sql`revision >= 0`))
    .addPrimaryKeyConstraint('project_items_pkey', ['project_code', 'item_code'])
    .execute();
  // A department's queue: its open items, soonest due first.
  await db.schema
    .createIndex('project_items_department_idx')
    .on('project_items')
    .columns(['department', 'status', 'due_at'])
    .execute();

  await db.schema
    .createTable('problems')
    .addColumn('project_code', 'text', (c) => c.notNull().references('projects.code').onDelete('cascade'))
    .addColumn('problem_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('owner_department', 'text')
    .addColumn('owner_person', 'text')
    .addColumn('blocks_item', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('deadline_at', 'timestamptz', (c) => c.notNull())
    .addColumn('raised_by', 'text', (c) => c.notNull())
    .addColumn('raised_at', 'timestamptz', (c) => c.notNull())
    .addColumn('resolved_at', 'timestamptz')
    .addColumn('verified_at', 'timestamptz')
    .addColumn('rung', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revision', 'bigint', (c) => c.notNull().check(sql`revision >= 0`))
    .addPrimaryKeyConstraint('problems_pkey', ['project_code', 'problem_id'])
    .execute();
  await db.schema
    .createIndex('problems_owner_department_idx')
    .on('problems')
    .columns(['owner_department', 'status'])
    .execute();

  await db.schema
    .createTable('escalations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_code', 'text', (c) => c.notNull().references('projects.code').onDelete('cascade'))
    .addColumn('subject_kind', 'text', (c) =>
      c.notNull().check(sql`subject_kind in ('item', 'problem', 'score')`),
    )
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('rung', 'text', (c) =>
      c.notNull().check(sql`rung in ('reminder', 'yellow', 'red', 'interview', 'score-alert')`),
    )
    .addColumn('department', 'text')
    .addColumn('recipients', 'jsonb', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz')
    .addColumn('fired_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('acknowledged_at', 'timestamptz')
    .addColumn('acknowledged_by', 'text')
    .addColumn('instruction', 'text')
    .execute();
  await db.schema
    .createIndex('escalations_project_idx')
    .on('escalations')
    .columns(['project_code', 'fired_at'])
    .execute();
  // The inbox: what is still waiting for someone to acknowledge it.
  await db.schema
    .createIndex('escalations_unacknowledged_idx')
    .on('escalations')
    .columns(['department', 'fired_at'])
    .where(sql.ref('acknowledged_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('department_scores')
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('project_code', 'text', (c) => c.notNull().references('projects.code').onDelete('cascade'))
    .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revision', 'bigint', (c) => c.notNull().check(sql`revision >= 0`))
    .addPrimaryKeyConstraint('department_scores_pkey', ['department', 'project_code'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'department_scores',
    'escalations',
    'problems',
    'project_items',
    'projects',
    'calendar_years',
    'departments',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
