import { type Kysely, sql } from 'kysely';

// Frozen in time: urgings (催办), as of 2026-12-07. Never imports code that may change later; changes go
// in a new, later-dated migration.
//
// urgings: a project's secretary (or an operator) urges the department responsible for an open item.
// The id is `urging/<project>/<item>/<working day>`, so one item is urged at most once a working day: a
// second insert of the same day conflicts on the primary key. The message to the department's channels
// goes through the outbox like an escalation's: `notifications.urging_id` names it (then
// `escalation_id` holds the same id, the message key), and `escalation_ref`, the generated foreign key
// to escalations, is null for an urging's message as for a digest's.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('urgings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_code', 'text', (c) => c.notNull())
    .addColumn('item_code', 'text', (c) => c.notNull())
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('working_day', 'date', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('urged_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('urgings_project_idx')
    .on('urgings')
    .columns(['project_code', 'created_at'])
    .execute();
  await db.schema
    .createIndex('urgings_department_idx')
    .on('urgings')
    .columns(['department', 'created_at'])
    .execute();

  await sql`alter table notifications drop constraint notifications_digest_key`.execute(db);
  await sql`alter table notifications drop column escalation_ref`.execute(db);
  await sql`alter table notifications
    add column urging_id text references urgings(id) on delete cascade,
    add column escalation_ref text generated always as
      (case when digest_id is null and urging_id is null then escalation_id end) stored
      references escalations(id) on delete cascade,
    add constraint notifications_digest_key check (digest_id is null or escalation_id = digest_id),
    add constraint notifications_urging_key check (urging_id is null or escalation_id = urging_id)`.execute(
    db,
  );
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  // Urgings' messages go with the column that let them in; the generated reference is restored as 04 made it.
  await sql`delete from notifications where urging_id is not null`.execute(db);
  await sql`alter table notifications
    drop constraint notifications_urging_key,
    drop column escalation_ref,
    drop column urging_id`.execute(db);
  await sql`alter table notifications
    add column escalation_ref text generated always as
      (case when digest_id is null then escalation_id end) stored
      references escalations(id) on delete cascade`.execute(db);
  await db.schema.dropTable('urgings').execute();
}
