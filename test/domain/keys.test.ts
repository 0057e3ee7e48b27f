import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKey, hashSecret, parseKey, presentedKey, secretMatches } from '../../api/auth/key-material';
import {
  actorOf,
  canActOnProject,
  canAnswerEscalation,
  canManageKey,
  canRaiseProblem,
  canReadProject,
  canRegisterProject,
  canSeeQueue,
} from '../../api/auth/permissions';
import type { Principal, Role } from '../../api/auth/principal';
import { canonicalJson, IDEMPOTENCY_KEY_PATTERN, requestHash } from '../../api/idempotency';
import { Actor } from '../../domain/project';

const principal = (role: Role, extra: Partial<Principal> = {}): Principal => ({
  keyId: '0123456789ab',
  personId: null,
  name: 'someone',
  role,
  department: null,
  ...extra,
});

const project = { secretary: 'sec-wang', leader: 'ldr-li' };
const zj = principal('department', { department: 'ZJ' });
const fgw = principal('department', { department: 'FGW', personId: 'fgw-zhao' });
const wang = principal('secretary', { personId: 'sec-wang' });
const zhou = principal('secretary', { personId: 'sec-zhou' });
const li = principal('leader', { personId: 'ldr-li' });
const chen = principal('leader', { personId: 'ldr-chen' });
const operator = principal('operator', { personId: 'op-sun' });
const admin = principal('admin');

describe('API keys', () => {
  it('are gl_<12 hex>_<43 base64url>, stored as the SHA-256 of the secret', () => {
    const { id, key, secretHash } = generateKey();
    expect(key).toMatch(/^gl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const parsed = parseKey(key);
    expect(parsed?.id).toBe(id);
    expect(secretHash).toBe(createHash('sha256').update(parsed!.secret).digest('hex'));
    expect(secretHash).not.toContain(parsed!.secret);
    expect(secretMatches(parsed!.secret, secretHash)).toBe(true);
    expect(secretMatches(`${parsed!.secret.slice(0, -1)}x`, secretHash)).toBe(false);
    expect(secretMatches(parsed!.secret, hashSecret('other'))).toBe(false);
  });

  it('are fresh every time', () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateKey().key));
    expect(keys.size).toBe(100);
  });

  it('refuse malformed keys', () => {
    for (const bad of [
      '',
      'gl_',
      'gl_0123456789ab_short',
      'xx_0123456789ab_' + 'a'.repeat(43),
      `gl_0123456789AB_${'a'.repeat(43)}`,
    ]) {
      expect(parseKey(bad), bad).toBeNull();
    }
  });

  it('are read from Authorization: Bearer first, then X-Api-Key', () => {
    expect(presentedKey('Bearer abc', 'xyz')).toBe('abc');
    expect(presentedKey('bearer   abc ', undefined)).toBe('abc');
    expect(presentedKey('Basic dXNlcjpwYXNz', undefined)).toBeNull();
    expect(presentedKey('Bearer', undefined)).toBeNull();
    expect(presentedKey(undefined, ' xyz ')).toBe('xyz');
    expect(presentedKey(undefined, undefined)).toBeUndefined();
  });
});

describe('actorOf', () => {
  it('maps each role to the Actor the workflow expects', () => {
    expect(actorOf(zj)).toEqual({ role: 'department', department: 'ZJ' });
    expect(actorOf(fgw)).toEqual({ role: 'department', department: 'FGW', id: 'fgw-zhao' });
    expect(actorOf(wang)).toEqual({ role: 'secretary', id: 'sec-wang' });
    expect(actorOf(li)).toEqual({ role: 'leader', id: 'ldr-li' });
    expect(actorOf(operator)).toEqual({ role: 'operator', id: 'op-sun' });
    expect(actorOf(admin)).toEqual({ role: 'operator', id: 'key-0123456789ab' });
    for (const p of [zj, fgw, wang, li, operator, admin])
      expect(Actor.safeParse(actorOf(p)).success).toBe(true);
  });

  it('refuses a secretary or leader without a person', () => {
    expect(() => actorOf(principal('secretary'))).toThrow(/names no person/);
    expect(() => actorOf(principal('department'))).toThrow(/names no department/);
  });
});

describe('the authorization matrix', () => {
  it('project: the assigned secretary acts, the assigned leader reads, operators and admins do both', () => {
    const read = [zj, wang, zhou, li, chen, operator, admin].map((p) => canReadProject(p, project));
    expect(read).toEqual([false, true, false, true, false, true, true]);
    const act = [zj, wang, zhou, li, chen, operator, admin].map((p) => canActOnProject(p, project));
    expect(act).toEqual([false, true, false, false, false, true, true]);
    expect(canRegisterProject(wang, { secretary: 'sec-wang' })).toBe(true);
    expect(canRegisterProject(wang, { secretary: 'sec-zhou' })).toBe(false);
    expect(canRegisterProject(li, { secretary: 'sec-wang' })).toBe(false);
    expect(canRegisterProject(operator, { secretary: 'sec-wang' })).toBe(true);
  });

  it('queues: a department sees its own; operators see all', () => {
    expect(canSeeQueue(zj, 'ZJ')).toBe(true);
    expect(canSeeQueue(zj, 'FGW')).toBe(false);
    expect(canSeeQueue(wang, 'ZJ')).toBe(false);
    expect(canSeeQueue(operator, 'ZJ')).toBe(true);
  });

  it('problems: anyone on the project raises one', () => {
    const on = ['ZJ', 'XF'];
    expect([zj, fgw, wang, zhou, li, chen, admin].map((p) => canRaiseProblem(p, project, on))).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
  });

  it('escalations: the assigned leader answers', () => {
    expect([li, chen, wang, zj, operator].map((p) => canAnswerEscalation(p, project))).toEqual([
      true,
      false,
      false,
      false,
      true,
    ]);
  });

  it('keys: operators manage the keys of departments, secretaries and leaders; admins all', () => {
    const roles: Role[] = ['department', 'secretary', 'leader', 'operator', 'admin'];
    expect(roles.map((r) => canManageKey(operator, r))).toEqual([true, true, true, false, false]);
    expect(roles.map((r) => canManageKey(admin, r))).toEqual([true, true, true, true, true]);
    expect(roles.map((r) => canManageKey(wang, r))).toEqual([false, false, false, false, false]);
  });
});

describe('idempotency', () => {
  it('accepts 1–200 visible ASCII characters as a key', () => {
    for (const ok of ['a', 'x'.repeat(200), '550e8400-e29b-41d4-a716-446655440000', '~!@#$%^&*()']) {
      expect(IDEMPOTENCY_KEY_PATTERN.test(ok), ok).toBe(true);
    }
    for (const bad of ['', 'x'.repeat(201), 'a b', 'é', 'a\tb'])
      expect(IDEMPOTENCY_KEY_PATTERN.test(bad), bad).toBe(false);
  });

  it('hashes the canonical JSON body with the method and path', () => {
    const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
    const a = requestHash('POST', '/p/1', enc({ b: [1, { y: 2, x: 1 }], a: 'é' }));
    expect(requestHash('post', '/p/1', enc('{ "a": "é", "b": [1, {"x": 1, "y": 2}] }'))).toBe(a);
    expect(requestHash('POST', '/p/2', enc({ b: [1, { y: 2, x: 1 }], a: 'é' }))).not.toBe(a);
    expect(requestHash('PUT', '/p/1', enc({ b: [1, { y: 2, x: 1 }], a: 'é' }))).not.toBe(a);
    expect(requestHash('POST', '/p/1', enc({ b: [{ y: 2, x: 1 }, 1], a: 'é' }))).not.toBe(a);
    // Not JSON: the bytes as they are.
    expect(requestHash('POST', '/p/1', enc('not json'))).toBe(requestHash('POST', '/p/1', enc('not json')));
    expect(requestHash('POST', '/p/1', enc('not json'))).not.toBe(
      requestHash('POST', '/p/1', enc('not json ')),
    );
  });

  it('canonical JSON sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null }, u: undefined })).toBe(
      '{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}',
    );
  });
});
