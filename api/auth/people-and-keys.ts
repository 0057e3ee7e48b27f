import type { Kysely } from 'kysely';
import { z } from 'zod';
import { missingFromDirectory } from '../../db/directory';
import { activeAdminKeyExists, insertKey, markKeyRevoked, selectKeys, withAdminKeyLock } from '../../db/keys';
import { findPerson, type PersonValues, upsertPersonRow } from '../../db/people';
import type { DB } from '../../db/schema';
import { DepartmentCode } from '../../domain/catalog';
import { PersonId } from '../../domain/project';
import { generateKey } from './key-material';
import { Role } from './principal';

/**
 * Registering people and issuing, listing and revoking their API keys: the rules, for the keys CLI
 * (scripts/keys.ts) and the key routes. The statements are db/people.ts and db/keys.ts.
 */

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
  .strictObject({
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

/**
 * A key request or person that breaks a rule (unknown person or department, role mismatch); `field` is
 * the field of the request at fault, for the API's 422.
 */
export class InvalidKeyRequest extends Error {
  override readonly name = 'InvalidKeyRequest';
  constructor(
    message: string,
    readonly field: 'role' | 'department' | 'personId',
  ) {
    super(message);
  }
}

type Db = Kysely<DB>;

/** Registers a person, or updates the one with this id. */
export async function upsertPerson(db: Db, input: PersonInput): Promise<void> {
  const p = PersonInput.parse(input);
  if (p.department) await mustBeKnownDepartment(db, p.department);
  await upsertPersonRow(db, personValues(p));
}

/** The `people` row of a person as registered: a contact not given is none. */
export function personValues(p: PersonInput): PersonValues {
  return {
    id: p.id,
    name: p.name,
    role: p.role,
    department: p.department ?? null,
    mobile: p.mobile ?? null,
    email: p.email ?? null,
    dingtalk_user_id: p.dingtalkUserId ?? null,
    wecom_user_id: p.wecomUserId ?? null,
    feishu_open_id: p.feishuOpenId ?? null,
  };
}

/**
 * Issues a key. The plaintext `key` is returned here once and stored nowhere. Rules: a department key
 * names a known department (and only it does); secretary and leader keys name a person, because the
 * workflow knows them by person id; a key naming a person has that person's role (and department).
 */
export async function createKey(db: Db, request: NewKeyRequest): Promise<{ id: string; key: string }> {
  const r = NewKeyRequest.parse(request);
  if (r.role === 'department' && !r.department) {
    throw new InvalidKeyRequest(
      'a department key needs --department (the department code, e.g. ZJ)',
      'department',
    );
  }
  if (r.role !== 'department' && r.department) {
    throw new InvalidKeyRequest(
      `only department keys name a department; a ${r.role} key does not`,
      'department',
    );
  }
  if ((r.role === 'secretary' || r.role === 'leader') && !r.personId) {
    throw new InvalidKeyRequest(
      `a ${r.role} key needs --person (the workflow knows ${r.role}s by person id)`,
      'personId',
    );
  }
  if (r.department) await mustBeKnownDepartment(db, r.department);
  if (r.personId) {
    const person = await findPerson(db, r.personId);
    if (!person) {
      throw new InvalidKeyRequest(`no person ${r.personId}; add them first (keys person add)`, 'personId');
    }
    if (person.role !== r.role) {
      throw new InvalidKeyRequest(
        `${r.personId} is a ${person.role}; their key cannot have role ${r.role}`,
        'role',
      );
    }
    if (r.department && person.department !== r.department) {
      throw new InvalidKeyRequest(
        `${r.personId} belongs to ${person.department}, not ${r.department}`,
        'department',
      );
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
      'department',
    );
  }
}
