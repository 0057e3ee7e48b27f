import { describe, expect, it } from 'vitest';
import { makeCalendar } from '../../domain/calendar';
import { type ImportedDecision, type ImportedProblem, importProject } from '../../domain/import';
import { baselineOf } from '../../domain/project';
import { fireDueEscalations } from '../../domain/supervision';
import { planItem, profile, smallPlan, testCalendarYears } from '../helpers/projects';

// 2035 test calendar: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday, Sun 06-17 off.
const years = testCalendarYears();
const calendar = makeCalendar(years);
const plan = smallPlan([
  planItem('A'),
  planItem('B', { department: 'ZJ' }),
  planItem('C', { prerequisites: ['B'] }),
]);
/** Thu 2035-06-28 10:00 China time: the day the centre brings the project in. */
const IMPORT_AT = Date.parse('2035-06-28T10:00:00+08:00');
const endOf = (date: string) => new Date(calendar.endOfDay(date)).toISOString();

/**
 * Registered Mon 06-04. A (FGW, 8 working days): submitted and accepted on the 4th, returned for
 * correction Wed 06, resubmitted Fri 08, still undecided. B (ZJ): submitted and accepted Tue 05,
 * approved Thu 07, which opened C. A land problem owned by ZRZY, raised Tue 05, due Mon 11, still open.
 */
const history: ImportedDecision[] = [
  { on: '2035-06-04', item: 'A', decision: { action: 'submit' } },
  { on: '2035-06-04', item: 'A', decision: { action: 'accept' } },
  { on: '2035-06-05', item: 'B', decision: { action: 'submit' } },
  { on: '2035-06-05', item: 'B', decision: { action: 'accept' } },
  { on: '2035-06-06', item: 'A', decision: { action: 'return', missing: ['施工图'] } },
  { on: '2035-06-08', item: 'A', decision: { action: 'resubmit' } },
  { on: '2035-06-07', item: 'B', decision: { action: 'approve', documentNo: '建〔2035〕7号' } },
];
const problems: ImportedProblem[] = [
  {
    raisedOn: '2035-06-05',
    title: '用地',
    description: '征地补偿未完成',
    ownerDepartment: 'ZRZY',
    deadline: '2035-06-11',
  },
];

function run(
  over: { history?: ImportedDecision[]; problems?: ImportedProblem[]; registeredOn?: string } = {},
) {
  return importProject(
    {
      profile: profile('IMP-1'),
      plan,
      calendarYears: years,
      baseline: baselineOf(plan, calendar, '2035-06-04'),
      registeredOn: over.registeredOn ?? '2035-06-04',
      history: over.history ?? history,
      problems: over.problems ?? problems,
      departments: new Set(['FGW', 'ZJ', 'ZRZY']),
    },
    IMPORT_AT,
  );
}

describe('importing a project under way', () => {
  it('replays the history on its real dates: clocks, the 补正 pause, deadlines and opened items', () => {
    const out = run();
    if (!out.ok) throw new Error(JSON.stringify(out.refusals));
    const { items } = out.state;
    expect(out.facts).toBe(8);
    expect(out.state.registeredAt).toBe('2035-06-04T01:00:00.000Z'); // 09:00 China time
    expect(out.state.importedAt).toBe(new Date(IMPORT_AT).toISOString());
    expect(items.A).toMatchObject({ status: 'accepted', returns: 1, clockStart: '2035-06-04T01:02:00.000Z' });
    expect(items.A!.pauses).toEqual([
      { from: '2035-06-06T01:01:00.000Z', to: '2035-06-08T01:01:00.000Z', reason: 'return' },
    ]);
    // Eight working days from Mon 04, Wed 06 and Thu 07 paused, 14–15 off, Sat 16 worked: Tue 05, Fri 08,
    // Mon 11, Tue 12, Wed 13, Sat 16, Mon 18, Tue 19.
    expect(items.A!.dueDate).toBe('2035-06-19');
    expect(items.B).toMatchObject({ status: 'approved', documentNo: '建〔2035〕7号' });
    expect(items.B!.lastActor).toEqual({ role: 'department', department: 'ZJ' });
    expect(items.C).toMatchObject({ status: 'ready', openedAt: items.B!.finishedAt });
    expect(out.state.problems.P1).toMatchObject({ status: 'assigned', deadlineAt: endOf('2035-06-11') });
  });

  it('dates each late rung when it fell due; the workflow fires them at once', () => {
    const out = run();
    if (!out.ok) throw new Error(JSON.stringify(out.refusals));
    const byRung = (subject: string) =>
      Object.fromEntries(
        out.escalatesAtOnce.filter((e) => e.subject === subject).map((e) => [e.rung, e.rungAt]),
      );
    // A due Tue 19: reminder a working day before, yellow at the deadline, red two working days after
    // (Wed 20, Thu 21), the interview five after (20, 21, 22, 25, 26).
    expect(byRung('A')).toEqual({
      reminder: endOf('2035-06-18'),
      yellow: endOf('2035-06-19'),
      red: endOf('2035-06-21'),
      interview: endOf('2035-06-26'),
    });
    // P1 due Mon 11: reminder Fri 08; red Tue 12, Wed 13; interview 12, 13, Sat 16, Mon 18, Tue 19.
    expect(byRung('P1')).toEqual({
      reminder: endOf('2035-06-08'),
      yellow: endOf('2035-06-11'),
      red: endOf('2035-06-13'),
      interview: endOf('2035-06-19'),
    });
    // The preview did not fire them in the state the workflow starts from.
    expect(out.state.items.A!.rungLevel).toBe(0);
    const fired = fireDueEscalations(out.state, IMPORT_AT, calendar);
    expect(fired.filter((e) => e.subjectId === 'A').map((e) => e.firedAt)).toEqual(
      Array(4).fill(new Date(IMPORT_AT).toISOString()),
    );
  });

  it('refuses a fact that breaks a rule, naming the row and the rule', () => {
    const approveUnaccepted: ImportedDecision[] = [
      { on: '2035-06-04', item: 'A', decision: { action: 'submit' } },
      { on: '2035-06-05', item: 'A', decision: { action: 'approve', documentNo: 'X-1' } },
    ];
    const out = run({ history: approveUnaccepted, problems: [] });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.refusals).toEqual([
      {
        path: 'history.1',
        message: '2035-06-05: A is submitted; approve is allowed only when it is accepted',
      },
    ]);
  });

  it('refuses dates outside registration … today, unknown owners and deadlines before the problem', () => {
    const out = run({
      history: [
        { on: '2035-06-01', item: 'A', decision: { action: 'submit' } },
        { on: '2035-07-02', item: 'B', decision: { action: 'submit' } },
      ],
      problems: [
        {
          raisedOn: '2035-06-10',
          title: '供电',
          description: '线路迁改',
          ownerDepartment: 'GAJ',
          deadline: '2035-06-08',
        },
      ],
    });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.refusals.map((r) => r.path)).toEqual([
      'history.0.on',
      'history.1.on',
      'problems.0.deadline',
      'problems.0.ownerDepartment',
    ]);
    expect(out.refusals[3]!.message).toBe('no department GAJ in the catalog');
    expect(run({ registeredOn: '2035-07-01', history: [], problems: [] })).toMatchObject({
      ok: false,
      refusals: [{ path: 'registeredOn' }],
    });
  });

  it('an item not in the plan is refused by the same rule as a live decision', () => {
    const out = run({
      history: [{ on: '2035-06-04', item: 'FOREST-LAND', decision: { action: 'submit' } }],
      problems: [],
    });
    expect(out).toEqual({
      ok: false,
      refusals: [
        { path: 'history.0', message: '2035-06-04: item FOREST-LAND is not in the plan of project IMP-1' },
      ],
    });
  });
});
