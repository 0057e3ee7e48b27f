import type { Kysely, Transaction } from 'kysely';
import { type DB, type EscalationRung, jsonb } from '../db/schema';
import type { EscalationEvent } from '../domain/project';

/**
 * Store escalations durably. The workflow's dedupe key is the primary key, so a retried or replayed
 * activity inserts nothing twice; the count returned is what this call added.
 */
export async function insertEscalations(
  db: Kysely<DB> | Transaction<DB>,
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

/** Record a leader's instruction (批示) on the escalation it answers; repeating it changes nothing. */
export async function recordInstruction(
  db: Kysely<DB>,
  input: { escalationKey: string; leader: string; text: string; at: string },
): Promise<void> {
  await db
    .updateTable('escalations')
    .set({ acknowledged_at: input.at, acknowledged_by: input.leader, instruction: input.text })
    .where('id', '=', input.escalationKey)
    .where('acknowledged_at', 'is', null)
    .execute();
}
