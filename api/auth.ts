import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { missingFromDirectory } from '../db/directory';
import {
  activeAdminKeyExists,
  findKeyWithPerson,
  insertKey,
  markKeyRevoked,
  selectKeys,
  touchKeyLastUsed,
  withAdminKeyLock,
} from '../db/keys';
import { findPerson, listPeople, upsertPersonRow } from '../db/people';
import type { DB } from '../db/schema';
import { principalRoles } from '../db/schema';
import { DepartmentCode } from '../domain/catalog';
import { type Actor, PersonId } from '../domain/project';
import type { App, AppDeps } from './app';
import { ProblemError, ProblemType, problemResponse } from './problem';

/**
 * Who is calling: API keys, the principal they stand for, the middleware that checks them, and the
 * authorization matrix route handlers enforce.
 *
 * A key is `gl_<id>_<secret>`: `id` is 12 hex characters, public (it names the key in lists, logs and
 * the audit trail); `secret` is 32 random bytes in base64url. Only SHA-256(secret) is stored. A fast
 * hash is right here: slow password hashes (bcrypt, scrypt, argon2) exist to make guessing *low-entropy*
 * passwords expensive, but a 256-bit random secret cannot be guessed at any hash speed, and a slow hash
 * would cost every request tens of milliseconds of CPU. The id makes the lookup a primary-key read and
 * the secret is compared in constant time.
 */

export const Role = z.enum(principalRoles).describe('What a key may do');
export type Role = z.infer<typeof Role>;

export const Principal = z
  .object({
    keyId: z.string(),
    personId: z.string().nullable(),
    name: z.string().describe("The person's name, or the key's label when it names no person"),
    role: Role,
    department: z.string().nullable(),
  })
  .meta({ id: 'Principal', description: 'Who a request acts as, from its API key' });
export type Principal = z.infer<typeof Principal>;

/** Context variables set by `authenticate`. */
export type AuthEnv = { Variables: { principal: Principal; clientIp: string | null } };

declare module 'hono' {
  interface ContextVariableMap {
    /**
     * The caller, set by `authenticate`. Present on every path in AUTHENTICATED_PATHS (and on routes
     * with `guard(...)` in their middleware); elsewhere it is undefined at run time despite the type.
     */
    principal: Principal;
    /** The caller's address (see `clientIp`), set by `authenticate`. */
    clientIp: string | null;
  }
}

// --- Key material ---------------------------------------------------------------------------------

const KEY_PATTERN = /^gl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** A fresh key: its public id, its plaintext (shown once) and the hash to store. */
export function generateKey(): { id: string; key: string; secretHash: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `gl_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of a well-formed key, or null. */
export function parseKey(key: string): { id: string; secret: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The key a request presents: `Authorization: Bearer <key>`, else `X-Api-Key: <key>`.
 * `undefined` when it presents none, `null` when the Authorization header is not a Bearer one.
 */
export function presentedKey(authorization?: string, apiKey?: string): string | null | undefined {
  if (authorization !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    return m ? m[1]! : null;
  }
  return apiKey === undefined ? undefined : apiKey.trim();
}

// --- People and keys in PostgreSQL ------------------------------------------------------------------

/** A person as the CLI and routes register them; the contact ids are used later by notifications. */
export const PersonInput = z
  .object({
    id: PersonId.describe('A readable id, e.g. `sec-wang`'),
    name: z.string().trim().min(1).max(100),
    role: Role,
    department: DepartmentCode.optional(),
    mobile: z.string().trim().min(1).max(32).optional(),
    email: z.email().optional(),
    dingtalkUserId: z.string().min(1).max(128).optional(),
    wecomUserId: z.string().min(1).max(128).optional(),
    feishuOpenId: z.string().min(1).max(128).optional(),
  })
  .refine((p) => p.role !== 'department' || p.department !== undefined, {
    message: 'a person with role department names their department',
    path: ['department'],
  });
export type PersonInput = z.infer<typeof PersonInput>;

export const NewKeyRequest = z
  .object({
    role: Role,
    department: DepartmentCode.optional().describe('Required for role department, refused otherwise'),
    label: z.string().trim().min(1).max(200).describe('What the key is for, e.g. 住建局窗口'),
    personId: PersonId.optional().describe('Required for secretary and leader keys'),
  })
  .meta({ id: 'NewKeyRequest' });
export type NewKeyRequest = z.infer<typeof NewKeyRequest>;

export const KeyInfo = z
  .object({
    id: z.string(),
    personId: z.string().nullable(),
    role: Role,
    department: z.string().nullable(),
    label: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'KeyInfo', description: 'An API key, without its secret' });
export type KeyInfo = z.infer<typeof KeyInfo>;

/** A key request or person that breaks a rule (unknown person or department, role mismatch). */
export class InvalidKeyRequest extends Error {
  override readonly name = 'InvalidKeyRequest';
}

type Db = Kysely<DB>;

/** Registers a person, or updates the one with this id. */
export async function upsertPerson(db: Db, input: PersonInput): Promise<void> {
  const p = PersonInput.parse(input);
  if (p.department) await mustBeKnownDepartment(db, p.department);
  await upsertPersonRow(db, {
    id: p.id,
    name: p.name,
    role: p.role,
    department: p.department ?? null,
    mobile: p.mobile ?? null,
    email: p.email ?? null,
    dingtalk_user_id: p.dingtalkUserId ?? null,
    wecom_user_id: p.wecomUserId ?? null,
    feishu_open_id: p.feishuOpenId ?? null,
  });
}

export { listPeople };

/**
 * Issues a key. The plaintext `key` is returned here once and stored nowhere. Rules: a department key
 * names a known department (and only it does); secretary and leader keys name a person, because the
 * workflow knows them by person id; a key naming a person has that person's role (and department).
 */
export async function createKey(db: Db, request: NewKeyRequest): Promise<{ id: string; key: string }> {
  const r = NewKeyRequest.parse(request);
  if (r.role === 'department' && !r.department) {
    throw new InvalidKeyRequest('a department key needs --department (the department code, e.g. ZJ)');
  }
  if (r.role !== 'department' && r.department) {
    throw new InvalidKeyRequest(`only department keys name a department; a ${r.role} key does not`);
  }
  if ((r.role === 'secretary' || r.role === 'leader') && !r.personId) {
    throw new InvalidKeyRequest(
      `a ${r.role} key needs --person (the workflow knows ${r.role}s by person id)`,
    );
  }
  if (r.department) await mustBeKnownDepartment(db, r.department);
  if (r.personId) {
    const person = await findPerson(db, r.personId);
    if (!person) throw new InvalidKeyRequest(`no person ${r.personId}; add them first (keys person add)`);
    if (person.role !== r.role) {
      throw new InvalidKeyRequest(`${r.personId} is a ${person.role}; their key cannot have role ${r.role}`);
    }
    if (r.department && person.department !== r.department) {
      throw new InvalidKeyRequest(`${r.personId} belongs to ${person.department}, not ${r.department}`);
    }
  }
  // 48 random bits per id: a collision is a primary-key error, not a silent overwrite.
  const { id, key, secretHash } = generateKey();
  await insertKey(db, {
    id,
    person_id: r.personId ?? null,
    role: r.role,
    department: r.department ?? null,
    label: r.label,
    secret_hash: secretHash,
  });
  return { id, key };
}

export async function listKeys(db: Db, options: { includeRevoked?: boolean } = {}): Promise<KeyInfo[]> {
  return (await selectKeys(db, options)).map((k) => ({
    id: k.id,
    personId: k.person_id,
    role: k.role,
    department: k.department,
    label: k.label,
    createdAt: k.created_at.toISOString(),
    lastUsedAt: k.last_used_at?.toISOString() ?? null,
    revokedAt: k.revoked_at?.toISOString() ?? null,
  }));
}

/** Revokes a key (again is a no-op that keeps the first time); null when there is no such key. */
export async function revokeKey(db: Db, id: string): Promise<KeyInfo | null> {
  if (!(await markKeyRevoked(db, id))) return null;
  return (await listKeys(db, { includeRevoked: true })).find((k) => k.id === id) ?? null;
}

/**
 * When no unrevoked admin key exists, issues one and returns it (for the start script to print once);
 * otherwise null. An advisory lock makes two processes starting at once issue one key, not two.
 */
export async function ensureAdminKey(db: Db): Promise<{ id: string; key: string } | null> {
  return withAdminKeyLock(db, async (tx) => {
    if (await activeAdminKeyExists(tx)) return null;
    return createKey(tx, { role: 'admin', label: 'admin (issued by the first npm start)' });
  });
}

async function mustBeKnownDepartment(db: Db, code: string): Promise<void> {
  const misses = await missingFromDirectory(db, [{ field: 'department', department: code }]);
  if (misses.length > 0) {
    throw new InvalidKeyRequest(
      `unknown department ${code}: load the departments first (npm start seeds them)`,
    );
  }
}

// --- Middleware -----------------------------------------------------------------------------------

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

/** The principal a presented key stands for; 401 problem when it is malformed, unknown or revoked. */
export async function principalForKey(db: Db, key: string): Promise<Principal> {
  const parsed = parseKey(key);
  if (!parsed) throw unauthorized('the API key is not of the form gl_<id>_<secret>', true);

  const row = await findKeyWithPerson(db, parsed.id);
  if (!row || !secretMatches(parsed.secret, row.secret_hash)) {
    throw unauthorized('the API key is not valid', true);
  }
  if (row.revoked_at) {
    throw unauthorized(`the API key ${row.id} was revoked at ${row.revoked_at.toISOString()}`, true);
  }
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
    await touchKeyLastUsed(db, row.id);
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
export function authenticate(db: Db, options: ClientIpOptions = {}): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    // Already done by an outer authenticate (the app-wide one, then a route's `guard`).
    if (c.get('principal')) return next();
    const key = presentedKey(c.req.header('authorization'), c.req.header('x-api-key'));
    if (key === undefined) {
      throw unauthorized('send your API key as `Authorization: Bearer gl_…` (or `X-Api-Key: gl_…`)', false);
    }
    if (key === null) throw unauthorized('the Authorization header must be `Bearer <API key>`', true);
    c.set('principal', await principalForKey(db, key));
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

/** What the workflow knows of the caller (domain/project.ts `Actor`); operators and admins act as operator. */
export function actorOf(p: Principal): Actor {
  switch (p.role) {
    case 'department':
      if (!p.department) throw new Error(`department key ${p.keyId} names no department`);
      return p.personId
        ? { role: 'department', department: p.department, id: p.personId }
        : { role: 'department', department: p.department };
    case 'secretary':
    case 'leader':
      // The api_keys_person_check constraint guarantees a person for these roles.
      if (!p.personId) throw new Error(`${p.role} key ${p.keyId} names no person`);
      return { role: p.role, id: p.personId };
    case 'operator':
    case 'admin':
      // A key issued to no person (the bootstrap admin key) acts under its key id.
      return { role: 'operator', id: p.personId ?? `key-${p.keyId}` };
  }
}

export type ClientIpOptions = {
  /** Proxies of ours in front of the API, each appending to X-Forwarded-For (default 0: none). */
  trustedProxyHops?: number;
};

/**
 * Where the request comes from: the socket's remote address (@hono/node-server `getConnInfo`).
 * `X-Forwarded-For` is believed only with `trustedProxyHops` > 0, and then only the entry that many hops
 * from the right — the address our outermost proxy saw; anything left of it is the client's say-so.
 * Null when the app is not served by @hono/node-server (tests calling `app.request`).
 */
export function clientIp(c: Context, options: ClientIpOptions = {}): string | null {
  const hops = options.trustedProxyHops ?? 0;
  if (hops > 0) {
    const chain = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const seen = chain[chain.length - hops];
    if (seen) return normalizeIp(seen);
  }
  try {
    const address = getConnInfo(c).remote.address;
    return address ? normalizeIp(address) : null;
  } catch {
    return null;
  }
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) → `10.0.0.1`. */
function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

// --- Authorization matrix ---------------------------------------------------------------------------

/**
 * Who may do what. Routes check these (403 via `forbidUnless`) before calling Temporal; the workflow's
 * validators check ownership again against its own state, so a stale read model cannot grant anything.
 *
 * | action                                                      | department      | secretary | leader   | operator, admin |
 * | ----------------------------------------------------------- | --------------- | --------- | -------- | --------------- |
 * | register a project                                          | –               | as its secretary | – | yes          |
 * | read a project (plan state, problems, audit trail)          | – (its queue)   | assigned  | assigned | all             |
 * | act on a project (amend, submit, resubmit, waive, problems) | –               | assigned  | –        | all             |
 * | decide an item (accept, return, approve, reject, 告知承诺)   | its own items   | –         | –        | – (workflow refuses) |
 * | raise a problem                                             | on a project where it has items | assigned | assigned | all |
 * | see a department's queue                                    | its own         | –         | –        | all             |
 * | answer an escalation (批示)                                  | –               | –         | assigned | all             |
 * | administer: reassign, load calendars, manage keys           | –               | –         | –        | yes (operator/admin keys: admin only) |
 *
 * "assigned" means the project's `secretary` / `leader` is the caller's person id.
 */
export type ProjectOwners = { secretary: string; leader: string };

export function isAdministrator(p: Principal): boolean {
  return p.role === 'operator' || p.role === 'admin';
}

export function canRegisterProject(p: Principal, profile: { secretary: string }): boolean {
  return isAdministrator(p) || (p.role === 'secretary' && p.personId === profile.secretary);
}

export function canReadProject(p: Principal, project: ProjectOwners): boolean {
  if (isAdministrator(p)) return true;
  if (p.role === 'secretary') return p.personId === project.secretary;
  if (p.role === 'leader') return p.personId === project.leader;
  return false;
}

export function canActOnProject(p: Principal, project: ProjectOwners): boolean {
  return isAdministrator(p) || (p.role === 'secretary' && p.personId === project.secretary);
}

/** `departments`: those with items in the project's plan. */
export function canRaiseProblem(
  p: Principal,
  project: ProjectOwners,
  departments: ReadonlyArray<string>,
): boolean {
  if (p.role === 'department') return p.department !== null && departments.includes(p.department);
  return canReadProject(p, project);
}

export function canSeeQueue(p: Principal, department: string): boolean {
  return isAdministrator(p) || (p.role === 'department' && p.department === department);
}

export function canAnswerEscalation(p: Principal, project: ProjectOwners): boolean {
  return isAdministrator(p) || (p.role === 'leader' && p.personId === project.leader);
}

export function canAdminister(p: Principal): boolean {
  return isAdministrator(p);
}

/** Operators issue and revoke department, secretary and leader keys; only admins those of operators and admins. */
export function canManageKey(p: Principal, keyRole: Role): boolean {
  if (p.role === 'admin') return true;
  return p.role === 'operator' && keyRole !== 'operator' && keyRole !== 'admin';
}

export function forbidden(detail: string, extensions: Record<string, unknown> = {}): ProblemError {
  return new ProblemError({
    status: 403,
    type: ProblemType.forbidden,
    title: 'Forbidden',
    detail,
    ...extensions,
  });
}

/** Throws a 403 problem with `detail` unless `allowed`: `forbidUnless(canActOnProject(p, project), '…')`. */
export function forbidUnless(allowed: boolean, detail: string): void {
  if (!allowed) throw forbidden(detail);
}

// --- OpenAPI ---------------------------------------------------------------------------------------

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
].flatMap((p) => [`/${p}`, `/${p}/*`]);

/**
 * Applies `authenticate` to AUTHENTICATED_PATHS and documents the bearer scheme; createApp calls it
 * before any route registers, so route middleware (`requireRole`, `idempotent`) runs after it.
 */
export function registerAuthentication(app: App, deps: AppDeps): void {
  const middleware = authenticate(deps.db);
  for (const path of AUTHENTICATED_PATHS) app.use(path, middleware);
  app.openAPIRegistry.registerComponent('securitySchemes', API_KEY_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'gl_<id>_<secret>',
    description: 'An API key issued with `npm run keys -- create`; also accepted as the X-Api-Key header.',
  });
}
