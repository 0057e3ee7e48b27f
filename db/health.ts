import { type Kysely, sql } from 'kysely';
import type { DB } from './schema';

/** `select 1`: PostgreSQL answers (a pooled connection could be had and a statement ran). */
export async function ping(db: Kysely<DB>): Promise<void> {
  await sql`select 1`.execute(db);
}
