import type { Kysely } from 'kysely';
import { type Escalation, findEscalation } from '../db/escalations';
import type { DB } from '../db/schema';
import { escalationIdOf } from '../domain/escalation-ids';
import type { Instruction } from '../domain/project';
import { canAnswerEscalation, forbidden } from './auth/permissions';
import type { Principal } from './auth/principal';
import { conflict, notFound } from './http-problem';
import { acknowledgeEscalation, queryProject, type TemporalDeps } from './temporal';

/**
 * The one path by which an escalation is answered with an instruction (批示), whether the answer comes
 * from the API (POST /escalations/{id}/acknowledge, with an API key) or from a leader's action link
 * (api/routes/leader-page.ts): the escalation must exist (404), the caller must be the project's
 * responsible leader now, or an operator (403), it is answered once (409), and the workflow's update
 * (its id the caller's idempotency key, so a retry is answered from history) records and delivers it.
 * Callers write the audit entry.
 */

export type EscalationAnswer = { escalation: Escalation; instruction: Instruction };

export async function answerEscalation(
  deps: { db: Kysely<DB>; temporal: TemporalDeps },
  args: { key: string; principal: Principal; instruction: string; updateId?: string; id?: string },
): Promise<EscalationAnswer> {
  const { key, principal, instruction } = args;
  /** How the caller named it (a path's id, or its key URL-encoded), for the answers' details. */
  const id = args.id ?? escalationIdOf(key);
  const row = await findEscalation(deps.db, key);
  if (!row) {
    throw notFound(`no escalation ${id}`, 'No such escalation');
  }
  const code = row.projectCode;
  // The live state: the leader may have been reassigned since the row was written, and an answer may
  // be on its way to the row (recorded in the workflow, its activity not yet run).
  const { state } = await queryProject(deps.temporal, code);
  if (!canAnswerEscalation(principal, state.profile)) {
    throw forbidden(
      `only the responsible leader of project ${code} (or an operator) answers its escalations`,
    );
  }
  const earlier = state.instructions.find((i) => i.escalationKey === key);
  if (row.acknowledgedAt || earlier) {
    const by = row.acknowledgedBy ?? earlier?.leader;
    const at = row.acknowledgedAt ?? earlier?.at;
    throw conflict(
      `escalation ${id} was acknowledged by ${by} at ${at}; an escalation is answered once`,
      'Already acknowledged',
    );
  }
  // A leader who got here is the project's leader. An operator enters the instruction on the leader's
  // behalf (代录): the workflow records the leader's name, the audit trail the operator's key.
  const answer = await acknowledgeEscalation(
    deps.temporal,
    code,
    { escalationKey: key, leader: state.profile.leader, instruction },
    args.updateId,
  );
  // The update returns after deliverInstruction ran, so the row now carries the answer.
  const updated = await findEscalation(deps.db, key);
  if (!updated) throw new Error(`escalation ${id} vanished while it was acknowledged`);
  return { escalation: updated, instruction: answer };
}
