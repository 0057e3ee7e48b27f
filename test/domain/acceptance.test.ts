import { describe, expect, it } from 'vitest';
import { acceptanceDueAt } from '../../domain/acceptance';
import { makeCalendar } from '../../domain/calendar';
import { applyDecision, Decision } from '../../domain/decisions';
import { applyLifecycle } from '../../domain/lifecycle';
import { createProjectState, type ProjectState } from '../../domain/project';
import { itemRecords } from '../../domain/records';
import { fireDueEscalations, nextEscalationAt } from '../../domain/supervision';
import { newProject, planItem, smallPlan, testCalendarYears } from '../helpers/projects';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday, Sun 06-17 off.
const calendar = makeCalendar(testCalendarYears());
const cst = (local: string) => Date.parse(`2035-${local}+08:00`);
const endOf = (date: string) => calendar.endOfDay(`2035-${date}`);
const iso = (t: number) => new Date(t).toISOString();
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const fgw = { role: 'department', department: 'FGW' } as const;

function submitted(at: number, acceptanceClock = true): ProjectState {
  const state = createProjectState(newProject('ACC-1', smallPlan([planItem('A')])), cst('06-04T09:00:00'));
  state.acceptanceClock = acceptanceClock;
  applyDecision(state, Decision.parse({ action: 'submit', item: 'A', actor: secretary }), at, calendar);
  return state;
}

describe('the acceptance clock (受理时限)', () => {
  it('goes to the read model with the item while it waits for acceptance, so the queue can order by it', () => {
    const state = submitted(cst('06-11T15:00:00'));
    const recordOf = () => itemRecords(state, calendar).find((r) => r.code === 'A')!;
    expect(recordOf()).toMatchObject({ status: 'submitted', dueAt: null, acceptBy: iso(endOf('06-19')) });
    applyDecision(
      state,
      Decision.parse({ action: 'accept', item: 'A', actor: fgw }),
      cst('06-12T10:00:00'),
      calendar,
    );
    expect(recordOf()).toMatchObject({ status: 'accepted', acceptBy: null });
    expect(recordOf().dueAt).not.toBeNull();
    // Projects that began before the acceptance clock have none.
    const older = submitted(cst('06-11T15:00:00'), false);
    expect(itemRecords(older, calendar).find((r) => r.code === 'A')!.acceptBy).toBeNull();
  });

  it('gives the department five working days from the day after submission', () => {
    // Submitted Mon 11 June: Tue 12, Wed 13, (14, 15 off), Sat 16, Mon 18, Tue 19 → end of Tue 19.
    const state = submitted(cst('06-11T15:00:00'));
    expect(acceptanceDueAt(state.items.A!, calendar)).toBe(endOf('06-19'));
    // The reminder a working day before: end of Mon 18.
    expect(nextEscalationAt(state, calendar)).toBe(endOf('06-18'));
  });

  it('reminds, then records the item accepted on the day it was submitted, its promised clock from then', () => {
    const state = submitted(cst('06-11T15:00:00'));
    const reminder = fireDueEscalations(state, endOf('06-18') + 1000, calendar);
    expect(reminder.map((e) => [e.key, e.rung, e.points])).toEqual([
      ['ACC-1/acceptance/A/1/reminder', 'reminder', 0],
    ]);
    expect(state.items.A!.status).toBe('submitted');

    const deemed = fireDueEscalations(state, endOf('06-19') + 1000, calendar);
    expect(deemed.map((e) => [e.key, e.rung, e.points, e.department])).toEqual([
      ['ACC-1/acceptance/A/1/yellow', 'yellow', 1, 'FGW'],
    ]);
    expect(deemed[0]!.body).toContain('依法视为自收到申请之日起受理');
    expect(state.items.A).toMatchObject({
      status: 'accepted',
      deemedAccepted: true,
      acceptedAt: iso(cst('06-11T15:00:00')),
      clockStart: iso(cst('06-11T15:00:00')),
    });
    // A's eight working days from Mon 11: 12, 13, 16, 18, 19, 20, 21, 22 → due Fri 22.
    expect(state.items.A!.dueDate).toBe('2035-06-22');
    expect(state.scores.FGW!.points).toBe(1);
  });

  it('stops when the department accepts or returns; a resubmission starts a new window', () => {
    const state = submitted(cst('06-11T15:00:00'));
    applyDecision(
      state,
      Decision.parse({ action: 'return', item: 'A', actor: fgw, missing: ['图纸'] }),
      cst('06-12T10:00:00'),
      calendar,
    );
    expect(acceptanceDueAt(state.items.A!, calendar)).toBeNull();
    expect(nextEscalationAt(state, calendar)).toBeNull();
    // Resubmitted Wed 20: Thu 21, Fri 22, Mon 25, Tue 26, Wed 27.
    applyDecision(
      state,
      Decision.parse({ action: 'resubmit', item: 'A', actor: secretary }),
      cst('06-20T09:00:00'),
      calendar,
    );
    expect(acceptanceDueAt(state.items.A!, calendar)).toBe(endOf('06-27'));
    applyDecision(
      state,
      Decision.parse({ action: 'accept', item: 'A', actor: fgw }),
      cst('06-21T09:00:00'),
      calendar,
    );
    expect(acceptanceDueAt(state.items.A!, calendar)).toBeNull();
    expect(state.items.A!.deemedAccepted).toBeUndefined();
  });

  it('does nothing in a project that has not taken it on (begun on an earlier build, not yet upgraded)', () => {
    const state = submitted(cst('06-11T15:00:00'), false);
    expect(nextEscalationAt(state, calendar)).toBeNull();
    expect(fireDueEscalations(state, endOf('06-29'), calendar)).toEqual([]);
    expect(state.items.A!.status).toBe('submitted');
  });

  it('stops while the project is suspended (缓建), and runs on after it resumes', () => {
    const state = submitted(cst('06-11T15:00:00'));
    applyLifecycle(state, { action: 'suspend', reason: '资金', by: 'ops' }, cst('06-13T10:00:00'), calendar);
    expect(acceptanceDueAt(state.items.A!, calendar)).toBeNull();
    expect(fireDueEscalations(state, endOf('06-29'), calendar)).toEqual([]);
    applyLifecycle(state, { action: 'resume', by: 'ops' }, cst('06-18T10:00:00'), calendar);
    // Tue 12 and Wed 13 before; Sat 16 and Mon 18 suspended; then Tue 19, Wed 20, Thu 21.
    expect(acceptanceDueAt(state.items.A!, calendar)).toBe(endOf('06-21'));
  });
});
