import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { insertEdition, listEditions, loadEdition } from '../../db/rule-editions';
import { applyPlanAmendment } from '../../domain/amendments';
import { makeCalendar } from '../../domain/calendar';
import { shippedCatalog } from '../../domain/catalog-data';
import { amendPlan, type Plan } from '../../domain/plan';
import type { ProjectState } from '../../domain/project';
import {
  EditionId,
  editionTailoring,
  previewRulesEdition,
  RulesEdition,
  refuseEdition,
  refuseRulesChange,
} from '../../domain/rules';
import { isHeld } from '../../domain/vocabulary';
import { pinProjectAccess, projectAccess } from '../access';
import type { App, AppDeps } from '../app';
import { auditWithAnswer } from '../audit';
import { requireRole } from '../auth/middleware';
import { actorOf, canReadProject, forbidden } from '../auth/permissions';
import { conflict, notFound, ProblemError, ProblemType, problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotent } from '../idempotency';
import { jsonResponse, ProjectCodeParam } from '../openapi-shapes';
import { applyRules, queryProject } from '../temporal';

/**
 * Rules editions (domain/rules.ts): operators publish the programme's limits and ladder as data; new
 * registrations run on the latest; a running project moves to an edition when an operator applies it,
 * after a preview of what would change there. Publishing and applying are audited.
 */

const PublishEdition = RulesEdition.strict().meta({
  id: 'RulesEdition',
  example: {
    id: '2027-01',
    note: '市政府办公室〔2027〕3号：施工许可压缩至 5 个工作日',
    limits: { 'CONSTRUCTION-PERMIT': { days: 5, dayType: 'working', estimate: false } },
    policy: {
      rungs: [
        { name: 'reminder', level: 1, offsetWorkingDays: -1, notify: ['handler', 'secretary'], points: 0 },
        {
          name: 'yellow',
          level: 2,
          offsetWorkingDays: 0,
          notify: ['departmentHead', 'secretary'],
          points: 1,
        },
        {
          name: 'red',
          level: 3,
          offsetWorkingDays: 2,
          notify: ['leader', 'departmentHead', 'secretary'],
          points: 2,
        },
      ],
      doubleWhenOwnDelay: true,
      alertThreshold: 20,
    },
  },
});
const Published = RulesEdition.extend({ publishedBy: z.string(), publishedAt: z.string() });

const RulesChangeShape = z
  .object({
    edition: z.string(),
    from: z
      .string()
      .describe("The edition the project runs on now ('shipped': the one it was registered with)"),
    items: z.array(
      z.object({
        item: z.string(),
        limitFrom: z.number().int(),
        limitTo: z.number().int(),
        dueFrom: z.string().nullable(),
        dueTo: z.string().nullable(),
        shift: z.number().int().nullable().describe('Working days the deadline moves (negative: earlier)'),
      }),
    ),
    added: z.array(z.string()).optional().describe('Items the edition adds to the plan'),
    withdrawn: z
      .array(z.string())
      .optional()
      .describe('Items it takes out (none a department holds or has finished)'),
    overdueAtOnce: z.array(z.string()).describe('Items past their deadline the moment the edition applies'),
    ladderChanged: z.boolean(),
    nextEscalation: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
    revision: z.number().int(),
  })
  .meta({ id: 'RulesChange' });

const list = createRoute({
  method: 'get',
  path: '/rules/editions',
  tags: ['rules'],
  summary: 'The published rules editions, oldest first; the last is what new registrations run on',
  responses: { 200: jsonResponse(z.object({ editions: z.array(Published) }), 'Every published edition') },
});

const publish = createRoute({
  method: 'post',
  path: '/rules/editions',
  tags: ['rules'],
  summary: 'Publish a rules edition: committed limits by item and the escalation ladder (operators)',
  request: {
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: PublishEdition } } },
  },
  responses: {
    201: jsonResponse(Published, 'Published; new registrations run on it'),
    403: problemResponse('Only operators publish editions'),
    409: problemResponse('An edition with this id exists'),
    422: problemResponse(
      'The edition is invalid: unknown items, limits beyond the law, a ladder out of order',
    ),
  },
});

const preview = createRoute({
  method: 'get',
  path: '/projects/{code}/rules-preview',
  tags: ['rules'],
  summary: 'What moving the project to an edition would change: deadlines, items overdue at once, rungs',
  request: { params: ProjectCodeParam, query: z.strictObject({ edition: EditionId }) },
  responses: {
    200: jsonResponse(
      RulesChangeShape,
      'The change, computed on a copy of the live state; nothing is applied',
    ),
    403: problemResponse('Not one of your projects'),
    404: problemResponse('No such project or edition'),
    409: problemResponse('The project cannot move to it (it runs on it already, or it has ended)'),
  },
});

const apply = createRoute({
  method: 'post',
  path: '/projects/{code}/rules',
  tags: ['rules'],
  summary: 'Move a running project to a rules edition (operators)',
  request: {
    params: ProjectCodeParam,
    headers: IdempotencyKeyHeader,
    body: {
      required: true,
      content: { 'application/json': { schema: z.strictObject({ edition: EditionId }) } },
    },
  },
  responses: {
    200: jsonResponse(RulesChangeShape, 'Applied: what changed'),
    403: problemResponse('Only operators apply editions'),
    404: problemResponse('No such project or edition'),
    409: problemResponse('The project refused: it runs on this edition already, or it has ended'),
  },
});

/** The project's plan with the edition's items added and withdrawn (null: it changes none); 409 if it cannot. */
function amendedPlan(state: ProjectState, edition: RulesEdition): Plan | null {
  const held = Object.values(state.items)
    .filter((i) => isHeld(i.status))
    .map((i) => i.code);
  const tailoring = editionTailoring(state.plan, edition, held);
  if ((tailoring.waive?.length ?? 0) + (tailoring.add?.length ?? 0) === 0) return null;
  const amended = amendPlan(state.plan, tailoring, { catalog: shippedCatalog, finished: held });
  if (!amended.ok) throw cannotApply(amended.problems.join(' '));
  return amended.plan;
}

const cannotApply = (detail: string) => conflict(detail, 'Cannot move to this edition');

export function registerRulesRoutes(app: App, deps: AppDeps): void {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  // Authorization before idempotency: a refused request must not become the key's stored answer.
  const operatorsOnly = [requireRole('operator'), idempotent(deps.db)] as const;
  app.use('/projects/:code/rules', requireRole('operator'), idempotent(deps.db));

  const editionOr404 = async (id: string) => {
    const edition = await loadEdition(deps.db, id);
    if (!edition) {
      throw notFound(`no rules edition ${id}`, 'No such edition');
    }
    const { publishedAt: _at, publishedBy: _by, ...rules } = edition;
    return rules;
  };

  app.openapi(list, async (c) => c.json({ editions: await listEditions(deps.db) }, 200));

  app.openapi({ ...publish, middleware: [...operatorsOnly] }, async (c) => {
    const edition = c.req.valid('json');
    const problems = refuseEdition(edition, shippedCatalog);
    if (problems.length > 0) {
      throw new ProblemError({
        status: 422,
        type: ProblemType.validation,
        title: 'The edition is invalid',
        detail: problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        errors: problems.map((p) => ({ in: 'body', path: p.path, message: p.message, code: 'edition' })),
      });
    }
    const by = actorOf(c.get('principal')).id ?? c.get('principal').keyId;
    if (!(await insertEdition(deps.db, edition, by))) {
      throw conflict(
        `an edition ${edition.id} is already published; publish the change under a new id`,
        'Edition exists',
      );
    }
    const published = (await loadEdition(deps.db, edition.id))!;
    auditWithAnswer(c, {
      projectCode: null,
      action: 'rules.publish',
      subject: edition.id,
      body: edition,
      result: published,
    });
    return c.json(published, 201);
  });

  app.openapi(preview, async (c) => {
    const { code } = c.req.valid('param');
    const access = await projectAccess(deps, code);
    if (!canReadProject(c.get('principal'), access)) throw forbidden(`project ${code} is not one of yours`);
    const edition = await editionOr404(c.req.valid('query').edition);
    const { state } = await queryProject(temporal, code);
    const refusal = refuseRulesChange(state, edition);
    if (refusal) throw cannotApply(refusal);
    const plan = amendedPlan(state, edition);
    const copy = JSON.parse(JSON.stringify(state)) as ProjectState;
    const calendar = makeCalendar(state.calendarYears);
    const amendment = plan ? applyPlanAmendment(copy, plan, Date.now(), calendar) : null;
    const change = previewRulesEdition(copy, edition, Date.now(), calendar);
    return c.json(
      {
        ...change,
        added: amendment?.added ?? [],
        withdrawn: amendment?.removed ?? [],
        revision: state.revision,
      },
      200,
    );
  });

  app.openapi(apply, async (c) => {
    const { code } = c.req.valid('param');
    await projectAccess(deps, code); // 404 before anything is sent
    const body = c.req.valid('json');
    const edition = await editionOr404(body.edition);
    const { state } = await queryProject(temporal, code);
    const plan = amendedPlan(state, edition);
    const result = await applyRules(temporal, code, plan ? { ...edition, plan } : edition, c.get('updateId'));
    // Items added or withdrawn change which departments act on the project, as a plan amendment does.
    if (plan) await pinProjectAccess(deps, code);
    auditWithAnswer(c, { projectCode: code, action: 'project.rules', subject: code, body, result });
    return c.json(result, 200);
  });
}
