import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { auditTrail } from '../../db/audit';
import { listProjects } from '../../db/project-lists';
import { makeCalendar } from '../../domain/calendar';
import { baselineFrom, ProjectProfile } from '../../domain/project';
import { schedulePlan } from '../../domain/schedule';
import { pinProjectAccess, projectAccess } from '../access';
import type { App, AppDeps } from '../app';
import { AuditRow, auditWithAnswer } from '../audit';
import { requireRole } from '../auth/middleware';
import { canReadProject, canRegisterProject, forbidden } from '../auth/permissions';
import { requireInDirectory } from '../directory';
import { invalid, problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotent } from '../idempotency';
import { jsonResponse, ProjectCodeParam } from '../openapi-shapes';
import { applyPlanAmendmentAs, previewPlanAmendment } from '../plan-amend';
import { queryProject, reassignProject, startProject } from '../temporal';
import {
  AmendPlanBody,
  ProjectListQuery,
  ProjectRow,
  ReassignBody,
  Registered,
  RegisterProject,
  scheduleAnswer,
} from './project-bodies';
import { ProjectView, projectView } from './project-view';
import { planToRegister, rememberAccess } from './registration';

/** Projects: register (starts the workflow), list from the read model, the live state, reassignment. */

const register = createRoute({
  method: 'post',
  path: '/projects',
  tags: ['projects'],
  summary: 'Register a major project: tailor its plan from a template and start its workflow',
  request: {
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: RegisterProject } } },
  },
  responses: {
    201: jsonResponse(Registered, 'Registered; the workflow is running'),
    401: problemResponse('No valid key'),
    403: problemResponse('Only secretaries and operators register projects'),
    409: problemResponse('A project with this code exists'),
    422: problemResponse('The body or the tailored plan is invalid; every problem is listed'),
  },
});

const list = createRoute({
  method: 'get',
  path: '/projects',
  tags: ['projects'],
  summary: 'List projects (read model), filtered; each caller sees the projects they are on',
  request: { query: ProjectListQuery },
  responses: {
    200: jsonResponse(z.object({ projects: z.array(ProjectRow) }), 'Projects, most overdue first'),
  },
});

const get = createRoute({
  method: 'get',
  path: '/projects/{code}',
  tags: ['projects'],
  summary: "The project's live state, from its workflow",
  request: { params: ProjectCodeParam },
  responses: {
    200: jsonResponse(
      ProjectView,
      "The live plan state, with the China date beside every deadline and the project's approval time (审批用时) beside its elapsed time",
    ),
    403: problemResponse('Not one of your projects'),
    404: problemResponse('No such project'),
  },
});

const reassign = createRoute({
  method: 'post',
  path: '/projects/{code}/assignment',
  tags: ['projects'],
  summary: 'Reassign the project secretary or the responsible leader (operators)',
  request: {
    params: ProjectCodeParam,
    headers: IdempotencyKeyHeader,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: ReassignBody,
        },
      },
    },
  },
  responses: {
    200: jsonResponse(z.object({ secretary: z.string(), leader: z.string() }), 'The new assignment'),
    403: problemResponse('Only operators reassign'),
    404: problemResponse('No such project'),
  },
});

const AmendmentPreviewShape = z
  .object({
    dryRun: z.literal(true),
    added: z.array(z.string()),
    removed: z.array(z.string()),
    opened: z.array(z.string()),
    permitBefore: z.string().nullable().describe('Planned construction permit date now'),
    permitAfter: z.string().nullable().describe('Planned construction permit date after the amendment'),
    shifted: z.array(
      z.object({
        code: z.string(),
        nameZh: z.string(),
        before: z.string().nullable().describe('Planned finish now; null for an added item'),
        after: z.string().nullable().describe('Planned finish after; null for a withdrawn item'),
      }),
    ),
    warnings: z.array(z.string()),
  })
  .meta({ id: 'AmendmentPreview' });

const amend = createRoute({
  method: 'post',
  path: '/projects/{code}/plan',
  tags: ['projects'],
  summary: "Amend the project's plan: waive, add, re-time or re-chain items",
  description:
    "The project secretary (or an operator) tailors the running plan. Items the department holds or has finished keep their terms; every refusal is listed. With `?dryRun=true` nothing changes: the answer is a preview computed with the workflow's own amendment on a copy of its live state (items added, withdrawn and opened, the planned permit date before and after, the items whose planned finish moves); the workflow's refusal is the same 409.",
  request: {
    params: ProjectCodeParam,
    query: z.strictObject({
      dryRun: z
        .enum(['true', 'false'])
        .optional()
        .describe('Preview what the amendment would do; change nothing'),
    }),
    headers: IdempotencyKeyHeader,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: AmendPlanBody,
        },
      },
    },
  },
  responses: {
    200: jsonResponse(
      z.union([
        z.object({
          added: z.array(z.string()),
          removed: z.array(z.string()),
          opened: z.array(z.string()),
          revision: z.number().int(),
          warnings: z.array(z.string()),
        }),
        AmendmentPreviewShape,
      ]),
      'The plan was amended; with `?dryRun=true`, what the amendment would do',
    ),
    403: problemResponse('Not the secretary of this project'),
    404: problemResponse('No such project'),
    409: problemResponse('The workflow refused the amendment (an item it touches has moved on)'),
    422: problemResponse('The amended plan is invalid; every problem is listed'),
  },
});

const audit = createRoute({
  method: 'get',
  path: '/projects/{code}/audit',
  tags: ['projects'],
  summary: 'Every accepted action on the project: who, which key, when, from where, request id',
  request: { params: ProjectCodeParam },
  responses: {
    200: jsonResponse(z.object({ entries: z.array(AuditRow) }), 'The audit trail, oldest first'),
    403: problemResponse('Not one of your projects'),
    404: problemResponse('No such project'),
  },
});

export function registerProjectRoutes(app: App, deps: AppDeps): void {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  app.use('/projects', idempotent(deps.db));
  // Authorization before idempotency: a refused request must not become the key's stored answer.
  app.use('/projects/:code/assignment', requireRole('operator'), idempotent(deps.db));

  app.openapi(register, async (c) => {
    const principal = c.get('principal');
    const body = c.req.valid('json');
    const secretary = body.secretary ?? (principal.role === 'secretary' ? principal.personId : null);
    if (!canRegisterProject(principal, { secretary: secretary ?? '' })) {
      throw forbidden('only an operator, or the project secretary for their own project, registers projects');
    }
    if (!secretary) throw invalid('secretary', 'name the project secretary');
    await requireInDirectory(deps.db, [
      { field: 'secretary', person: secretary, role: 'secretary' },
      { field: 'leader', person: body.leader, role: 'leader' },
    ]);
    const { category, plan, warnings, calendarYears, rules } = await planToRegister(deps.db, body);
    const calendar = makeCalendar(calendarYears);
    const start = body.start ?? calendar.dateOf(Date.now());
    const schedule = schedulePlan(plan, calendar, { start, targetStart: body.targetStart });
    const profile = ProjectProfile.parse({
      code: body.code,
      name: body.name,
      category,
      secretary,
      leader: body.leader,
      targetStart: body.targetStart,
    });
    // One schedule: the one answered here is the one the project keeps.
    const started = await startProject(temporal, {
      profile,
      plan,
      calendarYears,
      baseline: baselineFrom(schedule),
      ...rules,
    });
    rememberAccess(deps, profile, plan);
    const answer = {
      code: profile.code,
      workflowId: started.workflowId,
      items: plan.items.length,
      warnings: [...warnings, ...pastStartWarning(start, calendar.dateOf(Date.now()))],
      schedule: scheduleAnswer(schedule, profile.category),
    };
    auditWithAnswer(c, {
      projectCode: profile.code,
      action: 'project.register',
      subject: profile.code,
      body,
      result: answer,
    });
    return c.json(answer, 201);
  });

  app.openapi(list, async (c) => {
    const principal = c.get('principal');
    const q = c.req.valid('query');
    // A department works from its queue (GET /departments/{department}/queue), not the project list.
    if (principal.role === 'department') return c.json({ projects: [] }, 200);
    const projects = await listProjects(deps.db, {
      category: q.category,
      stage: q.stage,
      leader: q.leader,
      secretary: q.secretary,
      overdue: q.overdue === 'true',
      mine:
        principal.role === 'secretary'
          ? { secretary: principal.personId ?? '' }
          : principal.role === 'leader'
            ? { leader: principal.personId ?? '' }
            : undefined,
    });
    return c.json({ projects }, 200);
  });

  app.openapi(get, async (c) => {
    const { code } = c.req.valid('param');
    const view = await queryProject(temporal, code);
    if (!canReadProject(c.get('principal'), view.state.profile))
      throw forbidden(`project ${code} is not one of yours`);
    return c.json(projectView(view, Date.now()), 200);
  });

  app.openapi(reassign, async (c) => {
    const { code } = c.req.valid('param');
    const body = c.req.valid('json');
    await projectAccess(deps, code); // 404 before anything is sent
    await requireInDirectory(deps.db, [
      ...(body.secretary ? [{ field: 'secretary', person: body.secretary, role: 'secretary' as const }] : []),
      ...(body.leader ? [{ field: 'leader', person: body.leader, role: 'leader' as const }] : []),
    ]);
    const result = await reassignProject(
      temporal,
      code,
      { ...body, by: c.get('principal').keyId },
      c.get('updateId'),
    );
    // The workflow is the truth now; the read model catches up and announces it (api/access.ts).
    await pinProjectAccess(deps, code);
    auditWithAnswer(c, {
      projectCode: code,
      action: 'project.reassign',
      subject: code,
      body,
      result,
    });
    return c.json(result, 200);
  });
  app.use('/projects/:code/plan', idempotent(deps.db));
  app.openapi(amend, async (c) => {
    const { code } = c.req.valid('param');
    const body = c.req.valid('json');
    if (c.req.valid('query').dryRun === 'true') {
      return c.json(await previewPlanAmendment(c, deps, code, body), 200);
    }
    return c.json(await applyPlanAmendmentAs(c, deps, code, body), 200);
  });

  app.openapi(audit, async (c) => {
    const { code } = c.req.valid('param');
    const access = await projectAccess(deps, code);
    if (!canReadProject(c.get('principal'), access)) throw forbidden(`project ${code} is not one of yours`);
    return c.json({ entries: await auditTrail(deps.db, code) }, 200);
  });
}

/**
 * A start in the past plans the project from that date, but its items open today with no history: a
 * project already under way comes in through POST /projects/import, with its decisions on their dates.
 */
function pastStartWarning(start: string, today: string): string[] {
  if (start >= today) return [];
  return [
    `start ${start} is in the past: the plan is measured from it, but the items open today (${today}) with no history; to bring in a project already under way with its decisions, use POST /projects/import`,
  ];
}
