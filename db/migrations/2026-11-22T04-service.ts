import { type Kysely, sql } from 'kysely';

// Frozen in time: the rhythm of the programme as of 2026-11-22 — digests, the service log and return
// visits. Never imports code that may change later; changes go in a new, later-dated migration.
//
// Digests are the in-app inbox of the morning and weekly digests: one row per (kind, day, person), its
// id `digest/<kind>/<day>/<person>`, so a retried or repeated run writes nothing twice. Their channel
// messages go through the same outbox as escalations: `notifications.escalation_id` becomes the message
// key (an escalation's id, or the digest's id when `digest_id` is set), so its unique constraint keeps
// one message per (key, channel, target) for both. The foreign key to escalations moves to a generated
// column that is the key only for escalation rows, so those keep their integrity and their cascade.
//
// Project codes in the service tables are not foreign keys: the API checks the project exists (read
// model, else its workflow), and a project registered a moment ago may not be in `projects` yet.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('digests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('secretaries-morning', 'leaders-weekly')`),
    )
    .addColumn('person_id', 'text', (c) => c.notNull())
    .addColumn('run_date', 'date', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('content', 'jsonb', (c) => c.notNull())
    // Nothing to report (a secretary whose projects are on plan): in the inbox, not sent to channels.
    .addColumn('quiet', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // GET /me/digests: a person's digests, newest first.
  await db.schema
    .createIndex('digests_person_idx')
    .on('digests')
    .columns(['person_id', 'run_date desc'])
    .execute();

  await sql`alter table notifications drop constraint notifications_escalation_id_fkey`.execute(db);
  await sql`alter table notifications
    add column digest_id text references digests(id) on delete cascade,
    add column escalation_ref text generated always as
      (case when digest_id is null then escalation_id end) stored
      references escalations(id) on delete cascade,
    add constraint notifications_digest_key check (digest_id is null or escalation_id = digest_id)`.execute(
    db,
  );

  // 服务日志: the secretary's contacts with the project (Wuxi and Fuxin norms, catalog §5.5).
  await db.schema
    .createTable('service_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('project_code', 'text', (c) => c.notNull())
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('contact_type', 'text', (c) =>
      c.notNull().check(sql`contact_type in ('phone', 'visit', 'meeting')`),
    )
    .addColumn('participants', 'jsonb', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('service_log_project_idx')
    .on('service_log')
    .columns(['project_code', 'date'])
    .execute();
  // The monthly summary reads one month of every project.
  await db.schema.createIndex('service_log_date_idx').on('service_log').column('date').execute();

  // 回访: one visit per project and stage, after the stage closed, with a satisfaction score.
  await db.schema
    .createTable('return_visits')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('project_code', 'text', (c) => c.notNull())
    .addColumn('stage', 'integer', (c) => c.notNull().check(sql`stage between 1 and 4`))
    .addColumn('visit_date', 'date', (c) => c.notNull())
    .addColumn('satisfaction', 'integer', (c) => c.notNull().check(sql`satisfaction between 1 and 5`))
    .addColumn('comment', 'text')
    .addColumn('stage_closed_on', 'date', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('return_visits_project_stage_key', ['project_code', 'stage'])
    .execute();
  await db.schema.createIndex('return_visits_date_idx').on('return_visits').column('visit_date').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('return_visits').execute();
  await db.schema.dropTable('service_log').execute();
  // Digests' messages go with the column that let them in; escalations' get their foreign key back.
  await sql`delete from notifications where digest_id is not null`.execute(db);
  await sql`alter table notifications
    drop constraint notifications_digest_key,
    drop column escalation_ref,
    drop column digest_id`.execute(db);
  await sql`alter table notifications add constraint notifications_escalation_id_fkey
    foreign key (escalation_id) references escalations(id) on delete cascade`.execute(db);
  await db.schema.dropTable('digests').execute();
}
