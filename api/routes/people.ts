import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { subjectAuditTrail } from '../../db/audit';
import { findPerson } from '../../db/people';
import { PersonId } from '../../domain/project';
import type { App, AppDeps } from '../app';
import { AuditRow, auditContext } from '../audit';
import { authResponses, requireRole } from '../auth/middleware';
import { Handover, HandoverRequest, handOver } from '../handover';
import { problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotent } from '../idempotency';
import { jsonResponse } from '../openapi-shapes';
import {
  createPerson,
  MoveRequest,
  movePerson,
  NewPerson,
  noPerson,
  Person,
  PersonChange,
  PersonDetails,
  peopleViews,
  personView,
  updatePerson,
} from '../people';
import {
  Identity,
  IdentityRequest,
  linkPersonIdentity,
  Unlinked,
  UnlinkRequest,
  unlinkPersonIdentity,
} from '../people-identity';

/**
 * The directory over HTTP, for operators and admins: the people (their role, department, duties,
 * channels, keys and projects), registering and editing them, moving a department's clerk to another
 * department, a leaver's handover (api/handover.ts), and linking their identity at the organisation's
 * identity provider (api/people-identity.ts). Every change is audited (`GET
 * /people/{id}/audit`). What `npm run keys -- person …` does on the machine.
 */

const PersonParam = z.object({ id: PersonId });
const json = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

const list = createRoute({
  method: 'get',
  path: '/people',
  tags: ['people'],
  summary: 'The directory: every person with their duties, channels, keys and projects (operators)',
  responses: {
    200: jsonResponse(z.object({ people: z.array(Person) }), 'Everyone, by id'),
    ...authResponses,
  },
});

const create = createRoute({
  method: 'post',
  path: '/people',
  tags: ['people'],
  summary: 'Register a person (operators), before issuing them a key',
  request: { headers: IdempotencyKeyHeader, body: json(NewPerson) },
  responses: {
    201: jsonResponse(Person, 'Registered'),
    ...authResponses,
    409: problemResponse('A person with this id is in the directory already'),
    422: problemResponse('A field is invalid, or names a department not in the directory'),
  },
});

const get = createRoute({
  method: 'get',
  path: '/people/{id}',
  tags: ['people'],
  summary: 'One person (operators)',
  request: { params: PersonParam },
  responses: {
    200: jsonResponse(Person, 'The person'),
    ...authResponses,
    404: problemResponse('No such person'),
  },
});

const update = createRoute({
  method: 'put',
  path: '/people/{id}',
  tags: ['people'],
  summary: "Replace a person's name, role, department and channels (operators)",
  description:
    'A channel left out is cleared. A department clerk given another department moves there, as with ' +
    'POST /people/{id}/move. A new role is refused while keys, running projects or department duties ' +
    'depend on the old one.',
  request: { params: PersonParam, headers: IdempotencyKeyHeader, body: json(PersonDetails) },
  responses: {
    200: jsonResponse(PersonChange, 'Saved'),
    ...authResponses,
    404: problemResponse('No such person'),
    409: problemResponse('The role cannot change while keys, projects or duties depend on it'),
    422: problemResponse('A field is invalid, or names a department not in the directory'),
  },
});

const move = createRoute({
  method: 'post',
  path: '/people/{id}/move',
  tags: ['people'],
  summary: "Move a department's clerk to another department (operators)",
  description:
    'Their keys acting for the old department are revoked (a key acts for the department it was issued ' +
    'for: issue them a new one) and their duties there (一把手, 经办人) are dropped.',
  request: { params: PersonParam, headers: IdempotencyKeyHeader, body: json(MoveRequest) },
  responses: {
    200: jsonResponse(PersonChange, 'Moved'),
    ...authResponses,
    404: problemResponse('No such person'),
    409: problemResponse('Not a department clerk, or in that department already'),
    422: problemResponse('A field is invalid, or names a department not in the directory'),
  },
});

const handover = createRoute({
  method: 'post',
  path: '/people/{id}/handover',
  tags: ['people'],
  summary:
    "A leaving secretary's or leader's handover: their running projects reassigned, their keys revoked",
  description:
    "Every running project that names the person is reassigned to `to` through the project's workflow " +
    '(as POST /projects/{code}/assignment), then their keys are revoked. If a reassignment fails, the ' +
    'others are still made, the keys stay, and the answer is a 503 `handover-incomplete` that lists what ' +
    'was reassigned and what failed; the same request with the same Idempotency-Key finishes the rest.',
  request: { params: PersonParam, headers: IdempotencyKeyHeader, body: json(HandoverRequest) },
  responses: {
    200: jsonResponse(Handover, 'Handed over'),
    ...authResponses,
    404: problemResponse('No such person'),
    409: problemResponse('Not a secretary or a leader'),
    422: problemResponse('`to` is not in the directory, has another role, or is the person'),
    503: problemResponse(
      'handover-incomplete: some projects were not reassigned (listed, with those that were); retry with the same Idempotency-Key',
    ),
  },
});

const identity = createRoute({
  method: 'put',
  path: '/people/{id}/identity',
  tags: ['people'],
  summary: "Link a person to their identity at the organisation's identity provider (operators)",
  description:
    'Then they sign in to the dashboard with it (使用统一身份认证登录), with the role and department ' +
    'of their record here. One identity per person and provider: a new one replaces the old and ends ' +
    'the sessions signed in with it. The subject is the ID token `sub`, shown to an unlinked person.',
  request: { params: PersonParam, headers: IdempotencyKeyHeader, body: json(IdentityRequest) },
  responses: {
    200: jsonResponse(Identity, 'Linked'),
    ...authResponses,
    404: problemResponse('No such person'),
    409: problemResponse('The identity is linked to another person, or the person has left'),
    422: problemResponse('A field is invalid, or no issuer is given nor configured'),
  },
});

const unlink = createRoute({
  method: 'post',
  path: '/people/{id}/identity/unlink',
  tags: ['people'],
  summary: "Remove a person's identity at the identity provider (operators)",
  description:
    'Their sessions signed in through the provider end at once, and they sign in that way again only ' +
    'once linked again. API keys are not affected (revoke those with POST /keys/{id}/revoke).',
  request: { params: PersonParam, headers: IdempotencyKeyHeader, body: json(UnlinkRequest) },
  responses: {
    200: jsonResponse(Unlinked, 'Removed (or there was none)'),
    ...authResponses,
    404: problemResponse('No such person'),
    422: problemResponse('A field is invalid, or no issuer is given nor configured'),
  },
});

const audit = createRoute({
  method: 'get',
  path: '/people/{id}/audit',
  tags: ['people'],
  summary: 'Every change to a person: registration, edits, moves, handover (operators)',
  description: "A handover's reassignments are also in each project's own audit trail.",
  request: { params: PersonParam },
  responses: {
    200: jsonResponse(z.object({ entries: z.array(AuditRow) }), 'The entries, oldest first'),
    ...authResponses,
    404: problemResponse('No such person'),
  },
});

export function registerPeopleRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;
  // Authorization before idempotency: a refused request must not become the key's stored answer.
  // (`/people/*` matches `/people` too: registered once, or the request would claim its key twice.)
  app.use('/people/*', requireRole('operator'), idempotent(db));

  app.openapi(list, async (c) => c.json({ people: await peopleViews(db) }, 200));

  app.openapi(create, async (c) => {
    const person = await createPerson(db, auditContext(c), c.req.valid('json'));
    return c.json(person, 201);
  });

  app.openapi(get, async (c) => c.json(await personView(db, c.req.valid('param').id), 200));

  app.openapi(update, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await updatePerson(db, auditContext(c), id, c.req.valid('json')), 200);
  });

  app.openapi(move, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await movePerson(db, auditContext(c), id, c.req.valid('json')), 200);
  });

  app.openapi(handover, async (c) => {
    const { id } = c.req.valid('param');
    const answer = await handOver(deps, auditContext(c), id, c.req.valid('json'), c.get('updateId'));
    return c.json(answer, 200);
  });

  app.openapi(identity, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const answer = await linkPersonIdentity(db, auditContext(c), id, body, deps.config.oidc?.issuer);
    return c.json(answer, 200);
  });

  app.openapi(unlink, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const answer = await unlinkPersonIdentity(db, auditContext(c), id, body, deps.config.oidc?.issuer);
    return c.json(answer, 200);
  });

  app.openapi(audit, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await findPerson(db, id))) throw noPerson(id);
    return c.json({ entries: await subjectAuditTrail(db, id, 'person.') }, 200);
  });
}
