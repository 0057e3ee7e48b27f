import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  findCalendarYear,
  listCalendarYears,
  listDepartments,
  loadCalendar,
  storeCalendarYear,
} from '../../db/reference';
import {
  CalendarYear,
  HolidayCnFile,
  missingNextYearNotice,
  validateCalendarYear,
} from '../../domain/calendar';
import { ApprovalItem, ApprovalTimeCommitment, Department, ProjectCategory } from '../../domain/catalog';
import { shippedCatalog } from '../../domain/catalog-data';
import { instantiatePlan, PlanItem } from '../../domain/plan';
import type { App, AppDeps } from '../app';
import { auditWithAnswer } from '../audit';
import { apiKeySecurity, authResponses, requireRole } from '../auth/middleware';
import { actorOf } from '../auth/permissions';
import { type FieldError, notFound, ProblemError, ProblemType, problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotencyResponses, idempotent } from '../idempotency';
import { jsonResponse } from '../openapi-shapes';
import { sendToRunningProjects } from '../temporal';

/**
 * Reference data: the approval catalog (点菜单), its templates, the departments, and the working-day
 * calendars. Any key reads them (the paths are in AUTHENTICATED_PATHS); operators publish a calendar year,
 * which every running project then receives so its deadlines move (calendarPublishedSignal).
 */

const unavailable = problemResponse('PostgreSQL (or Temporal) cannot be reached. Sent with Retry-After.');
const readResponses = { 401: authResponses[401], 503: unavailable } as const;

// --- Catalog, templates, departments ----------------------------------------------------------------

const CatalogItem = ApprovalItem.extend({
  estimated: z
    .boolean()
    .describe('True when the legal or the committed limit is our estimate (see each `estimate`)'),
}).meta({ id: 'CatalogItem', description: 'An approval item of the menu, with its time limits' });

const CatalogAnswer = z
  .object({
    version: z.string(),
    approvalTimeCommitment: ApprovalTimeCommitment.describe(
      "The city's promise for a project's whole approval time (审批用时), in working days, per category",
    ),
    departments: z.array(Department),
    items: z.array(CatalogItem),
  })
  .meta({ id: 'Catalog', description: 'The approval menu new projects are planned from' });

const TemplateSummary = z.object({
  id: z.string(),
  nameZh: z.string(),
  nameEn: z.string(),
  category: ProjectCategory,
  items: z.number().int().describe('How many catalog items the template starts with'),
});

const TemplateDetail = TemplateSummary.omit({ items: true })
  .extend({
    catalogVersion: z.string(),
    items: z
      .array(PlanItem)
      .describe("Each item as a project would start with it: the template's prerequisites and limits"),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'TemplateDetail' });

const DepartmentRow = Department.extend({
  items: z.number().int().describe('Catalog items this department decides'),
});

const catalogRoute = createRoute({
  method: 'get',
  path: '/catalog',
  tags: ['reference'],
  summary: 'The approval catalog: version, departments, items with legal and committed limits',
  description: 'Limits flagged `estimate: true` are our reading of local practice, not a published figure.',
  security: apiKeySecurity,
  responses: { 200: jsonResponse(CatalogAnswer, 'The catalog'), 401: authResponses[401] },
});

const templatesRoute = createRoute({
  method: 'get',
  path: '/templates',
  tags: ['reference'],
  summary: 'The project templates a secretary registers from',
  security: apiKeySecurity,
  responses: {
    200: jsonResponse(z.object({ templates: z.array(TemplateSummary) }), 'Every template'),
    401: authResponses[401],
  },
});

const TemplateParam = z.object({
  id: z.string().min(1).max(48).describe('A template id, e.g. gov-building'),
});

const templateRoute = createRoute({
  method: 'get',
  path: '/templates/{id}',
  tags: ['reference'],
  summary: "A template's items with their prerequisites and limits",
  security: apiKeySecurity,
  request: { params: TemplateParam },
  responses: {
    200: jsonResponse(TemplateDetail, 'The template as a plan would start'),
    401: authResponses[401],
    404: problemResponse('No template with this id'),
    422: problemResponse('The id is malformed'),
  },
});

const departmentsRoute = createRoute({
  method: 'get',
  path: '/departments',
  tags: ['reference'],
  summary: 'The departments (and utilities) that decide approval items',
  security: apiKeySecurity,
  responses: {
    200: jsonResponse(z.object({ departments: z.array(DepartmentRow) }), 'Every department, by code'),
    ...readResponses,
  },
});

// --- Calendars --------------------------------------------------------------------------------------

/** The PUT body: a holiday-cn file, strict. The example is illustrative, not the State Council's notice. */
export const CalendarYearBody = HolidayCnFile.meta({
  id: 'CalendarYear',
  example: {
    year: 2027,
    papers: [],
    days: [
      { name: '元旦', date: '2027-01-01', isOffDay: true },
      { name: '春节', date: '2027-02-08', isOffDay: true },
      { name: '春节', date: '2027-02-20', isOffDay: false },
    ],
  },
});

const CalendarMeta = {
  source: z.string().describe('Where the data came from: a file, a URL, or who published it'),
  loadedAt: z.iso.datetime(),
  loadedBy: z.string().describe('`seed`, or the person (or key) who published it'),
};

const CalendarSummary = z.object({
  year: z.number().int(),
  published: z.boolean().describe('False while the notice lists no days (not yet published)'),
  offDays: z.number().int().describe('Statutory days off (法定节假日)'),
  makeUpWorkdays: z.number().int().describe('Weekend make-up workdays (调休上班)'),
  ...CalendarMeta,
});

const StoredCalendar = CalendarYear.extend(CalendarMeta).meta({ id: 'StoredCalendarYear' });

const Published = z
  .object({
    year: z.number().int(),
    days: z.number().int().describe('Entries in the published year'),
    signalled: z.number().int().describe('Running projects that were sent the year'),
  })
  .meta({ id: 'PublishedCalendar', example: { year: 2027, days: 3, signalled: 12 } });

const YearParam = z.object({ year: z.coerce.number().int().min(1001).max(9999).describe('e.g. 2027') });

const calendarsRoute = createRoute({
  method: 'get',
  path: '/calendars',
  tags: ['reference'],
  summary: 'The working-day calendar years loaded, with their source and when they were loaded',
  security: apiKeySecurity,
  responses: {
    200: jsonResponse(
      z.object({
        calendars: z.array(CalendarSummary),
        missingNotice: z
          .object({ year: z.number().int(), since: z.string() })
          .nullable()
          .describe(
            "From 1 November (China time): next year's holiday notice is not loaded yet, so every deadline reaching into it, or into this year's last week, is provisional. Null otherwise.",
          ),
      }),
      'Every year, ascending',
    ),
    ...readResponses,
  },
});

const calendarRoute = createRoute({
  method: 'get',
  path: '/calendars/{year}',
  tags: ['reference'],
  summary: "One year's statutory holidays and make-up workdays (holiday-cn shape)",
  security: apiKeySecurity,
  request: { params: YearParam },
  responses: {
    200: jsonResponse(StoredCalendar, 'The year as loaded'),
    ...readResponses,
    404: problemResponse('No calendar loaded for this year'),
    422: problemResponse('The year is not a four-digit year'),
  },
});

const publishRoute = createRoute({
  method: 'put',
  path: '/calendars/{year}',
  tags: ['reference'],
  summary: "Publish (or correct) a year's calendar; every running project's deadlines move with it",
  description:
    "Operators load the State Council's notice in the holiday-cn JSON shape. Every problem is listed " +
    '(dates outside the notice, a date twice, a make-up workday on a weekday, a year that differs from ' +
    "the path's). The year replaces any stored one, new projects start with it, and every running " +
    'project workflow on this task queue is sent it. Takes an Idempotency-Key like the POSTs: a retry ' +
    'with the same key replays the answer and signals no one twice.',
  security: apiKeySecurity,
  request: {
    params: YearParam,
    query: z.strictObject({
      source: z
        .string()
        .trim()
        .min(1)
        .max(500)
        .optional()
        .describe('Where the data came from (a URL, a file)'),
    }),
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: CalendarYearBody } } },
  },
  responses: {
    200: jsonResponse(Published, 'The year replaced the stored one and was sent to the running projects'),
    201: jsonResponse(Published, 'A year not loaded before; sent to the running projects'),
    ...authResponses,
    ...idempotencyResponses,
    422: problemResponse(
      'The calendar fails validation (every problem is listed), or the Idempotency-Key was used for another request',
    ),
    503: unavailable,
  },
});

// --- Handlers --------------------------------------------------------------------------------------

export function registerReferenceRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;
  const itemsByDepartment = new Map<string, number>();
  for (const i of shippedCatalog.items) {
    itemsByDepartment.set(i.department, (itemsByDepartment.get(i.department) ?? 0) + 1);
  }

  app.openapi(catalogRoute, (c) =>
    c.json(
      {
        version: shippedCatalog.version,
        approvalTimeCommitment: shippedCatalog.approvalTimeCommitment,
        departments: shippedCatalog.departments,
        items: shippedCatalog.items.map((i) => ({
          ...i,
          estimated: i.committedLimit.estimate || (i.legalLimit?.estimate ?? false),
        })),
      },
      200,
    ),
  );

  app.openapi(templatesRoute, (c) =>
    c.json(
      {
        templates: shippedCatalog.templates.map((t) => ({
          id: t.id,
          nameZh: t.nameZh,
          nameEn: t.nameEn,
          category: t.category,
          items: t.items.length,
        })),
      },
      200,
    ),
  );

  app.openapi(templateRoute, (c) => {
    const { id } = c.req.valid('param');
    const template = shippedCatalog.templates.find((t) => t.id === id);
    if (!template) throw notFound(`no template ${id}; GET /templates lists them`);
    // The untailored plan: exactly what registration starts from, prerequisites resolved.
    const plan = instantiatePlan(shippedCatalog, id);
    if (!plan.ok) throw new Error(`template ${id} does not instantiate: ${plan.problems.join(' ')}`);
    const { items: _, ...head } = template;
    return c.json(
      { ...head, catalogVersion: shippedCatalog.version, items: plan.plan.items, warnings: plan.warnings },
      200,
    );
  });

  // From the table rather than the catalog: keys and queues name the departments stored there.
  app.openapi(departmentsRoute, async (c) => {
    const departments = (await listDepartments(db)).map((d) => ({
      ...d,
      items: itemsByDepartment.get(d.code) ?? 0,
    }));
    return c.json({ departments }, 200);
  });

  app.openapi(calendarsRoute, async (c) => {
    const calendars = (await listCalendarYears(db)).map(({ year, days, source, loadedAt, loadedBy }) => ({
      year,
      published: days.length > 0,
      offDays: days.filter((d) => d.isOffDay).length,
      makeUpWorkdays: days.filter((d) => !d.isOffDay).length,
      source,
      loadedAt,
      loadedBy,
    }));
    const missing = missingNextYearNotice(await loadCalendar(db), Date.now());
    const missingNotice = missing === null ? null : { year: missing, since: `${missing - 1}-11-01` };
    return c.json({ calendars, missingNotice }, 200);
  });

  app.openapi(calendarRoute, async (c) => {
    const { year } = c.req.valid('param');
    const stored = await findCalendarYear(db, year);
    if (!stored)
      throw notFound(`no calendar loaded for ${year}; an operator publishes it with PUT /calendars/${year}`);
    return c.json(stored, 200);
  });

  // Authorization before idempotency: a refused request must not become the key's stored answer.
  const publishMiddleware = [requireRole('operator'), idempotent(db)] as const;
  app.openapi({ ...publishRoute, middleware: [...publishMiddleware] }, async (c) => {
    const { year } = c.req.valid('param');
    const { source } = c.req.valid('query');
    const body = c.req.valid('json');
    const checked = validateCalendarYear(body);
    const problems = checked.ok ? [] : checked.problems;
    const errors: FieldError[] = problems.map(toFieldError);
    if (body.year !== year) {
      const message = `the body is the ${body.year} calendar but the path names ${year}`;
      problems.push(`year: ${message}.`);
      errors.push({ in: 'body', path: 'year', message, code: 'year_mismatch' });
    }
    if (!checked.ok || errors.length > 0) {
      throw new ProblemError({
        status: 422,
        type: ProblemType.validation,
        title: 'The calendar year is not valid',
        detail: problems.join(' '),
        errors,
      });
    }
    const principal = c.get('principal');
    const loadedBy = actorOf(principal).id ?? `key-${principal.keyId}`;
    // Stored before signalling: a project registered from now on reads it at registration, and one that
    // is running gets it below. A retry after a failure stores and signals again, which is harmless: the
    // workflow replaces the year whole.
    const stored = await storeCalendarYear(db, {
      year,
      data: checked.year,
      source: source ?? `PUT /calendars/${year}`,
      loadedBy,
    });
    const signalled = await sendToRunningProjects(
      { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue },
      checked.year,
    );
    const answer = { year, days: checked.year.days.length, signalled };
    auditWithAnswer(c, {
      projectCode: null,
      action: 'calendar.publish',
      subject: String(year),
      body: { ...checked.year, source: source ?? null },
      result: answer,
    });
    return c.json(answer, stored.inserted ? 201 : 200);
  });
}

// --- Helpers ---------------------------------------------------------------------------------------

/** `days[3]: 2027-03-03 is listed twice …` → a field error on `days.3`. */
function toFieldError(problem: string): FieldError {
  const m = /^([A-Za-z]\w*(?:\[\d+\]|\.\w+)*): /.exec(problem);
  const path = m ? m[1]!.replace(/\[(\d+)\]/g, '.$1') : '';
  return { in: 'body', path, message: problem, code: 'calendar' };
}
