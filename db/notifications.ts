import { sql, type Transaction } from 'kysely';
import type { Db } from './connect';
import { type DB, jsonb, type NotificationChannel, type PersonRow } from './schema';

/**
 * The notification outbox and what it is addressed with: every statement on `notifications`,
 * `notification_requests`, `notification_routes` and `department_contacts` (but operators' edits of
 * the last two, db/contacts.ts), and the reads of `people` that resolve recipients. The outbox's rules
 * (recipients, pacing, retries) are the activities' (notify/); these are the statements they run.
 * Time is always the caller's clock, never the database's. No secret is ever in these rows: URLs and
 * keys live in the configuration, and every error text was redacted before it was stored.
 */

// --- Writing the outbox -------------------------------------------------------------------------------

/**
 * One message for one channel target: an escalation's (`escalationId`), a digest's (`digestId`) or an
 * urging's (`urgingId`).
 */
export type OutboxMessage = {
  /** The message key: the escalation's id, or for a digest (an urging) the digest's (urging's) id. */
  escalationId: string;
  digestId?: string;
  urgingId?: string;
  channel: NotificationChannel;
  target: string;
  message: unknown;
};

/**
 * Adds the messages; one already there for the same (key, channel, target) is left alone, so a retried
 * writer adds nothing. Returns how many were added.
 */
export async function enqueueMessages(db: Db, messages: readonly OutboxMessage[]): Promise<number> {
  if (messages.length === 0) return 0;
  const inserted = await db
    .insertInto('notifications')
    .values(
      messages.map((m) => ({
        escalation_id: m.escalationId,
        ...(m.digestId === undefined ? {} : { digest_id: m.digestId }),
        ...(m.urgingId === undefined ? {} : { urging_id: m.urgingId }),
        channel: m.channel,
        target: m.target,
        message: jsonb(m.message),
      })),
    )
    .onConflict((oc) => oc.columns(['escalation_id', 'channel', 'target']).doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

// --- Who is notified, and where -----------------------------------------------------------------------

export type RouteOwner = 'person' | 'department' | 'project';
export type Route = { ownerKind: RouteOwner; ownerId: string; channel: NotificationChannel; target: string };
/** A person as the channels address them: the contact ids each channel uses. */
export type Person = Pick<
  PersonRow,
  'id' | 'name' | 'mobile' | 'email' | 'dingtalk_user_id' | 'wecom_user_id' | 'feishu_open_id'
>;

/** Everything resolving an escalation's recipients reads (notify/recipients.ts). */
export type Directory = {
  project: { code: string; name: string; secretary: string; leader: string };
  people: ReadonlyMap<string, Person>;
  contacts: readonly { department: string; duty: 'head' | 'handler'; personId: string }[];
  /** Problem id → the person it is assigned to. */
  problemOwners: ReadonlyMap<string, string>;
  routes: readonly Route[];
  departmentNames: ReadonlyMap<string, string>;
};

/**
 * The directory for escalations of `project` that name these departments and problems: the project's
 * secretary and leader, the departments' contacts, the problems' owners, their routes and the
 * project's and departments' routes, and the departments' names.
 */
export async function loadDirectory(
  db: Db,
  project: Directory['project'],
  about: { departments: readonly string[]; problemIds: readonly string[] },
): Promise<Directory> {
  const { departments, problemIds } = about;
  const contacts = departments.length
    ? await db
        .selectFrom('department_contacts')
        .select(['department', 'duty', 'person_id'])
        .where('department', 'in', departments)
        .execute()
    : [];
  const owners = problemIds.length
    ? await db
        .selectFrom('problems')
        .select(['problem_id', 'owner_person'])
        .where('project_code', '=', project.code)
        .where('problem_id', 'in', problemIds)
        .where('owner_person', 'is not', null)
        .execute()
    : [];
  const personIds = [
    ...new Set([
      project.secretary,
      project.leader,
      ...contacts.map((c) => c.person_id),
      ...owners.map((o) => o.owner_person!),
    ]),
  ];
  const people = await loadPeople(db, personIds);
  const routes = await db
    .selectFrom('notification_routes')
    .select(['owner_kind', 'owner_id', 'channel', 'target'])
    .where((eb) =>
      eb.or([
        eb.and([eb('owner_kind', '=', 'person'), eb('owner_id', 'in', personIds)]),
        eb.and([eb('owner_kind', '=', 'project'), eb('owner_id', '=', project.code)]),
        ...(departments.length
          ? [eb.and([eb('owner_kind', '=', 'department'), eb('owner_id', 'in', departments)])]
          : []),
      ]),
    )
    .orderBy('owner_kind')
    .orderBy('owner_id')
    .orderBy('channel')
    .orderBy('target')
    .execute();
  const names = departments.length
    ? await db
        .selectFrom('departments')
        .select(['code', 'name_zh'])
        .where('code', 'in', departments)
        .execute()
    : [];
  return {
    project,
    people: new Map(people.map((p) => [p.id, p])),
    contacts: contacts.map((c) => ({ department: c.department, duty: c.duty, personId: c.person_id })),
    problemOwners: new Map(owners.map((o) => [o.problem_id, o.owner_person!])),
    routes: routes.map(routeOf),
    departmentNames: new Map(names.map((n) => [n.code, n.name_zh])),
  };
}

const routeOf = (r: {
  owner_kind: RouteOwner;
  owner_id: string;
  channel: NotificationChannel;
  target: string;
}): Route => ({ ownerKind: r.owner_kind, ownerId: r.owner_id, channel: r.channel, target: r.target });

/** These people, with their contact ids (those not in the directory are left out). */
export async function loadPeople(db: Db, ids: readonly string[]): Promise<Person[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('people')
    .select(['id', 'name', 'mobile', 'email', 'dingtalk_user_id', 'wecom_user_id', 'feishu_open_id'])
    .where('id', 'in', ids)
    .execute();
}

/** These people's own routes, by person, channel and target. */
export async function personRoutes(db: Db, ids: readonly string[]): Promise<Route[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('notification_routes')
    .select(['owner_kind', 'owner_id', 'channel', 'target'])
    .where('owner_kind', '=', 'person')
    .where('owner_id', 'in', ids)
    .orderBy('owner_id')
    .orderBy('channel')
    .orderBy('target')
    .execute();
  return rows.map(routeOf);
}

// --- Claiming and marking (the dispatcher, notify/outbox.ts) --------------------------------

export type DueRow = {
  id: number;
  channel: NotificationChannel;
  target: string;
  message: unknown;
  attempts: number;
};

/**
 * Locks what is due (pending and due, or sending with a lapsed lease), at most `perTarget` per target
 * and `batch` in all, leaving out the `busy` targets and, when `only` is given, every target not in it
 * (targets as `channel:target`). `FOR UPDATE SKIP LOCKED`: run inside the claiming transaction, and
 * several dispatchers each get their own rows.
 */
export async function lockDue(
  trx: Transaction<DB>,
  opts: { now: Date; busy: readonly string[]; only?: readonly string[]; perTarget: number; batch: number },
): Promise<DueRow[]> {
  const { now } = opts;
  const textArray = (xs: readonly string[]) =>
    sql`array[${sql.join(xs.length ? xs.map((x) => sql`${x}`) : [sql`''`])}]::text[]`;
  const only = opts.only ? sql`and (channel || ':' || target) = any(${textArray(opts.only)})` : sql``;
  const due = sql`((status = 'pending' and next_attempt_at <= ${now}) or (status = 'sending' and claimed_until <= ${now}))
    and not ((channel || ':' || target) = any(${textArray(opts.busy)})) ${only}`;
  // The ranking keeps one target's backlog from filling the batch; the outer query repeats the
  // condition because PostgreSQL re-checks only the locked table's own clauses on a row that changed.
  const { rows } = await sql<DueRow>`
    select id, channel, target, message, attempts from notifications
    where id in (
      select id from (
        select id, row_number() over (partition by channel, target order by next_attempt_at, id) as rn
        from notifications where ${due}
      ) ranked where rn <= ${opts.perTarget}
    ) and ${due}
    order by next_attempt_at, id
    limit ${opts.batch}
    for update skip locked`.execute(trx);
  return rows;
}

/** Marks rows `sending` under the claim `token` until `claimedUntil`, counting an attempt. */
export async function claimRows(
  trx: Db,
  ids: readonly number[],
  claim: { token: string; claimedUntil: Date; requestId: number | null; now: Date },
): Promise<void> {
  await trx
    .updateTable('notifications')
    .set((eb) => ({
      status: 'sending',
      claim_token: claim.token,
      claimed_until: claim.claimedUntil,
      attempts: eb('attempts', '+', 1),
      request_id: claim.requestId,
      updated_at: claim.now,
    }))
    .where('id', 'in', ids)
    .execute();
}

/** Rows over a target's rate limit: pending again at `at`, unclaimed, no attempt counted. */
export async function deferRows(trx: Db, ids: readonly number[], at: Date, now: Date): Promise<void> {
  await trx
    .updateTable('notifications')
    .set({ status: 'pending', next_attempt_at: at, claim_token: null, claimed_until: null, updated_at: now })
    .where('id', 'in', ids)
    .execute();
}

/**
 * Serialises the rate check of one target (`channel:target`) across dispatchers until the transaction
 * ends (an advisory lock).
 */
export async function lockTarget(trx: Transaction<DB>, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`greenlane.notify:${key}`}, 0))`.execute(trx);
}

/** When requests were made to the target after `since`, from the shared request log. */
export async function requestTimes(trx: Db, key: string, since: Date): Promise<number[]> {
  const past = await trx
    .selectFrom('notification_requests')
    .select('at')
    .where('target_key', '=', key)
    .where('at', '>', since)
    .execute();
  return past.map((p) => p.at.getTime());
}

/** Logs a request to the target carrying `messages` rows; returns its id. */
export async function logRequest(trx: Db, key: string, at: Date, messages: number): Promise<number> {
  const { id } = await trx
    .insertInto('notification_requests')
    .values({ target_key: key, at, messages })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** Forgets the target's requests made before `before`. */
export async function pruneRequests(trx: Db, key: string, before: Date): Promise<void> {
  await trx
    .deleteFrom('notification_requests')
    .where('target_key', '=', key)
    .where('at', '<', before)
    .execute();
}

/** The provider answered 2xx: these rows are done and will never be claimed again. */
export async function markSent(
  db: Db,
  ids: number[],
  token: string,
  now: number,
  response: string,
): Promise<number> {
  const res = await db
    .updateTable('notifications')
    .set({
      status: 'sent',
      sent_at: new Date(now),
      response,
      last_error: null,
      claimed_until: null,
      updated_at: new Date(now),
    })
    .where('id', 'in', ids)
    .where('claim_token', '=', token)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** A failed attempt: back to pending at `retryAt`, or `failed` for good when `retryAt` is null. */
export async function markAttemptFailed(
  db: Db,
  id: number,
  token: string,
  now: number,
  error: string,
  retryAt: number | null,
): Promise<void> {
  await db
    .updateTable('notifications')
    .set({
      status: retryAt === null ? 'failed' : 'pending',
      next_attempt_at: new Date(retryAt ?? now),
      last_error: error,
      claim_token: null,
      claimed_until: null,
      updated_at: new Date(now),
    })
    .where('id', '=', id)
    .where('claim_token', '=', token)
    .where('status', '=', 'sending')
    .execute();
}

/**
 * Rows claimed but not tried, because an earlier request to the same target just failed: back to
 * pending at `retryAt` with the claim's attempt given back.
 */
export async function releaseUntried(
  db: Db,
  ids: number[],
  token: string,
  now: number,
  retryAt: number,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('notifications')
    .set((eb) => ({
      status: 'pending',
      attempts: eb('attempts', '-', 1),
      next_attempt_at: new Date(retryAt),
      claim_token: null,
      claimed_until: null,
      updated_at: new Date(now),
    }))
    .where('id', 'in', ids)
    .where('claim_token', '=', token)
    .where('status', '=', 'sending')
    .execute();
}
