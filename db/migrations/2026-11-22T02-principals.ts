import { type Kysely, sql } from 'kysely';

// Frozen in time: principals, API keys, the audit log and idempotency records as of 2026-11-22.
// Never imports code that may change later; changes go in a new, later-dated migration.
//
// Roles are a check constraint, not an enum type: adding a role later is one `alter table … drop/add
// constraint`, where an enum value can never be removed. Department codes are checked by the code that
// issues keys (api/auth.ts), not by a foreign key, as in 01: departments are reference data operators
// reload, and that reload must not be blocked by the keys that name them.

const roles = sql`('department', 'secretary', 'leader', 'operator', 'admin')`;

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  // People who act or are notified: secretaries, leaders, department heads and handlers, operators.
  // The contact ids are for the notification channels (DingTalk, WeCom, Feishu), all optional.
  await db.schema
    .createTable('people')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ${roles}`))
    .addColumn('department', 'text')
    .addColumn('mobile', 'text')
    .addColumn('email', 'text')
    .addColumn('dingtalk_user_id', 'text')
    .addColumn('wecom_user_id', 'text')
    .addColumn('feishu_open_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('people_department_check', sql`role <> 'department' or department is not null`)
    .execute();

  // One row per issued key. Only the SHA-256 of the secret is kept; the plaintext is shown once.
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.references('people.id'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ${roles}`))
    .addColumn('department', 'text')
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().check(sql`secret_hash ~ '^[0-9a-f]{64}$'`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    // A department key names its department; no other key does.
    .addCheckConstraint('api_keys_department_check', sql`(role = 'department') = (department is not null)`)
    // The workflow identifies secretaries and leaders by person id, so their keys must name one.
    .addCheckConstraint(
      'api_keys_person_check',
      sql`role not in ('secretary', 'leader') or person_id is not null`,
    )
    .execute();
  await db.schema.createIndex('api_keys_person_idx').on('api_keys').column('person_id').execute();

  // Who did what, with which key, from where. Append-only; project_code is null for actions that
  // concern no project (issuing or revoking keys).
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('project_code', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('department', 'text')
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('body', 'jsonb')
    .addColumn('result', 'jsonb')
    .execute();
  await db.schema
    .createIndex('audit_log_project_idx')
    .on('audit_log')
    .columns(['project_code', 'at'])
    .execute();

  // The first answer to each (caller's key, Idempotency-Key). `status` and `response` stay null while
  // the first request runs; `owner_token` names that attempt, so only it may complete or release the
  // row (a stale attempt taken over by a retry must not overwrite the retry's answer).
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('body_hash', 'text', (c) => c.notNull())
    .addColumn('owner_token', 'text', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('response', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['key_id', 'idempotency_key'])
    .execute();
  // Expiry sweeps delete by age.
  await db.schema
    .createIndex('idempotency_keys_created_idx')
    .on('idempotency_keys')
    .column('created_at')
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['idempotency_keys', 'audit_log', 'api_keys', 'people']) {
    await db.schema.dropTable(table).execute();
  }
}
