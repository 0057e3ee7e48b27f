import { type Kysely, sql } from 'kysely';

// Frozen in time: notification routing and the outbox as of 2026-11-22. Never imports code that may
// change later; changes go in a new, later-dated migration.
//
// The in-app inbox is the escalations table itself. Everything sent elsewhere goes through
// `notifications`, an outbox written in the same transaction as the escalation it announces, one row
// per (escalation, channel, target): the unique constraint is what keeps a retried write from adding a
// second message. Routes name targets (a robot, an SMTP relay, a webhook) whose URLs and secrets are
// configuration, never rows.

const channels = sql`('dingtalk', 'wecom', 'feishu', 'email', 'webhook')`;

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function up(db: Kysely<any>): Promise<void> {
  // Who answers for a department: its head (一把手, told from the yellow card on) and its handlers
  // (经办人, told of reminders). A person may hold a duty in several departments.
  await db.schema
    .createTable('department_contacts')
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('duty', 'text', (c) => c.notNull().check(sql`duty in ('head', 'handler')`))
    .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('department_contacts_pkey', ['department', 'duty', 'person_id'])
    .execute();
  await db.schema
    .createIndex('department_contacts_person_idx')
    .on('department_contacts')
    .column('person_id')
    .execute();

  // Which channels reach an owner: a person (their own routes), a department (its group robot, with its
  // head or handlers mentioned) or a project (the project's group, 一项目一群). `target` is a name in
  // the configuration. No foreign key on owner_id: it names rows of three tables, and a route for a
  // person or project not yet loaded is harmless.
  await db.schema
    .createTable('notification_routes')
    .addColumn('owner_kind', 'text', (c) =>
      c.notNull().check(sql`owner_kind in ('person', 'department', 'project')`),
    )
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ${channels}`))
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('notification_routes_pkey', ['owner_kind', 'owner_id', 'channel', 'target'])
    .execute();

  // The outbox. pending → sending (claimed, lease until claimed_until) → sent | pending (retry) | failed.
  // `attempts` counts claims; `claim_token` names the claim so only its sender may mark the row.
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('escalation_id', 'text', (c) => c.notNull().references('escalations.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ${channels}`))
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('message', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('pending').check(sql`status in ('pending', 'sending', 'sent', 'failed')`),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`attempts >= 0`))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('claim_token', 'text')
    .addColumn('claimed_until', 'timestamptz')
    .addColumn('request_id', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('response', 'jsonb')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('notifications_delivery_key', ['escalation_id', 'channel', 'target'])
    .execute();
  // The dispatcher's scan: what is due, oldest first. Sent and failed rows are not in it.
  await db.schema
    .createIndex('notifications_due_idx')
    .on('notifications')
    .columns(['next_attempt_at', 'id'])
    .where(sql.ref('status'), 'in', sql`('pending', 'sending')`)
    .execute();
  // What operators read: failures and the state of each channel, newest first.
  await db.schema
    .createIndex('notifications_status_idx')
    .on('notifications')
    .columns(['status', 'updated_at'])
    .execute();

  // One row per request made (or reserved) to a target: the rate limiter's memory, shared by every
  // dispatcher through the database. Pruned by the dispatcher after a day.
  await db.schema
    .createTable('notification_requests')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('target_key', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('messages', 'integer', (c) => c.notNull().check(sql`messages >= 1`))
    .execute();
  await db.schema
    .createIndex('notification_requests_target_idx')
    .on('notification_requests')
    .columns(['target_key', 'at'])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: a migration is typed against no schema (kysely's convention)
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'notification_requests',
    'notifications',
    'notification_routes',
    'department_contacts',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
