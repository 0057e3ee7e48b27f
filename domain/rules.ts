import { z } from 'zod';
import type { Calendar } from './calendar';
import { type Catalog, ItemCode, TimeLimit } from './catalog';
import { EscalationPolicy } from './ladder';
import { hasEnded } from './lifecycle';
import { amendPlan, instantiatePlan, type Plan, type Tailoring } from './plan';
import { isDone, type ProjectState } from './project';
import { nextEscalationAt, refreshAllDeadlines, summarize } from './supervision';
import { workingDaysFromTo } from './working-days';

/**
 * The programme's rules as versioned data (规则版本): the committed time limit of each item where the
 * city sets its own, the escalation ladder and its points. Operators publish an edition (checked
 * against the catalog); new registrations run on the latest; a running project moves to an edition only
 * when an operator applies it, after a preview of what it would change there. No code is deployed.
 *
 * It may also withdraw items (an approval abolished) and add catalog items (one newly required): in a
 * running project these go through the plan-amendment rules (domain/amendments.ts), so an item a
 * department holds or has finished is never taken away. Finished items keep the limit they were decided
 * under; items still open take the new one, counted from their clock's start, so a cut limit can make an
 * item overdue at once (the preview says which).
 */

export const EditionId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'an edition id is 1–40 letters, digits, . _ or -');

export const RulesEdition = z.object({
  id: EditionId,
  note: z.string().trim().min(1).max(2000).describe('What changed and on whose authority (文件号)'),
  limits: z
    .record(ItemCode, TimeLimit)
    .default({})
    .describe("Committed limits that replace the catalog's, by item code"),
  policy: EscalationPolicy,
  /** Items the rules no longer require (an approval abolished): taken out of plans that have not begun them. */
  withdraw: z.array(ItemCode).default([]).describe('Items no longer required'),
  /** Catalog items the rules now require, after the prerequisites named (those in the plan). */
  add: z
    .array(z.object({ code: ItemCode, prerequisites: z.array(ItemCode).optional() }))
    .default([])
    .describe('Catalog items now required'),
});
export type RulesEdition = z.infer<typeof RulesEdition>;
/** An edition as sent: lists it leaves out are empty. */
export type RulesEditionInput = z.input<typeof RulesEdition>;

/** The edition projects registered before editions existed run on. */
export const SHIPPED_EDITION = 'shipped';

/** Why the edition cannot be published against this catalog: every problem, with its path. */
export function refuseEdition(edition: RulesEdition, catalog: Catalog): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  for (const [i, code] of [...edition.withdraw, ...edition.add.map((a) => a.code)].entries()) {
    if (!catalog.items.some((c) => c.code === code)) {
      const path = i < edition.withdraw.length ? `withdraw.${i}` : `add.${i - edition.withdraw.length}.code`;
      out.push({ path, message: `no item ${code} in catalog ${catalog.version}` });
    }
  }
  for (const [code, limit] of Object.entries(edition.limits)) {
    const item = catalog.items.find((i) => i.code === code);
    if (!item) {
      out.push({ path: `limits.${code}`, message: `no item ${code} in catalog ${catalog.version}` });
    } else if (
      item.legalLimit &&
      item.legalLimit.dayType === limit.dayType &&
      limit.days > item.legalLimit.days
    ) {
      out.push({
        path: `limits.${code}`,
        message: `${limit.days} ${limit.dayType} days is longer than the legal limit of ${item.legalLimit.days}`,
      });
    }
  }
  // Every template must still make a valid plan under it: what it adds and withdraws applies to new projects.
  if (out.length === 0) {
    for (const template of catalog.templates) {
      const base = instantiatePlan(catalog, template.id);
      if (!base.ok) continue;
      const amended = amendPlan(base.plan, editionTailoring(base.plan, edition), { catalog });
      if (!amended.ok) {
        for (const problem of amended.problems)
          out.push({ path: `templates.${template.id}`, message: problem });
      }
    }
  }
  return out;
}

/** The edition's plan for a new project of this plan: its items added and withdrawn, its limits. */
export function planUnderEdition(plan: Plan, edition: RulesEdition, catalog: Catalog): Plan {
  const amended = amendPlan(plan, editionTailoring(plan, edition), { catalog });
  // refuseEdition checked every template at publishing; a tailored plan it breaks keeps its items.
  const items = amended.ok ? amended.plan.items : plan.items;
  return {
    ...plan,
    items: items.map((i) => (edition.limits[i.code] ? { ...i, committedLimit: edition.limits[i.code]! } : i)),
  };
}

/**
 * The plan change an edition asks of a plan: its withdrawn items that the plan has and nobody holds,
 * its added items that the plan lacks (after those of their prerequisites the plan has).
 */
export function editionTailoring(plan: Plan, edition: RulesEdition, held: readonly string[] = []): Tailoring {
  const has = new Set(plan.items.map((i) => i.code));
  const adding = edition.add.filter((a) => !has.has(a.code));
  const known = new Set([...has, ...adding.map((a) => a.code)]);
  return {
    waive: edition.withdraw.filter((c) => has.has(c) && !held.includes(c)),
    add: adding.map((a) => ({
      code: a.code,
      prerequisites: (a.prerequisites ?? []).filter((p) => known.has(p)),
    })),
  };
}

export type RulesChange = {
  edition: string;
  from: string;
  /** Items the edition added to the plan and took out of it (absent in changes recorded before). */
  added?: string[];
  withdrawn?: string[];
  /** Open items whose limit changes: the days before and after, and where the deadline moves. */
  items: {
    item: string;
    limitFrom: number;
    limitTo: number;
    dueFrom: string | null;
    dueTo: string | null;
    shift: number | null;
  }[];
  /** Items that would be past their deadline the moment the edition applies. */
  overdueAtOnce: string[];
  ladderChanged: boolean;
  /** The next rung before and after: re-timed with the deadlines and the ladder. */
  nextEscalation: { from: string | null; to: string | null };
  revision: number;
};

/** Why the project cannot move to the edition now, or null. */
export function refuseRulesChange(state: ProjectState, edition: RulesEdition): string | null {
  if (hasEnded(state)) return `project ${state.profile.code} has ended`;
  const current = state.rulesEdition ?? SHIPPED_EDITION;
  if (current === edition.id) return `project ${state.profile.code} already runs on edition ${edition.id}`;
  return null;
}

/** Move the project to the edition (mutates `state`) and say what changed. */
export function applyRulesEdition(
  state: ProjectState,
  edition: RulesEdition,
  now: number,
  calendar: Calendar,
): RulesChange {
  const from = state.rulesEdition ?? SHIPPED_EDITION;
  const nextBefore = nextEscalationAt(state, calendar);
  const overdueBefore = new Set(summarize(state, now).overdueItems);
  // Open items whose limit the edition changes, with their deadline as it stands.
  const changing = state.plan.items
    .filter((def) => {
      const limit = edition.limits[def.code];
      return (
        limit !== undefined &&
        !isDone(state.items[def.code]!) &&
        (limit.days !== def.committedLimit.days || limit.dayType !== def.committedLimit.dayType)
      );
    })
    .map((def) => ({
      code: def.code,
      limitFrom: def.committedLimit.days,
      dueFrom: state.items[def.code]!.dueDate ?? null,
    }));
  const changed = new Set(changing.map((c) => c.code));
  state.plan = {
    ...state.plan,
    items: state.plan.items.map((i) =>
      changed.has(i.code) ? { ...i, committedLimit: edition.limits[i.code]! } : i,
    ),
  };
  const ladderChanged = JSON.stringify(state.policy) !== JSON.stringify(edition.policy);
  state.policy = edition.policy;
  state.rulesEdition = edition.id;
  refreshAllDeadlines(state, calendar);
  state.revision += 1;

  const items = changing.map(({ code, limitFrom, dueFrom }) => {
    const dueTo = state.items[code]!.dueDate ?? null;
    return {
      item: code,
      limitFrom,
      limitTo: edition.limits[code]!.days,
      dueFrom,
      dueTo,
      shift: dueFrom && dueTo ? workingDaysFromTo(calendar, dueFrom, dueTo) : null,
    };
  });
  return {
    edition: edition.id,
    from,
    items,
    overdueAtOnce: summarize(state, now).overdueItems.filter((c) => !overdueBefore.has(c)),
    ladderChanged,
    nextEscalation: { from: isoOrNull(nextBefore), to: isoOrNull(nextEscalationAt(state, calendar)) },
    revision: state.revision,
  };
}

/** What applying the edition would change, without changing anything. */
export function previewRulesEdition(
  state: ProjectState,
  edition: RulesEdition,
  now: number,
  calendar: Calendar,
): RulesChange {
  // A JSON copy, like the workflow's state (structuredClone is not in the workflow's sandbox).
  const copy = JSON.parse(JSON.stringify(state)) as ProjectState;
  return { ...applyRulesEdition(copy, edition, now, calendar), revision: state.revision };
}

const isoOrNull = (t: number | null) => (t === null ? null : new Date(t).toISOString());
