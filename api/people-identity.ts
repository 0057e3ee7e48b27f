import type { Kysely } from 'kysely';
import { z } from 'zod';
import { identityOfPerson, linkIdentity, unlinkIdentity } from '../db/identities';
import { findPerson } from '../db/people';
import type { DB } from '../db/schema';
import { endPersonSessions } from '../db/sessions';
import { recordAudit } from './audit';
import { conflict, invalid } from './http-problem';
import { noPerson, type Who } from './people';

/**
 * Linking a person of the directory to their identity at the organisation's identity provider
 * (PUT /people/{id}/identity), so they can sign in to the dashboard with it (api/auth/oidc.ts). A
 * person has at most one identity per provider; a new one replaces the old, and ends the sessions
 * signed in with the old one. Audited as `person.identity`.
 */

export const IdentityRequest = z
  .strictObject({
    subject: z
      .string()
      .min(1)
      .max(255)
      .describe("The identity's `sub` at the provider (shown to an unlinked person on the sign-in page)"),
    issuer: z.url().max(500).optional().describe('The provider; by default the configured OIDC_ISSUER'),
  })
  .meta({ id: 'IdentityRequest' });
export type IdentityRequest = z.infer<typeof IdentityRequest>;

export const Identity = z
  .object({
    person: z.string(),
    issuer: z.string(),
    subject: z.string(),
    linkedAt: z.iso.datetime(),
    linkedBy: z.string().describe('The key id of who linked it, or `claim:<name>` for a first sign-in'),
    sessionsEnded: z.number().int().describe('Sessions signed in with an identity this one replaced'),
  })
  .meta({ id: 'Identity', description: "A person's identity at the organisation's identity provider" });
export type Identity = z.infer<typeof Identity>;

export const UnlinkRequest = z
  .strictObject({
    issuer: z.url().max(500).optional().describe('The provider; by default the configured OIDC_ISSUER'),
  })
  .meta({ id: 'UnlinkRequest' });
export type UnlinkRequest = z.infer<typeof UnlinkRequest>;

export const Unlinked = z
  .object({
    person: z.string(),
    issuer: z.string(),
    removed: z.string().nullable().describe('The subject that was linked; null when there was none'),
    sessionsEnded: z.number().int().describe('Their sessions signed in through the provider, ended now'),
  })
  .meta({ id: 'Unlinked', description: "A person's identity at the provider, removed" });
export type Unlinked = z.infer<typeof Unlinked>;

/**
 * Removes the person's identity at the provider and ends their sessions signed in through it; they can
 * sign in that way again only once linked again. Removing none changes nothing (and is audited too, as
 * every accepted request is).
 */
export async function unlinkPersonIdentity(
  db: Kysely<DB>,
  who: Who,
  personId: string,
  request: UnlinkRequest,
  configuredIssuer: string | undefined,
): Promise<Unlinked> {
  const issuer = issuerOf(request, configuredIssuer);
  if (!(await findPerson(db, personId))) throw noPerson(personId);
  return db.transaction().execute(async (tx) => {
    const removed = (await unlinkIdentity(tx, issuer, personId)) ?? null;
    const sessionsEnded = removed === null ? 0 : await endPersonSessions(tx, personId);
    const result = { person: personId, issuer, removed, sessionsEnded };
    await recordAudit(tx, {
      ...who,
      projectCode: null,
      action: 'person.identity-unlink',
      subject: personId,
      body: request,
      result,
    });
    return result;
  });
}

/** The issuer a request names, else the configured one; 422 when neither. */
function issuerOf(request: { issuer?: string }, configured: string | undefined): string {
  const issuer = request.issuer ?? configured;
  if (issuer !== undefined) return issuer;
  const message = 'no identity provider is configured (OIDC_ISSUER): name the issuer';
  throw invalid('issuer', message);
}

export async function linkPersonIdentity(
  db: Kysely<DB>,
  who: Who,
  personId: string,
  request: IdentityRequest,
  configuredIssuer: string | undefined,
): Promise<Identity> {
  const issuer = issuerOf(request, configuredIssuer);
  const person = await findPerson(db, personId);
  if (!person) throw noPerson(personId);
  if (person.left_at !== null) throw conflict(`${personId} has left (handed over); they no longer sign in`);
  return db.transaction().execute(async (tx) => {
    const before = await identityOfPerson(tx, issuer, personId);
    const link = { issuer, subject: request.subject, personId, linkedBy: who.principal.keyId };
    if (!(await linkIdentity(tx, link))) {
      throw conflict('this identity is linked to another person of the directory');
    }
    const replaced = before !== undefined && before.subject !== request.subject;
    const sessionsEnded = replaced ? await endPersonSessions(tx, personId) : 0;
    const now = await identityOfPerson(tx, issuer, personId);
    const result: Identity = {
      person: personId,
      issuer,
      subject: request.subject,
      linkedAt: (now?.linkedAt ?? new Date()).toISOString(),
      linkedBy: now?.linkedBy ?? link.linkedBy,
      sessionsEnded,
    };
    await recordAudit(tx, {
      ...who,
      projectCode: null,
      action: 'person.identity',
      subject: personId,
      body: request,
      result: { ...result, replaced: before?.subject ?? null },
    });
    return result;
  });
}
