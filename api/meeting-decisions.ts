import type { MeetingDecision } from '../db/meetings';
import type { AgendaLine, MeetingDecisionInput } from '../domain/meetings';
import type { ProblemAction } from '../domain/problems';
import type { AppDeps } from './app';
import { actorOf } from './auth/permissions';
import type { Principal } from './auth/principal';
import { answerEscalation } from './escalation-answers';
import { ProblemError } from './http-problem';
import { actOnProblem, type TemporalDeps } from './temporal';

/**
 * A meeting's decisions turned into the project's own actions, through the same paths the API's
 * routes take: a problem assigned or raised is the problem Update (owner, solution, deadline), a
 * leader's instruction is the escalation's answer (api/escalation-answers.ts), a date agreed for an item
 * is recorded by the meeting and judged at the next one (the statutory limit does not move by
 * agreement). Each Update's id is derived from the meeting and the decision, so minutes sent again
 * after a failure never act twice.
 *
 * A refusal (the workflow's reason, a role that may not take the action, a line that does not fit)
 * makes the decision `failed` with the reason, kept beside the others; Temporal or PostgreSQL being
 * unavailable fails the whole request (503), to be sent again.
 */

type Deps = Pick<AppDeps, 'db'> & { temporal: TemporalDeps };

export async function applyDecision(
  deps: Deps,
  meetingId: number,
  no: number,
  input: MeetingDecisionInput,
  line: AgendaLine | undefined,
  principal: Principal,
): Promise<MeetingDecision> {
  const base = {
    no,
    line: input.line,
    kind: input.kind,
    projectCode: line?.projectCode ?? '',
    itemCode: line?.itemCode ?? null,
    problemId: line?.problemId ?? null,
    dueOn: null as string | null,
    payload: input as Record<string, unknown>,
  };
  const refused = (detail: string, type = 'about:blank'): MeetingDecision => ({
    ...base,
    state: 'failed',
    outcome: { type, detail },
  });
  if (!line || line.projectCode === '') return refused(`agenda line ${input.line} does not exist`);
  const updateId = (step: string) => `meeting-${meetingId}-${no}-${step}`;
  const code = line.projectCode;
  try {
    switch (input.kind) {
      case 'assign-problem': {
        const problemId = input.problemId ?? line.problemId;
        if (!problemId) return refused(`agenda line ${input.line} is not about a problem: name problemId`);
        const actor = actorOf(principal);
        const assign: ProblemAction = {
          action: 'assign',
          actor,
          problemId,
          ownerDepartment: input.ownerDepartment,
          ...(input.ownerPerson ? { ownerPerson: input.ownerPerson } : {}),
        };
        await actOnProblem(deps.temporal, code, assign, updateId('assign'));
        const planned = await actOnProblem(
          deps.temporal,
          code,
          { action: 'plan', actor, problemId, solution: input.solution, deadline: input.deadline },
          updateId('plan'),
        );
        return { ...base, problemId, dueOn: input.deadline, state: 'applied', outcome: planned.problem };
      }
      case 'raise-problem': {
        const raised = await actOnProblem(
          deps.temporal,
          code,
          {
            action: 'raise',
            actor: actorOf(principal),
            title: input.title,
            description: input.description,
            ownerDepartment: input.ownerDepartment,
            deadline: input.deadline,
            ...(input.blocksItem ? { blocksItem: input.blocksItem } : {}),
          },
          updateId('raise'),
        );
        return {
          ...base,
          problemId: raised.problem.id,
          dueOn: input.deadline,
          state: 'applied',
          outcome: raised.problem,
        };
      }
      case 'instruction': {
        if (!line.escalationKey) {
          return refused(`agenda line ${input.line} has no open red card to answer with an instruction`);
        }
        const answered = await answerEscalation(
          { db: deps.db, temporal: deps.temporal },
          { key: line.escalationKey, principal, instruction: input.instruction, updateId: updateId('ack') },
        );
        return { ...base, state: 'applied', outcome: answered.instruction };
      }
      case 'agree-date': {
        const itemCode = input.itemCode ?? line.itemCode;
        if (!itemCode) return refused(`agenda line ${input.line} is not about an item: name itemCode`);
        return { ...base, itemCode, dueOn: input.date, state: 'recorded', outcome: null };
      }
    }
  } catch (err) {
    if (err instanceof ProblemError && err.problem.status < 500) {
      return refused(err.problem.detail ?? err.problem.title, err.problem.type);
    }
    throw err;
  }
}
