import type { Kysely } from 'kysely';
import { z } from 'zod';
import { type Contact, dropDuties, selectContacts } from '../db/contacts';
import { selectIdentities } from '../db/identities';
import { markKeyRevoked, selectKeys } from '../db/keys';
import { findPerson, insertPersonRow, listPeople, upsertPersonRow } from '../db/people';
import { projectsHeldBy } from '../db/project-lists';
import type { DB, PersonRow } from '../db/schema';
import { DepartmentCode } from '../domain/catalog';
import { type Dependents, duties, handoverRoles, refuseRoleChange } from '../domain/directory';
import { type auditContext, recordAudit } from './audit';
import { PersonInput, personValues } from './auth/people-and-keys';
import { Role } from './auth/principal';
import { requireInDirectory } from './directory';
import { conflict, notFound, ProblemError, validationProblem } from './http-problem';

/**
 * The directory as operators keep it, over HTTP (api/routes/people.ts) and on the people page
 * (api/routes/ui-people.ts): a person's view (role, department, duties, channels, keys, projects),
 * registering and editing a person, and moving a department's clerk to another department. Each
 * change and its audit entry are one transaction. The rules are domain/directory.ts; the statements
 * db/people.ts, db/keys.ts, db/contacts.ts. A leaver's handover is api/handover.ts.
 */

/** Who acts, as audit entries name them (api/audit.ts `auditContext`). */
export type Who = ReturnType<typeof auditContext>;
type Db = Kysely<DB>;

const ContactId = z.string().nullable();
const DutyHeld = z.object({ department: z.string(), duty: z.enum(duties) });

export const Person = z
  .object({
    id: z.string(),
    name: z.string(),
    role: Role,
    department: z.string().nullable(),
    mobile: ContactId,
    email: ContactId,
    dingtalkUserId: ContactId.describe('DingTalk user id, mentioned by department robots'),
    wecomUserId: ContactId.describe('WeCom user id'),
    feishuOpenId: ContactId.describe('Feishu open id'),
    duties: z.array(DutyHeld).describe('The department duties they hold: head (一把手), handler (经办人)'),
    activeKeys: z.array(z.string()).describe('Ids of their unrevoked API keys'),
    projects: z
      .array(z.object({ code: z.string(), name: z.string(), as: z.array(z.enum(handoverRoles)) }))
      .describe('Projects not completed that name them, as the read model last heard'),
    identities: z
      .array(z.object({ issuer: z.string(), subject: z.string() }))
      .describe('Their identities at the identity provider, to sign in to the dashboard with'),
    leftAt: z.iso.datetime().nullable().describe('When their handover completed: they no longer sign in'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Person', description: 'A person of the directory, with what depends on them' });
export type Person = z.infer<typeof Person>;

/** A new person, as POST /people takes them (the rules of PersonInput apply; unknown fields are refused). */
export const NewPerson = z.strictObject(PersonInput.shape).meta({ id: 'NewPerson' });
const { id: _id, ...details } = PersonInput.shape;
/** A person's details, as PUT /people/{id} replaces them: a contact left out is cleared. */
export const PersonDetails = z.strictObject(details).meta({ id: 'PersonDetails' });
export type PersonDetails = z.infer<typeof PersonDetails>;

export const MoveRequest = z
  .strictObject({
    department: DepartmentCode.describe('The department they move to'),
    reason: z.string().trim().min(1).max(2000).describe('Why, for the audit trail'),
  })
  .meta({ id: 'MoveRequest' });
export type MoveRequest = z.infer<typeof MoveRequest>;

export const PersonChange = z
  .object({
    person: Person,
    keysRevoked: z
      .array(z.string())
      .describe('Keys acting for the department they left, revoked: issue a new key for the new one'),
    dutiesDropped: z.array(DutyHeld).describe('Duties they held in the department they left'),
  })
  .meta({ id: 'PersonChange' });
export type PersonChange = z.infer<typeof PersonChange>;

/** Everyone (or the one person `id`), by id, with their duties, unrevoked keys and projects. */
export async function peopleViews(db: Db, id?: string): Promise<Person[]> {
  const one = id === undefined ? undefined : { personId: id };
  const [people, contacts, keys, held, identities] = await Promise.all([
    id === undefined ? listPeople(db) : findPerson(db, id).then((p) => (p ? [p] : [])),
    selectContacts(db, one),
    selectKeys(db, one),
    projectsHeldBy(db, id === undefined ? undefined : [id]),
    selectIdentities(db, id),
  ]);
  return people.map((p) => ({
    id: p.id,
    name: p.name,
    role: p.role,
    department: p.department,
    mobile: p.mobile,
    email: p.email,
    dingtalkUserId: p.dingtalk_user_id,
    wecomUserId: p.wecom_user_id,
    feishuOpenId: p.feishu_open_id,
    duties: contacts.filter((c) => c.personId === p.id).map(({ department, duty }) => ({ department, duty })),
    activeKeys: keys.filter((k) => k.person_id === p.id).map((k) => k.id),
    projects: held
      .filter((h) => h.secretary === p.id || h.leader === p.id)
      .map((h) => ({
        code: h.code,
        name: h.name,
        as: handoverRoles.filter((side) => h[side] === p.id),
      })),
    identities: identities
      .filter((i) => i.personId === p.id)
      .map(({ issuer, subject }) => ({ issuer, subject })),
    leftAt: p.left_at?.toISOString() ?? null,
    createdAt: p.created_at.toISOString(),
  }));
}

/** The person's view; 404 when there is no such person. */
export async function personView(db: Db, id: string): Promise<Person> {
  const [person] = await peopleViews(db, id);
  if (!person) throw noPerson(id);
  return person;
}

/** Registers a new person; 409 when the id is taken, 422 for a rule broken or an unknown department. */
export async function createPerson(db: Db, who: Who, input: unknown): Promise<Person> {
  const p = parsePerson(input);
  if (p.department) await requireInDirectory(db, [{ field: 'department', department: p.department }]);
  await db.transaction().execute(async (tx) => {
    if (!(await insertPersonRow(tx, personValues(p)))) {
      throw conflict(`person ${p.id} is in the directory already; change them with PUT /people/${p.id}`);
    }
    await recordAudit(tx, {
      ...who,
      projectCode: null,
      action: 'person.create',
      subject: p.id,
      body: p,
      result: null,
    });
  });
  return personView(db, p.id);
}

/**
 * Replaces a person's details. A new role is refused (409) while keys, projects or duties depend on the
 * old one; a department clerk given another department moves there (see `movePerson`).
 */
export async function updatePerson(
  db: Db,
  who: Who,
  id: string,
  input: PersonDetails,
): Promise<PersonChange> {
  const current = await findPerson(db, id);
  if (!current) throw noPerson(id);
  const p = parsePerson({ ...input, id });
  if (p.department) await requireInDirectory(db, [{ field: 'department', department: p.department }]);
  const refusal = refuseRoleChange(current, p.role, await dependentsOf(db, id));
  if (refusal) throw conflict(refusal);
  const moves = current.role === 'department' && current.department !== (p.department ?? null);
  const effects = await db.transaction().execute(async (tx) => {
    const left = moves ? await leaveDepartment(tx, current) : { keysRevoked: [], dutiesDropped: [] };
    await upsertPersonRow(tx, personValues(p));
    await recordAudit(tx, {
      ...who,
      projectCode: null,
      action: 'person.update',
      subject: id,
      body: input,
      result: left,
    });
    return left;
  });
  return { person: await personView(db, id), ...effects };
}

/**
 * Moves a department's clerk to another department: the keys that act for the old one are revoked (a key
 * acts for the department it was issued for; the clerk gets a new one) and their duties there dropped.
 */
export async function movePerson(db: Db, who: Who, id: string, move: MoveRequest): Promise<PersonChange> {
  const current = await findPerson(db, id);
  if (!current) throw noPerson(id);
  if (current.role !== 'department') {
    throw conflict(
      `${id} is a ${current.role}: only a department's own people move between departments (PUT /people/${id} changes a ${current.role}'s details)`,
    );
  }
  if (current.department === move.department) throw conflict(`${id} is in ${move.department} already`);
  await requireInDirectory(db, [{ field: 'department', department: move.department }]);
  const effects = await db.transaction().execute(async (tx) => {
    const left = await leaveDepartment(tx, current);
    const { created_at: _, ...row } = current;
    await upsertPersonRow(tx, { ...row, department: move.department });
    const result = { from: current.department, to: move.department, ...left };
    await recordAudit(tx, {
      ...who,
      projectCode: null,
      action: 'person.move',
      subject: id,
      body: move,
      result,
    });
    return left;
  });
  return { person: await personView(db, id), ...effects };
}

/** What depends on the person's role now (the read model's projects, so a moment behind). */
export async function dependentsOf(db: Db, id: string): Promise<Dependents> {
  const [keys, held, contacts] = await Promise.all([
    selectKeys(db, { personId: id }),
    projectsHeldBy(db, [id]),
    selectContacts(db, { personId: id }),
  ]);
  return { activeKeys: keys.map((k) => k.id), projects: held.map((h) => h.code), duties: contacts };
}

async function leaveDepartment(
  tx: Db,
  person: PersonRow,
): Promise<{ keysRevoked: string[]; dutiesDropped: Omit<Contact, 'personId'>[] }> {
  const keys = (await selectKeys(tx, { personId: person.id })).filter(
    (k) => k.department === person.department,
  );
  for (const k of keys) await markKeyRevoked(tx, k.id);
  const dropped = person.department ? await dropDuties(tx, person.id, person.department) : [];
  return {
    keysRevoked: keys.map((k) => k.id),
    dutiesDropped: dropped.map(({ department, duty }) => ({ department, duty })),
  };
}

/** The person by the rules of PersonInput (a department clerk names their department); 422 otherwise. */
function parsePerson(input: unknown): PersonInput {
  const parsed = PersonInput.safeParse(input);
  if (!parsed.success) throw new ProblemError(validationProblem(parsed.error));
  return parsed.data;
}

export function noPerson(id: string): ProblemError {
  return notFound(`no person ${id} in the directory`);
}
