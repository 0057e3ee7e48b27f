import { describe, expect, it } from 'vitest';
import type {
  ApprovalItem,
  Catalog,
  Department,
  Template,
  TemplateItem,
  TimeLimit,
} from '../../domain/catalog';
import { catalogVersion, shippedCatalog } from '../../domain/catalog-data';
import { validateCatalog } from '../../domain/catalog-validate';

const wd = (days: number): TimeLimit => ({ days, dayType: 'working', estimate: false });
const cd = (days: number): TimeLimit => ({ days, dayType: 'calendar', estimate: false });

const dept = (code: string): Department => ({ code, nameZh: `${code} 部门`, nameEn: `${code} department` });

function item(code: string, over: Partial<ApprovalItem> = {}): ApprovalItem {
  return {
    code,
    ref: 1,
    nameZh: `${code} 事项`,
    nameEn: `${code} item`,
    department: 'FGW',
    stage: 1,
    lane: 'stage',
    kind: 'promised',
    legalLimit: wd(20),
    committedLimit: wd(10),
    prerequisites: [],
    earlyStart: false,
    commitment: false,
    acceptWithGaps: false,
    timeKind: 'approval',
    appliesTo: ['government'],
    ...over,
  };
}

function template(id: string, items: TemplateItem[]): Template {
  return { id, nameZh: `${id} 模板`, nameEn: `${id} template`, category: 'government', items };
}

/** A valid chain AA → BB → CC (each must finish before the next) and one template using it as catalogued. */
function catalog(over: Partial<Catalog> = {}): Catalog {
  return {
    version: 'test-1',
    approvalTimeCommitment: { government: 90, social: 120, basis: 'test' },
    departments: [dept('FGW'), dept('ZJ')],
    items: [
      item('AA'),
      item('BB', { prerequisites: ['AA'] }),
      item('CC', { department: 'ZJ', prerequisites: ['BB'] }),
    ],
    templates: [template('tpl', [{ code: 'AA' }, { code: 'BB' }, { code: 'CC' }])],
    ...over,
  };
}

/** A copy of `value` without the named fields, for input the types would not allow. */
function without(value: object, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k)));
}

/** The problems of a catalog that must be refused. */
function problemsOf(input: unknown): string[] {
  const result = validateCatalog(input);
  if (result.ok) throw new Error('expected the catalog to be refused');
  return result.problems;
}

describe('validateCatalog', () => {
  it('accepts the factory catalog and returns it parsed', () => {
    const result = validateCatalog(catalog());
    expect(result).toEqual({ ok: true, catalog: catalog() });
  });

  it('fills the schema defaults of a minimal item', () => {
    const minimal = without(item('AA'), 'prerequisites', 'earlyStart', 'commitment', 'acceptWithGaps');
    const result = validateCatalog({ ...catalog({ templates: [] }), items: [minimal] });
    expect(result.ok && result.catalog.items[0]).toMatchObject({
      prerequisites: [],
      earlyStart: false,
      commitment: false,
      acceptWithGaps: false,
    });
  });

  describe('shape', () => {
    it('names the path of a bad field, with the code of the item it is in', () => {
      const bad = item('BB', { legalLimit: { days: 5, dayType: 'weekday' as 'working', estimate: false } });
      const problems = problemsOf(catalog({ items: [item('AA'), bad, item('CC')] }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^items\[1\] \("BB"\)\.legalLimit\.dayType: /);
    });

    it('names the path of a malformed department code, with the code', () => {
      const problems = problemsOf(catalog({ departments: [dept('fgw'), dept('ZJ')] }));
      expect(problems).toEqual([
        'departments[0] ("fgw").code: a department code is 2–16 upper-case letters, digits or _',
      ]);
    });

    it('names a template by its id and a missing field by its path', () => {
      const noName = without(template('tpl', [{ code: 'AA' }]), 'nameZh');
      const problems = problemsOf({ ...catalog(), templates: [noName] });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^templates\[0\] \("tpl"\)\.nameZh: /);
    });

    it('refuses something that is not a catalog at all', () => {
      const problems = problemsOf('not a catalog');
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^the catalog: /);
    });

    it('reports only the shape while the shape is wrong, not cross-checks on a half-read catalog', () => {
      const items = [item('AA', { department: 'NOPE' }), item('BB', { stage: 9 as 1 })];
      const problems = problemsOf(catalog({ items, templates: [] }));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^items\[1\] \("BB"\)\.stage: /);
    });
  });

  describe('cross-checks on the catalog', () => {
    it('refuses a duplicate department code, naming where it occurs', () => {
      const problems = problemsOf(catalog({ departments: [dept('FGW'), dept('ZJ'), dept('FGW')] }));
      expect(problems).toEqual(['department code "FGW" is used 2 times (departments[0], departments[2])']);
    });

    it('refuses a duplicate item code, naming where it occurs', () => {
      const items = [item('AA'), item('BB', { prerequisites: ['AA'] }), item('CC'), item('AA', { ref: 2 })];
      const problems = problemsOf(catalog({ items, templates: [] }));
      expect(problems).toEqual(['item code "AA" is used 2 times (items[0], items[3])']);
    });

    it('refuses an item of an unknown department', () => {
      const items = [item('AA'), item('BB', { department: 'XYZ', prerequisites: ['AA'] })];
      const problems = problemsOf(catalog({ items, templates: [] }));
      expect(problems).toEqual(['item "BB" names department "XYZ", which is not in the catalog']);
    });

    it('refuses an unknown prerequisite', () => {
      const items = [item('AA'), item('BB', { prerequisites: ['AA', 'GHOST'] })];
      const problems = problemsOf(catalog({ items, templates: [] }));
      expect(problems).toEqual(['item "BB" needs "GHOST", which is not an item in the catalog']);
    });

    it('refuses an item that lists itself', () => {
      const items = [item('AA'), item('BB', { prerequisites: ['AA', 'BB'] })];
      const problems = problemsOf(catalog({ items, templates: [] }));
      expect(problems).toEqual(['item "BB" lists itself as a prerequisite']);
    });

    it('names a cycle in the typical prerequisites, in must-finish-before order', () => {
      const items = [
        item('AA', { prerequisites: ['CC'] }),
        item('BB', { prerequisites: ['AA'] }),
        item('CC', { prerequisites: ['BB'] }),
      ];
      const problems = problemsOf(catalog({ items, templates: [] }));
      expect(problems).toEqual(["cycle in the items' typical prerequisites: AA → BB → CC → AA"]);
    });

    it('names a two-item cycle once', () => {
      const items = [
        item('AA', { prerequisites: ['BB'] }),
        item('BB', { prerequisites: ['AA'] }),
        item('CC'),
      ];
      const problems = problemsOf(catalog({ items, templates: [] }));
      expect(problems).toEqual(["cycle in the items' typical prerequisites: AA → BB → AA"]);
    });

    it('refuses a committed limit longer than the legal limit of the same day type', () => {
      const items = [item('AA', { legalLimit: cd(60), committedLimit: cd(61) })];
      const problems = problemsOf(catalog({ items, templates: [] }));
      expect(problems).toEqual([
        'item "AA" promises 61 calendar days, longer than its legal limit of 60 calendar days',
      ]);
    });

    it('accepts a committed limit equal to the legal one', () => {
      const items = [item('AA', { legalLimit: wd(20), committedLimit: wd(20) })];
      expect(validateCatalog(catalog({ items, templates: [] })).ok).toBe(true);
    });

    it('does not compare limits of different day types (7 calendar days against 10 working days)', () => {
      const items = [item('AA', { legalLimit: cd(7), committedLimit: wd(10) })];
      expect(validateCatalog(catalog({ items, templates: [] })).ok).toBe(true);
    });

    it('collects every problem instead of stopping at the first', () => {
      const items = [item('AA', { department: 'XYZ' }), item('BB', { prerequisites: ['BB'] })];
      const problems = problemsOf(catalog({ items, templates: [] }));
      expect(problems).toEqual([
        'item "AA" names department "XYZ", which is not in the catalog',
        'item "BB" lists itself as a prerequisite',
      ]);
    });
  });

  describe('cross-checks on templates', () => {
    it('refuses a duplicate template id', () => {
      const problems = problemsOf(
        catalog({ templates: [template('tpl', [{ code: 'AA' }]), template('tpl', [{ code: 'AA' }])] }),
      );
      expect(problems).toEqual(['template id "tpl" is used 2 times (templates[0], templates[1])']);
    });

    it('refuses a template naming an unknown item', () => {
      const problems = problemsOf(
        catalog({ templates: [template('tpl', [{ code: 'AA' }, { code: 'GHOST' }])] }),
      );
      expect(problems).toEqual(['template "tpl" names item "GHOST", which is not an item in the catalog']);
    });

    it('refuses a template listing an item twice', () => {
      const problems = problemsOf(
        catalog({ templates: [template('tpl', [{ code: 'AA' }, { code: 'AA' }])] }),
      );
      expect(problems).toEqual(['template "tpl" lists item "AA" 2 times']);
    });

    it('refuses a template prerequisite that is not a catalog item', () => {
      const entries = [{ code: 'AA' }, { code: 'BB', prerequisites: ['AA', 'GHOST'] }];
      const problems = problemsOf(catalog({ templates: [template('tpl', entries)] }));
      expect(problems).toEqual([
        'template "tpl": item "BB" needs "GHOST", which is not an item in the catalog',
      ]);
    });

    it('refuses a catalog default the template leaves out, saying it is the default', () => {
      const problems = problemsOf(
        catalog({ templates: [template('tpl', [{ code: 'BB' }, { code: 'CC' }])] }),
      );
      expect(problems).toEqual([
        'template "tpl": item "BB" needs "AA" (its catalog default), which the template does not include',
      ]);
    });

    it("refuses a template's own prerequisite that the template leaves out", () => {
      const entries = [{ code: 'AA' }, { code: 'BB', prerequisites: ['CC'] }];
      const problems = problemsOf(catalog({ templates: [template('tpl', entries)] }));
      expect(problems).toEqual(['template "tpl": item "BB" needs "CC", which the template does not include']);
    });

    it('accepts a template that resets a prerequisite away', () => {
      const entries = [{ code: 'BB', prerequisites: [] }, { code: 'CC' }];
      expect(validateCatalog(catalog({ templates: [template('tpl', entries)] })).ok).toBe(true);
    });

    it('refuses a template item that lists itself', () => {
      const entries = [{ code: 'AA', prerequisites: ['AA'] }];
      const problems = problemsOf(catalog({ templates: [template('tpl', entries)] }));
      expect(problems).toEqual(['template "tpl": item "AA" lists itself as a prerequisite']);
    });

    it('names a cycle the template creates over an acyclic catalog', () => {
      const entries = [{ code: 'AA', prerequisites: ['CC'] }, { code: 'BB' }, { code: 'CC' }];
      const problems = problemsOf(catalog({ templates: [template('tpl', entries)] }));
      expect(problems).toEqual(['template "tpl" has a cycle: AA → BB → CC → AA']);
    });

    it("refuses a template's committed limit longer than the item's legal limit", () => {
      const entries = [{ code: 'AA', committedLimit: wd(21) }];
      const problems = problemsOf(catalog({ templates: [template('tpl', entries)] }));
      expect(problems).toEqual([
        'template "tpl": item "AA" promises 21 working days, longer than its legal limit of 20 working days',
      ]);
    });

    it("accepts a template's committed limit in another day type than the legal one", () => {
      const entries = [{ code: 'AA', committedLimit: cd(25) }];
      expect(validateCatalog(catalog({ templates: [template('tpl', entries)] })).ok).toBe(true);
    });
  });
});

describe('the shipped catalog', () => {
  const byCode = new Map(shippedCatalog.items.map((i) => [i.code, i]));
  const get = (code: string): ApprovalItem => {
    const found = byCode.get(code);
    if (!found) throw new Error(`${code} is not in the shipped catalog`);
    return found;
  };

  it('passes validation, also after a JSON round trip as operators would load it', () => {
    expect(validateCatalog(shippedCatalog)).toEqual({ ok: true, catalog: shippedCatalog });
    expect(validateCatalog(JSON.parse(JSON.stringify(shippedCatalog))).ok).toBe(true);
  });

  it(`is version ${catalogVersion}`, () => {
    expect(catalogVersion).toBe('2026.1');
    expect(shippedCatalog.version).toBe(catalogVersion);
  });

  it('has at least 45 items and covers every one of the reference rows 1–53', () => {
    expect(shippedCatalog.items.length).toBeGreaterThanOrEqual(45);
    const refs = new Set(shippedCatalog.items.map((i) => i.ref));
    const missing = Array.from({ length: 53 }, (_, i) => i + 1).filter((r) => !refs.has(r));
    expect(missing).toEqual([]);
    expect(Math.max(...refs)).toBe(53);
  });

  it('has the departments of the programme, each used by at least one item', () => {
    const codes = shippedCatalog.departments.map((d) => d.code);
    expect(codes).toEqual(
      expect.arrayContaining(
        'FGW ZRZY STHJ ZJ SW RF QX WW LY YJ WJ CG JT DZ GD GS RQ TX BDC SGT GGZY SZF OWNER'.split(' '),
      ),
    );
    const used = new Set(shippedCatalog.items.map((i) => i.department));
    expect(codes.filter((c) => !used.has(c))).toEqual([]);
  });

  it('gives the EIA report 60 calendar days and the short form 30 (EIA Law Art. 22)', () => {
    expect(get('EIA').legalLimit).toEqual({ days: 60, dayType: 'calendar', estimate: false });
    expect(get('EIA-FORM').legalLimit).toEqual({ days: 30, dayType: 'calendar', estimate: false });
    expect(get('EIA-REGISTRATION').kind).toBe('immediate');
  });

  it('gives the construction permit 7 calendar days (Construction Law Art. 8) and a working-day promise', () => {
    const permit = get('CONSTRUCTION-PERMIT');
    expect(permit.legalLimit).toEqual({ days: 7, dayType: 'calendar', estimate: false });
    expect(permit.committedLimit.dayType).toBe('working');
    expect(permit.stage).toBe(3);
    expect(permit.department).toBe('ZJ');
  });

  it('counts calendar days only where the source law says 日', () => {
    const calendarLegal = shippedCatalog.items.filter((i) => i.legalLimit?.dayType === 'calendar');
    expect(calendarLegal.map((i) => i.code).sort()).toEqual(['CONSTRUCTION-PERMIT', 'EIA', 'EIA-FORM']);
  });

  it('keeps the Licensing Law figures: 20 WD for the works planning permit, 15 WD for drawing and fire review', () => {
    expect(get('WORKS-PLANNING-PERMIT').legalLimit).toEqual({
      days: 20,
      dayType: 'working',
      estimate: false,
    });
    expect(get('DRAWING-REVIEW').legalLimit).toEqual({ days: 15, dayType: 'working', estimate: false });
    expect(get('FIRE-DESIGN').legalLimit).toEqual({ days: 15, dayType: 'working', estimate: false });
    expect(get('SOIL-WATER').legalLimit).toEqual({ days: 20, dayType: 'working', estimate: false });
  });

  it('flags estimates: ranges and [EST] figures are marked, statutory ones are not', () => {
    expect(get('PROPOSAL').committedLimit.estimate).toBe(true);
    expect(get('FEASIBILITY').committedLimit.estimate).toBe(true);
    expect(get('LAND-CONVERSION').committedLimit.estimate).toBe(true);
    expect(get('CONSTRUCTION-PERMIT').committedLimit.estimate).toBe(true);
    expect(get('CONSTRUCTION-PERMIT').legalLimit?.estimate).toBe(false);
    expect(get('JOINT-ACCEPTANCE').committedLimit.estimate).toBe(false);
  });

  it('says in the note why a figure is an estimate, and flags a figure wherever the note says it is one', () => {
    const tagged = (note = '') => /\[(EST|UNVERIFIED)/.test(note);
    const flagged = (i: ApprovalItem) => i.committedLimit.estimate || i.legalLimit?.estimate === true;
    expect(shippedCatalog.items.filter((i) => flagged(i) && !tagged(i.note)).map((i) => i.code)).toEqual([]);
    expect(shippedCatalog.items.filter((i) => tagged(i.note) && !flagged(i)).map((i) => i.code)).toEqual([]);
  });

  it('cites a source tag in every note', () => {
    const untagged = shippedCatalog.items.filter(
      (i) => !/\[(LAW|SRC|EST|UNVERIFIED|SEED)/.test(i.note ?? ''),
    );
    expect(untagged.map((i) => i.code)).toEqual([]);
  });

  it('gives same-day items a zero-day promise and promised items a positive one', () => {
    const wrong = shippedCatalog.items.filter(
      (i) => (i.kind === 'immediate') !== (i.committedLimit.days === 0),
    );
    expect(wrong.map((i) => i.code)).toEqual([]);
  });

  it('marks pre-review, commitment and acceptance with gaps where the reference says they apply', () => {
    for (const code of ['DESIGN-SCHEME', 'DRAWING-REVIEW', 'EIA', 'WORKS-PLANNING-PERMIT']) {
      expect(get(code).earlyStart, code).toBe(true);
    }
    // 区域评估 results claimed through 告知承诺 (§1.5); feasibility and 核准 as in Zaozhuang.
    for (const code of ['ENERGY-REVIEW', 'SOIL-WATER', 'FLOOD-IMPACT', 'SEISMIC-SAFETY', 'FEASIBILITY']) {
      expect(get(code).commitment, code).toBe(true);
    }
    expect(get('CONSTRUCTION-PERMIT').commitment).toBe(false);
    expect(get('FEASIBILITY').acceptWithGaps).toBe(true);
    expect(get('PROPOSAL').acceptWithGaps).toBe(true);
  });

  it('puts the owner only on self-acceptance, with no statutory clock', () => {
    const owners = shippedCatalog.items.filter((i) => i.department === 'OWNER');
    expect(owners.map((i) => i.code)).toEqual(['ENV-SELF-ACCEPTANCE']);
    expect(owners[0]?.legalLimit).toBeNull();
  });

  it('places utilities in the utility lane, due before completion acceptance', () => {
    const utilities = shippedCatalog.items.filter((i) => i.lane === 'utility');
    expect(utilities.map((i) => i.code).sort()).toEqual([
      'DRAINAGE',
      'GAS',
      'POWER',
      'TELECOM',
      'WATER-SUPPLY',
    ]);
    expect(utilities.every((i) => i.stage === 4)).toBe(true);
  });
});
