import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AmendmentResult } from '../domain/amendments';
import type { CalendarYear } from '../domain/calendar';
import type { Decision, DecisionResult } from '../domain/decisions';
import type { LifecycleAction, LifecycleResult } from '../domain/lifecycle';
import type { Plan } from '../domain/plan';
import type { ProblemAction, ProblemResult } from '../domain/problems';
import type { Instruction, ProjectState } from '../domain/project';
import type { RulesChange, RulesEditionInput } from '../domain/rules';
import type { ProjectSummary } from '../domain/supervision';

/** A project's workflow id: one workflow per project, named after its code. */
export const projectWorkflowId = (code: string) => `project-${code}`;

/**
 * A department's or the secretary's decision on an item; refused by the validator before history. The
 * only way a decision enters a project: the caller always learns whether it was taken.
 */
export const decideItemUpdate = defineUpdate<DecisionResult, [Decision]>('decideItem');

export const problemUpdate = defineUpdate<ProblemResult, [ProblemAction]>('problem');

export type AcknowledgeEscalation = { escalationKey: string; leader: string; instruction: string };
/** The responsible leader answers an escalation with an instruction (批示). */
export const acknowledgeEscalationUpdate = defineUpdate<Instruction, [AcknowledgeEscalation]>(
  'acknowledgeEscalation',
);

export type AmendPlan = { plan: Plan; by: string; reason: string };
/** The secretary's amended plan (waive, add, re-time, re-chain), computed by the API with amendPlan. */
export const amendPlanUpdate = defineUpdate<AmendmentResult, [AmendPlan]>('amendPlan');

export type Reassign = { secretary?: string; leader?: string; by: string };
export const reassignUpdate = defineUpdate<{ secretary: string; leader: string }, [Reassign]>('reassign');

/** Suspend (缓建), resume, cancel (撤销) or close the project (domain/lifecycle.ts). */
export const lifecycleUpdate = defineUpdate<LifecycleResult, [LifecycleAction]>('lifecycle');

/**
 * Move the project to a rules edition (domain/rules.ts): limits of open items, the ladder, its points,
 * and, when the edition adds or withdraws items, the amended plan the API computed for it.
 */
export const applyRulesUpdate = defineUpdate<RulesChange, [RulesEditionInput & { plan?: Plan }]>(
  'applyRules',
);

/** A calendar year published (or corrected) after the workflow started: deadlines move with it. */
export const calendarPublishedSignal = defineSignal<[CalendarYear]>('calendarPublished');

export type ProjectStateView = {
  state: ProjectState;
  summary: ProjectSummary;
  nextEscalationAt: string | null;
};
export const projectStateQuery = defineQuery<ProjectStateView>('projectState');
