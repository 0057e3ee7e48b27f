import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import type { App, AppDeps } from '../app';
import { auditContext, recordAudit } from '../audit';
import { apiKeySecurity, authResponses, guard } from '../auth/middleware';
import {
  createKey,
  InvalidKeyRequest,
  KeyInfo,
  listKeys,
  NewKeyRequest,
  revokeKey,
} from '../auth/people-and-keys';
import { canManageKey, forbidUnless } from '../auth/permissions';
import { Principal } from '../auth/principal';
import { invalid, notFound, problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotencyResponses, idempotent } from '../idempotency';

/**
 * `GET /me` (any key: who am I?) and key management over HTTP for operators and admins (the CLI `npm run keys` does the same on the
 * machine). Operators manage department, secretary and leader keys; operator and admin keys are for
 * admins only (`canManageKey`), so an operator cannot mint themselves more power.
 */

const IssuedKey = KeyInfo.extend({
  key: z.string().describe('The plaintext key, shown this once and stored nowhere: keep it now'),
}).meta({ id: 'IssuedKey' });

const KeyId = z.object({
  id: z
    .string()
    .regex(/^[0-9a-f]{12}$/)
    .describe('The public key id'),
});

const meRoute = createRoute({
  method: 'get',
  path: '/me',
  tags: ['keys'],
  summary: 'Who the presented API key acts as',
  security: apiKeySecurity,
  responses: {
    200: { description: 'The caller', content: { 'application/json': { schema: Principal } } },
    401: authResponses[401],
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/keys',
  tags: ['keys'],
  summary: 'List API keys (never their secrets)',
  security: apiKeySecurity,
  request: {
    query: z.strictObject({
      includeRevoked: z.enum(['true', 'false']).optional().describe('`true` lists revoked keys too'),
    }),
  },
  responses: {
    200: {
      description: 'The keys, oldest first',
      content: { 'application/json': { schema: z.array(KeyInfo) } },
    },
    ...authResponses,
  },
});

const createKeyRoute = createRoute({
  method: 'post',
  path: '/keys',
  tags: ['keys'],
  summary: 'Issue an API key',
  description:
    'Returns the plaintext key once. Unlike other POSTs this one takes no Idempotency-Key: a stored ' +
    'answer would be the plaintext key, and keys are stored only as hashes. A retried request issues a ' +
    'second key; list the keys and revoke the spare.',
  security: apiKeySecurity,
  request: { body: { required: true, content: { 'application/json': { schema: NewKeyRequest } } } },
  responses: {
    201: { description: 'The new key', content: { 'application/json': { schema: IssuedKey } } },
    ...authResponses,
    422: problemResponse('Invalid request: unknown person or department, or a role that does not fit'),
  },
});

const revokeRoute = createRoute({
  method: 'post',
  path: '/keys/{id}/revoke',
  tags: ['keys'],
  summary: 'Revoke an API key',
  description: 'Requests with the key are refused from now on (401). Revoking again changes nothing.',
  security: apiKeySecurity,
  request: { params: KeyId, headers: IdempotencyKeyHeader },
  responses: {
    200: { description: 'The revoked key', content: { 'application/json': { schema: KeyInfo } } },
    ...authResponses,
    404: problemResponse('No key with this id'),
    ...idempotencyResponses,
  },
});

export function registerKeyRoutes(app: App, { db }: AppDeps): void {
  app.openapi({ ...meRoute, middleware: guard(db) }, (c) => c.json(c.get('principal'), 200));

  app.openapi({ ...listRoute, middleware: guard(db, 'operator') }, async (c) => {
    const includeRevoked = c.req.valid('query').includeRevoked === 'true';
    return c.json(await listKeys(db, { includeRevoked }), 200);
  });

  app.openapi({ ...createKeyRoute, middleware: guard(db, 'operator') }, async (c) => {
    const request = c.req.valid('json');
    const who = auditContext(c);
    forbidUnless(canManageKey(who.principal, request.role), `only an admin may issue ${request.role} keys`);
    let issued: { id: string; key: string };
    try {
      issued = await createKey(db, request);
    } catch (err) {
      if (err instanceof InvalidKeyRequest) throw invalid(err.field, err.message);
      throw err;
    }
    const info = (await listKeys(db)).find((k) => k.id === issued.id)!;
    // The audit keeps the key's id and role, never the plaintext.
    await recordAudit(db, {
      ...who,
      projectCode: null,
      action: 'key.create',
      subject: info.id,
      body: request,
      result: info,
    });
    return c.json({ ...info, key: issued.key }, 201);
  });

  app.openapi({ ...revokeRoute, middleware: [...guard(db, 'operator'), idempotent(db)] }, async (c) => {
    const { id } = c.req.valid('param');
    const who = auditContext(c);
    const target = (await listKeys(db, { includeRevoked: true })).find((k) => k.id === id);
    if (!target) {
      throw notFound(`no key ${id}`);
    }
    forbidUnless(canManageKey(who.principal, target.role), `only an admin may revoke ${target.role} keys`);
    const revoked = (await revokeKey(db, id))!;
    await recordAudit(db, {
      ...who,
      projectCode: null,
      action: 'key.revoke',
      subject: id,
      body: {},
      result: revoked,
    });
    return c.json(revoked, 200);
  });
}
