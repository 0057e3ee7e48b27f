import { type Kysely, sql, type Transaction } from 'kysely';
import type { DB, IdempotencyKeyRow, NewAuditLogRow } from './schema';

/**
 * Stored answers to state-changing requests: every statement on `idempotency_keys`. The protocol (claim,
 * wait, replay, take over after the lease, release on a 5xx) is api/idempotency.ts.
 */

type Db = Kysely<DB> | Transaction<DB>;

/** Whose record: the caller's key id and the Idempotency-Key it sent. */
export type IdempotencyScope = Pick<IdempotencyKeyRow, 'key_id' | 'idempotency_key'>;
/** A record as held by one attempt, named by its `owner_token`. */
export type IdempotencyOwner = IdempotencyScope & Pick<IdempotencyKeyRow, 'owner_token'>;
/** What a first request claims: the scope, the request it stands for, and the attempt that runs it. */
export type IdempotencyClaim = IdempotencyOwner & Pick<IdempotencyKeyRow, 'method' | 'path' | 'body_hash'>;
/** The answer kept for replay; `response` is the jsonb text of a `StoredResponse`. */
export type IdempotencyAnswer = { status: number; response: string };

/** Claims the scope for this attempt (a primary-key insert); false when a record exists already. */
export async function claimIdempotencyKey(db: Db, claim: IdempotencyClaim): Promise<boolean> {
  const claimed = await db
    .insertInto('idempotency_keys')
    .values(claim)
    .onConflict((oc) => oc.columns(['key_id', 'idempotency_key']).doNothing())
    .returning('key_id')
    .executeTakeFirst();
  return claimed !== undefined;
}

/** The scope's record, and whether its claim is older than the lease (`stale`); undefined when none. */
export async function findIdempotencyRecord(db: Db, scope: IdempotencyScope, leaseSeconds: number) {
  return db
    .selectFrom('idempotency_keys')
    .select(['body_hash', 'method', 'path', 'status', 'response', 'completed_at'])
    .select(sql<boolean>`created_at < now() - make_interval(secs => ${leaseSeconds})`.as('stale'))
    .where('key_id', '=', scope.key_id)
    .where('idempotency_key', '=', scope.idempotency_key)
    .executeTakeFirst();
}

/**
 * Hands an unanswered claim older than the lease, for the same request, to `owner`, restarting its
 * lease; false when another attempt answered or took it over first.
 */
export async function takeOverIdempotencyKey(
  db: Db,
  owner: IdempotencyOwner,
  bodyHash: string,
  leaseSeconds: number,
): Promise<boolean> {
  const row = await db
    .updateTable('idempotency_keys')
    .set({ owner_token: owner.owner_token, created_at: sql<Date>`now()` })
    .where('key_id', '=', owner.key_id)
    .where('idempotency_key', '=', owner.idempotency_key)
    .where('body_hash', '=', bodyHash)
    .where('completed_at', 'is', null)
    .where(sql<boolean>`created_at < now() - make_interval(secs => ${leaseSeconds})`)
    .returning('key_id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Restarts the lease of `owner`'s unanswered claim (its `created_at` is when the lease began): a live
 * handler renews it, so only a dead process's claim ever grows older than the lease.
 */
export async function renewIdempotencyClaim(db: Db, owner: IdempotencyOwner): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ created_at: sql<Date>`now()` })
    .where('key_id', '=', owner.key_id)
    .where('idempotency_key', '=', owner.idempotency_key)
    .where('owner_token', '=', owner.owner_token)
    .where('completed_at', 'is', null)
    .execute();
}

/** Stores the answer, if `owner` still holds the claim. */
export async function storeIdempotentAnswer(
  db: Db,
  owner: IdempotencyOwner,
  answer: IdempotencyAnswer,
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .where('key_id', '=', owner.key_id)
    .where('idempotency_key', '=', owner.idempotency_key)
    .where('owner_token', '=', owner.owner_token)
    .set({ status: answer.status, response: answer.response, completed_at: sql<Date>`now()` })
    .execute();
}

/**
 * Stores the answer and inserts the audit row in one statement; the insert reads from the update, so it
 * writes nothing unless `owner` still holds the claim. Returns the audit rows written (1 or 0).
 */
export async function storeIdempotentAnswerWithAudit(
  db: Db,
  owner: IdempotencyOwner,
  answer: IdempotencyAnswer,
  v: NewAuditLogRow,
): Promise<bigint> {
  const result = await sql`
    with answered as (
      update idempotency_keys
         set status = ${answer.status}, response = ${answer.response}, completed_at = now()
       where key_id = ${owner.key_id} and idempotency_key = ${owner.idempotency_key}
         and owner_token = ${owner.owner_token}
      returning key_id
    )
    insert into audit_log (project_code, action, subject, key_id, person_id, role, department,
                           request_id, ip, user_agent, body, result)
    select ${v.project_code}, ${v.action}, ${v.subject}, ${v.key_id}, ${v.person_id}, ${v.role},
           ${v.department}, ${v.request_id}, ${v.ip}, ${v.user_agent}, ${v.body}::jsonb, ${v.result}::jsonb
      from answered`.execute(db);
  return result.numAffectedRows ?? 0n;
}

/** Deletes the record, if `owner` still holds it, so a retry runs afresh. */
export async function releaseIdempotencyKey(db: Db, owner: IdempotencyOwner): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('key_id', '=', owner.key_id)
    .where('idempotency_key', '=', owner.idempotency_key)
    .where('owner_token', '=', owner.owner_token)
    .execute();
}

/** Deletes answered or abandoned idempotency records created before `before`; returns how many. */
export async function deleteExpiredIdempotencyKeys(db: Db, before: Date): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Deletes every unanswered claim; returns how many. Only for a database whose one API process has just
 * died (`npm start` restarting it): then no claim can belong to a request still running.
 */
export async function releaseUnansweredIdempotencyKeys(db: Db): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('completed_at', 'is', null).executeTakeFirst();
  return Number(result.numDeletedRows);
}
