import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { serviceContactTypes } from '../../db/schema';
import { projectReturnVisits, projectServiceLog } from '../../db/service';
import { LocalDate } from '../../domain/calendar';
import { projectAccess } from '../access';
import type { App, AppDeps } from '../app';
import { authResponses } from '../auth/middleware';
import { canReadProject, forbidden } from '../auth/permissions';
import { problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotencyResponses, idempotent } from '../idempotency';
import { jsonResponse, ProjectCodeParam } from '../openapi-shapes';
import { recordReturnVisit, recordServiceLog, stagesOf } from '../service-records';

/**
 * The secretary's service to a project, as the agent-service norms ask of it: the service log (服务日志: every call, site
 * visit and meeting, with who took part and what came of it) and the return visit (回访) after each stage
 * closes, with a satisfaction score. Both are kept by the project's secretary or an operator, read by
 * those who read the project, audited, and counted in the monthly report's service summary.
 *
 * A stage has closed when every one of its items (every lane) is approved, approved on commitment or
 * waived in the read model; its close is the day its last item finished. One return visit per stage.
 */

const ContactType = z.enum(serviceContactTypes).describe('phone 电话, visit 走访 (site visit), meeting 会议');

export const ServiceLogInput = z
  .strictObject({
    date: LocalDate.describe('The day of the contact (China Standard Time); not in the future'),
    contactType: ContactType,
    participants: z
      .array(z.string().trim().min(1).max(100))
      .min(1)
      .max(50)
      .describe('Who took part: names, with their organisation'),
    outcome: z.string().trim().min(1).max(4000).describe('What was found, agreed or promised'),
  })
  .meta({
    id: 'ServiceLogInput',
    example: {
      date: '2026-11-20',
      contactType: 'visit',
      participants: ['王芳（项目秘书）', '张工（建设单位）'],
      outcome: '现场核实施工图审查意见，约定 11月25日前补齐消防设计说明',
    },
  });

const ServiceLogEntry = z
  .object({
    id: z.number().int(),
    projectCode: z.string(),
    date: z.string(),
    contactType: ContactType,
    participants: z.array(z.string()),
    outcome: z.string(),
    recordedBy: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'ServiceLogEntry' });

export const ReturnVisitInput = z
  .strictObject({
    stage: z
      .number()
      .int()
      .min(1)
      .max(4)
      .describe('1 立项用地规划许可, 2 工程建设许可, 3 施工许可, 4 竣工验收'),
    date: LocalDate.optional().describe(
      'The day of the visit (CST); default today; not before the stage closed',
    ),
    satisfaction: z.number().int().min(1).max(5).describe('1 very dissatisfied … 5 very satisfied'),
    comment: z.string().trim().min(1).max(2000).optional(),
  })
  .meta({ id: 'ReturnVisitInput', example: { stage: 1, satisfaction: 5, comment: '审批快，秘书服务主动' } });

const ReturnVisit = z
  .object({
    id: z.number().int(),
    projectCode: z.string(),
    stage: z.number().int(),
    date: z.string(),
    satisfaction: z.number().int(),
    comment: z.string().nullable(),
    stageClosedOn: z.string().describe('The day the stage’s last item finished'),
    recordedBy: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'ReturnVisit' });

const StageState = z.object({
  stage: z.number().int(),
  items: z.number().int(),
  done: z.number().int(),
  open: z.array(z.string()),
  closedOn: z.string().nullable().describe('Null while any item of the stage is open'),
  visited: z.boolean(),
});

const postLog = createRoute({
  method: 'post',
  path: '/projects/{code}/service-log',
  tags: ['service'],
  summary: 'Record a contact with the project (服务日志): a call, a site visit or a meeting',
  description: "The project's secretary, or an operator. Audited.",
  request: {
    params: ProjectCodeParam,
    headers: IdempotencyKeyHeader,
    body: { content: { 'application/json': { schema: ServiceLogInput } } },
  },
  responses: {
    201: jsonResponse(ServiceLogEntry, 'Recorded'),
    ...authResponses,
    ...idempotencyResponses,
    404: problemResponse('No such project'),
  },
});

const getLog = createRoute({
  method: 'get',
  path: '/projects/{code}/service-log',
  tags: ['service'],
  summary: "The project's service log, newest first",
  request: {
    params: ProjectCodeParam,
    query: z.strictObject({
      from: LocalDate.optional().describe('From this day on'),
      to: LocalDate.optional().describe('Up to and including this day'),
      contactType: ContactType.optional(),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ entries: z.array(ServiceLogEntry) }), 'The entries'),
    ...authResponses,
    404: problemResponse('No such project'),
  },
});

const postVisit = createRoute({
  method: 'post',
  path: '/projects/{code}/return-visits',
  tags: ['service'],
  summary: 'Record the return visit (回访) after a stage closed, with a satisfaction score',
  description:
    "The project's secretary, or an operator. Refused (409) while any item of the stage is open, and for a stage already visited. Audited.",
  request: {
    params: ProjectCodeParam,
    headers: IdempotencyKeyHeader,
    body: { content: { 'application/json': { schema: ReturnVisitInput } } },
  },
  responses: {
    201: jsonResponse(ReturnVisit, 'Recorded'),
    ...authResponses,
    ...idempotencyResponses,
    404: problemResponse('No such project'),
    409: problemResponse('The stage has not closed, or its return visit is already recorded'),
  },
});

const getVisits = createRoute({
  method: 'get',
  path: '/projects/{code}/return-visits',
  tags: ['service'],
  summary: "The project's return visits, and which stages have closed",
  request: { params: ProjectCodeParam },
  responses: {
    200: jsonResponse(
      z.object({ visits: z.array(ReturnVisit), stages: z.array(StageState) }),
      'Visits by stage; each stage with its items and whether it has closed',
    ),
    ...authResponses,
    404: problemResponse('No such project'),
  },
});

export function registerServiceRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;
  app.use('/projects/:code/service-log', idempotent(db));
  app.use('/projects/:code/return-visits', idempotent(db));

  app.openapi(postLog, async (c) => {
    const { code } = c.req.valid('param');
    return c.json(await recordServiceLog(c, deps, code, c.req.valid('json')), 201);
  });

  app.openapi(getLog, async (c) => {
    const { code } = c.req.valid('param');
    const q = c.req.valid('query');
    const access = await projectAccess(deps, code);
    if (!canReadProject(c.get('principal'), access)) throw forbidden(`project ${code} is not one of yours`);
    const entries = await projectServiceLog(db, code, q);
    return c.json({ entries }, 200);
  });

  app.openapi(postVisit, async (c) => {
    const { code } = c.req.valid('param');
    return c.json(await recordReturnVisit(c, deps, code, c.req.valid('json')), 201);
  });

  app.openapi(getVisits, async (c) => {
    const { code } = c.req.valid('param');
    const access = await projectAccess(deps, code);
    if (!canReadProject(c.get('principal'), access)) throw forbidden(`project ${code} is not one of yours`);
    const [visits, stages] = await Promise.all([projectReturnVisits(db, code), stagesOf(db, code)]);
    const visited = new Set(visits.map((v) => v.stage));
    return c.json(
      {
        visits,
        stages: stages.map((s) => ({ ...s, visited: visited.has(s.stage) })),
      },
      200,
    );
  });
}
