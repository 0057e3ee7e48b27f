import { type Kysely, sql } from 'kysely';

// Frozen in time: leaders' action links, as of 2026-12-07. Never imports code that may change later;
// changes go in a new, later-dated migration.
//
// leader_links: a link in an escalation message that lets the project's responsible leader answer it
// (批示) from a phone without a key. Like a password-reset token: the message carries 32 random bytes;
// only their SHA-256 is kept here, with the escalation and the leader it is bound to, its end and the
// instant it was used. `used_at` is set once, by a conditional UPDATE (… where used_at is null), so two
// taps at once cannot both answer.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('leader_links')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^[0-9a-f]{64}$'`))
    .addColumn('escalation_id', 'text', (c) => c.notNull().references('escalations.id').onDelete('cascade'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('leader_links_escalation_idx')
    .on('leader_links')
    .column('escalation_id')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('leader_links').execute();
}
