import { describe, expect, it } from 'vitest';
import type { Template } from '../../domain/catalog';
import { shippedCatalog } from '../../domain/catalog-data';
import { templatePrerequisites, validateCatalog } from '../../domain/catalog-validate';
import { instantiatePlan } from '../../domain/plan';
import { govBuildingTemplate, socialIndustrialTemplate } from '../../domain/templates';

const UTILITIES = ['POWER', 'WATER-SUPPLY', 'GAS', 'DRAINAGE', 'TELECOM'];

function shipped(id: string): Template {
  const found = shippedCatalog.templates.find((t) => t.id === id);
  if (!found) throw new Error(`template ${id} is not shipped`);
  return found;
}

/** The template's graph as it will run: each item with its effective prerequisites. */
function graphOf(id: string): Map<string, string[]> {
  return templatePrerequisites(shippedCatalog, shipped(id));
}

/** Every item `code` waits on, directly or through others. */
function ancestors(graph: Map<string, string[]>, code: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(graph.get(code) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(graph.get(next) ?? []));
  }
  return seen;
}

/** Items nothing waits on. */
function sinks(graph: Map<string, string[]>): string[] {
  const waitedOn = new Set([...graph.values()].flat());
  return [...graph.keys()].filter((c) => !waitedOn.has(c));
}

/** Assert each chain link: every item finishes, directly or not, before the next one. */
function expectChain(graph: Map<string, string[]>, chain: string[]): void {
  for (let i = 1; i < chain.length; i++) {
    const [before, after] = [chain[i - 1]!, chain[i]!];
    expect(ancestors(graph, after).has(before), `${before} before ${after}`).toBe(true);
  }
}

describe.each([
  { id: 'gov-building', category: 'government', sink: 'REAL-ESTATE-REGISTRATION', minItems: 45 },
  { id: 'social-industrial', category: 'social', sink: 'COMPLETION-FILING', minItems: 30 },
])('template $id', ({ id, category, sink, minItems }) => {
  it('is shipped in the catalog and validates on its own', () => {
    const result = validateCatalog({ ...shippedCatalog, templates: [shipped(id)] });
    expect(result.ok).toBe(true);
    expect(shipped(id).category).toBe(category);
  });

  it(`has at least ${minItems} items, the construction permit among them`, () => {
    expect(shipped(id).items.length).toBeGreaterThanOrEqual(minItems);
    expect(graphOf(id).has('CONSTRUCTION-PERMIT')).toBe(true);
  });

  it(`ends in one sink, ${sink}, that every other item leads to`, () => {
    const graph = graphOf(id);
    expect(sinks(graph)).toEqual([sink]);
    const upstream = ancestors(graph, sink);
    expect([...graph.keys()].filter((c) => c !== sink && !upstream.has(c))).toEqual([]);
  });

  it(`uses only items catalogued for ${category} projects`, () => {
    const items = new Map(shippedCatalog.items.map((i) => [i.code, i]));
    const foreign = shipped(id).items.filter(
      (t) => !items.get(t.code)?.appliesTo.includes(category as never),
    );
    expect(foreign.map((t) => t.code)).toEqual([]);
  });

  it('sets its own prerequisites only where they differ from the catalog default', () => {
    const items = new Map(shippedCatalog.items.map((i) => [i.code, i]));
    const same = shipped(id).items.filter((t) => {
      const typical = items.get(t.code)?.prerequisites ?? [];
      return t.prerequisites && [...t.prerequisites].sort().join() === [...typical].sort().join();
    });
    expect(same.map((t) => t.code)).toEqual([]);
  });

  it('connects every utility once stage 2 opens and before joint acceptance', () => {
    const graph = graphOf(id);
    for (const utility of UTILITIES) {
      expect(graph.get(utility)).toEqual(['LAND-USE-PLANNING-PERMIT']);
      expect(graph.get('JOINT-ACCEPTANCE')).toContain(utility);
    }
  });

  it('becomes a plan without problems or warnings', () => {
    const result = instantiatePlan(shippedCatalog, id);
    expect(result.ok && result.plan.items.length).toBe(shipped(id).items.length);
    expect(result.warnings).toEqual([]);
  });
});

describe('gov-building', () => {
  const graph = graphOf('gov-building');

  it('is the exported template, as shipped', () => {
    expect(govBuildingTemplate.id).toBe('gov-building');
    expect(shipped('gov-building').items.map((i) => i.code)).toEqual(
      govBuildingTemplate.items.map((i) => i.code),
    );
  });

  it('approves the feasibility study only after land pre-exam, energy review and social-stability review', () => {
    expect(graph.get('FEASIBILITY')).toEqual(
      expect.arrayContaining(['PROPOSAL', 'LAND-PREEXAM', 'ENERGY-REVIEW', 'SOCIAL-STABILITY']),
    );
  });

  it('does not make EIA a precondition of the feasibility study, but of the construction permit', () => {
    expect(ancestors(graph, 'FEASIBILITY').has('EIA')).toBe(false);
    expect(graph.get('CONSTRUCTION-PERMIT')).toEqual(expect.arrayContaining(['EIA', 'SOIL-WATER']));
  });

  it('follows the §2.2 G chain through all four stages', () => {
    expectChain(graph, [
      'PROPOSAL',
      'LAND-PREEXAM',
      'FEASIBILITY',
      'LAND-CONVERSION',
      'LAND-ALLOCATION',
      'LAND-USE-PLANNING-PERMIT',
      'DESIGN-SCHEME',
      'PRELIM-DESIGN',
      'WORKS-PLANNING-PERMIT',
      'DRAWING-REVIEW',
      'FIRE-DESIGN',
      'TENDER',
      'QUALITY-SUPERVISION',
      'CONSTRUCTION-PERMIT',
      'PLANNING-VERIFICATION',
      'JOINT-ACCEPTANCE',
      'COMPLETION-FILING',
      'REAL-ESTATE-REGISTRATION',
    ]);
    expectChain(graph, ['DESIGN-SCHEME', 'CIVIL-DEFENCE', 'WORKS-PLANNING-PERMIT']);
    expectChain(graph, ['CONSTRUCTION-PERMIT', 'ROAD-EXCAVATION']);
    for (const acceptance of [
      'LAND-VERIFICATION',
      'FIRE-ACCEPTANCE',
      'CIVIL-DEFENCE-ACCEPTANCE',
      'ARCHIVES-ACCEPTANCE',
    ]) {
      expectChain(graph, ['CONSTRUCTION-PERMIT', acceptance, 'JOINT-ACCEPTANCE']);
    }
  });

  it('finishes every parallel item of stages 1–3 before the construction permit', () => {
    const items = new Map(shippedCatalog.items.map((i) => [i.code, i]));
    const beforePermit = ancestors(graph, 'CONSTRUCTION-PERMIT');
    const parallel = [...graph.keys()].filter(
      (c) => items.get(c)?.lane === 'parallel' && items.get(c)!.stage < 4,
    );
    expect(parallel.length).toBeGreaterThanOrEqual(10);
    expect(parallel.filter((c) => !beforePermit.has(c))).toEqual([]);
  });

  it('uses allocated land, not a land sale, and no enterprise filing', () => {
    expect(graph.has('LAND-ALLOCATION')).toBe(true);
    expect(graph.has('LAND-SALE')).toBe(false);
    expect(graph.has('ENTERPRISE-FILING')).toBe(false);
  });
});

describe('social-industrial', () => {
  const graph = graphOf('social-industrial');

  it('is the exported template, as shipped', () => {
    expect(socialIndustrialTemplate.id).toBe('social-industrial');
    expect(shipped('social-industrial').items.map((i) => i.code)).toEqual(
      socialIndustrialTemplate.items.map((i) => i.code),
    );
  });

  it('follows the §2.2 E chain, with the design scheme reviewed (带方案出让 not taken)', () => {
    expectChain(graph, [
      'ENTERPRISE-FILING',
      'LAND-PREEXAM',
      'LAND-SALE',
      'LAND-USE-PLANNING-PERMIT',
      'DESIGN-SCHEME',
      'WORKS-PLANNING-PERMIT',
      'DRAWING-REVIEW',
      'CONSTRUCTION-PERMIT',
      'JOINT-ACCEPTANCE',
      'COMPLETION-FILING',
    ]);
  });

  it('starts from the same-day filing, with no proposal, feasibility study or land conversion', () => {
    const sources = [...graph].filter(([, ps]) => ps.length === 0).map(([c]) => c);
    expect(sources).toEqual(['ENTERPRISE-FILING']);
    for (const code of ['PROPOSAL', 'FEASIBILITY', 'LAND-CONVERSION', 'LAND-ALLOCATION', 'TENDER']) {
      expect(graph.has(code), code).toBe(false);
    }
  });

  it('finishes energy, EIA, soil-and-water, water, hazardous-chemicals and health items before the permit', () => {
    expect(graph.get('CONSTRUCTION-PERMIT')).toEqual(
      expect.arrayContaining([
        'ENERGY-REVIEW',
        'EIA-FORM',
        'SOIL-WATER',
        'WATER-ABSTRACTION',
        'HAZCHEM-SAFETY-DESIGN',
        'OCCUPATIONAL-HEALTH',
      ]),
    );
  });

  it('gets a discharge permit before the environmental self-acceptance that completion waits for', () => {
    expectChain(graph, ['EIA-FORM', 'DISCHARGE-PERMIT', 'ENV-SELF-ACCEPTANCE', 'COMPLETION-FILING']);
    expectChain(graph, ['SOIL-WATER', 'SOIL-WATER-ACCEPTANCE', 'COMPLETION-FILING']);
  });

  it('promises joint acceptance in 5 working days and drawing review in 10', () => {
    const entry = (code: string) => shipped('social-industrial').items.find((i) => i.code === code);
    expect(entry('JOINT-ACCEPTANCE')?.committedLimit).toEqual({
      days: 5,
      dayType: 'working',
      estimate: false,
    });
    expect(entry('DRAWING-REVIEW')?.committedLimit).toEqual({ days: 10, dayType: 'working', estimate: true });
  });
});
