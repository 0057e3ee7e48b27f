import { type Kysely, sql } from 'kysely';

// Frozen in time: the programme's coordination meetings, as of 2026-12-07. Never imports code that may
// change later; changes go in a new, later-dated migration.
//
// meetings: a weekly coordination meeting (每周碰头会) or a special one (专题协调会) on one project or one
// of its problems. `agenda` is the agenda as drafted when it was convened (domain/meetings.ts
// AgendaLine[]), kept as it was; `standing` what the agenda compared against at the next meeting (each
// project's late starts that day). `previous_id` is the meeting whose decisions this one opens with.
//
// meeting_decisions: what the minutes decided, one row per decision, with the project action it became
// (`state` applied: the workflow took it; failed: the workflow or the rules refused it, `outcome` says
// why; recorded: a commitment the meeting tracks itself, such as a date agreed for an item).
// Digests gain the kind 'meeting-notice': the in-app notice of a meeting to each attendee, whose channel
// messages go out through the outbox like a digest's.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('meetings')
    .addColumn('id', 'integer', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('weekly', 'special')`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('held_on', 'date', (c) => c.notNull())
    .addColumn('project_code', 'text')
    .addColumn('problem_id', 'text')
    .addColumn('convened_by', 'text', (c) => c.notNull())
    .addColumn('attendees', 'jsonb', (c) => c.notNull())
    .addColumn('agenda', 'jsonb', (c) => c.notNull())
    .addColumn('standing', 'jsonb', (c) => c.notNull())
    .addColumn('previous_id', 'integer', (c) => c.references('meetings.id').onDelete('set null'))
    .addColumn('minuted_at', 'timestamptz')
    .addColumn('minuted_by', 'text')
    .addColumn('notes', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'meetings_scope_check',
      sql`(kind = 'weekly' and project_code is null and problem_id is null) or (kind = 'special' and project_code is not null)`,
    )
    .execute();
  await db.schema.createIndex('meetings_held_idx').on('meetings').columns(['kind', 'held_on']).execute();

  await db.schema
    .createTable('meeting_decisions')
    .addColumn('meeting_id', 'integer', (c) => c.notNull().references('meetings.id').onDelete('cascade'))
    .addColumn('no', 'integer', (c) => c.notNull().check(sql`no >= 1`))
    .addColumn('line', 'integer')
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('assign-problem', 'raise-problem', 'instruction', 'agree-date')`),
    )
    .addColumn('project_code', 'text', (c) => c.notNull())
    .addColumn('item_code', 'text')
    .addColumn('problem_id', 'text')
    .addColumn('due_on', 'date')
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('applied', 'failed', 'recorded')`))
    .addColumn('outcome', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('meeting_decisions_pk', ['meeting_id', 'no'])
    .execute();

  await sql`alter table digests drop constraint if exists digests_kind_check`.execute(db);
  await sql`alter table digests add constraint digests_kind_check
    check (kind in ('secretaries-morning', 'leaders-weekly', 'meeting-notice'))`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from digests where kind = 'meeting-notice'`.execute(db);
  await sql`alter table digests drop constraint if exists digests_kind_check`.execute(db);
  await sql`alter table digests add constraint digests_kind_check
    check (kind in ('secretaries-morning', 'leaders-weekly'))`.execute(db);
  await db.schema.dropTable('meeting_decisions').execute();
  await db.schema.dropTable('meetings').execute();
}
