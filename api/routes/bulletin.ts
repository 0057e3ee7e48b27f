import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { Month, Quarter } from '../../domain/periods';
import type { App, AppDeps } from '../app';
import { authResponses } from '../auth/middleware';
import { forbidden, isAdministrator } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { assessmentFile, assessmentFor, bulletinFile, DOCX, loadBulletin } from '../bulletin-service';
import { problemResponse } from '../http-problem';
import { AssessmentShape, BulletinShape } from './bulletin-shapes';

/**
 * The monthly supervision bulletin (每月督查通报) and the quarterly assessment (季度考核), as JSON, a Word
 * document in the official-document layout, a PDF of the dashboard page (bulletin) or CSV (assessment).
 * Figures: domain/bulletin.ts (the monthly report's own rows) and domain/assessment.ts (rules as data).
 *
 * Who sees what: operators, admins and leaders everything (the bulletin goes to the city leaders);
 * a department its own assessment row, ranked among all, with its evidence (its monthly figures are its
 * row of GET /reports/departments/monthly); the bulletin, which names departments, is not a department's
 * or a secretary's to read; secretaries no assessment.
 */

const binary = z.string().openapi({ format: 'binary' });

const bulletin = createRoute({
  method: 'get',
  path: '/reports/bulletin',
  tags: ['reports'],
  summary:
    'The monthly supervision bulletin (每月督查通报): totals, departments ranked, red cards and interviews, problems, departments named for repeated delay',
  description:
    'Department rows and the service summary are those of GET /reports/departments/monthly for the month, computed by the same functions. Named: the rule in `rule` (by default overdue items in 2 of the last 3 months). format=docx: a Word document in the official-document layout (公文格式); format=pdf: the dashboard page printed by Chromium (503 pdf-unavailable where the API has none).',
  request: {
    query: z.strictObject({
      month: Month,
      format: z.enum(['json', 'docx', 'pdf']).optional().describe('Default JSON'),
    }),
  },
  responses: {
    200: {
      description: 'The bulletin',
      content: {
        'application/json': { schema: BulletinShape },
        [DOCX]: { schema: binary },
        'application/pdf': { schema: binary },
      },
    },
    ...authResponses,
    422: problemResponse('A malformed parameter; every failing field is listed'),
    429: problemResponse(
      'format=pdf while several PDFs are waiting to be printed; retry after Retry-After seconds',
    ),
    503: problemResponse('format=pdf where the API has no Chromium'),
  },
});

const assessment = createRoute({
  method: 'get',
  path: '/reports/assessment',
  tags: ['reports'],
  summary:
    'The quarterly assessment (季度考核): each department scored by the published rules, ranked, with the counts behind each score',
  description:
    'Components and weights are in `rules` (versioned; weights sum to 100): on-time rate, points lost to cards, interview notices, return (补正) rate, return-visit satisfaction. The rules are the edition in force for the quarter (GET /reports/assessment/rules), else the shipped default. A component with nothing to measure is left out and the score scaled over the rest. Departments see their own row, ranked among all.',
  request: {
    query: z.strictObject({
      quarter: Quarter,
      format: z.enum(['json', 'csv', 'docx']).optional().describe('Default JSON'),
    }),
  },
  responses: {
    200: {
      description: 'The assessment',
      content: {
        'application/json': { schema: AssessmentShape },
        'text/csv': { schema: z.string() },
        [DOCX]: { schema: binary },
      },
    },
    ...authResponses,
    422: problemResponse('A malformed parameter; every failing field is listed'),
  },
});

/** Leaders, operators and admins read the bulletin. */
export const mayReadBulletin = (p: Principal) => isAdministrator(p) || p.role === 'leader';
/** …and departments their own assessment row. */
export const mayReadAssessment = (p: Principal) => mayReadBulletin(p) || p.role === 'department';

export function registerBulletinRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;

  app.openapi(bulletin, async (c) => {
    const { month, format = 'json' } = c.req.valid('query');
    if (!mayReadBulletin(c.get('principal'))) {
      throw forbidden('the supervision bulletin is for leaders and operators');
    }
    const b = await loadBulletin(db, month, Date.now());
    if (format !== 'json') return bulletinFile(c, b, format);
    return c.json(b, 200);
  });

  app.openapi(assessment, async (c) => {
    const { quarter, format = 'json' } = c.req.valid('query');
    const p = c.get('principal');
    if (!mayReadAssessment(p)) throw forbidden('the assessment is for departments, leaders and operators');
    const now = Date.now();
    // Ranked among all, then cut to the caller's own row.
    const mine = await assessmentFor(db, p, quarter, now);
    if (format !== 'json') return assessmentFile(c, mine, format, new Date(now).toISOString());
    return c.json({ ...mine, asOf: new Date(now).toISOString() }, 200);
  });
}
