import { z } from 'zod';
import { ApprovalItem, type Catalog, ItemCode, ProjectCategory, TimeKind, TimeLimit } from './catalog';

/**
 * A project's plan: its template instantiated from the catalog and tailored (waived, added, limits
 * overridden, prerequisites reset). The plan is the project workflow's input, so it is plain JSON and
 * every item is self-contained: the workflow never looks at the catalog again.
 *
 * Rules decided here (see also the README):
 * - An item whose catalog `appliesTo` leaves out the plan's category is kept, with a warning: the
 *   catalog's column is typical practice (e.g. a social project with a basement needs civil air defence).
 * - Every prerequisite must be an item of the plan. A catalog default that names an item the template
 *   leaves out is refused, not dropped: a silently lost dependency is worse than a data fix.
 * - A committed limit may not exceed the legal limit of the same day type; limits in different day types
 *   are not compared.
 * - An amendment is checked against the plan's own catalog version; it may not waive, re-time or
 *   re-chain an item that has already finished (its ledger entry was measured against those terms).
 */

/**
 * The tailoring of a plan, with item codes checked by `code` (the API passes the shipped catalog's, so
 * an unknown item is refused at its own field, e.g. `tailoring.waive.0`). Strict at every level: a field
 * nobody reads (`add[].department`) is refused rather than dropped, which would let the caller believe
 * it took effect. The tailoring never enters a workflow's history; the plan made from it does.
 */
export function tailoringOf(code: z.ZodType<ItemCode, ItemCode>) {
  return z.strictObject({
    waive: z.array(code).optional(),
    add: z.array(z.strictObject({ code, prerequisites: z.array(code).optional() })).optional(),
    overrideLimits: z.array(z.strictObject({ code, committedLimit: TimeLimit.strict() })).optional(),
    prerequisites: z.array(z.strictObject({ code, prerequisites: z.array(code) })).optional(),
  });
}
export const Tailoring = tailoringOf(ItemCode);
export type Tailoring = z.infer<typeof Tailoring>;

/**
 * An item as a project's plan holds it: the catalog's item, its flags settled (no defaults left to
 * apply), without the catalog's bookkeeping (row number, categories, note).
 */
export const PlanItem = ApprovalItem.pick({
  code: true,
  nameZh: true,
  nameEn: true,
  department: true,
  stage: true,
  lane: true,
  kind: true,
  legalLimit: true,
  committedLimit: true,
}).extend({
  /** Absent in plans made before items carried it: read with `timeKindOf` (domain/approval-time.ts). */
  timeKind: TimeKind.optional(),
  prerequisites: z.array(ItemCode),
  earlyStart: z.boolean(),
  commitment: z.boolean(),
  acceptWithGaps: z.boolean(),
});
export type PlanItem = z.infer<typeof PlanItem>;

export const Plan = z.object({
  catalogVersion: z.string().min(1),
  templateId: z.string().min(1),
  category: ProjectCategory,
  items: z.array(PlanItem).min(1),
});
export type Plan = z.infer<typeof Plan>;

export type PlanResult =
  | { ok: true; plan: Plan; warnings: string[] }
  | { ok: false; problems: string[]; warnings: string[] };

/**
 * Instantiate a template: each catalog item with the template's prerequisites and limit where given,
 * then the tailoring. Every problem is collected; nothing is returned unless there are none.
 */
export function instantiatePlan(catalog: Catalog, templateId: string, tailoring: Tailoring = {}): PlanResult {
  const template = catalog.templates.find((t) => t.id === templateId);
  if (!template) {
    const known = catalog.templates.map((t) => t.id).join(', ') || 'none';
    return {
      ok: false,
      problems: [`unknown template ${templateId}; the catalog has: ${known}`],
      warnings: [],
    };
  }
  const problems: string[] = [];
  const catalogItems = new Map(catalog.items.map((i) => [i.code, i]));
  const items: PlanItem[] = [];
  for (const entry of template.items) {
    const source = catalogItems.get(entry.code);
    if (!source) {
      problems.push(`template ${templateId} lists ${entry.code}, which is not in catalog ${catalog.version}`);
    } else if (items.some((i) => i.code === entry.code)) {
      problems.push(`template ${templateId} lists ${entry.code} twice`);
    } else {
      const item = toPlanItem(source, entry.prerequisites);
      if (entry.committedLimit) item.committedLimit = { ...entry.committedLimit };
      items.push(item);
    }
  }
  const base: Plan = { catalogVersion: catalog.version, templateId, category: template.category, items };
  return tailor(
    base,
    tailoring,
    { catalog, finished: [], where: `template ${templateId}`, warnBase: true },
    problems,
  );
}

/**
 * Amend an existing plan with the same rules. Adding items needs the catalog the plan was made from;
 * `finished` items may not be waived, re-timed or given new prerequisites. Without a catalog the
 * department check falls back to the plan's own departments (its items were checked when instantiated).
 */
export function amendPlan(
  plan: Plan,
  tailoring: Tailoring,
  opts: { catalog?: Catalog; finished?: ItemCode[] } = {},
): PlanResult {
  const { catalog } = opts;
  if (catalog && catalog.version !== plan.catalogVersion) {
    const problem = `the plan was made from catalog ${plan.catalogVersion}; amend it against that version, not ${catalog.version}`;
    return { ok: false, problems: [problem], warnings: [] };
  }
  const ctx = { catalog, finished: opts.finished ?? [], where: 'the plan', warnBase: false };
  return tailor(plan, tailoring, ctx, []);
}

/** The structural checks alone: unique codes, known departments and prerequisites, no cycle, limits. */
export function validatePlan(plan: Plan, departments: string[]): string[] {
  return structuralProblems(
    plan.items,
    new Set(departments),
    (item, p) => `${item} requires ${p}, which is not in the plan`,
  );
}

/** `where` names the base in messages; `warnBase` also warns about the base's own category mismatches. */
type TailorContext = { catalog: Catalog | undefined; finished: ItemCode[]; where: string; warnBase: boolean };

function tailor(base: Plan, t: Tailoring, ctx: TailorContext, problems: string[]): PlanResult {
  const warnings: string[] = [];
  const inBase = new Set(base.items.map((i) => i.code));
  const finished = new Set(ctx.finished);
  const catalogItems = new Map((ctx.catalog?.items ?? []).map((i) => [i.code, i]));

  for (const [list, codes] of [
    ['waive', t.waive ?? []],
    ['add', t.add?.map((a) => a.code) ?? []],
    ['overrideLimits', t.overrideLimits?.map((o) => o.code) ?? []],
    ['prerequisites', t.prerequisites?.map((p) => p.code) ?? []],
  ] as const) {
    for (const code of repeated(codes)) problems.push(`the tailoring lists ${code} twice in ${list}`);
  }

  const waived = new Set<ItemCode>();
  for (const code of new Set(t.waive ?? [])) {
    if (!inBase.has(code)) problems.push(`cannot waive ${code}: it is not in ${ctx.where}`);
    else if (finished.has(code)) problems.push(`cannot waive ${code}: it has already finished`);
    else waived.add(code);
  }

  const items = base.items.filter((i) => !waived.has(i.code)).map((i) => ({ ...i }));
  const byCode = new Map(items.map((i) => [i.code, i]));
  for (const { code, prerequisites } of t.add ?? []) {
    const source = catalogItems.get(code);
    if (inBase.has(code) || byCode.has(code))
      problems.push(`cannot add ${code}: it is already in ${ctx.where}`);
    else if (!ctx.catalog) problems.push(`cannot add ${code}: no catalog was given to take it from`);
    else if (!source) problems.push(`cannot add ${code}: it is not in catalog ${ctx.catalog.version}`);
    else {
      const item = toPlanItem(source, prerequisites);
      items.push(item);
      byCode.set(code, item);
    }
  }

  const change = (code: ItemCode, what: string): PlanItem | undefined => {
    const item = byCode.get(code);
    if (waived.has(code)) problems.push(`cannot ${what} ${code}: it is waived`);
    else if (!item) problems.push(`cannot ${what} ${code}: it is not in the plan`);
    else if (finished.has(code)) problems.push(`cannot ${what} ${code}: it has already finished`);
    return item && !finished.has(code) ? item : undefined;
  };
  for (const { code, committedLimit } of t.overrideLimits ?? []) {
    const item = change(code, 'override the limit of');
    if (item) item.committedLimit = { ...committedLimit };
  }
  for (const { code, prerequisites } of t.prerequisites ?? []) {
    const item = change(code, 'set the prerequisites of');
    if (item) item.prerequisites = [...prerequisites];
  }

  if (items.length === 0) problems.push('the plan would have no items left');
  for (const item of items) {
    const source = catalogItems.get(item.code);
    const checked = ctx.warnBase || !inBase.has(item.code);
    if (checked && source && !source.appliesTo.includes(base.category)) {
      const applies = source.appliesTo.join(' and ');
      warnings.push(`${item.code} is catalogued for ${applies} projects; this is a ${base.category} plan`);
    }
  }

  const departments = new Set(
    ctx.catalog ? ctx.catalog.departments.map((d) => d.code) : base.items.map((i) => i.department),
  );
  const missing = (item: ItemCode, p: ItemCode): string => {
    if (waived.has(p))
      return `waiving ${p} leaves ${item} waiting on it; waive ${item} too or set its prerequisites`;
    if (ctx.catalog && !catalogItems.has(p))
      return `${item} requires ${p}, which is not in catalog ${ctx.catalog.version}`;
    return `${item} requires ${p}, which is not in the plan; add ${p} or set the prerequisites of ${item}`;
  };
  problems.push(...structuralProblems(items, departments, missing));

  if (problems.length > 0) return { ok: false, problems, warnings };
  return { ok: true, plan: { ...base, items }, warnings };
}

function toPlanItem(source: ApprovalItem, prerequisites: ItemCode[] | undefined): PlanItem {
  return {
    code: source.code,
    nameZh: source.nameZh,
    nameEn: source.nameEn,
    department: source.department,
    stage: source.stage,
    lane: source.lane,
    kind: source.kind,
    legalLimit: source.legalLimit ? { ...source.legalLimit } : null,
    committedLimit: { ...source.committedLimit },
    prerequisites: [...(prerequisites ?? source.prerequisites)],
    earlyStart: source.earlyStart,
    commitment: source.commitment,
    acceptWithGaps: source.acceptWithGaps,
    timeKind: source.timeKind,
  };
}

function structuralProblems(
  items: PlanItem[],
  departments: Set<string>,
  missing: (item: ItemCode, prerequisite: ItemCode) => string,
): string[] {
  const problems: string[] = [];
  const codes = new Set(items.map((i) => i.code));
  for (const code of repeated(items.map((i) => i.code))) problems.push(`${code} appears twice in the plan`);
  for (const item of items) {
    if (!departments.has(item.department)) {
      problems.push(`${item.code} belongs to department ${item.department}, which is not a known department`);
    }
    for (const p of new Set(item.prerequisites)) if (!codes.has(p)) problems.push(missing(item.code, p));
    const { committedLimit: c, legalLimit: l } = item;
    if (l && l.dayType === c.dayType && c.days > l.days) {
      problems.push(
        `the committed limit of ${item.code} (${days(c)}) is longer than its legal limit (${days(l)})`,
      );
    }
  }
  for (const cycle of findPlanCycles(items)) problems.push(`cycle: ${cycle.join(' → ')}`);
  return problems;
}

const days = (l: TimeLimit): string => `${l.days} ${l.dayType} day${l.days === 1 ? '' : 's'}`;

function repeated(codes: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const c of codes) (seen.has(c) ? twice : seen).add(c);
  return [...twice];
}

/**
 * One cycle per strongly connected component (Tarjan), written in "must finish before" order and
 * closed on its first item: `A → B → C → A` means A is a prerequisite of B, B of C and C of A.
 * Deterministic: components and their starting items follow plan order.
 */
export function findPlanCycles(items: readonly Pick<PlanItem, 'code' | 'prerequisites'>[]): ItemCode[][] {
  const order = new Map(items.map((it, i) => [it.code, i]));
  // Edges point from a prerequisite to the items that wait on it.
  const next = new Map<ItemCode, ItemCode[]>(items.map((i) => [i.code, []]));
  for (const item of items) {
    for (const p of new Set(item.prerequisites)) next.get(p)?.push(item.code);
  }
  const index = new Map<ItemCode, number>();
  const low = new Map<ItemCode, number>();
  const stack: ItemCode[] = [];
  const onStack = new Set<ItemCode>();
  const components: ItemCode[][] = [];
  const connect = (v: ItemCode): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: ItemCode[] = [];
      let w: ItemCode;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      components.push(component);
    }
  };
  for (const item of items) if (!index.has(item.code)) connect(item.code);

  const cycles: ItemCode[][] = [];
  for (const component of components) {
    const members = new Set(component);
    const first = component.reduce((a, b) => (order.get(a)! <= order.get(b)! ? a : b));
    if (component.length === 1 && !next.get(first)!.includes(first)) continue;
    cycles.push(shortestLoop(first, members, next));
  }
  return cycles.sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}

/** Breadth-first from `start` back to itself inside one component: the shortest cycle through it. */
function shortestLoop(start: ItemCode, members: Set<ItemCode>, next: Map<ItemCode, ItemCode[]>): ItemCode[] {
  const parent = new Map<ItemCode, ItemCode>();
  const queue: ItemCode[] = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (const w of next.get(v)!) {
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = parent.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (members.has(w) && !parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
