import type { Context } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { type AuditEntry as AuditValues, insertAudit } from '../db/audit';
import type { DB } from '../db/schema';
import { type ClientIpOptions, clientIp } from './auth/client-ip';
import { principalOf } from './auth/middleware';
import type { Principal } from './auth/principal';

/**
 * The audit trail: every accepted decision with who, which key, when, from where and the
 * request id, readable per project. The statements are in db/audit.ts.
 *
 * Handlers record the entry *after* the workflow accepted the action — `auditWithAnswer`, written with
 * the Idempotency-Key's stored answer, or `recordAudit` inside a transaction of their own — and a failure
 * to write it surfaces as an error (a 503 when PostgreSQL is down): the idempotency key is then released,
 * the client retries with the same key, Temporal answers the retried update from its history (same
 * update id), and this time the row is written. So an accepted decision is not silently left unaudited.
 *
 * Where from: `clientIp` (api/auth/client-ip.ts): the socket's address unless proxies of ours are configured.
 */

/** An entry as handlers write it: db/audit.ts `AuditEntry`, by the request's Principal. */
export type AuditEntry = AuditValues & { principal: Principal };

export const AuditRow = z
  .object({
    id: z.number().int(),
    projectCode: z.string().nullable(),
    action: z.string(),
    subject: z.string(),
    keyId: z.string(),
    personId: z.string().nullable(),
    role: z.string(),
    department: z.string().nullable(),
    requestId: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    at: z.iso.datetime(),
    body: z.unknown(),
    result: z.unknown(),
  })
  .meta({ id: 'AuditRecord', description: 'One accepted action: who, with which key, when, from where' });
export type AuditRow = z.infer<typeof AuditRow>;

/** Writes the entry now: for actions whose audit belongs in a transaction of their own (pass `trx`). */
export async function recordAudit(db: Kysely<DB>, entry: AuditEntry): Promise<void> {
  await insertAudit(db, entry);
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The audit entry `auditWithAnswer` handed to `idempotent`, written with the stored answer. */
    pendingAudit: AuditEntry;
  }
}

/**
 * For a handler behind `idempotent` (api/idempotency.ts) whose action happened outside PostgreSQL (in a
 * workflow): the entry is written in the same statement that stores the answer for the Idempotency-Key,
 * after the handler returns. Both or neither: if that statement fails, the caller gets an error (a 503
 * when PostgreSQL is down), the key is released, and the retry (same key, so the same Temporal update
 * id, answered from history) writes both; if the claim was taken over meanwhile (after its lease),
 * neither is written here and the request that took it over writes both. One round trip instead of two
 * on every decision, and no audit entry without its stored answer (which a retry after the lease would
 * otherwise audit a second time).
 */
export function auditWithAnswer(
  c: Context,
  entry: Omit<AuditEntry, keyof ReturnType<typeof auditContext>>,
): void {
  if (c.get('updateId') === undefined) throw new Error('auditWithAnswer() needs the idempotent() middleware');
  c.set('pendingAudit', { ...auditContext(c), ...entry });
}

/** The who/where part of an audit entry, from the request: `recordAudit(db, { ...auditContext(c), … })`. */
export function auditContext(
  c: Context,
  options: ClientIpOptions = {},
): Pick<AuditEntry, 'principal' | 'requestId' | 'ip' | 'userAgent'> {
  return {
    principal: principalOf(c),
    requestId: (c.get('requestId') as string | undefined) ?? 'none',
    ip: clientIp(c, options),
    userAgent: c.req.header('user-agent') ?? null,
  };
}
