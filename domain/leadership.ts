import type { Instruction, ProjectState } from './project';

/**
 * The people who answer for a project: the responsible leader's instructions (批示) on escalations,
 * and the operator's reassignment of the secretary or the leader. Pure rules, as the workflow's
 * update handlers take them: refuse…() says why not (or null), apply…() changes the state.
 */

export type Acknowledgement = { escalationKey: string; leader: string; instruction: string };

/** Only the project's leader answers, once per escalation, with some text. */
export function refuseAcknowledgement(state: ProjectState, ack: Acknowledgement): string | null {
  const code = state.profile.code;
  if (ack.leader !== state.profile.leader)
    return `${ack.leader} is not the responsible leader of project ${code}`;
  if (!ack.escalationKey.startsWith(`${code}/`))
    return `escalation ${ack.escalationKey} is not of project ${code}`;
  if (!ack.instruction || ack.instruction.trim().length === 0) return 'the instruction is empty';
  const earlier = state.instructions.find((i) => i.escalationKey === ack.escalationKey);
  if (earlier) return `escalation ${ack.escalationKey} was answered by ${earlier.leader} at ${earlier.at}`;
  return null;
}

/** Records the instruction; the caller delivers it to the secretary. */
export function applyAcknowledgement(state: ProjectState, ack: Acknowledgement, now: number): Instruction {
  const instruction = {
    escalationKey: ack.escalationKey,
    leader: ack.leader,
    text: ack.instruction,
    at: new Date(now).toISOString(),
  };
  state.instructions.push(instruction);
  state.revision += 1;
  return instruction;
}

export type Reassignment = { secretary?: string; leader?: string };

export function refuseReassignment(r: Reassignment): string | null {
  return !r.secretary && !r.leader ? 'name a new secretary or a new leader' : null;
}

export function applyReassignment(
  state: ProjectState,
  r: Reassignment,
): { secretary: string; leader: string } {
  if (r.secretary) state.profile.secretary = r.secretary;
  if (r.leader) state.profile.leader = r.leader;
  state.revision += 1;
  return { secretary: state.profile.secretary, leader: state.profile.leader };
}
