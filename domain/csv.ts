/**
 * CSV downloads (RFC 4180) that Excel opens correctly with Chinese text.
 *
 * - Records end with CRLF, the last one too (RFC 4180 §2.1–2.2).
 * - A field is quoted when it holds a comma, a double quote, CR or LF, or begins or ends with a space;
 *   a quote inside is doubled (§2.5–2.7). Other fields go as they are.
 * - The text starts with a UTF-8 byte-order mark: without it Excel reads the file in the system's ANSI code
 *   page (GBK on a Chinese Windows) and garbles anything that GBK does not cover.
 * - A field that starts with = + - @ (or a tab or CR) would run as a formula when opened in a spreadsheet
 *   (CSV injection), and so would their fullwidth forms ＝ ＋ － ＠, which a Chinese input method types and
 *   spreadsheets read as the ASCII ones; it gets a leading apostrophe, which Excel shows as text. Numbers are not touched, so a
 *   negative number stays a number.
 */

export const BOM = '\uFEFF';

export type CsvValue = string | number | boolean | null | undefined;

/** A column: its header and how to read its value from a row. */
export type CsvColumn<T> = { header: string; value: (row: T) => CsvValue };

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** One field, escaped. null and undefined are empty; booleans are 是 / 否. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? '是' : '否';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The records as CSV text: BOM, header record, one record per row, each ending in CRLF. */
export function toCsv<T>(columns: readonly CsvColumn<T>[], rows: readonly T[]): string {
  const line = (fields: CsvValue[]) => `${fields.map(csvField).join(',')}\r\n`;
  let out = BOM + line(columns.map((c) => c.header));
  for (const row of rows) out += line(columns.map((c) => c.value(row)));
  return out;
}
