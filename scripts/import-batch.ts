import { parse } from 'csv-parse/sync';

/**
 * A batch of projects to bring in (`npm run import`), read from the files a service centre keeps: a JSON
 * array of POST /projects/import bodies, or spreadsheets saved as CSV (UTF-8, with or without BOM):
 *
 * - projects.csv: code, name, templateId, leader, secretary, registeredOn, targetStart, waive (item codes
 *   separated by ; or ；)
 * - history.csv: code, on, item, action, documentNo, missing (separated by ; or ；), reason, note, period,
 *   commitmentRef — one decision a row, in the order they happened
 * - problems.csv (optional): code, raisedOn, title, description, ownerDepartment, ownerPerson, deadline,
 *   blocksItem, solution
 *
 * Empty cells are absent fields. This module only shapes the bodies; the API checks them (zod and the
 * live rules), so a batch has one set of rules, the same as a single import.
 */

export type ImportBody = Record<string, unknown> & { code: string };

type Row = Record<string, string>;

function rows(text: string, file: string, required: readonly string[]): Row[] {
  const records = parse(text, { bom: true, columns: true, skip_empty_lines: true, trim: true }) as Row[];
  const header = records[0] ? Object.keys(records[0]) : [];
  const missing = required.filter((c) => !header.includes(c));
  if (records.length > 0 && missing.length > 0) {
    throw new Error(`${file}: missing column(s) ${missing.join(', ')}`);
  }
  return records;
}

/** The row's non-empty cells among `columns`. */
function cells(row: Row, columns: readonly string[]): Record<string, string> {
  return Object.fromEntries(columns.filter((c) => row[c]).map((c) => [c, row[c]!]));
}

const list = (cell: string | undefined) =>
  (cell ?? '')
    .split(/[;；]/)
    .map((s) => s.trim())
    .filter(Boolean);

const DECISION_FIELDS = ['documentNo', 'reason', 'note', 'period', 'commitmentRef'] as const;
const PROBLEM_FIELDS = [
  'raisedOn',
  'title',
  'description',
  'ownerDepartment',
  'ownerPerson',
  'deadline',
  'blocksItem',
  'solution',
] as const;

/** The bodies of a CSV batch, one per row of projects.csv, with their history and problems attached. */
export function bodiesFromCsv(files: { projects: string; history: string; problems?: string }): ImportBody[] {
  const projects = rows(files.projects, 'projects.csv', [
    'code',
    'name',
    'templateId',
    'leader',
    'secretary',
    'registeredOn',
  ]);
  const history = rows(files.history, 'history.csv', ['code', 'on', 'item', 'action']);
  const problems = files.problems
    ? rows(files.problems, 'problems.csv', ['code', 'raisedOn', 'title', 'description'])
    : [];
  const codes = new Set(projects.map((p) => p.code));
  for (const [file, list] of [
    ['history.csv', history],
    ['problems.csv', problems],
  ] as const) {
    const stray = list.find((r) => !codes.has(r.code!));
    if (stray) throw new Error(`${file}: project ${stray.code} is not in projects.csv`);
  }
  return projects.map((p) => {
    const waive = list(p.waive);
    return {
      ...cells(p, ['code', 'name', 'templateId', 'leader', 'secretary', 'registeredOn', 'targetStart']),
      code: p.code!,
      ...(waive.length > 0 ? { tailoring: { waive } } : {}),
      history: history
        .filter((h) => h.code === p.code)
        .map((h) => {
          const missing = list(h.missing);
          return {
            on: h.on,
            item: h.item,
            decision: {
              action: h.action,
              ...cells(h, DECISION_FIELDS),
              ...(missing.length > 0 ? { missing } : {}),
              ...(h.period && h.expectedDays ? { expectedDays: Number(h.expectedDays) } : {}),
            },
          };
        }),
      problems: problems.filter((r) => r.code === p.code).map((r) => cells(r, PROBLEM_FIELDS)),
    };
  });
}

/** The bodies of a JSON batch: an array of import bodies (or one body). */
export function bodiesFromJson(text: string): ImportBody[] {
  const value: unknown = JSON.parse(text);
  const list = Array.isArray(value) ? value : [value];
  return list.map((b, i) => {
    if (typeof b !== 'object' || b === null || typeof (b as { code?: unknown }).code !== 'string') {
      throw new Error(`entry ${i} is not a project body with a code`);
    }
    return b as ImportBody;
  });
}
