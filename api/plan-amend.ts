import type { Context } from 'hono';
import type { z } from 'zod';
import { applyPlanAmendment, refusePlanAmendment } from '../domain/amendments';
import { makeCalendar } from '../domain/calendar';
import { shippedCatalog } from '../domain/catalog-data';
import { amendPlan, type Plan } from '../domain/plan';
import type { ProjectState } from '../domain/project';
import { isHeld } from '../domain/vocabulary';
import { pinProjectAccess } from './access';
import type { AppDeps } from './app';
import { auditWithAnswer } from './audit';
import { actorOf, canActOnProject, forbidden } from './auth/permissions';
import { ProblemError, ProblemType } from './http-problem';
import type { AmendPlanBody as Body } from './routes/project-bodies';
import { planProblem } from './routes/registration';
import { amendProjectPlan, queryProject } from './temporal';

/**
 * Amending a project's plan, however it arrives: POST /projects/{code}/plan (with `?dryRun=true`, its
 * preview) and the project page's tailoring form (api/routes/ui-project-actions.ts). Who may (the
 * secretary or an operator, 403), the amended plan from `amendPlan` (422 listing every problem), then
 * either the workflow's update, audited, or — for a preview — the very functions the workflow's update
 * runs (`refusePlanAmendment`, `applyPlanAmendment`, domain/amendments.ts) on a copy of its live state,
 * so the preview says what the update would do: its refusal a 409 as the workflow's would be.
 */

export type ItemShift = { code: string; nameZh: string; before: string | null; after: string | null };

export type AmendmentPreview = {
  dryRun: true;
  added: string[];
  removed: string[];
  opened: string[];
  /** The planned construction permit date (计划取得施工许可), before and after. */
  permitBefore: string | null;
  permitAfter: string | null;
  /** Items whose planned finish moves, and those added or withdrawn (null on the side they are absent). */
  shifted: ItemShift[];
  warnings: string[];
};

type AmendPlanBody = z.infer<typeof Body>;

type Amended = { plan: Plan; warnings: string[]; state: ProjectState };

async function amended(c: Context, deps: AppDeps, code: string, body: AmendPlanBody): Promise<Amended> {
  const principal = c.get('principal');
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  const { state } = await queryProject(temporal, code);
  if (!canActOnProject(principal, state.profile)) {
    throw forbidden(`only the secretary of project ${code} or an operator amends its plan`);
  }
  // Items a department holds or has finished keep their terms (domain/vocabulary.ts isHeld).
  const finished = Object.values(state.items)
    .filter((i) => isHeld(i.status))
    .map((i) => i.code);
  const result = amendPlan(state.plan, body.tailoring, { catalog: shippedCatalog, finished });
  if (!result.ok) throw planProblem('The amended plan is invalid', result.problems);
  return { plan: result.plan, warnings: result.warnings, state };
}

/** What the amendment would do to the live project, computed as its workflow would; changes nothing. */
export async function previewPlanAmendment(
  c: Context,
  deps: AppDeps,
  code: string,
  body: AmendPlanBody,
): Promise<AmendmentPreview> {
  const { plan, warnings, state } = await amended(c, deps, code, body);
  const copy = structuredClone(state);
  const refusal = refusePlanAmendment(copy, plan);
  if (refusal) {
    throw new ProblemError({
      status: 409,
      type: ProblemType.invalidTransition,
      title: 'The workflow would refuse the amendment',
      detail: refusal,
    });
  }
  const result = applyPlanAmendment(copy, plan, Date.now(), makeCalendar(state.calendarYears));
  const names = new Map([...state.plan.items, ...plan.items].map((i) => [i.code, i.nameZh]));
  const codes = [...new Set([...state.plan.items, ...plan.items].map((i) => i.code))];
  const shifted = codes.flatMap((c): ItemShift[] => {
    const before = state.baseline.items[c]?.plannedFinish ?? null;
    const after = copy.baseline.items[c]?.plannedFinish ?? null;
    const inBefore = state.plan.items.some((i) => i.code === c);
    const inAfter = plan.items.some((i) => i.code === c);
    if (inBefore && inAfter && before === after) return [];
    return [
      { code: c, nameZh: names.get(c) ?? c, before: inBefore ? before : null, after: inAfter ? after : null },
    ];
  });
  return {
    dryRun: true,
    added: result.added,
    removed: result.removed,
    opened: result.opened,
    permitBefore: state.baseline.permitFinish,
    permitAfter: copy.baseline.permitFinish,
    shifted,
    warnings,
  };
}

/** Amend the plan through the workflow's update (the request's update id), audited. */
export async function applyPlanAmendmentAs(c: Context, deps: AppDeps, code: string, body: AmendPlanBody) {
  const { plan, warnings } = await amended(c, deps, code, body);
  const principal = c.get('principal');
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  const result = await amendProjectPlan(
    temporal,
    code,
    { plan, by: actorOf(principal).id ?? principal.keyId, reason: body.reason },
    c.get('updateId'),
  );
  await pinProjectAccess(deps, code);
  const answer = { ...result, warnings };
  auditWithAnswer(c, { projectCode: code, action: 'project.amend', subject: code, body, result: answer });
  return answer;
}
