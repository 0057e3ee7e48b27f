import type { z } from 'zod';
import { type ApprovalItem, Catalog, type ItemCode, type Template, type TimeLimit } from './catalog';

/**
 * Loading a catalog version (点菜单): the zod shape first, then the cross-checks a shape cannot express.
 * Operators call this before a new version is stored; the shipped catalog goes through it at module load.
 * Every refusal is one sentence naming the offender, so a data fix needs no debugger.
 */

export type CatalogValidation = { ok: true; catalog: Catalog } | { ok: false; problems: string[] };

export function validateCatalog(input: unknown): CatalogValidation {
  const parsed = Catalog.safeParse(input);
  if (!parsed.success) {
    // Cross-checks need a well-formed catalog; report the shape first and stop there.
    return { ok: false, problems: parsed.error.issues.map((issue) => describeIssue(issue, input)) };
  }
  const problems = crossCheck(parsed.data);
  return problems.length === 0 ? { ok: true, catalog: parsed.data } : { ok: false, problems };
}

/**
 * A template's items with the prerequisites they will run with: the template's own where it sets them,
 * otherwise the catalog item's typical ones. Items unknown to the catalog get an empty list.
 */
export function templatePrerequisites(catalog: Catalog, template: Template): Map<ItemCode, ItemCode[]> {
  const items = new Map(catalog.items.map((i) => [i.code, i]));
  return new Map(
    template.items.map((t) => [t.code, [...(t.prerequisites ?? items.get(t.code)?.prerequisites ?? [])]]),
  );
}

function crossCheck(catalog: Catalog): string[] {
  const problems: string[] = [];
  const departments = new Set(catalog.departments.map((d) => d.code));
  const items = new Map(catalog.items.map((i) => [i.code, i]));

  for (const [code, at] of duplicates(catalog.departments.map((d) => d.code))) {
    problems.push(`department code "${code}" is used ${at.length} times (${positions('departments', at)})`);
  }
  for (const [code, at] of duplicates(catalog.items.map((i) => i.code))) {
    problems.push(`item code "${code}" is used ${at.length} times (${positions('items', at)})`);
  }
  for (const item of catalog.items) {
    if (!departments.has(item.department)) {
      problems.push(`item "${item.code}" names department "${item.department}", which is not in the catalog`);
    }
    for (const p of new Set(item.prerequisites)) {
      if (p === item.code) problems.push(`item "${item.code}" lists itself as a prerequisite`);
      else if (!items.has(p))
        problems.push(`item "${item.code}" needs "${p}", which is not an item in the catalog`);
    }
    const longer = committedBeyondLegal(item.committedLimit, item.legalLimit);
    if (longer) problems.push(`item "${item.code}" ${longer}`);
  }
  for (const cycle of findCycles(prerequisiteGraph(catalog.items, new Set(items.keys())))) {
    problems.push(`cycle in the items' typical prerequisites: ${cycle.join(' → ')}`);
  }

  for (const [id, at] of duplicates(catalog.templates.map((t) => t.id))) {
    problems.push(`template id "${id}" is used ${at.length} times (${positions('templates', at)})`);
  }
  for (const template of catalog.templates) problems.push(...templateProblems(template, items));
  return problems;
}

function templateProblems(template: Template, items: ReadonlyMap<ItemCode, ApprovalItem>): string[] {
  const problems: string[] = [];
  const where = `template "${template.id}"`;
  const included = new Set(template.items.map((t) => t.code));
  for (const [code, at] of duplicates(template.items.map((t) => t.code))) {
    problems.push(`${where} lists item "${code}" ${at.length} times`);
  }
  const resolved: { code: ItemCode; prerequisites: ItemCode[] }[] = [];
  for (const entry of template.items) {
    const item = items.get(entry.code);
    if (!item) {
      problems.push(`${where} names item "${entry.code}", which is not an item in the catalog`);
      continue;
    }
    const own = entry.prerequisites !== undefined;
    const prerequisites = entry.prerequisites ?? item.prerequisites;
    const inherited = own ? '' : ' (its catalog default)';
    for (const p of new Set(prerequisites)) {
      if (p === entry.code) problems.push(`${where}: item "${entry.code}" lists itself as a prerequisite`);
      else if (!items.has(p)) {
        problems.push(
          `${where}: item "${entry.code}" needs "${p}"${inherited}, which is not an item in the catalog`,
        );
      } else if (!included.has(p)) {
        problems.push(
          `${where}: item "${entry.code}" needs "${p}"${inherited}, which the template does not include`,
        );
      }
    }
    if (entry.committedLimit) {
      const longer = committedBeyondLegal(entry.committedLimit, item.legalLimit);
      if (longer) problems.push(`${where}: item "${entry.code}" ${longer}`);
    }
    resolved.push({ code: entry.code, prerequisites });
  }
  for (const cycle of findCycles(prerequisiteGraph(resolved, included))) {
    problems.push(`${where} has a cycle: ${cycle.join(' → ')}`);
  }
  return problems;
}

/** The sentence tail for a promise longer than the law allows; limits in different day types are not compared. */
function committedBeyondLegal(committed: TimeLimit, legal: TimeLimit | null): string | undefined {
  if (!legal || legal.dayType !== committed.dayType || committed.days <= legal.days) return undefined;
  return `promises ${days(committed)}, longer than its legal limit of ${days(legal)}`;
}

const days = (l: TimeLimit): string => `${l.days} ${l.dayType} day${l.days === 1 ? '' : 's'}`;

/**
 * Edges "must finish before": prerequisite → the items waiting on it, restricted to `known` codes and
 * without self-loops (those are reported on their own).
 */
function prerequisiteGraph(
  items: readonly { code: ItemCode; prerequisites: readonly ItemCode[] }[],
  known: ReadonlySet<ItemCode>,
): Map<ItemCode, ItemCode[]> {
  const next = new Map<ItemCode, ItemCode[]>();
  for (const item of items) if (!next.has(item.code)) next.set(item.code, []);
  for (const item of items) {
    for (const p of new Set(item.prerequisites)) {
      if (p !== item.code && known.has(p) && next.has(p)) next.get(p)!.push(item.code);
    }
  }
  return next;
}

/**
 * Cycles in a directed graph, each closed on its first node (`[A, B, A]`), found by depth-first search
 * in insertion order, so the same data always names the same cycles. In a prerequisite graph built as
 * above, `A → B → A` reads "A must finish before B, which must finish before A".
 */
function findCycles(next: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, 'open' | 'closed'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const to of next.get(node) ?? []) {
      const seen = state.get(to);
      if (seen === 'open') cycles.push([...path.slice(path.indexOf(to)), to]);
      else if (seen === undefined && next.has(to)) visit(to);
    }
    path.pop();
    state.set(node, 'closed');
  };
  for (const node of next.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Values that occur more than once, each with the indexes where it occurs, in first-seen order. */
function duplicates(values: readonly string[]): [string, number[]][] {
  const at = new Map<string, number[]>();
  values.forEach((v, i) => {
    at.set(v, [...(at.get(v) ?? []), i]);
  });
  return [...at].filter(([, indexes]) => indexes.length > 1);
}

const positions = (list: string, at: number[]): string => at.map((i) => `${list}[${i}]`).join(', ');

/** `items[3] ("EIA").legalLimit.dayType: <zod message>`: the path, with the code or id of each element. */
function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  let where = '';
  let node: unknown = input;
  for (const key of issue.path) {
    node =
      typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (typeof key === 'number') {
      where += `[${key}]`;
      const label = labelOf(node);
      if (label) where += ` ("${label}")`;
    } else {
      where += `${where === '' ? '' : '.'}${String(key)}`;
    }
  }
  return `${where === '' ? 'the catalog' : where}: ${issue.message}`;
}

function labelOf(node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null) return undefined;
  const { code, id } = node as { code?: unknown; id?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  if (typeof id === 'string' && id !== '') return id;
  return undefined;
}
