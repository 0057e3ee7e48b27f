import { type Kysely, sql } from 'kysely';

// Frozen in time: signing in with the organisation's identity (OpenID Connect), as of 2026-12-07. Never
// imports code that may change later; changes go in a new, later-dated migration.
//
// oidc_identities: which person of the directory an identity of the provider is, by the pair the
// provider guarantees stable and unique (its issuer, the token's `sub`). One identity per person and
// issuer. Filled by an operator (PUT /people/{id}/identity) or at a first sign-in by the configured
// claim that carries the Greenlane person id; `linked_by` says which.
//
// oidc_logins: a sign-in under way between the redirect to the provider and its answer: the state,
// nonce and PKCE code_verifier, kept here rather than in the browser, under the SHA-256 of a random
// token the browser holds in a short-lived HttpOnly cookie. Taken (deleted) once by the callback.
//
// people.left_at: set when a leaver's handover completes; a person who has left cannot sign in and
// their sessions end.
//
// web_sessions.id_token: for a session signed in through the provider, its ID token, sent back as
// id_token_hint when signing out at the provider (RP-initiated logout).

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('oidc_identities')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('linked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('linked_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('oidc_identities_pkey', ['issuer', 'subject'])
    .addUniqueConstraint('oidc_identities_person_key', ['issuer', 'person_id'])
    .execute();
  await db.schema
    .createTable('oidc_logins')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id ~ '^[0-9a-f]{64}$'`))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oidc_logins_expires_idx').on('oidc_logins').column('expires_at').execute();
  await db.schema.alterTable('people').addColumn('left_at', 'timestamptz').execute();
  await db.schema.alterTable('web_sessions').addColumn('id_token', 'text').execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('web_sessions').dropColumn('id_token').execute();
  await db.schema.alterTable('people').dropColumn('left_at').execute();
  await db.schema.dropTable('oidc_logins').execute();
  await db.schema.dropTable('oidc_identities').execute();
}
