import { sql } from 'kysely';
import { type Calendar, type CalendarYear, makeCalendar } from '../domain/calendar';
import type { Department } from '../domain/catalog';
import type { Db } from './connect';
import { jsonb } from './schema';

/**
 * Reference data that is not workflow state: the departments and the working-day calendar years
 * (holiday-cn). Every statement on `departments` and `calendar_years` but the seed (db/seed.ts).
 */

// --- Departments --------------------------------------------------------------------------------------

/** Every department stored, by code. */
export async function listDepartments(db: Db): Promise<Department[]> {
  const rows = await db.selectFrom('departments').selectAll().orderBy('code').execute();
  return rows.map((d) => ({ code: d.code, nameZh: d.name_zh, nameEn: d.name_en }));
}

export async function findDepartment(db: Db, code: string): Promise<Department | undefined> {
  const d = await db.selectFrom('departments').selectAll().where('code', '=', code).executeTakeFirst();
  return d && { code: d.code, nameZh: d.name_zh, nameEn: d.name_en };
}

// --- Calendars ----------------------------------------------------------------------------------------

/** The calendar years a new project starts with: everything operators have loaded, ascending. */
export async function loadCalendarYears(db: Db): Promise<CalendarYear[]> {
  const rows = await db.selectFrom('calendar_years').select(['data']).orderBy('year').execute();
  return rows.map((r) => r.data as CalendarYear);
}

/** The working-day calendar the workflow uses: the calendar_years operators loaded. */
export async function loadCalendar(db: Db): Promise<Calendar> {
  return makeCalendar(await loadCalendarYears(db));
}

/** A year as stored: holiday-cn's shape, with where it came from and who loaded it when. */
export type StoredCalendarYear = CalendarYear & { source: string; loadedAt: string; loadedBy: string };

const storedOf = (r: {
  year: number;
  data: CalendarYear;
  source: string;
  loaded_at: Date;
  loaded_by: string;
}): StoredCalendarYear => {
  const { year: _, ...data } = r.data;
  return {
    year: r.year,
    ...data,
    source: r.source,
    loadedAt: r.loaded_at.toISOString(),
    loadedBy: r.loaded_by,
  };
};

/** Every year loaded, ascending. */
export async function listCalendarYears(db: Db): Promise<StoredCalendarYear[]> {
  const rows = await db.selectFrom('calendar_years').selectAll().orderBy('year').execute();
  return rows.map(storedOf);
}

export async function findCalendarYear(db: Db, year: number): Promise<StoredCalendarYear | undefined> {
  const row = await db.selectFrom('calendar_years').selectAll().where('year', '=', year).executeTakeFirst();
  return row && storedOf(row);
}

/** Stores the year, replacing any stored one; `inserted` when it was not loaded before. */
export async function storeCalendarYear(
  db: Db,
  input: { year: number; data: CalendarYear; source: string; loadedBy: string },
): Promise<{ inserted: boolean }> {
  return (
    db
      .insertInto('calendar_years')
      .values({
        year: input.year,
        data: jsonb(input.data),
        source: input.source,
        loaded_by: input.loadedBy,
      })
      .onConflict((oc) =>
        oc.column('year').doUpdateSet((eb) => ({
          data: eb.ref('excluded.data'),
          source: eb.ref('excluded.source'),
          loaded_by: eb.ref('excluded.loaded_by'),
          loaded_at: sql<Date>`now()`,
        })),
      )
      // xmax is 0 on a freshly inserted row version, non-zero on one an upsert updated.
      .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
      .executeTakeFirstOrThrow()
  );
}
