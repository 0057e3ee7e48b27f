import { RulesEdition } from '../domain/rules';
import type { Db } from './connect';
import { jsonb } from './schema';

/** Rules editions (domain/rules.ts): published by operators, the latest is what new registrations run on. */

export type PublishedEdition = RulesEdition & { publishedBy: string; publishedAt: string };

type Row = {
  id: string;
  note: string;
  limits: unknown;
  policy: unknown;
  withdraw: unknown;
  add_items: unknown;
  published_by: string;
  published_at: Date;
};

function editionOf(row: Row): PublishedEdition {
  const edition = RulesEdition.parse({
    id: row.id,
    note: row.note,
    limits: row.limits,
    policy: row.policy,
    withdraw: row.withdraw,
    add: row.add_items,
  });
  return { ...edition, publishedBy: row.published_by, publishedAt: row.published_at.toISOString() };
}

/** Store a new edition; false when one with this id exists (nothing is written). */
export async function insertEdition(db: Db, edition: RulesEdition, by: string): Promise<boolean> {
  const inserted = await db
    .insertInto('rule_editions')
    .values({
      id: edition.id,
      note: edition.note,
      limits: jsonb(edition.limits),
      policy: jsonb(edition.policy),
      withdraw: jsonb(edition.withdraw),
      add_items: jsonb(edition.add),
      published_by: by,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function loadEdition(db: Db, id: string): Promise<PublishedEdition | null> {
  const row = await db.selectFrom('rule_editions').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? editionOf(row) : null;
}

/** The edition new registrations run on: the latest published, or null while none has been. */
export async function latestEdition(db: Db): Promise<PublishedEdition | null> {
  const row = await db
    .selectFrom('rule_editions')
    .selectAll()
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? editionOf(row) : null;
}

export async function listEditions(db: Db): Promise<PublishedEdition[]> {
  const rows = await db
    .selectFrom('rule_editions')
    .selectAll()
    .orderBy('published_at')
    .orderBy('id')
    .execute();
  return rows.map(editionOf);
}
