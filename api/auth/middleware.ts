import type { Context, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { findKeyWithPerson, touchKeyLastUsed } from '../../db/keys';
import type { DB } from '../../db/schema';
import type { App, AppDeps } from '../app';
import { ProblemError, ProblemType, problemResponse } from '../http-problem';
import { type ClientIpOptions, clientIp } from './client-ip';
import { parseKey, presentedKey, secretMatches } from './key-material';
import { forbidden } from './permissions';
import type { AuthEnv, Principal, Role } from './principal';
import type { PrincipalCache } from './principal-cache';

/**
 * Authentication: the middleware that turns a request's API key into its principal (401 otherwise),
 * the role checks routes put in front of themselves (403), the paths that need a key, and the OpenAPI
 * security scheme that documents it.
 */

type Db = Kysely<DB>;

/** last_used_at is written at most this often per key, so authentication is not a write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

function unauthorized(detail: string, presented: boolean): ProblemError {
  // RFC 6750 §3: say which scheme; add error="invalid_token" when a credential was presented.
  const challenge = presented
    ? 'Bearer realm="greenlane", error="invalid_token"'
    : 'Bearer realm="greenlane"';
  return new ProblemError(
    { status: 401, type: ProblemType.unauthorized, title: 'Authentication required', detail },
    { headers: { 'WWW-Authenticate': challenge } },
  );
}

/**
 * The principal a presented key stands for; 401 problem when it is malformed, unknown or revoked. With
 * a `cache` (api/auth/principal-cache.ts), a row read a moment ago in this process is checked instead
 * of reading it again; it is checked the same way.
 */
export async function principalForKey(db: Db, key: string, cache?: PrincipalCache): Promise<Principal> {
  const parsed = parseKey(key);
  if (!parsed) throw unauthorized('the API key is not of the form gl_<id>_<secret>', true);

  let row = cache?.get(parsed.id);
  if (!row) {
    const stamp = cache?.stamp() ?? 0;
    row = await findKeyWithPerson(db, parsed.id);
    if (row && cache) cache.set(row.id, row, stamp);
  }
  if (!row || !secretMatches(parsed.secret, row.secret_hash)) {
    throw unauthorized('the API key is not valid', true);
  }
  if (row.revoked_at) {
    throw unauthorized(`the API key ${row.id} was revoked at ${row.revoked_at.toISOString()}`, true);
  }
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await touchKeyLastUsed(db, row.id);
    cache?.used(row.id, new Date());
  }
  return {
    keyId: row.id,
    personId: row.person_id,
    name: row.person_name ?? row.label,
    role: row.role,
    department: row.department,
  };
}

/**
 * Checks the caller's API key (`Authorization: Bearer <key>`, or `X-Api-Key`) and sets
 * `c.var.principal` and `c.var.clientIp`. 401 problem when the key is missing, malformed, unknown or
 * revoked; the detail says which, except that an unknown id and a wrong secret read the same.
 */
export function authenticate(
  db: Db,
  options: ClientIpOptions & { principals?: PrincipalCache } = {},
): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    // Already done by an outer authenticate (the app-wide one, then a route's `guard`).
    if (c.get('principal')) return next();
    const key = presentedKey(c.req.header('authorization'), c.req.header('x-api-key'));
    if (key === undefined) {
      throw unauthorized('send your API key as `Authorization: Bearer gl_…` (or `X-Api-Key: gl_…`)', false);
    }
    if (key === null) throw unauthorized('the Authorization header must be `Bearer <API key>`', true);
    c.set('principal', await principalForKey(db, key, options.principals));
    c.set('clientIp', clientIp(c, options));
    await next();
  };
}

/** The principal `authenticate` set; a 401 if it did not run (a route wired without it never passes). */
export function principalOf(c: Context): Principal {
  const p = c.get('principal') as Principal | undefined;
  if (!p) throw unauthorized('this route needs an API key', false);
  return p;
}

/**
 * 403 problem unless the caller has one of `roles`. `admin` passes every check `operator` passes.
 * Runs after `authenticate` (without it, 401).
 */
export function requireRole(...roles: Role[]): MiddlewareHandler<AuthEnv> {
  const allowed = new Set<Role>(roles);
  if (allowed.has('operator')) allowed.add('admin');
  const needed = roles.length === 1 ? `role ${roles[0]}` : `one of the roles ${roles.join(', ')}`;
  return async (c, next) => {
    const p = principalOf(c);
    if (!allowed.has(p.role)) {
      throw forbidden(`this needs ${needed}; key ${p.keyId} has role ${p.role}`, { required: roles });
    }
    await next();
  };
}

/**
 * `[authenticate(db), requireRole(...roles)]` for a route's `middleware`; with no roles, any valid key.
 * Needed only outside AUTHENTICATED_PATHS, or to type `c.var.principal` through the route.
 */
export function guard(db: Db): [MiddlewareHandler<AuthEnv>];
export function guard(
  db: Db,
  ...roles: [Role, ...Role[]]
): [MiddlewareHandler<AuthEnv>, MiddlewareHandler<AuthEnv>];
export function guard(db: Db, ...roles: Role[]): MiddlewareHandler<AuthEnv>[] {
  return roles.length === 0 ? [authenticate(db)] : [authenticate(db), requireRole(...roles)];
}

/** The security scheme name; use `security: apiKeySecurity` in `createRoute`. */
export const API_KEY_SCHEME = 'apiKey';
export const apiKeySecurity = [{ [API_KEY_SCHEME]: [] }];

/** The 401 and 403 responses of every authenticated route, for `createRoute({ responses })`. */
export const authResponses = {
  401: problemResponse(
    'No API key, or one that is malformed, unknown or revoked. Sent with WWW-Authenticate.',
  ),
  403: problemResponse('The key lacks the role, or the caller is not the owner, the operation needs'),
} as const;

/**
 * Paths that need an API key, whatever the route: everything but /healthz, /openapi.json and /docs.
 * Listed rather than `*` so an unknown path stays a 404 for anyone. A new resource adds its prefix
 * here (a route may also put `guard(db, role…)` in its own middleware; authenticating twice is free).
 */
export const AUTHENTICATED_PATHS: readonly string[] = [
  'projects',
  'departments',
  'escalations',
  'inbox',
  'problems',
  'leaders',
  'catalog',
  'templates',
  'calendars',
  'reports',
  'keys',
  'people',
  'audit',
  'me',
  'notifications',
  'rules',
  'meetings',
].flatMap((p) => [`/${p}`, `/${p}/*`]);

/**
 * Applies `authenticate` to AUTHENTICATED_PATHS and documents the bearer scheme; createApp calls it
 * before any route registers, so route middleware (`requireRole`, `idempotent`) runs after it.
 */
export function registerAuthentication(app: App, deps: AppDeps): void {
  const middleware = authenticate(deps.db, { principals: deps.principalCache });
  for (const path of AUTHENTICATED_PATHS) app.use(path, middleware);
  app.openAPIRegistry.registerComponent('securitySchemes', API_KEY_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'gl_<id>_<secret>',
    description: 'An API key issued with `npm run keys -- create`; also accepted as the X-Api-Key header.',
  });
}
