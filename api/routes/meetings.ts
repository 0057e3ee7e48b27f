import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { ConveneMeeting, MinutesInput } from '../../domain/meetings';
import type { App, AppDeps } from '../app';
import { authResponses } from '../auth/middleware';
import { problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotencyResponses, idempotent } from '../idempotency';
import { meetingsService } from '../meetings';
import { jsonResponse } from '../openapi-shapes';

/** Coordination meetings over HTTP: who may do what, and how, is api/meetings.ts. */

const MeetingView = z.looseObject({ id: z.number().int(), kind: z.string(), title: z.string() }).meta({
  id: 'Meeting',
  description:
    'A meeting with its agenda (as drafted) and, once minuted, its decisions, each with `state` (applied, failed, recorded), `kept` (true, false, or null while not yet due) and `keptZh`',
});
const MeetingId = z.object({ id: z.coerce.number().int().min(1).max(2_147_483_647) });

const convene = createRoute({
  method: 'post',
  path: '/meetings',
  tags: ['meetings'],
  summary: 'Convene a coordination meeting; its agenda is drafted from the record and attendees notified',
  request: {
    headers: IdempotencyKeyHeader,
    body: { content: { 'application/json': { schema: ConveneMeeting } } },
  },
  responses: {
    201: jsonResponse(MeetingView, 'Convened, with its agenda'),
    ...authResponses,
    ...idempotencyResponses,
    404: problemResponse('No such project or problem'),
  },
});

const list = createRoute({
  method: 'get',
  path: '/meetings',
  tags: ['meetings'],
  summary: 'Meetings the caller may read, newest first',
  request: { query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }) },
  responses: {
    200: jsonResponse(z.object({ meetings: z.array(MeetingView) }), 'The meetings, without agendas'),
    ...authResponses,
  },
});

const get = createRoute({
  method: 'get',
  path: '/meetings/{id}',
  tags: ['meetings'],
  summary: 'A meeting: agenda, minutes, and whether each decision has been kept',
  request: { params: MeetingId },
  responses: {
    200: jsonResponse(MeetingView, 'The meeting'),
    ...authResponses,
    404: problemResponse('No such meeting'),
  },
});

const minutes = createRoute({
  method: 'post',
  path: '/meetings/{id}/minutes',
  tags: ['meetings'],
  summary: 'Record the minutes: each decision becomes the project’s action (problem, instruction, date)',
  description:
    'Once per meeting (409 after). A decision the workflow or the rules refuse is kept as failed with the reason; the others stand.',
  request: {
    params: MeetingId,
    headers: IdempotencyKeyHeader,
    body: { content: { 'application/json': { schema: MinutesInput } } },
  },
  responses: {
    200: jsonResponse(MeetingView, 'The meeting with its decisions'),
    ...authResponses,
    ...idempotencyResponses,
    404: problemResponse('No such meeting'),
    409: problemResponse('The minutes are already recorded'),
  },
});

export function registerMeetingRoutes(app: App, deps: AppDeps): void {
  const meetings = meetingsService(deps);
  app.use('/meetings', idempotent(deps.db));
  app.use('/meetings/:id/minutes', idempotent(deps.db));

  app.openapi(convene, async (c) => c.json(await meetings.convene(c, c.req.valid('json')), 201));
  app.openapi(list, async (c) =>
    c.json({ meetings: await meetings.list(c.get('principal'), c.req.valid('query').limit) }, 200),
  );
  app.openapi(get, async (c) =>
    c.json(await meetings.read(c.get('principal'), c.req.valid('param').id), 200),
  );
  app.openapi(minutes, async (c) =>
    c.json(await meetings.minute(c, c.req.valid('param').id, c.req.valid('json')), 200),
  );
}
