import { describe, expect, it } from 'vitest';
import { clockFacts, itemApprovalTime, stateApprovalTime } from '../../domain/approval-time';
import { makeCalendar } from '../../domain/calendar';
import type { TimeKind } from '../../domain/catalog';
import { applyDecision, Decision, refuseDecision } from '../../domain/decisions';
import { type Actor, createProjectState, type ProjectState } from '../../domain/project';
import { newProject, planItem, smallPlan, testCalendarYears } from '../helpers/projects';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday, Sun 06-17 off.
const calendar = makeCalendar(testCalendarYears());
const cst = (local: string) => Date.parse(`2035-${local}+08:00`);
const secretary: Actor = { role: 'secretary', id: 'sec-wang' };
const fgw: Actor = { role: 'department', department: 'FGW' };

/**
 * Registered Mon 06-04 10:00. A (approval): submitted 09:00, accepted 10:00 the same Monday, returned
 * Tue 05 15:00, resubmitted Thu 07 09:00, approved Tue 12 16:00. B (its kind varies): submitted and
 * accepted Mon 04, approved Fri 08. The permit (approval, after A): submitted and accepted Wed 13,
 * clock stopped for expert review Mon 18 10:00 to Wed 20 10:00, approved Fri 22 10:00.
 */
function project(bKind: TimeKind): ProjectState {
  const plan = smallPlan([
    planItem('A', { timeKind: 'approval' }),
    planItem('B', { timeKind: bKind }),
    planItem('CONSTRUCTION-PERMIT', { timeKind: 'approval', prerequisites: ['A'] }),
  ]);
  const state = createProjectState(newProject('AT-1', plan), cst('06-04T10:00:00'));
  const steps: [string, Record<string, unknown>, Actor][] = [
    ['06-04T09:00:00', { action: 'submit', item: 'A' }, secretary],
    ['06-04T09:30:00', { action: 'submit', item: 'B' }, secretary],
    ['06-04T10:00:00', { action: 'accept', item: 'A' }, fgw],
    ['06-04T10:30:00', { action: 'accept', item: 'B' }, fgw],
    ['06-05T15:00:00', { action: 'return', item: 'A', missing: ['图纸'] }, fgw],
    ['06-07T09:00:00', { action: 'resubmit', item: 'A' }, secretary],
    ['06-08T11:00:00', { action: 'approve', item: 'B', documentNo: 'B-1' }, fgw],
    ['06-12T16:00:00', { action: 'approve', item: 'A', documentNo: 'A-1' }, fgw],
    ['06-13T09:00:00', { action: 'submit', item: 'CONSTRUCTION-PERMIT' }, secretary],
    ['06-13T10:00:00', { action: 'accept', item: 'CONSTRUCTION-PERMIT' }, fgw],
    ['06-18T10:00:00', { action: 'suspend', item: 'CONSTRUCTION-PERMIT', period: 'expertReview' }, fgw],
    ['06-20T10:00:00', { action: 'resume', item: 'CONSTRUCTION-PERMIT' }, fgw],
    ['06-22T10:00:00', { action: 'approve', item: 'CONSTRUCTION-PERMIT', documentNo: '施-1' }, fgw],
  ];
  for (const [at, body, actor] of steps) {
    const decision = Decision.parse({ ...body, actor });
    expect(refuseDecision(state, decision), JSON.stringify(body)).toBeNull();
    applyDecision(state, decision, cst(at), calendar);
  }
  return state;
}

const itemTime = (state: ProjectState, code: string) =>
  itemApprovalTime(clockFacts(state, code), calendar, cst('06-29T10:00:00'));

describe('approval time of an item', () => {
  const state = project('technical');

  it('counts the clock from acceptance to approval without the return (补正)', () => {
    // On the clock: 05, (06 07 paused: after the day of return, up to the day of resubmission), 08, 11, 12.
    // Elapsed since submission: 05 06 07 08 11 12.
    expect(itemTime(state, 'A')).toEqual({ counts: true, countedDays: 4, elapsedDays: 6 });
  });

  it('counts nothing for a technical review, but its elapsed days still show', () => {
    expect(itemTime(state, 'B')).toEqual({ counts: false, countedDays: null, elapsedDays: 4 });
  });

  it('leaves the days of an expert review (Art. 45) off the clock', () => {
    // After Wed 13: 14 15 off, Sat 16 make-up (counts), Sun 17 off, 18 counts, 19 20 paused, 21 22 count.
    // Elapsed: 16, 18, 19, 20, 21, 22.
    expect(itemTime(state, 'CONSTRUCTION-PERMIT')).toEqual({ counts: true, countedDays: 4, elapsedDays: 6 });
  });

  it('has no counted days before acceptance, and counts an open item to now', () => {
    const open = createProjectState(newProject('AT-2', smallPlan([planItem('A')])), cst('06-04T10:00:00'));
    const facts = () => clockFacts(open, 'A');
    expect(itemApprovalTime(facts(), calendar, cst('06-06T10:00:00'))).toEqual({
      counts: true,
      countedDays: null,
      elapsedDays: null,
    });
    applyDecision(
      open,
      Decision.parse({ action: 'submit', item: 'A', actor: secretary }),
      cst('06-04T10:00:00'),
      calendar,
    );
    applyDecision(
      open,
      Decision.parse({ action: 'accept', item: 'A', actor: fgw }),
      cst('06-05T10:00:00'),
      calendar,
    );
    // To Mon 11 10:00: 06 07 08 11 on the clock; 05 06 07 08 11 since submission.
    expect(itemApprovalTime(facts(), calendar, cst('06-11T10:00:00'))).toEqual({
      counts: true,
      countedDays: 4,
      elapsedDays: 5,
    });
  });
});

describe('approval time of a project', () => {
  it('joins its approval items’ days and measures elapsed days from registration to the permit', () => {
    const time = stateApprovalTime(project('technical'), calendar, cst('06-29T10:00:00'));
    // A: 05 08 11 12; permit: 16 18 21 22 → 8 days. Registration Mon 04 → permit Fri 22: 05 06 07 08, 11 12
    // 13, 16, 18 19 20 21 22 = 13 working days. Every item is done, so the whole project ends there too.
    expect(time).toEqual({
      countedDays: 8,
      elapsedDays: 13,
      toPermit: { date: '2035-06-22', countedDays: 8, elapsedDays: 13 },
      committedDays: 90,
      remainingDays: 82,
      planned: expect.any(Object),
    });
  });

  it('counts a day once when two approvals are on the clock together (大并联)', () => {
    const state = project('approval');
    // B adds 05 06 07 08 on its own clock; 05 and 08 are A's already, so the union gains 06 and 07 only.
    expect(itemTime(state, 'B').countedDays).toBe(4);
    expect(stateApprovalTime(state, calendar, cst('06-29T10:00:00')).countedDays).toBe(10);
  });

  it('keeps the plan’s figures from registration beside the actual ones', () => {
    const { planned } = stateApprovalTime(project('technical'), calendar, cst('06-29T10:00:00'));
    // Scheduled from Mon 04 with 8 WD each: A 1–8, B (technical) 0–8 not counted, permit 9–16 → 16 and 16.
    expect(planned).toEqual({ counted: 16, elapsed: 16, countedToPermit: 16, elapsedToPermit: 16 });
  });
});
