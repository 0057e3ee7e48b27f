import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { insertAssessmentRules, listAssessmentRules } from '../../db/assessment-rules';
import { AssessmentRules, defaultAssessmentRules } from '../../domain/assessment';
import type { App, AppDeps } from '../app';
import { auditWithAnswer } from '../audit';
import { requireRole } from '../auth/middleware';
import { actorOf } from '../auth/permissions';
import { conflict, problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotent } from '../idempotency';
import { jsonResponse } from '../openapi-shapes';

/**
 * The quarterly assessment's rules as published data (domain/assessment.ts): anyone with a key reads
 * them (departments are scored by them), operators publish an edition. A quarter is scored by the edition
 * with the latest `effectiveFrom` at or before it; before any, by the shipped default. Publishing is audited.
 */

const Published = AssessmentRules.safeExtend({ publishedBy: z.string(), publishedAt: z.string() });

const list = createRoute({
  method: 'get',
  path: '/reports/assessment/rules',
  tags: ['reports'],
  summary: 'The quarterly assessment’s rules: the shipped default and every published edition, oldest first',
  responses: {
    200: jsonResponse(
      z.object({ shipped: AssessmentRules, editions: z.array(Published) }),
      'The shipped default and the published editions',
    ),
  },
});

const publish = createRoute({
  method: 'post',
  path: '/reports/assessment/rules',
  tags: ['reports'],
  summary:
    'Publish an edition of the assessment rules (operators): weights summing to 100, the deductions, the first quarter it scores',
  request: {
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: AssessmentRules } } },
  },
  responses: {
    201: jsonResponse(Published, 'Published; quarters from effectiveFrom on are scored by it'),
    403: problemResponse('Only operators publish rules'),
    409: problemResponse('An edition with this version exists'),
    422: problemResponse('The rules are invalid, e.g. weights that do not sum to 100'),
  },
});

export function registerAssessmentRulesRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;
  app.openapi(list, async (c) =>
    c.json({ shipped: defaultAssessmentRules, editions: await listAssessmentRules(db) }, 200),
  );

  // Authorization before idempotency: a refused request must not become the key's stored answer.
  app.openapi({ ...publish, middleware: [requireRole('operator'), idempotent(db)] }, async (c) => {
    const rules = c.req.valid('json');
    const by = actorOf(c.get('principal')).id ?? c.get('principal').keyId;
    if (!(await insertAssessmentRules(db, rules, by))) {
      throw conflict(
        `assessment rules ${rules.version} are already published; publish the change under a new version`,
        'Edition exists',
      );
    }
    const published = (await listAssessmentRules(db)).find((e) => e.version === rules.version)!;
    auditWithAnswer(c, {
      projectCode: null,
      action: 'assessment-rules.publish',
      subject: rules.version,
      body: rules,
      result: published,
    });
    return c.json(published, 201);
  });
}
