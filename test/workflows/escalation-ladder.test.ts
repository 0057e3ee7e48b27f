import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { syntheticYear } from '../../domain/calendar';
import { shippedCalendarYears } from '../../domain/calendar-data';
import type { Decision } from '../../domain/decisions';
import type { ProblemAction } from '../../domain/problems';
import {
  acknowledgeEscalationUpdate,
  calendarPublishedSignal,
  decideItemUpdate,
  problemUpdate,
} from '../../workflows/messages';
import { ANCHOR, newProject, planItem, smallPlan } from '../helpers/projects';
import { type Harness, useHarness } from '../helpers/workflow-harness';

const cst = (local: string) => Date.parse(`${local}+08:00`);
const iso = (t: number) => new Date(t).toISOString();
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const fgw = { role: 'department', department: 'FGW' } as const;

const h = useHarness('ladder', ANCHOR);
let seq = 0;

/** A one-item project (A: 发改委, 8 working days) accepted at the current server time. */
async function acceptedProject(
  plan = smallPlan([planItem('A')]),
  calendarYears?: ReturnType<typeof newProject>['calendarYears'],
) {
  const code = `LAD-${++seq}`;
  const input = newProject(code, plan);
  if (calendarYears) input.calendarYears = calendarYears;
  const handle = await h.start(code, { kind: 'new', ...input });
  await handle.executeUpdate(decideItemUpdate, { args: [{ action: 'submit', item: 'A', actor: secretary }] });
  await handle.executeUpdate(decideItemUpdate, { args: [{ action: 'accept', item: 'A', actor: fgw }] });
  return { code, handle };
}

/** The validator's reason for refusing an update, or 'accepted'. */
async function refusal(update: Promise<unknown>): Promise<string> {
  return update.then(
    () => 'accepted',
    (e: unknown) => String((e as WorkflowUpdateFailedError).cause?.message ?? e),
  );
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  return read();
}

describe('escalation ladder on the working-day clock', () => {
  it('fires each rung at its exact working-day instant across a holiday with a make-up day, and not before', async () => {
    const { code, handle } = await acceptedProject();
    // Accepted Mon 06-04; 8 working days: 05 06 07 08 11 12 13, (14 15 off), Sat 16 make-up → due end of 06-16.
    const state = await h.state(handle);
    expect(state.state.items.A!.dueAt).toBe(iso(cst('2035-06-17T00:00:00')));

    const rungs = [
      { name: 'reminder', level: 1, at: cst('2035-06-14T00:00:00'), points: 0 }, // end of Wed 06-13
      { name: 'yellow', level: 2, at: cst('2035-06-17T00:00:00'), points: 2 }, // the deadline
      { name: 'red', level: 3, at: cst('2035-06-20T00:00:00'), points: 4 }, // end of Tue 06-19 (+2)
      { name: 'interview', level: 4, at: cst('2035-06-23T00:00:00'), points: 6 }, // end of Fri 06-22 (+5)
    ];
    let points = 0;
    for (const rung of rungs) {
      await h.skipTo(rung.at - 60_000);
      const before = await h.state(handle);
      expect(before.state.items.A!.rungLevel).toBe(rung.level - 1);
      expect(before.nextEscalationAt).toBe(iso(rung.at));

      await h.skipTo(rung.at + 1_000);
      const after = await until(
        () => h.state(handle),
        (s) => s.state.items.A!.rungLevel === rung.level,
      );
      expect(after.state.items.A!.rungLevel).toBe(rung.level);
      const fired = await until(
        async () => h.escalations.filter((e) => e.key === `${code}/item/A/1/${rung.name}`),
        (list) => list.length > 0,
      );
      expect(fired).toHaveLength(1);
      expect(fired[0]!.rungAt).toBe(iso(rung.at));
      const late = Date.parse(fired[0]!.firedAt) - rung.at;
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThan(60_000);
      expect(fired[0]!.points).toBe(rung.points); // doubled: the file is in the department's hands
      points += rung.points;
      expect(after.state.scores.FGW?.points ?? 0).toBe(points);
    }
    expect((await h.state(handle)).summary.overdueItems).toEqual(['A']);

    // The leader answers the red card with an instruction (批示); it reaches the secretary.
    const red = `${code}/item/A/1/red`;
    await expect(
      handle.executeUpdate(acknowledgeEscalationUpdate, {
        args: [{ escalationKey: red, leader: 'leader-zhao', instruction: '请尽快办结' }],
      }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    const ack = await handle.executeUpdate(acknowledgeEscalationUpdate, {
      args: [{ escalationKey: red, leader: 'leader-li', instruction: '请发改委三日内办结' }],
    });
    expect(ack.text).toBe('请发改委三日内办结');
    expect(h.instructions.find((i) => i.escalationKey === red)).toMatchObject({
      secretary: 'sec-wang',
      text: '请发改委三日内办结',
    });
  });

  it('does not count the days an item spends returned for correction (补正)', async () => {
    await h.skipTo(cst('2035-07-02T10:00:00')); // Mon
    const { handle } = await acceptedProject();
    await h.skipTo(cst('2035-07-03T15:00:00')); // Tue: returned
    await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'return', item: 'A', actor: fgw, missing: ['施工图纸'] }],
    });
    const returned = await h.state(handle);
    expect(returned.state.items.A!.status).toBe('returned');
    expect(returned.state.items.A!.dueAt).toBeNull();
    expect(returned.nextEscalationAt).toBeNull();

    await h.skipTo(cst('2035-07-05T09:00:00')); // Thu: resubmitted; Wed 04 and Thu 05 do not count
    const resubmitted = await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'resubmit', item: 'A', actor: secretary }],
    });
    // Without the pause: 03 04 05 06 09 10 11 12 → 07-12. With two days paused: 07-16.
    expect(resubmitted.item.status).toBe('accepted');
    expect(resubmitted.item.returns).toBe(1);
    expect(resubmitted.item.dueAt).toBe(iso(cst('2035-07-17T00:00:00')));
  });

  it('refuses, before history, a decision from the wrong department, out of order, on an unknown item, or malformed', async () => {
    await h.skipTo(cst('2035-08-06T10:00:00'));
    const code = `LAD-${++seq}`;
    const handle = await h.start(code, { kind: 'new', ...newProject(code, smallPlan([planItem('A')])) });
    await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'submit', item: 'A', actor: secretary }],
    });

    const refusals: [unknown, string][] = [
      [
        { action: 'accept', item: 'A', actor: { role: 'department', department: 'ZJ' } },
        'A belongs to department FGW; department ZJ may not accept it',
      ],
      [
        { action: 'approve', item: 'A', actor: fgw, documentNo: '发改〔2035〕1号' },
        'A is submitted; approve is allowed only when it is accepted',
      ],
      [{ action: 'accept', item: 'NOPE', actor: fgw }, `item NOPE is not in the plan of project ${code}`],
      [{ action: 'approve', item: 'A', actor: fgw }, 'documentNo'],
      [
        { action: 'resubmit', item: 'A', actor: { role: 'secretary', id: 'sec-other' } },
        `sec-other is not the secretary of project ${code}`,
      ],
      [
        { action: 'resubmit', item: 'A', actor: secretary },
        'A is submitted; resubmit is allowed only when it is returned',
      ],
    ];
    for (const [decision, reason] of refusals) {
      const err = await handle.executeUpdate(decideItemUpdate, { args: [decision as Decision] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(decision)).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((err as WorkflowUpdateFailedError).cause?.message)).toContain(reason);
    }
    const history = await handle.fetchHistory();
    const accepted = history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted).toHaveLength(1); // only the submit
    expect((await h.state(handle)).state.items.A!.status).toBe('submitted');
  });

  it('opens independent items together, pre-reviews an early-start item without approving it', async () => {
    await h.skipTo(cst('2035-09-03T10:00:00'));
    const code = `LAD-${++seq}`;
    const plan = smallPlan([
      planItem('A'),
      planItem('B', { department: 'ZRZY' }),
      planItem('C', { prerequisites: ['A', 'B'] }),
      planItem('D', { department: 'ZJ', prerequisites: ['C'], earlyStart: true }),
    ]);
    const handle = await h.start(code, { kind: 'new', ...newProject(code, plan) });
    const ready = (s: Awaited<ReturnType<Harness['state']>>) =>
      Object.values(s.state.items)
        .filter((i) => i.status === 'ready')
        .map((i) => i.code)
        .sort();
    expect(ready(await h.state(handle))).toEqual(['A', 'B']);

    const approve = async (item: string, department: string) => {
      const actor = { role: 'department', department } as const;
      await handle.executeUpdate(decideItemUpdate, { args: [{ action: 'submit', item, actor: secretary }] });
      await handle.executeUpdate(decideItemUpdate, { args: [{ action: 'accept', item, actor }] });
      return handle.executeUpdate(decideItemUpdate, {
        args: [{ action: 'approve', item, actor, documentNo: `${item}-001` }],
      });
    };
    expect((await approve('A', 'FGW')).opened).toEqual([]);

    // D may be pre-reviewed (提前介入) while C is open, but not approved, and its clock does not run.
    const zj = { role: 'department', department: 'ZJ' } as const;
    const pre = await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'submit', item: 'D', actor: secretary }],
    });
    expect(pre.item.preReview).toBe(true);
    const preAccepted = await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'accept', item: 'D', actor: zj }],
    });
    expect(preAccepted.item.clockStart).toBeUndefined();
    await expect(
      handle.executeUpdate(decideItemUpdate, {
        args: [{ action: 'approve', item: 'D', actor: zj, documentNo: 'x' }],
      }),
    ).rejects.toThrow(WorkflowUpdateFailedError);

    expect((await approve('B', 'ZRZY')).opened).toEqual(['C']);
    await h.skipTo(cst('2035-09-04T11:00:00'));
    const c = await approve('C', 'FGW');
    expect(c.opened).toEqual([]); // D was already under pre-review
    const d = (await h.state(handle)).state.items.D!;
    expect(d.preReview).toBe(false);
    expect(d.clockStart).toBe(c.item.finishedAt);
    const done = await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'approve', item: 'D', actor: zj, documentNo: 'D-001' }],
    });
    expect(done.item.status).toBe('approved');
    expect(await h.closedStatus(handle)).toBe('COMPLETED');
  });

  it('pins a problem until solved: it blocks its item, escalates the same day, and stops the item clock', async () => {
    await h.skipTo(cst('2035-10-15T10:00:00')); // Mon
    const { handle } = await acceptedProject();
    const raise: ProblemAction = {
      action: 'raise',
      actor: secretary,
      title: '高压线迁改',
      description: '地块内 110kV 线路需迁改',
      ownerDepartment: 'GD',
      blocksItem: 'A',
    };
    const raised = await handle.executeUpdate(problemUpdate, { args: [raise] });
    expect(raised.problem.id).toBe('P1');
    expect(raised.problem.deadlineAt).toBe(iso(cst('2035-10-16T00:00:00'))); // end of the same working day
    const approveA = { action: 'approve', item: 'A', actor: fgw, documentNo: 'x' } as const;
    expect(await refusal(handle.executeUpdate(decideItemUpdate, { args: [approveA] }))).toBe(
      'A is blocked by problem P1 until it is resolved',
    );

    await h.skipTo(cst('2035-10-16T00:00:01'));
    const yellow = await until(
      async () =>
        h.escalations.filter(
          (e) => e.subjectKind === 'problem' && e.subjectId === 'P1' && e.rung === 'yellow',
        ),
      (l) => l.length > 0,
    );
    expect(yellow.map((e) => [e.department, e.points])).toEqual([['GD', 1]]); // not doubled: not GD's own file

    await h.skipTo(cst('2035-10-17T10:00:00')); // Wed: resolved by its owner
    await handle.executeUpdate(problemUpdate, {
      args: [
        {
          action: 'resolve',
          actor: { role: 'department', department: 'GD' },
          problemId: 'P1',
          resolution: '已迁改',
        },
      ],
    });
    const a = (await h.state(handle)).state.items.A!;
    // Blocked from Mon 15 to Wed 17: Tue 16 and Wed 17 do not count; 8 working days end Mon 29, not Thu 25.
    expect(a.dueAt).toBe(iso(cst('2035-10-30T00:00:00')));
    const approved = await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'approve', item: 'A', actor: fgw, documentNo: '发改〔2035〕9号' }],
    });
    expect(approved.item.status).toBe('approved');
  });

  it('moves deadlines when a calendar year is published after the workflow started', async () => {
    await h.skipTo(cst('2035-11-05T10:00:00')); // Mon
    const without2035 = shippedCalendarYears.filter((y) => y.year !== 2035);
    const { handle } = await acceptedProject(undefined, without2035);
    const before = (await h.state(handle)).state.items.A!;
    expect(before.provisional).toBe(true);
    expect(before.dueAt).toBe(iso(cst('2035-11-16T00:00:00'))); // plain weekdays: 06..09, 12..15

    await handle.signal(
      calendarPublishedSignal,
      syntheticYear(2035, { off: ['2035-11-08', '2035-11-09'], work: ['2035-11-10'] }),
    );
    const after = await until(
      () => h.state(handle),
      (s) => s.state.items.A!.provisional === false,
    );
    // 06 07, (08 09 off), Sat 10 make-up, 12 13 14 15 16 → end of Fri 16.
    expect(after.state.items.A!.dueAt).toBe(iso(cst('2035-11-17T00:00:00')));
  });
});
