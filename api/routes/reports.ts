import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import {
  loadItems,
  loadLedgerProject,
  loadProjects,
  loadProjectsOfMonth,
  type ReportScope,
} from '../../db/read-model';
import { loadCalendar } from '../../db/reference';
import { annualPlan } from '../../domain/annual-plan';
import { approvalTimeAsOf } from '../../domain/approval-time';
import { DepartmentCode } from '../../domain/catalog';
import { toCsv } from '../../domain/csv';
import { monthBounds } from '../../domain/periods';
import { PersonId } from '../../domain/project';
import { ledgerApprovalTime, projectLedger, returnsLedger } from '../../domain/reports';
import { leaderProjects } from '../../domain/standing';
import { projectAccess } from '../access';
import type { App, AppDeps } from '../app';
import { authResponses } from '../auth/middleware';
import { canReadProject, forbidden, isAdministrator } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { requireInDirectory } from '../directory';
import { problemResponse } from '../http-problem';
import { monthlyDepartmentRows, monthlyService } from '../monthly-figures';
import { ProjectApprovalTime, ProjectCodeParam } from '../openapi-shapes';
import { awaitReadModel } from '../read-your-writes';
import {
  annualColumns,
  leaderColumns,
  ledgerColumns,
  monthlyColumns,
  oneTripColumns,
  returnsColumns,
} from '../report-csv';
import {
  AnnualDepartment,
  AnnualLine,
  DepartmentMonth,
  Item,
  LeaderProject,
  LedgerLine,
  OneTripRate,
  Project,
  ServiceMonth,
} from './report-shapes';

/**
 * Ledgers and reports (台账, 月度通报), as JSON or as CSV for Excel (`?format=csv`, or `Accept: text/csv`;
 * Chinese headers). Figures and rules: domain/reports.ts. Every figure is in working days on the calendar
 * the workflow uses (calendar_years).
 *
 * Who sees what (operators and admins: everything; otherwise):
 * | report                            | department                 | secretary        | leader           |
 * | --------------------------------- | -------------------------- | ---------------- | ---------------- |
 * | project ledger                    | – (works from its queue)   | its projects     | its projects     |
 * | department monthly report         | its own row (ranked among all) | –            | all rows (通报 goes to the city leaders) |
 * | a leader's projects               | –                          | –                | their own        |
 * | annual approval plan              | its own items              | its projects     | its projects     |
 * | returns ledger (一次办结率)         | its own items              | its projects     | its projects     |
 * A scope the caller may not see is never loaded: lists are filtered, a named project or leader that is
 * not the caller's is a 403.
 */

const Format = z
  .enum(['json', 'csv'])
  .optional()
  .describe(
    'csv: a download for Excel (UTF-8 with BOM, Chinese headers); default JSON, or CSV when Accept asks for text/csv',
  );

const ok = <T extends z.ZodType>(schema: T, description: string) => ({
  200: {
    description,
    content: { 'application/json': { schema }, 'text/csv': { schema: z.string() } },
  },
  ...authResponses,
  422: problemResponse('A malformed parameter; every failing field is listed'),
});

const ledger = createRoute({
  method: 'get',
  path: '/reports/projects/{code}/ledger',
  tags: ['reports'],
  summary:
    "A project's ledger (项目台账): every item, planned, due and actual, working days, returns, ladder level",
  request: { params: ProjectCodeParam, query: z.strictObject({ format: Format }) },
  responses: {
    ...ok(
      z.object({
        code: z.string(),
        asOf: z.string(),
        revision: z
          .number()
          .int()
          .nullable()
          .describe("The project workflow's revision the rows reflect (a decision's answer names its own)"),
        upToDate: z
          .boolean()
          .nullable()
          .describe(
            'true: every change the project held when asked is in the rows (the ledger waits up to 3 s for it, so a decision just answered shows); false: the read model lags (an outage) and the rows are older; null: the workflow could not be asked',
          ),
        approvalTime: ProjectApprovalTime.nullable(),
        items: z.array(LedgerLine),
      }),
      'The ledger; items taken out of the plan are listed with status withdrawn (已取消)',
    ),
    404: problemResponse('No such project'),
  },
});

const monthly = createRoute({
  method: 'get',
  path: '/reports/departments/monthly',
  tags: ['reports'],
  summary:
    'The department monthly report (月度通报): handled, on-time rate, mean and p90 working days, overdue, points, ranking',
  description:
    'Handled: items approved, approved on commitment or rejected in the month (CST). On time: decided at or before the end of the due day. Overdue: open and past due at the month end (now, for the current month), plus items decided late in the month. p90: nearest rank. Points: lost to date across all projects. Urgings: times the department was urged (催办) on an item in the month, over every project. Ranking: on-time rate, highest first (no items handled: last), then points, fewest first; ties share a rank. service: the month’s service-log contacts by type and return visits with their mean satisfaction, by the dates they were made, over every project.',
  request: {
    query: z.strictObject({
      // 2000–2099, as the annual plan's years: Date.UTC reads years 0–99 as 1900–1999, and PostgreSQL
      // has no year 0 (month=0000-01 from schemathesis).
      month: z.string().regex(/^20\d{2}-(0[1-9]|1[0-2])$/, 'a month is YYYY-MM, 2000–2099'),
      format: Format,
    }),
  },
  responses: ok(
    z.object({
      month: z.string(),
      asOf: z.string(),
      departments: z.array(DepartmentMonth),
      service: ServiceMonth,
      approvalTime: z
        .array(
          ProjectApprovalTime.omit({ planned: true }).extend({
            code: z.string(),
            name: z.string(),
            plannedCountedDays: z.number().int().nullable(),
          }),
        )
        .describe(
          "Each project running in the month: its approval time (审批用时) and elapsed time at the month's end (now, for the current month), the plan's approval days and the commitment; most approval time first",
        ),
    }),
    'One row per department, in rank order, and the service summary (the CSV has the department rows)',
  ),
});

const leader = createRoute({
  method: 'get',
  path: '/reports/leaders/{leader}/projects',
  tags: ['reports'],
  summary: "A leader's projects with their colour (红黄绿灯)",
  description:
    'red: an open item or problem at the red card or beyond (escalation level ≥ 3), or an open item not yet accepted past its latest start (the target start is no longer feasible); yellow: a yellow card (level 2) or any item overdue; green otherwise. Red first.',
  request: { params: z.object({ leader: PersonId }), query: z.strictObject({ format: Format }) },
  responses: ok(
    z.object({ leader: z.string(), asOf: z.string(), projects: z.array(LeaderProject) }),
    'The projects',
  ),
});

const annual = createRoute({
  method: 'get',
  path: '/reports/annual-plan',
  tags: ['reports'],
  summary:
    'The annual approval plan (年度审批计划): items planned to start or finish in the year, with their status',
  request: { query: z.strictObject({ year: z.coerce.number().int().min(2000).max(2100), format: Format }) },
  responses: ok(
    z.object({
      year: z.number().int(),
      asOf: z.string(),
      projects: z.array(Project.extend({ items: z.array(AnnualLine) })),
      departments: z.array(AnnualDepartment),
    }),
    'Per project and per department; the CSV has one row per item',
  ),
});

const returns = createRoute({
  method: 'get',
  path: '/reports/returns',
  tags: ['reports'],
  summary:
    'Items not done in one trip (一次办结率): returned for correction more than once, and each department’s one-trip rate',
  request: {
    query: z.strictObject({
      department: DepartmentCode.optional().describe('A department of the directory (GET /departments)'),
      table: z
        .enum(['items', 'departments'])
        .optional()
        .describe('Which table the CSV holds (default items)'),
      format: Format,
    }),
  },
  responses: ok(
    z.object({ items: z.array(Item.extend({ projectName: z.string() })), departments: z.array(OneTripRate) }),
    'Items returned more than once, most returns first; per department, the share decided without any return',
  ),
});

export function registerReportRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;

  app.openapi(ledger, async (c) => {
    const { code } = c.req.valid('param');
    const access = await projectAccess(deps, code); // 404 for an unknown project
    if (!canReadProject(c.get('principal'), access)) throw forbidden(`project ${code} is not one of yours`);
    // Read your own write: a decision answered a moment ago is in the rows (api/read-your-writes.ts).
    const freshness = await awaitReadModel(deps, code);
    const [calendar, items, project] = await Promise.all([
      loadCalendar(db),
      loadItems(db, { projectCode: code, withWithdrawn: true }),
      loadLedgerProject(db, code),
    ]);
    const now = Date.now();
    const lines = projectLedger(items, calendar, now);
    if (wantsCsv(c, c.req.valid('query').format)) {
      return csv(c, `ledger-${code}.csv`, `项目台账-${code}.csv`, toCsv(ledgerColumns, lines));
    }
    // Null for the moment between registration and the read model's first write.
    const approvalTime = project ? ledgerApprovalTime(project, items, calendar, now) : null;
    return c.json({ code, asOf: new Date(now).toISOString(), ...freshness, approvalTime, items: lines }, 200);
  });

  app.openapi(monthly, async (c) => {
    const { month, format } = c.req.valid('query');
    const p = c.get('principal');
    if (p.role === 'secretary')
      throw forbidden('the monthly report is for departments, leaders and operators');
    const now = Date.now();
    // Ranked among all departments, then cut to the caller's own row: a department sees where it stands.
    const rows = (await monthlyDepartmentRows(db, month, now)).filter(
      (r) => p.role !== 'department' || r.department === p.department,
    );
    if (wantsCsv(c, format)) {
      return csv(c, `departments-${month}.csv`, `部门月度通报-${month}.csv`, toCsv(monthlyColumns, rows));
    }
    const bounds = monthBounds(month);
    const [service, projects, calendar] = await Promise.all([
      monthlyService(db, month),
      loadProjectsOfMonth(db, bounds),
      loadCalendar(db),
    ]);
    const projectItems = await loadItems(db, { projectCodes: projects.map((x) => x.code) });
    const approvalTime = approvalTimeAsOf(
      projects.map((x) => ({
        ...x,
        plannedCountedDays: x.plannedDays?.counted ?? null,
        items: projectItems.filter((i) => i.projectCode === x.code).map((i) => ({ ...i, code: i.itemCode })),
      })),
      calendar,
      Math.min(bounds.to, now),
    );
    return c.json(
      { month, asOf: new Date(now).toISOString(), departments: rows, service, approvalTime },
      200,
    );
  });

  app.openapi(leader, async (c) => {
    const { leader: who } = c.req.valid('param');
    const p = c.get('principal');
    if (!isAdministrator(p) && !(p.role === 'leader' && p.personId === who)) {
      throw forbidden(`only ${who} and operators see ${who}'s projects`);
    }
    const [calendar, projects, items] = await Promise.all([
      loadCalendar(db),
      loadProjects(db, { leader: who }),
      loadItems(db, { leader: who }),
    ]);
    const now = Date.now();
    const lines = leaderProjects(projects, items, calendar, now);
    if (wantsCsv(c, c.req.valid('query').format)) {
      return csv(c, `leader-${who}.csv`, `领导项目清单-${who}.csv`, toCsv(leaderColumns, lines));
    }
    return c.json({ leader: who, asOf: new Date(now).toISOString(), projects: lines }, 200);
  });

  app.openapi(annual, async (c) => {
    const { year, format } = c.req.valid('query');
    const scope = scopeOf(c.get('principal'));
    const [calendar, projects, items] = await Promise.all([
      loadCalendar(db),
      loadProjects(db, scope),
      loadItems(db, { ...scope, plannedInYear: year }),
    ]);
    const now = Date.now();
    const plan = annualPlan(year, projects, items, calendar, now);
    if (wantsCsv(c, format)) {
      const lines = plan.projects.flatMap((p) => p.items);
      return csv(c, `annual-plan-${year}.csv`, `年度审批计划-${year}.csv`, toCsv(annualColumns, lines));
    }
    return c.json({ year, asOf: new Date(now).toISOString(), ...plan }, 200);
  });

  app.openapi(returns, async (c) => {
    const { department, table, format } = c.req.valid('query');
    const p = c.get('principal');
    if (department !== undefined && p.role === 'department' && p.department !== department) {
      throw forbidden(`department ${p.department} sees its own returns, not ${department}'s`);
    }
    // A misspelt department would otherwise read as one with nothing returned.
    if (department !== undefined) {
      await requireInDirectory(db, [{ field: 'department', department }], 'query');
    }
    const scope = {
      ...scopeOf(p),
      ...(department !== undefined && p.role !== 'department' ? { department } : {}),
    };
    const [projects, items] = await Promise.all([loadProjects(db, scope), loadItems(db, scope)]);
    const ledgerOfReturns = returnsLedger(projects, items);
    if (wantsCsv(c, format)) {
      return table === 'departments'
        ? csv(c, 'one-trip-rates.csv', '一次办结率.csv', toCsv(oneTripColumns, ledgerOfReturns.departments))
        : csv(c, 'returns.csv', '多次补正事项台账.csv', toCsv(returnsColumns, ledgerOfReturns.items));
    }
    return c.json(ledgerOfReturns, 200);
  });
}

/** The rows a caller may see in lists: a department its items, a secretary or leader their projects. */
function scopeOf(p: Principal): ReportScope {
  if (isAdministrator(p)) return {};
  if (p.role === 'department') return { department: p.department ?? '' };
  if (p.role === 'secretary') return { secretary: p.personId ?? '' };
  return { leader: p.personId ?? '' };
}

function wantsCsv(c: Context, format: 'json' | 'csv' | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  return (c.req.header('accept') ?? '').toLowerCase().includes('text/csv');
}

/** A CSV download: an ASCII filename for old clients, the Chinese one (RFC 6266 filename*) for the rest. */
function csv(c: Context, asciiName: string, name: string, body: string) {
  return c.body(body, 200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(name)}`,
  });
}
