import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { makeCalendar } from '../../domain/calendar';
import { shippedCatalog } from '../../domain/catalog-data';
import { ImportedDecision, ImportedProblem, importProject } from '../../domain/import';
import { baselineFrom, PersonId, ProjectProfile, type ProjectState } from '../../domain/project';
import { schedulePlan } from '../../domain/schedule';
import type { App, AppDeps } from '../app';
import { auditWithAnswer } from '../audit';
import { requireRole } from '../auth/middleware';
import { requireInDirectory } from '../directory';
import { ProblemError, ProblemType, problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotent } from '../idempotency';
import { jsonResponse } from '../openapi-shapes';
import { requireCodeFree, startImportedProject } from '../temporal';
import { PlanningDate, Registered, RegisterProject, scheduleAnswer } from './project-bodies';
import { planToRegister, rememberAccess } from './registration';

/**
 * Bringing in a project the centre already serves (存量项目导入), with its history: operators only. The
 * whole body is checked before anything starts (the plan, the people, every fact replayed through the
 * live rules, domain/import.ts); a refused fact is a 422 naming its row and rule. `?dryRun=true`
 * answers the same without starting anything, for a batch that must be valid as a whole first
 * (`npm run import`).
 */

export const ImportProjectBody = RegisterProject.omit({ start: true, secretary: true })
  .extend({
    secretary: PersonId.describe('The project secretary'),
    registeredOn: PlanningDate.describe(
      'When the centre registered the project (the plan is measured from it)',
    ),
    history: z
      .array(ImportedDecision)
      .max(2000)
      .default([])
      .describe('Decisions already taken, each on its date; one day keeps the order given'),
    problems: z.array(ImportedProblem).max(200).default([]).describe('Problems still open'),
  })
  .meta({
    id: 'ImportProject',
    example: {
      code: 'PRJ-2026-007',
      name: '市第一人民医院新院区',
      templateId: 'gov-building',
      leader: 'leader-li',
      secretary: 'sec-wang',
      registeredOn: '2026-09-01',
      history: [
        { on: '2026-09-02', item: 'PROJECT-PROPOSAL', decision: { action: 'submit' } },
        { on: '2026-09-03', item: 'PROJECT-PROPOSAL', decision: { action: 'accept' } },
        {
          on: '2026-09-10',
          item: 'PROJECT-PROPOSAL',
          decision: { action: 'approve', documentNo: '发改审批〔2026〕88号' },
        },
      ],
      problems: [],
    },
  });

const Imported = Registered.extend({
  workflowId: z.string().nullable().describe('Null on a dry run: nothing was started'),
  dryRun: z.boolean(),
  registeredOn: z.string(),
  facts: z.number().int().describe('Decisions and problems replayed'),
  statuses: z.record(z.string(), z.number().int()).describe('Items per status after the history'),
  escalatesAtOnce: z
    .array(
      z.object({
        subject: z.string(),
        rung: z.string(),
        rungAt: z.string().describe('When the rung fell due'),
        department: z.string().optional(),
      }),
    )
    .describe('Rungs of open items and problems already late: they fire as the workflow starts'),
});

const importRoute = createRoute({
  method: 'post',
  path: '/projects/import',
  tags: ['projects'],
  summary: 'Bring in a project already under way, with its history (operators)',
  request: {
    headers: IdempotencyKeyHeader,
    query: z.strictObject({
      dryRun: z.enum(['true', 'false']).optional().describe('Check and answer; start nothing'),
    }),
    body: { required: true, content: { 'application/json': { schema: ImportProjectBody } } },
  },
  responses: {
    201: jsonResponse(Imported, 'Imported; the workflow runs from the state its history left'),
    200: jsonResponse(Imported, 'Dry run: the import would succeed with this answer'),
    403: problemResponse('Only operators import projects'),
    409: problemResponse('A project with this code exists (it was registered or imported before)'),
    413: problemResponse('The body is larger than 4 MiB'),
    422: problemResponse(
      'The body, the plan or a fact of the history is invalid; the row and rule are named',
    ),
  },
});

export function registerProjectImportRoutes(app: App, deps: AppDeps): void {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  app.use('/projects/import', requireRole('operator'), idempotent(deps.db));

  app.openapi(importRoute, async (c) => {
    const body = c.req.valid('json');
    const dryRun = c.req.valid('query').dryRun === 'true';
    await requireInDirectory(deps.db, [
      { field: 'secretary', person: body.secretary, role: 'secretary' },
      { field: 'leader', person: body.leader, role: 'leader' },
    ]);
    const { category, plan, warnings, calendarYears, rules } = await planToRegister(deps.db, body);
    const schedule = schedulePlan(plan, makeCalendar(calendarYears), {
      start: body.registeredOn,
      targetStart: body.targetStart,
    });
    const profile = ProjectProfile.parse({
      code: body.code,
      name: body.name,
      category,
      secretary: body.secretary,
      leader: body.leader,
      targetStart: body.targetStart,
    });
    const outcome = importProject(
      {
        profile,
        plan,
        calendarYears,
        baseline: baselineFrom(schedule),
        ...rules,
        registeredOn: body.registeredOn,
        history: body.history,
        problems: body.problems,
        departments: new Set(shippedCatalog.departments.map((d) => d.code)),
      },
      Date.now(),
    );
    if (!outcome.ok) throw historyProblem(outcome.refusals);
    if (dryRun) await requireCodeFree(temporal, profile.code);
    const started = dryRun ? null : await startImportedProject(temporal, outcome.state);
    if (started) {
      rememberAccess(deps, profile, plan);
    }
    const answer = {
      code: profile.code,
      workflowId: started?.workflowId ?? null,
      dryRun,
      registeredOn: body.registeredOn,
      items: plan.items.length,
      warnings,
      facts: outcome.facts,
      statuses: statusCounts(outcome.state),
      escalatesAtOnce: outcome.escalatesAtOnce,
      schedule: scheduleAnswer(schedule, profile.category),
    };
    if (dryRun) return c.json(answer, 200);
    auditWithAnswer(c, {
      projectCode: profile.code,
      action: 'project.import',
      subject: profile.code,
      body,
      result: answer,
    });
    return c.json(answer, 201);
  });
}

function statusCounts(state: ProjectState): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of Object.values(state.items)) counts[item.status] = (counts[item.status] ?? 0) + 1;
  return counts;
}

/** The history breaks a rule: each refused fact as a field error at its row. */
function historyProblem(refusals: readonly { path: string; message: string }[]): ProblemError {
  return new ProblemError({
    status: 422,
    type: ProblemType.validation,
    title: "The project's history breaks a rule",
    detail: refusals.map((r) => `${r.path}: ${r.message}`).join('; '),
    errors: refusals.map((r) => ({ in: 'body', path: r.path, message: r.message, code: 'history' })),
  });
}
