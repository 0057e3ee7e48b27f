import { describe, expect, it } from 'vitest';
import { applyPlanAmendment, refusePlanAmendment } from '../../domain/amendments';
import { makeCalendar } from '../../domain/calendar';
import { applyDecision } from '../../domain/decisions';
import { createProjectState } from '../../domain/project';
import { newProject, planItem, smallPlan, testCalendarYears } from '../helpers/projects';

const calendar = makeCalendar(testCalendarYears());
const MON = Date.parse('2035-06-04T10:00:00+08:00');
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const fgw = { role: 'department', department: 'FGW' } as const;

function project() {
  const plan = smallPlan([
    planItem('A'),
    planItem('B', { prerequisites: ['A'] }),
    planItem('C', { prerequisites: ['B'], department: 'ZJ' }),
  ]);
  return createProjectState(newProject('AMD-1', plan), MON);
}

describe('amending a running plan', () => {
  it('waives an item and re-chains its dependent, which opens when its prerequisites are done', () => {
    const state = project();
    const next = smallPlan([planItem('A'), planItem('C', { prerequisites: ['A'], department: 'ZJ' })]);
    expect(refusePlanAmendment(state, next)).toBeNull();
    for (const action of ['submit', 'accept'] as const) {
      applyDecision(
        state,
        { action, item: 'A', actor: action === 'submit' ? secretary : fgw },
        MON,
        calendar,
      );
    }
    applyDecision(state, { action: 'approve', item: 'A', actor: fgw, documentNo: 'A-1' }, MON, calendar);
    expect(state.items.B!.status).toBe('ready');
    const result = applyPlanAmendment(state, next, MON + 1000, calendar);
    expect(result).toMatchObject({ added: [], removed: ['B'], opened: ['C'] });
    expect(state.items.B).toBeUndefined();
    expect(state.items.C!.status).toBe('ready');
  });

  it('adds an item and sends a ready item back to waiting when it gains a prerequisite', () => {
    const state = project();
    const next = smallPlan([
      planItem('A', { prerequisites: ['X'] }),
      planItem('X', { department: 'ZRZY' }),
      planItem('B', { prerequisites: ['A'] }),
      planItem('C', { prerequisites: ['B'], department: 'ZJ' }),
    ]);
    expect(refusePlanAmendment(state, next)).toBeNull();
    const result = applyPlanAmendment(state, next, MON, calendar);
    expect(result).toMatchObject({ added: ['X'], removed: [], opened: ['X'] });
    expect(state.items.A!.status).toBe('waiting');
  });

  it('refuses to remove or re-time an item the department holds, or a plan with a cycle', () => {
    const state = project();
    applyDecision(state, { action: 'submit', item: 'A', actor: secretary }, MON, calendar);
    applyDecision(state, { action: 'accept', item: 'A', actor: fgw }, MON, calendar);
    const without = smallPlan([planItem('B'), planItem('C', { prerequisites: ['B'], department: 'ZJ' })]);
    expect(refusePlanAmendment(state, without)).toBe('A is accepted; it cannot be taken out of the plan');
    const retimed = smallPlan([
      planItem('A', { committedLimit: { days: 3, dayType: 'working', estimate: false } }),
      planItem('B', { prerequisites: ['A'] }),
      planItem('C', { prerequisites: ['B'], department: 'ZJ' }),
    ]);
    expect(refusePlanAmendment(state, retimed)).toBe(
      'A is accepted; its limit, department and prerequisites cannot change',
    );
    const cyclic = smallPlan([
      planItem('A'),
      planItem('B', { prerequisites: ['A', 'C'] }),
      planItem('C', { prerequisites: ['B'], department: 'ZJ' }),
    ]);
    expect(refusePlanAmendment(state, cyclic)).toMatch(/cycle/);
  });

  it('judges a held item by its terms, not by the order its fields arrive in (a parsed plan reorders them)', () => {
    const state = project();
    applyDecision(state, { action: 'submit', item: 'A', actor: secretary }, MON, calendar);
    applyDecision(state, { action: 'accept', item: 'A', actor: fgw }, MON, calendar);
    const reordered = Object.fromEntries(Object.entries(planItem('A', { timeKind: 'approval' })).reverse());
    const held = {
      ...state,
      plan: { ...state.plan, items: [planItem('A', { timeKind: 'approval' }), ...state.plan.items.slice(1)] },
    };
    const next = smallPlan([reordered as ReturnType<typeof planItem>, ...state.plan.items.slice(1)]);
    expect(refusePlanAmendment(held, next)).toBeNull();
  });
});
