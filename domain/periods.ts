import { z } from 'zod';
import { CST_OFFSET_MS } from './calendar';

/**
 * The periods the programme reports by — months ('YYYY-MM') for the department report and the bulletin,
 * quarters ('YYYYQn') for the assessment — as instants in China Standard Time, and how to step through them.
 */

export const Month = z.string().regex(/^20\d{2}-(0[1-9]|1[0-2])$/, 'a month is YYYY-MM, 2000–2099');

/** A quarter, 'YYYYQn'. */
export const Quarter = z.string().regex(/^20\d{2}Q[1-4]$/, 'a quarter is YYYYQn, 2000–2099, n 1–4');

/** A month 'YYYY-MM' as instants [from, to): 00:00 CST of its first day and of the next month's. */
export function monthBounds(month: string): { from: number; to: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new RangeError(`${JSON.stringify(month)} is not a month (YYYY-MM)`);
  const [y, mo] = [Number(m[1]), Number(m[2])];
  return { from: Date.UTC(y, mo - 1, 1) - CST_OFFSET_MS, to: Date.UTC(y, mo, 1) - CST_OFFSET_MS };
}

/** A quarter 'YYYYQn' as instants [from, to) in China Standard Time, with its months and dates. */
export function quarterBounds(quarter: string): {
  from: number;
  to: number;
  months: string[];
  firstDay: string;
  nextFirstDay: string;
} {
  const m = /^(\d{4})Q([1-4])$/.exec(quarter);
  if (!m) throw new RangeError(`${JSON.stringify(quarter)} is not a quarter (YYYYQn)`);
  const [y, q] = [Number(m[1]), Number(m[2])];
  const first = (q - 1) * 3; // 0-based month
  const months = [0, 1, 2].map((k) => `${y}-${String(first + k + 1).padStart(2, '0')}`);
  const next = q === 4 ? `${y + 1}-01-01` : `${y}-${String(first + 4).padStart(2, '0')}-01`;
  return {
    from: Date.UTC(y, first, 1) - CST_OFFSET_MS,
    to: Date.UTC(y, first + 3, 1) - CST_OFFSET_MS,
    months,
    firstDay: `${months[0]}-01`,
    nextFirstDay: next,
  };
}

/** Months counted from January of year 0: 'YYYY-MM' of the index, and back. */
const monthAt = (idx: number) => `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`;
const monthIndex = (month: string) => {
  monthBounds(month); // throws on a malformed month
  const [y, m] = month.split('-').map(Number) as [number, number];
  return y * 12 + (m - 1);
};

/** The month and the `n − 1` before it, oldest first. */
export function monthsEndingAt(month: string, n: number): string[] {
  const last = monthIndex(month);
  return Array.from({ length: n }, (_, k) => monthAt(last - (n - 1 - k)));
}

/** The last full month before `now` (China Standard Time): the bulletin that is current. */
export function latestFullMonth(now: number): string {
  const d = new Date(now + CST_OFFSET_MS);
  return monthAt(d.getUTCFullYear() * 12 + d.getUTCMonth() - 1);
}

/** The quarter before, and the one after unless it has not begun. */
export function quarterNav(quarter: string, now: number): { previous: string; next: string | null } {
  const [y, n] = [Number(quarter.slice(0, 4)), Number(quarter[5])];
  const previous = n === 1 ? `${y - 1}Q4` : `${y}Q${n - 1}`;
  const next = n === 4 ? `${y + 1}Q1` : `${y}Q${n + 1}`;
  return { previous, next: quarterBounds(next).from <= now && y < 2099 ? next : null };
}

/** The month before, and the one after unless it has not begun. */
export function monthNav(month: string, now: number): { previous: string; next: string | null } {
  const at = monthIndex(month);
  const next = monthAt(at + 1);
  return {
    previous: monthAt(at - 1),
    next: month < '2099-12' && monthBounds(next).from <= now ? next : null,
  };
}

/** The quarter a month 'YYYY-MM' is in. */
export const quarterOf = (month: string) =>
  `${month.slice(0, 4)}Q${Math.ceil(Number(month.slice(5, 7)) / 3)}`;

/** The last quarter that has ended before `now` (China time). */
export function latestFullQuarter(now: number): string {
  const d = new Date(now + CST_OFFSET_MS);
  const idx = d.getUTCFullYear() * 4 + Math.floor(d.getUTCMonth() / 3) - 1;
  return `${Math.floor(idx / 4)}Q${(idx % 4) + 1}`;
}
