import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { loadRecord } from '../../db/performance';
import { Forecast, forecastFromRecord } from '../../domain/forecast';
import { itemFigures } from '../../domain/performance';
import { isDone } from '../../domain/project';
import { plannedDuration } from '../../domain/schedule';
import type { App, AppDeps } from '../app';
import { canReadProject, forbidden } from '../auth/permissions';
import { problemResponse } from '../http-problem';
import { jsonResponse, ProjectCodeParam } from '../openapi-shapes';
import { queryProject } from '../temporal';

/** The forecast of a project's construction permit (domain/forecast.ts), from its live state and the record. */

const Figure = z.object({
  estimate: z.number().describe('The shrunk estimate the forecast samples around'),
  item: z.number().nullable().describe("The item's own observed mean (null without observations)"),
  itemObservations: z.number().int(),
  department: z.number().nullable().describe("The department's, on this item's scale"),
  departmentObservations: z.number().int(),
  prior: z.number().describe('The prior: the committed limit for decision days, 0 for intake and returns'),
});

const ForecastAnswer = Forecast.extend({
  method: z.object({
    description: z.string(),
    priorWeight: z.number().describe('k: the observations each level above an estimate is worth'),
    priorSpread: z.number().describe('σ of log(1 + days) of the prior around the committed limit'),
    observations: z.number().int().describe('Decided applications in the record, across all projects'),
    solvedProblems: z.number().int().describe('Solved problems whose lateness the record gives'),
    items: z
      .array(
        z.object({
          item: z.string(),
          department: z.string(),
          committedDays: z.number().int(),
          intakeDays: Figure.describe('Working days from submission to acceptance (受理)'),
          decisionDays: Figure.describe('Working days on the clock, pauses excluded'),
          returnShare: Figure.describe('Returns (补正) per submission'),
          pausedDaysPerReturn: Figure.describe('Working days the clock is paused per return'),
        }),
      )
      .describe('The figures behind each open item of the plan, with the observations behind each'),
  }),
});

const METHOD =
  'Monte Carlo over the remaining plan: done items are facts, open items keep the days they have spent; ' +
  'intake, decision days, returns and their pauses are drawn per (department, item) from the record, ' +
  'shrunk by credibility weights n/(n+k) towards the department and then the committed limit; blocking ' +
  'problems are solved on their deadline plus the lateness the record shows.';

const forecast = createRoute({
  method: 'get',
  path: '/projects/{code}/forecast',
  tags: ['projects'],
  summary: 'When the construction permit will really come: a Monte Carlo forecast from the record',
  description:
    'P50/P80/P95 dates for each stage and the construction permit, the probability of meeting the target ' +
    'start, each item’s criticality and the three items that drive the risk, with the figures and ' +
    'observation counts the forecast was drawn from. Deterministic for a seed and the same record.',
  request: {
    params: ProjectCodeParam,
    query: z.object({
      samples: z.coerce.number().int().min(100).max(20_000).default(5000).describe('Monte Carlo samples'),
      seed: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .describe('Seed of the generator (default: the project code)'),
    }),
  },
  responses: {
    200: jsonResponse(ForecastAnswer, 'The forecast, and the method’s inputs with their observation counts'),
    403: problemResponse('Not one of your projects'),
    404: problemResponse('No such project'),
  },
});

export function registerForecastRoutes(app: App, deps: AppDeps): void {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  app.openapi(forecast, async (c) => {
    const { code } = c.req.valid('param');
    const { samples, seed } = c.req.valid('query');
    const view = await queryProject(temporal, code);
    if (!canReadProject(c.get('principal'), view.state.profile))
      throw forbidden(`project ${code} is not one of yours`);
    const { state } = view;
    const { forecast: answer, performance } = forecastFromRecord(await loadRecord(deps.db), state, {
      now: Date.now(),
      samples,
      seed,
    });
    const open = state.plan.items.filter((i) => !isDone(state.items[i.code]!));
    return c.json(
      {
        ...answer,
        method: {
          description: METHOD,
          priorWeight: performance.priorWeight,
          priorSpread: performance.priorSpread,
          observations: performance.records,
          solvedProblems: performance.problemLateness.length,
          items: open.map((i) => itemFigures(performance, i, plannedDuration(i))),
        },
      },
      200,
    );
  });
}
