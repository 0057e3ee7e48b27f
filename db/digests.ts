import type { Db } from './connect';
import { type DigestKindColumn, jsonb } from './schema';

/**
 * The in-app inbox of the digests (每日督办 for secretaries, 每周督办 for leaders): every statement on
 * `digests`. One entry per (kind, day, person), id `digest/<kind>/<day>/<person>`.
 */

export type DigestEntry = {
  /** `digest/<kind>/<day>/<person>`. */
  id: string;
  /** A digest's kind, or a meeting notice (db/meetings.ts). */
  kind: DigestKindColumn;
  personId: string;
  /** The day it was written for (CST). */
  date: string;
  title: string;
  /** The digest in Chinese, as the channels send it. */
  body: string;
  /** The structured digest (domain/digest.ts). */
  content: unknown;
  /** Nothing to report: kept in the inbox, not sent to channels. */
  quiet: boolean;
};

/**
 * Stores the entries; one whose id is stored already is left as it is (the first digest written for a
 * day stays). Returns the ids this call inserted.
 */
export async function insertDigests(db: Db, entries: readonly DigestEntry[]): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const inserted = await db
    .insertInto('digests')
    .values(
      entries.map((d) => ({
        id: d.id,
        kind: d.kind,
        person_id: d.personId,
        run_date: d.date,
        title: d.title,
        body: d.body,
        content: jsonb(d.content),
        quiet: d.quiet,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .execute();
  return new Set(inserted.map((r) => r.id));
}

/** A stored digest, as its person reads it. */
export type StoredDigest = Omit<DigestEntry, 'personId' | 'content'> & {
  content: Record<string, unknown>;
  createdAt: string;
};

/** A person's digests, newest day first (`before`: only days before this one). */
export async function personDigests(
  db: Db,
  personId: string,
  filter: { kind?: DigestKindColumn; before?: string; limit: number },
): Promise<StoredDigest[]> {
  let query = db
    .selectFrom('digests')
    .select(['id', 'kind', 'run_date', 'title', 'body', 'quiet', 'content', 'created_at'])
    .where('person_id', '=', personId);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.before) query = query.where('run_date', '<', filter.before);
  const rows = await query.orderBy('run_date', 'desc').orderBy('kind').limit(filter.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    date: r.run_date,
    title: r.title,
    body: r.body,
    quiet: r.quiet,
    content: r.content as Record<string, unknown>,
    createdAt: r.created_at.toISOString(),
  }));
}
