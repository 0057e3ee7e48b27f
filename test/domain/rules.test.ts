import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import { shippedCatalog } from '../../domain/catalog-data';
import { applyDecision, Decision } from '../../domain/decisions';
import { defaultEscalationPolicy } from '../../domain/ladder';
import { instantiatePlan } from '../../domain/plan';
import { createProjectState } from '../../domain/project';
import {
  applyRulesEdition,
  editionTailoring,
  planUnderEdition,
  previewRulesEdition,
  type RulesEdition,
  refuseEdition,
  refuseRulesChange,
} from '../../domain/rules';
import { newProject, planItem, smallPlan, testCalendarYears } from '../helpers/projects';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday, Sun 06-17 off.
const calendar = makeCalendar(testCalendarYears());
const cst = (local: string) => Date.parse(`2035-${local}+08:00`);
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const fgw = { role: 'department', department: 'FGW' } as const;

/** The red card a working day later than the default ladder's, and A's limit cut from 8 to 3 working days. */
const edition: RulesEdition = {
  id: '2035-06',
  note: '市政府办公室〔2035〕12号：压缩审批时限',
  limits: {
    A: { days: 3, dayType: 'working', estimate: false },
    B: { days: 3, dayType: 'working', estimate: false },
  },
  policy: {
    ...defaultEscalationPolicy,
    rungs: defaultEscalationPolicy.rungs.map((r) => (r.name === 'red' ? { ...r, offsetWorkingDays: 3 } : r)),
  },
  withdraw: [],
  add: [],
};

/** A accepted Mon 4 June (8 working days: due Sat 16); B approved the same day. */
function project() {
  const state = createProjectState(
    newProject('RUL-1', smallPlan([planItem('A'), planItem('B')])),
    cst('06-04T09:00:00'),
  );
  const decide = (d: Record<string, unknown>, at: number) =>
    applyDecision(state, Decision.parse(d), at, calendar);
  decide({ action: 'submit', item: 'A', actor: secretary }, cst('06-04T09:10:00'));
  decide({ action: 'accept', item: 'A', actor: fgw }, cst('06-04T09:20:00'));
  decide({ action: 'submit', item: 'B', actor: secretary }, cst('06-04T09:30:00'));
  decide({ action: 'accept', item: 'B', actor: fgw }, cst('06-04T09:40:00'));
  decide({ action: 'approve', item: 'B', actor: fgw, documentNo: 'B-1' }, cst('06-04T09:50:00'));
  return state;
}

describe('rules editions', () => {
  it('previews, without changing anything, what an edition would do to a running project', () => {
    const state = project();
    const before = JSON.stringify(state);
    const now = cst('06-11T10:00:00');
    const preview = previewRulesEdition(state, edition, now, calendar);
    expect(JSON.stringify(state)).toBe(before);
    // A: due Sat 16 under 8 days; under 3 (Tue 5, Wed 6, Thu 7) due Thu 7, five working days earlier
    // (8, 11, 12, 13, 16) and already past on Mon 11. B is finished: it keeps the limit it was decided under.
    expect(preview).toMatchObject({
      edition: '2035-06',
      from: 'shipped',
      items: [{ item: 'A', limitFrom: 8, limitTo: 3, dueFrom: '2035-06-16', dueTo: '2035-06-07', shift: -5 }],
      overdueAtOnce: ['A'],
      ladderChanged: true,
      revision: state.revision,
    });
  });

  it('applies it: the plan, the ladder and the edition change; the same edition twice is refused', () => {
    const state = project();
    const change = applyRulesEdition(state, edition, cst('06-11T10:00:00'), calendar);
    expect(change.revision).toBe(state.revision);
    expect(state.rulesEdition).toBe('2035-06');
    expect(state.plan.items.map((i) => [i.code, i.committedLimit.days])).toEqual([
      ['A', 3],
      ['B', 8],
    ]);
    expect(state.items.A!.dueDate).toBe('2035-06-07');
    expect(state.policy.rungs.find((r) => r.name === 'red')!.offsetWorkingDays).toBe(3);
    expect(refuseRulesChange(state, edition)).toBe('project RUL-1 already runs on edition 2035-06');
  });

  it('refuses to publish an edition naming an unknown item or a limit longer than the law allows', () => {
    const legal = shippedCatalog.items.find((i) => i.legalLimit && i.legalLimit.dayType === 'working')!;
    const problems = refuseEdition(
      {
        ...edition,
        limits: {
          NOPE: { days: 3, dayType: 'working', estimate: false },
          [legal.code]: { days: legal.legalLimit!.days + 1, dayType: 'working', estimate: false },
        },
      },
      shippedCatalog,
    );
    expect(problems.map((p) => p.path)).toEqual(['limits.NOPE', `limits.${legal.code}`]);
    expect(refuseEdition(edition, { ...shippedCatalog, items: [...shippedCatalog.items] })).toEqual([
      { path: 'limits.A', message: `no item A in catalog ${shippedCatalog.version}` },
      { path: 'limits.B', message: `no item B in catalog ${shippedCatalog.version}` },
    ]);
  });

  it('withdraws only what nobody holds and adds after the prerequisites the plan has', () => {
    const plan = smallPlan([planItem('A'), planItem('B', { prerequisites: ['A'] }), planItem('C')]);
    const withItems = {
      ...edition,
      withdraw: ['B', 'C', 'Z'],
      add: [{ code: 'D', prerequisites: ['A', 'Y'] }],
    };
    expect(editionTailoring(plan, withItems, ['C'])).toEqual({
      waive: ['B'],
      add: [{ code: 'D', prerequisites: ['A'] }],
    });
    // New projects: the catalog's gov-building plan under an edition withdrawing the last item and adding one.
    const base = instantiatePlan(shippedCatalog, 'gov-building');
    if (!base.ok) throw new Error(base.problems.join('; '));
    const next = planUnderEdition(
      base.plan,
      {
        ...edition,
        limits: { PROPOSAL: { days: 3, dayType: 'working', estimate: false } },
        withdraw: ['REAL-ESTATE-REGISTRATION'],
        add: [{ code: 'LIGHTNING-DESIGN', prerequisites: ['DESIGN-SCHEME'] }],
      },
      shippedCatalog,
    );
    const codes = next.items.map((i) => i.code);
    expect(codes).toContain('LIGHTNING-DESIGN');
    expect(codes).not.toContain('REAL-ESTATE-REGISTRATION');
    expect(next.items.find((i) => i.code === 'LIGHTNING-DESIGN')!.prerequisites).toEqual(['DESIGN-SCHEME']);
    expect(next.items.find((i) => i.code === 'PROPOSAL')!.committedLimit.days).toBe(3);
  });
});
