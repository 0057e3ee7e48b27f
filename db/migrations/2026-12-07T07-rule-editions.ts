import { type Kysely, sql } from 'kysely';

// Frozen in time: rules editions, as of 2026-12-07. Never imports code that may change later; changes go
// in a new, later-dated migration.
//
// rule_editions: the programme's rules as versioned data (domain/rules.ts): committed limits by item
// code, the escalation ladder, items withdrawn and added, published by an operator. The latest published is the one new
// registrations run on; running projects move to one when an operator applies it.

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rule_editions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('limits', 'jsonb', (c) => c.notNull())
    .addColumn('policy', 'jsonb', (c) => c.notNull())
    // Items the edition withdraws ([code]) and adds ([{code, prerequisites}]).
    .addColumn('withdraw', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('add_items', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('published_by', 'text', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('rule_editions_published_idx')
    .on('rule_editions')
    .column('published_at')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rule_editions').execute();
}
