import { type Kysely, sql } from 'kysely';

// Frozen in time: the announcement of changes to who a key stands for, as of 2026-12-07. Never imports
// code that may change later; changes go in a new, later-dated migration.
//
// greenlane_principals: API processes keep the key rows they authenticated with for a short time
// (api/auth/principal-cache.ts). These triggers announce, when the change commits, that a key was
// revoked, changed or deleted, or that a person was written (added, renamed, moved, left) or deleted, so every
// process drops what it kept. The payload is empty: such changes are rare and every entry is dropped;
// identical announcements in one transaction are delivered once. Recording that a key was used
// (last_used_at) announces nothing.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create function greenlane_principals_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('greenlane_principals', '');
      return null;
    end $$`.execute(db);
  await sql`create trigger api_keys_principals_changed
    after update of role, department, label, secret_hash, person_id, revoked_at or delete on api_keys
    for each statement execute function greenlane_principals_changed()`.execute(db);
  await sql`create trigger people_principals_changed
    after insert or update or delete on people
    for each statement execute function greenlane_principals_changed()`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger people_principals_changed on people`.execute(db);
  await sql`drop trigger api_keys_principals_changed on api_keys`.execute(db);
  await sql`drop function greenlane_principals_changed()`.execute(db);
}
