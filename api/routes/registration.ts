import type { Db } from '../../db/connect';
import { loadCalendarYears } from '../../db/reference';
import { latestEdition } from '../../db/rule-editions';
import { shippedCatalog } from '../../domain/catalog-data';
import { instantiatePlan, type Plan, type Tailoring } from '../../domain/plan';
import type { ProjectProfile } from '../../domain/project';
import { planUnderEdition } from '../../domain/rules';
import type { AppDeps } from '../app';
import { invalid, ProblemError, ProblemType } from '../http-problem';

/**
 * What registration and import both start from: the template's plan tailored as asked, under the rules
 * edition new projects run on (the latest published, domain/rules.ts), and the calendar years.
 */
export async function planToRegister(db: Db, body: { templateId: string; tailoring?: Tailoring }) {
  const template = shippedCatalog.templates.find((t) => t.id === body.templateId);
  if (!template) throw invalid('templateId', `unknown template ${body.templateId}`);
  const result = instantiatePlan(shippedCatalog, body.templateId, body.tailoring ?? {});
  if (!result.ok) throw planProblem('The tailored plan is invalid', result.problems);
  const [calendarYears, edition] = await Promise.all([loadCalendarYears(db), latestEdition(db)]);
  return {
    category: template.category,
    plan: edition ? planUnderEdition(result.plan, edition, shippedCatalog) : result.plan,
    warnings: result.warnings,
    calendarYears,
    /** For NewProject: the edition's ladder and id; empty while none is published. */
    rules: edition ? { policy: edition.policy, rulesEdition: edition.id } : {},
  };
}

/** What this process knows at once of a project it just started: who may act on it (api/access.ts). */
export function rememberAccess(deps: AppDeps, profile: ProjectProfile, plan: Plan): void {
  deps.accessCache?.set(profile.code, {
    secretary: profile.secretary,
    leader: profile.leader,
    itemDepartments: new Map(plan.items.map((i) => [i.code, i.department])),
  });
}

/** A plan refused by the domain: every problem listed, each as a field error on `tailoring`. */
export function planProblem(title: string, problems: string[]): ProblemError {
  return new ProblemError({
    status: 422,
    type: ProblemType.validation,
    title,
    detail: problems.join(' '),
    errors: problems.map((message) => ({ in: 'body', path: 'tailoring', message, code: 'plan' })),
  });
}
