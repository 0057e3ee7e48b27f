import type { Context } from 'hono';
import { listAssessmentRules } from '../db/assessment-rules';
import { loadCardsFired, loadDepartmentCards, loadProblemsOfPeriod } from '../db/bulletin';
import type { Db } from '../db/connect';
import { loadItems } from '../db/read-model';
import { listDepartments } from '../db/reference';
import { loadReturnVisitsBetween } from '../db/service';
import { type Assessment, assessQuarter, rulesForQuarter } from '../domain/assessment';
import { type Bulletin, defaultRepeatedDelayRule, monthlyBulletin } from '../domain/bulletin';
import { toCsv } from '../domain/csv';
import { monthBounds, monthsEndingAt, quarterBounds } from '../domain/periods';
import type { Principal } from './auth/principal';
import { assessmentColumns, assessmentDocument, bulletinDocument } from './bulletin-documents';
import { monthlyDepartmentRows, monthlyService } from './monthly-figures';
import { officialDocx } from './official-docx';
import { bulletinPdf } from './ui/bulletin';

/**
 * Loading the bulletin and the assessment, for the API (api/routes/bulletin.ts) and the dashboard
 * (api/routes/ui-reports.ts) alike. The bulletin's department rows and service summary are the monthly
 * report's (api/monthly-figures.ts); the repeated-delay rule reads the same report for the months before.
 */

export async function loadBulletin(db: Db, month: string, now: number): Promise<Bulletin> {
  const rule = defaultRepeatedDelayRule;
  const months = monthsEndingAt(month, rule.months);
  const { from, to } = monthBounds(month);
  const cutoff = Math.min(to, now);
  const [rows, service, cards, problems] = await Promise.all([
    Promise.all(months.map((m) => monthlyDepartmentRows(db, m, now))),
    monthlyService(db, month),
    loadCardsFired(db, from, cutoff),
    loadProblemsOfPeriod(db, from, cutoff),
  ]);
  const window = new Map(months.map((m, i) => [m, rows[i]!]));
  return monthlyBulletin({
    month,
    now,
    departments: window.get(month)!,
    window,
    service,
    cards,
    problems,
    rule,
  });
}

async function loadAssessment(db: Db, quarter: string, now: number): Promise<Assessment> {
  const q = quarterBounds(quarter);
  const to = Math.min(q.to, now);
  const [items, cards, visits, departments, editions] = await Promise.all([
    loadItems(db, { activeBetween: { from: q.from, to } }),
    loadDepartmentCards(db, q.from, to),
    loadReturnVisitsBetween(db, q.firstDay, q.nextFirstDay),
    listDepartments(db),
    listAssessmentRules(db),
  ]);
  // The published edition in force for the quarter, or the shipped default (without its publication).
  const rules = rulesForQuarter(
    editions.map(({ publishedAt: _a, publishedBy: _b, ...r }) => r),
    quarter,
  );
  const stageItems = await loadItems(db, { projectCodes: [...new Set(visits.map((v) => v.projectCode))] });
  return assessQuarter({
    quarter,
    rules,
    now,
    items,
    cards,
    visits,
    stageItems,
    departments,
  });
}

/** A download: an ASCII filename for old clients, the Chinese one (RFC 6266 filename*) for the rest. */
export function download(
  c: Context,
  body: Uint8Array | string,
  type: string,
  asciiName: string,
  name: string,
) {
  return c.body(typeof body === 'string' ? body : new Uint8Array(body), 200, {
    'Content-Type': type,
    'Content-Disposition': `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(name)}`,
  });
}

export const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The assessment as `p` may see it: every row, or a department's own (ranked among all). */
export async function assessmentFor(db: Db, p: Principal, quarter: string, now: number): Promise<Assessment> {
  const a = await loadAssessment(db, quarter, now);
  return p.role === 'department'
    ? { ...a, departments: a.departments.filter((r) => r.department === p.department) }
    : a;
}

/** The bulletin as a download: a Word document in the official layout, or the dashboard page as a PDF. */
export async function bulletinFile(c: Context, b: Bulletin, format: 'docx' | 'pdf'): Promise<Response> {
  const [ascii, zh] = [`bulletin-${b.month}.${format}`, `督查通报-${b.month}.${format}`];
  return format === 'docx'
    ? download(c, await officialDocx(bulletinDocument(b)), DOCX, ascii, zh)
    : download(c, await bulletinPdf(b), 'application/pdf', ascii, zh);
}

/** The assessment as a download: CSV, or a Word document in the official layout; `asOf` is printed on it. */
export async function assessmentFile(
  c: Context,
  a: Assessment,
  format: 'csv' | 'docx',
  asOf: string,
): Promise<Response> {
  const [ascii, zh] = [`assessment-${a.quarter}.${format}`, `季度考核-${a.quarter}.${format}`];
  return format === 'csv'
    ? download(c, toCsv(assessmentColumns, a.departments), 'text/csv; charset=utf-8', ascii, zh)
    : download(c, await officialDocx(assessmentDocument(a, asOf)), DOCX, ascii, zh);
}
