import { type Selectable, sql } from 'kysely';
import { dueDateOf, type LocalDate } from '../domain/calendar';
import { escalationIdOf } from '../domain/escalation-ids';
import type { EscalationEvent } from '../domain/project';
import type { Db } from './connect';
import { type EscalationRung, type EscalationSubjectKind, type EscalationsTable, jsonb } from './schema';

/**
 * Escalations (督办) and the in-app inbox: every statement on `escalations`. The workflow's dedupe key
 * is the primary key, so a retried or replayed activity inserts nothing twice. Readers get
 * `Escalation` objects (camelCase, instants as ISO strings), the shape the API answers with.
 */

export type Escalation = {
  /** The id people and URLs use, e.g. `PRJ-1.item.EIA.1.red` (domain/escalation-ids.ts). */
  id: string;
  /** The workflow's dedupe key, e.g. `PRJ-1/item/EIA/1/red`: the row's primary key. */
  key: string;
  projectCode: string;
  subjectKind: EscalationSubjectKind;
  subjectId: string;
  rung: EscalationRung;
  department: string | null;
  recipients: string[];
  title: string;
  body: string;
  dueAt: string | null;
  /** The China date dueAt ends. */
  dueDate: LocalDate | null;
  firedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  /** The leader's instruction (批示). */
  instruction: string | null;
};

const columns = [
  'e.id',
  'e.project_code',
  'e.subject_kind',
  'e.subject_id',
  'e.rung',
  'e.department',
  'e.recipients',
  'e.title',
  'e.body',
  'e.due_at',
  'e.fired_at',
  'e.acknowledged_at',
  'e.acknowledged_by',
  'e.instruction',
] as const;

type Row = Omit<Selectable<EscalationsTable>, 'created_at'>;

const escalationOf = (r: Row): Escalation => ({
  id: escalationIdOf(r.id),
  key: r.id,
  projectCode: r.project_code,
  subjectKind: r.subject_kind,
  subjectId: r.subject_id,
  rung: r.rung,
  department: r.department,
  recipients: r.recipients,
  title: r.title,
  body: r.body,
  dueAt: r.due_at?.toISOString() ?? null,
  dueDate: r.due_at ? dueDateOf(r.due_at.getTime()) : null,
  firedAt: r.fired_at.toISOString(),
  acknowledgedAt: r.acknowledged_at?.toISOString() ?? null,
  acknowledgedBy: r.acknowledged_by,
  instruction: r.instruction,
});

/** Store the escalations that fired; the count returned is what this call added. */
export async function insertEscalations(
  db: Db,
  projectCode: string,
  events: EscalationEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const rows = await db
    .insertInto('escalations')
    .values(
      events.map((e) => ({
        id: e.key,
        project_code: projectCode,
        subject_kind: e.subjectKind,
        subject_id: e.subjectId,
        rung: e.rung as EscalationRung,
        department: e.department ?? null,
        recipients: jsonb(e.notify),
        title: e.title,
        body: e.body,
        due_at: e.dueAt ?? null,
        fired_at: e.firedAt,
        acknowledged_at: null,
        acknowledged_by: null,
        instruction: null,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

/**
 * Of these escalation ids, those inserted by the current transaction: `created_at` defaults to now(),
 * which PostgreSQL fixes at the transaction's start, so rows an earlier attempt committed differ.
 */
export async function escalationsCreatedNow(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('escalations')
    .select('id')
    .where('id', 'in', ids)
    .where('created_at', '=', sql<Date>`now()`)
    .execute();
  return new Set(rows.map((r) => r.id));
}

/** Record a leader's instruction (批示) on the escalation it answers; repeating it changes nothing. */
export async function recordInstruction(
  db: Db,
  input: { escalationKey: string; leader: string; text: string; at: string },
): Promise<void> {
  await db
    .updateTable('escalations')
    .set({ acknowledged_at: input.at, acknowledged_by: input.leader, instruction: input.text })
    .where('id', '=', input.escalationKey)
    .where('acknowledged_at', 'is', null)
    .execute();
}

/** The escalation with this key (the workflow's, not the URL-safe id). */
export async function findEscalation(db: Db, key: string): Promise<Escalation | undefined> {
  const row = await db
    .selectFrom('escalations as e')
    .select(columns)
    .where('e.id', '=', key)
    .executeTakeFirst();
  return row && escalationOf(row);
}

/**
 * Whose inbox: a leader's (every escalation on the projects they lead: each is one they may answer, the
 * yellow cards to a department head included), a secretary's (their projects), a department's.
 */
export type InboxOwner =
  | { leader: string }
  | { secretary: string }
  | { department: string }
  /** Operators: every escalation. */
  | 'all';

export type InboxQuery = {
  owner: InboxOwner;
  acknowledged?: boolean;
  projectCode?: string;
  /** Fired at or after this instant. */
  since?: Date;
  /** The key of the last escalation of the previous page: continue strictly after its (fired_at, id). */
  after?: string;
  limit: number;
};

/** One page of an inbox, newest first; `more` when another page follows. */
export async function inboxPage(
  db: Db,
  q: InboxQuery,
): Promise<{ escalations: Escalation[]; more: boolean }> {
  let query = db
    .selectFrom('escalations as e')
    .leftJoin('projects as p', 'p.code', 'e.project_code')
    .select(columns);
  const { owner } = q;
  if (owner !== 'all' && 'leader' in owner) {
    query = query.where('p.leader', '=', owner.leader);
  } else if (owner !== 'all' && 'secretary' in owner) {
    query = query.where('p.secretary', '=', owner.secretary);
  } else if (owner !== 'all') {
    query = query.where('e.department', '=', owner.department);
  }
  if (q.acknowledged !== undefined)
    query = query.where('e.acknowledged_at', q.acknowledged ? 'is not' : 'is', null);
  if (q.projectCode) query = query.where('e.project_code', '=', q.projectCode);
  if (q.since) query = query.where('e.fired_at', '>=', q.since);
  if (q.after !== undefined) {
    // Read from the row itself so the comparison keeps PostgreSQL's microseconds.
    query = query.where(
      sql<boolean>`(e.fired_at, e.id) < (select c.fired_at, c.id from escalations c where c.id = ${q.after})`,
    );
  }
  // One row more than asked tells whether another page follows.
  const rows = await query
    .orderBy('e.fired_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  return { escalations: rows.slice(0, q.limit).map(escalationOf), more: rows.length > q.limit };
}

/** Escalations not yet acknowledged, by rung, for the metrics page. */
export async function countOpenEscalationsByRung(db: Db): Promise<{ rung: string; n: number }[]> {
  return db
    .selectFrom('escalations')
    .select(['rung', sql<number>`count(*)::int`.as('n')])
    .where('acknowledged_at', 'is', null)
    .groupBy('rung')
    .execute();
}
