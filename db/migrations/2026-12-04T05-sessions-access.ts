import { type Kysely, sql } from 'kysely';

// Frozen in time: web sessions and the announcement of access changes, as of 2026-12-04. Never imports
// code that may change later; changes go in a new, later-dated migration.
//
// web_sessions: the dashboard's sign-in. The browser holds an opaque random token; only its SHA-256 is
// kept here, so a copy of this table signs nobody in. A session stands for an API key (signed in with
// the key) or a person (signed in through the organisation's identity provider); revoking the key ends
// its sessions at once because every request reads the key with the session.
//
// greenlane_access: API processes cache who may act on a project (its secretary, leader and the
// departments of its items). These triggers announce a change of those facts when it commits, with
// the project code as payload; identical announcements in one transaction are delivered once.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('web_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^[0-9a-f]{64}$'`))
    .addColumn('key_id', 'text', (c) => c.references('api_keys.id').onDelete('cascade'))
    .addColumn('person_id', 'text', (c) => c.references('people.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ended_at', 'timestamptz')
    .addColumn('user_agent', 'text')
    .addCheckConstraint('web_sessions_subject_check', sql`key_id is not null or person_id is not null`)
    .execute();
  await db.schema.createIndex('web_sessions_key_idx').on('web_sessions').column('key_id').execute();
  await db.schema.createIndex('web_sessions_person_idx').on('web_sessions').column('person_id').execute();

  await sql`create function greenlane_access_changed() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'projects' then
        perform pg_notify('greenlane_access', coalesce(new.code, old.code));
      else
        perform pg_notify('greenlane_access', coalesce(new.project_code, old.project_code));
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger projects_access_changed
    after update of secretary, leader on projects
    for each row when (old.secretary is distinct from new.secretary or old.leader is distinct from new.leader)
    execute function greenlane_access_changed()`.execute(db);
  await sql`create trigger projects_access_deleted
    after delete on projects for each row execute function greenlane_access_changed()`.execute(db);
  await sql`create trigger project_items_access_changed
    after insert or delete or update of department on project_items
    for each row execute function greenlane_access_changed()`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger project_items_access_changed on project_items`.execute(db);
  await sql`drop trigger projects_access_deleted on projects`.execute(db);
  await sql`drop trigger projects_access_changed on projects`.execute(db);
  await sql`drop function greenlane_access_changed()`.execute(db);
  await db.schema.dropTable('web_sessions').execute();
}
