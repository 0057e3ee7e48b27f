import type { Kysely } from 'kysely';
import { shippedCalendarYears } from '../domain/calendar-data';
import { shippedCatalog } from '../domain/catalog-data';
import { type DB, jsonb } from './schema';

// Read with the rest of the reference data; re-exported for the scripts and tests that load it from here.

/**
 * Reference data every installation starts from: the catalog's departments and the shipped working-day
 * calendars (holiday-cn). Idempotent: rows that exist are left as operators made them.
 */
export async function seedReferenceData(db: Kysely<DB>): Promise<void> {
  await db
    .insertInto('departments')
    .values(shippedCatalog.departments.map((d) => ({ code: d.code, name_zh: d.nameZh, name_en: d.nameEn })))
    .onConflict((oc) => oc.column('code').doNothing())
    .execute();
  await db
    .insertInto('calendar_years')
    .values(
      shippedCalendarYears.map((y) => ({
        year: y.year,
        data: jsonb(y),
        source: `holiday-cn ${y.year}.json (shipped)`,
        loaded_by: 'seed',
      })),
    )
    .onConflict((oc) => oc.column('year').doNothing())
    .execute();
}
