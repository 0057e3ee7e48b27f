import { describe, expect, it } from 'vitest';
import type { ApprovalItem, Catalog, Template, TimeLimit } from '../../domain/catalog';
import { shippedCatalog } from '../../domain/catalog-data';
import {
  amendPlan,
  findPlanCycles,
  instantiatePlan,
  Plan,
  type Tailoring,
  validatePlan,
} from '../../domain/plan';

const wd = (days: number): TimeLimit => ({ days, dayType: 'working', estimate: false });
const cd = (days: number): TimeLimit => ({ days, dayType: 'calendar', estimate: false });

function item(code: string, over: Partial<ApprovalItem> = {}): ApprovalItem {
  return {
    code,
    ref: 1,
    nameZh: `${code} 事项`,
    nameEn: `${code} item`,
    department: 'NDRC',
    stage: 1,
    lane: 'stage',
    kind: 'promised',
    legalLimit: wd(20),
    committedLimit: wd(5),
    prerequisites: [],
    earlyStart: false,
    commitment: false,
    acceptWithGaps: false,
    timeKind: 'approval',
    appliesTo: ['government', 'social'],
    ...over,
  };
}

/** A small government chain: proposal → land pre-exam → feasibility → planning permit → construction permit. */
function catalog(over: { items?: ApprovalItem[]; templates?: Template[] } = {}): Catalog {
  return {
    version: 'test-1',
    approvalTimeCommitment: { government: 90, social: 120, basis: 'test' },
    departments: [
      { code: 'NDRC', nameZh: '发改委', nameEn: 'Development and Reform' },
      { code: 'NRP', nameZh: '自然资源和规划局', nameEn: 'Natural Resources and Planning' },
      { code: 'HUD', nameZh: '住建局', nameEn: 'Housing and Construction' },
      { code: 'EEB', nameZh: '生态环境局', nameEn: 'Ecology and Environment' },
    ],
    items: over.items ?? [
      item('PROPOSAL', { legalLimit: null, appliesTo: ['government'] }),
      item('LAND-PREEXAM', { department: 'NRP', committedLimit: wd(10), prerequisites: ['PROPOSAL'] }),
      item('FEASIBILITY', {
        committedLimit: wd(20),
        prerequisites: ['LAND-PREEXAM'],
        appliesTo: ['government'],
      }),
      item('EIA', { department: 'EEB', lane: 'parallel', legalLimit: cd(60), committedLimit: cd(15) }),
      item('PLANNING-PERMIT', { department: 'NRP', stage: 2, prerequisites: ['FEASIBILITY'] }),
      item('CONSTRUCTION-PERMIT', {
        department: 'HUD',
        stage: 3,
        legalLimit: cd(7),
        committedLimit: wd(3),
        prerequisites: ['PLANNING-PERMIT', 'EIA'],
      }),
      item('FILING', { kind: 'immediate', committedLimit: wd(0), legalLimit: null, appliesTo: ['social'] }),
      item('WATER', { department: 'EEB', lane: 'parallel', appliesTo: ['social'] }),
    ],
    templates: over.templates ?? [
      {
        id: 'gov',
        nameZh: '政府投资',
        nameEn: 'Government',
        category: 'government',
        items: [
          { code: 'PROPOSAL' },
          { code: 'LAND-PREEXAM' },
          { code: 'FEASIBILITY', committedLimit: wd(15) },
          { code: 'EIA' },
          { code: 'PLANNING-PERMIT' },
          { code: 'CONSTRUCTION-PERMIT', prerequisites: ['PLANNING-PERMIT'] },
        ],
      },
    ],
  };
}

function planOf(tailoring?: Tailoring, cat = catalog()) {
  const result = instantiatePlan(cat, 'gov', tailoring);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result;
}

const problemsOf = (tailoring: Tailoring, cat = catalog()) => {
  const result = instantiatePlan(cat, 'gov', tailoring);
  return result.ok ? [] : result.problems;
};

describe('instantiatePlan', () => {
  it('resolves every item from the catalog, with the template’s prerequisites and limits over the catalog’s', () => {
    const { plan, warnings } = planOf();
    expect(warnings).toEqual([]);
    expect(plan.catalogVersion).toBe('test-1');
    expect(plan.templateId).toBe('gov');
    expect(plan.category).toBe('government');
    expect(plan.items.map((i) => i.code)).toEqual([
      'PROPOSAL',
      'LAND-PREEXAM',
      'FEASIBILITY',
      'EIA',
      'PLANNING-PERMIT',
      'CONSTRUCTION-PERMIT',
    ]);
    const feasibility = plan.items[2]!;
    expect(feasibility).toEqual({
      code: 'FEASIBILITY',
      nameZh: 'FEASIBILITY 事项',
      nameEn: 'FEASIBILITY item',
      department: 'NDRC',
      stage: 1,
      lane: 'stage',
      kind: 'promised',
      legalLimit: wd(20),
      committedLimit: wd(15),
      prerequisites: ['LAND-PREEXAM'],
      earlyStart: false,
      commitment: false,
      acceptWithGaps: false,
      timeKind: 'approval',
    });
    expect(plan.items[5]!.prerequisites).toEqual(['PLANNING-PERMIT']);
  });

  it('yields plain JSON that the Plan schema accepts unchanged (it is a workflow input)', () => {
    const { plan } = planOf({ add: [{ code: 'WATER' }] });
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    expect(Plan.parse(plan)).toEqual(plan);
  });

  it('does not share arrays or limits with the catalog', () => {
    const cat = catalog();
    const { plan } = planOf({}, cat);
    plan.items[1]!.prerequisites.push('X');
    plan.items[1]!.committedLimit.days = 99;
    expect(cat.items[1]!.prerequisites).toEqual(['PROPOSAL']);
    expect(cat.items[1]!.committedLimit.days).toBe(10);
  });

  it('refuses an unknown template, naming the ones there are', () => {
    expect(instantiatePlan(catalog(), 'hospital')).toEqual({
      ok: false,
      problems: ['unknown template hospital; the catalog has: gov'],
      warnings: [],
    });
  });

  it('refuses a template that lists an item the catalog lacks, or one item twice', () => {
    const cat = catalog();
    cat.templates[0]!.items.push({ code: 'GHOST' }, { code: 'EIA' });
    expect(problemsOf({}, cat)).toEqual([
      'template gov lists GHOST, which is not in catalog test-1',
      'template gov lists EIA twice',
    ]);
  });

  it('waives items, and refuses to waive one that is not in the plan', () => {
    expect(planOf({ waive: ['EIA'] }).plan.items.map((i) => i.code)).not.toContain('EIA');
    expect(problemsOf({ waive: ['WATER'] })).toEqual(['cannot waive WATER: it is not in template gov']);
  });

  it('refuses a waiver that leaves another item waiting on the waived one', () => {
    expect(problemsOf({ waive: ['LAND-PREEXAM'] })).toEqual([
      'waiving LAND-PREEXAM leaves FEASIBILITY waiting on it; waive FEASIBILITY too or set its prerequisites',
    ]);
  });

  it('accepts the waiver once the dependent item’s prerequisites are reset', () => {
    const { plan } = planOf({
      waive: ['LAND-PREEXAM'],
      prerequisites: [{ code: 'FEASIBILITY', prerequisites: ['PROPOSAL'] }],
    });
    expect(plan.items.find((i) => i.code === 'FEASIBILITY')!.prerequisites).toEqual(['PROPOSAL']);
  });

  it('adds catalog items with their own or the given prerequisites', () => {
    const { plan } = planOf({ add: [{ code: 'WATER', prerequisites: ['EIA'] }] });
    expect(plan.items.at(-1)).toMatchObject({ code: 'WATER', department: 'EEB', prerequisites: ['EIA'] });
  });

  it('keeps an item catalogued for another category, with a warning', () => {
    const result = planOf({ add: [{ code: 'WATER' }] });
    expect(result.warnings).toEqual(['WATER is catalogued for social projects; this is a government plan']);
    const cat = catalog();
    cat.templates[0]!.items.push({ code: 'FILING' });
    expect(planOf({}, cat).warnings).toEqual([
      'FILING is catalogued for social projects; this is a government plan',
    ]);
  });

  it('refuses to add an item the catalog lacks or the plan already has', () => {
    expect(problemsOf({ add: [{ code: 'GHOST' }, { code: 'EIA' }] })).toEqual([
      'cannot add GHOST: it is not in catalog test-1',
      'cannot add EIA: it is already in template gov',
    ]);
  });

  it('overrides committed limits, and refuses one for an item not in the plan or waived', () => {
    const { plan } = planOf({ overrideLimits: [{ code: 'EIA', committedLimit: cd(60) }] });
    expect(plan.items.find((i) => i.code === 'EIA')!.committedLimit).toEqual(cd(60));
    expect(
      problemsOf({
        waive: ['EIA'],
        overrideLimits: [
          { code: 'WATER', committedLimit: wd(3) },
          { code: 'EIA', committedLimit: wd(3) },
        ],
      }),
    ).toEqual([
      'cannot override the limit of WATER: it is not in the plan',
      'cannot override the limit of EIA: it is waived',
    ]);
  });

  it('refuses a committed limit longer than the legal limit of the same day type, not of another', () => {
    expect(problemsOf({ overrideLimits: [{ code: 'EIA', committedLimit: cd(61) }] })).toEqual([
      'the committed limit of EIA (61 calendar days) is longer than its legal limit (60 calendar days)',
    ]);
    expect(problemsOf({ overrideLimits: [{ code: 'CONSTRUCTION-PERMIT', committedLimit: wd(10) }] })).toEqual(
      [],
    );
    expect(problemsOf({ overrideLimits: [{ code: 'PROPOSAL', committedLimit: wd(300) }] })).toEqual([]);
  });

  it('refuses prerequisites that are unknown to the catalog or missing from the plan', () => {
    expect(
      problemsOf({
        prerequisites: [
          { code: 'EIA', prerequisites: ['GHOST'] },
          { code: 'PLANNING-PERMIT', prerequisites: ['FEASIBILITY', 'WATER'] },
          { code: 'WATER', prerequisites: [] },
        ],
      }),
    ).toEqual([
      'cannot set the prerequisites of WATER: it is not in the plan',
      'EIA requires GHOST, which is not in catalog test-1',
      'PLANNING-PERMIT requires WATER, which is not in the plan; add WATER or set the prerequisites of PLANNING-PERMIT',
    ]);
  });

  it('refuses a catalog default prerequisite that the template leaves out', () => {
    const cat = catalog();
    cat.templates[0]!.items.shift();
    expect(problemsOf({}, cat)).toEqual([
      'LAND-PREEXAM requires PROPOSAL, which is not in the plan; add PROPOSAL or set the prerequisites of LAND-PREEXAM',
    ]);
  });

  it('refuses an item of a department the catalog does not know', () => {
    const cat = catalog();
    cat.items.push(item('FOREST', { department: 'FORESTRY' }));
    expect(problemsOf({ add: [{ code: 'FOREST' }] }, cat)).toEqual([
      'FOREST belongs to department FORESTRY, which is not a known department',
    ]);
  });

  it('names a cycle in “must finish before” order', () => {
    expect(problemsOf({ prerequisites: [{ code: 'PROPOSAL', prerequisites: ['FEASIBILITY'] }] })).toEqual([
      'cycle: PROPOSAL → LAND-PREEXAM → FEASIBILITY → PROPOSAL',
    ]);
    expect(problemsOf({ prerequisites: [{ code: 'EIA', prerequisites: ['EIA'] }] })).toEqual([
      'cycle: EIA → EIA',
    ]);
  });

  it('refuses a tailoring that names one item twice in a list', () => {
    expect(
      problemsOf({
        overrideLimits: [
          { code: 'EIA', committedLimit: wd(3) },
          { code: 'EIA', committedLimit: wd(4) },
        ],
      }),
    ).toEqual(['the tailoring lists EIA twice in overrideLimits']);
  });

  it('refuses to waive every item', () => {
    const all = catalog().templates[0]!.items.map((i) => i.code);
    expect(problemsOf({ waive: all })).toEqual(['the plan would have no items left']);
  });

  it('collects every problem, not just the first', () => {
    expect(
      problemsOf({
        waive: ['LAND-PREEXAM', 'GHOST'],
        add: [{ code: 'NOPE' }],
        overrideLimits: [{ code: 'FEASIBILITY', committedLimit: wd(21) }],
        prerequisites: [{ code: 'PLANNING-PERMIT', prerequisites: ['FEASIBILITY', 'CONSTRUCTION-PERMIT'] }],
      }),
    ).toEqual([
      'cannot waive GHOST: it is not in template gov',
      'cannot add NOPE: it is not in catalog test-1',
      'waiving LAND-PREEXAM leaves FEASIBILITY waiting on it; waive FEASIBILITY too or set its prerequisites',
      'the committed limit of FEASIBILITY (21 working days) is longer than its legal limit (20 working days)',
      'cycle: PLANNING-PERMIT → CONSTRUCTION-PERMIT → PLANNING-PERMIT',
    ]);
  });
});

describe('validatePlan', () => {
  const departments = ['NDRC', 'NRP', 'HUD', 'EEB'];

  it('finds nothing wrong with an instantiated plan', () => {
    expect(validatePlan(planOf().plan, departments)).toEqual([]);
  });

  it('reports the structural problems of a plan edited by hand', () => {
    const { plan } = planOf();
    plan.items[0]!.department = 'FORESTRY';
    plan.items[3]!.prerequisites = ['GHOST', 'CONSTRUCTION-PERMIT'];
    plan.items[5]!.prerequisites = ['EIA'];
    plan.items.push({ ...plan.items[4]! });
    expect(validatePlan(plan, departments)).toEqual([
      'PLANNING-PERMIT appears twice in the plan',
      'PROPOSAL belongs to department FORESTRY, which is not a known department',
      'EIA requires GHOST, which is not in the plan',
      'cycle: EIA → CONSTRUCTION-PERMIT → EIA',
    ]);
  });
});

describe('findPlanCycles', () => {
  it('reports one cycle per knot, each from its first item in plan order', () => {
    const items = [
      { code: 'A', prerequisites: ['C'] },
      { code: 'B', prerequisites: ['A'] },
      { code: 'C', prerequisites: ['B'] },
      { code: 'D', prerequisites: ['E'] },
      { code: 'E', prerequisites: ['D', 'A'] },
      { code: 'F', prerequisites: ['A', 'E'] },
    ];
    expect(findPlanCycles(items)).toEqual([
      ['A', 'B', 'C', 'A'],
      ['D', 'E', 'D'],
    ]);
  });
});

describe('amendPlan', () => {
  it('waives an open item and refuses to waive, re-time or re-chain a finished one', () => {
    const { plan } = planOf();
    const amended = amendPlan(plan, { waive: ['EIA'] }, { finished: ['PROPOSAL'] });
    expect(amended.ok && amended.plan.items.map((i) => i.code)).toEqual([
      'PROPOSAL',
      'LAND-PREEXAM',
      'FEASIBILITY',
      'PLANNING-PERMIT',
      'CONSTRUCTION-PERMIT',
    ]);
    expect(
      amendPlan(
        plan,
        {
          waive: ['PROPOSAL'],
          overrideLimits: [{ code: 'PROPOSAL', committedLimit: wd(1) }],
          prerequisites: [{ code: 'PROPOSAL', prerequisites: ['EIA'] }],
        },
        { finished: ['PROPOSAL'] },
      ),
    ).toEqual({
      ok: false,
      problems: [
        'cannot waive PROPOSAL: it has already finished',
        'cannot override the limit of PROPOSAL: it has already finished',
        'cannot set the prerequisites of PROPOSAL: it has already finished',
      ],
      warnings: [],
    });
  });

  it('applies the waiver rule to the amended plan', () => {
    const { plan } = planOf();
    expect(amendPlan(plan, { waive: ['PLANNING-PERMIT'] })).toEqual({
      ok: false,
      problems: [
        'waiving PLANNING-PERMIT leaves CONSTRUCTION-PERMIT waiting on it; waive CONSTRUCTION-PERMIT too or set its prerequisites',
      ],
      warnings: [],
    });
  });

  it('adds items only from the plan’s own catalog version, warning about the added ones alone', () => {
    const cat = catalog();
    cat.templates[0]!.items.push({ code: 'FILING' });
    const { plan } = planOf({}, cat);
    expect(amendPlan(plan, { add: [{ code: 'WATER' }] })).toMatchObject({
      ok: false,
      problems: ['cannot add WATER: no catalog was given to take it from'],
    });
    const newer = { ...cat, version: 'test-2' };
    expect(amendPlan(plan, { add: [{ code: 'WATER' }] }, { catalog: newer })).toMatchObject({
      ok: false,
      problems: ['the plan was made from catalog test-1; amend it against that version, not test-2'],
    });
    const amended = amendPlan(plan, { add: [{ code: 'WATER', prerequisites: ['EIA'] }] }, { catalog: cat });
    expect(amended.ok && amended.plan.items.at(-1)!.code).toBe('WATER');
    expect(amended.warnings).toEqual(['WATER is catalogued for social projects; this is a government plan']);
  });

  it('re-adds an item waived earlier, and leaves the input plan untouched', () => {
    const { plan } = planOf({ waive: ['EIA'] });
    const before = structuredClone(plan);
    const amended = amendPlan(
      plan,
      { overrideLimits: [{ code: 'FEASIBILITY', committedLimit: wd(8) }], add: [{ code: 'EIA' }] },
      { catalog: catalog() },
    );
    expect(amended.ok).toBe(true);
    expect(plan).toEqual(before);
    expect(amended.ok && amended.plan.items.find((i) => i.code === 'FEASIBILITY')!.committedLimit).toEqual(
      wd(8),
    );
  });
});

describe('the shipped templates', () => {
  it.each(['gov-building', 'social-industrial'])('%s instantiates untailored, without warnings', (id) => {
    const result = instantiatePlan(shippedCatalog, id);
    expect(result.ok ? [] : result.problems).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.ok && result.plan.category).toBe(id === 'gov-building' ? 'government' : 'social');
    expect(
      result.ok &&
        validatePlan(
          result.plan,
          shippedCatalog.departments.map((d) => d.code),
        ),
    ).toEqual([]);
  });
});
