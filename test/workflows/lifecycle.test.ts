import { describe, expect, it } from 'vitest';
import { decideItemUpdate, lifecycleUpdate, problemUpdate } from '../../workflows/messages';
import { ANCHOR, newProject, planItem, smallPlan } from '../helpers/projects';
import { replayAndRecord, useHarness } from '../helpers/workflow-harness';

/**
 * Suspension on the time-skipping server: a project suspended on the day its item was accepted holds
 * no timer for weeks (nothing fires), resumes with its deadline moved out, escalates on the new date,
 * and ends when cancelled. The run is replayed and, recorded, joins the replay corpus.
 */

const cst = (local: string) => Date.parse(`${local}+08:00`);
const iso = (t: number) => new Date(t).toISOString();
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const fgw = { role: 'department', department: 'FGW' } as const;

const h = useHarness('lifecycle', ANCHOR);

describe('a suspended project on the working-day clock', () => {
  it('fires nothing while suspended, escalates on the moved deadline after resuming, ends when cancelled', async () => {
    const code = 'LIFE-1';
    const handle = await h.start(code, { kind: 'new', ...newProject(code, smallPlan([planItem('A')])) });
    await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'submit', item: 'A', actor: secretary }],
    });
    await handle.executeUpdate(decideItemUpdate, { args: [{ action: 'accept', item: 'A', actor: fgw }] });
    await handle.executeUpdate(problemUpdate, {
      args: [
        {
          action: 'raise',
          actor: secretary,
          title: '供电',
          description: '线路迁改',
          ownerDepartment: 'GD',
          deadline: '2035-06-06',
        },
      ],
    });
    // Accepted Mon 4 June: due end of Sat 16 (the make-up day).
    expect((await h.state(handle)).state.items.A!.dueDate).toBe('2035-06-16');
    await handle.executeUpdate(lifecycleUpdate, {
      args: [{ action: 'suspend', reason: '资金未落实', by: 'ops' }],
    });
    expect((await h.state(handle)).nextEscalationAt).toBeNull();

    // Four weeks on, past every rung the item and the problem had: nothing fired.
    await h.skipTo(cst('2035-06-29T10:00:00'));
    expect(h.escalations.filter((e) => e.key.startsWith(`${code}/`))).toEqual([]);

    // Resumed Fri 29 June, 18 working days after Mon 4 (5–8, 11–13, Sat 16, 18–22, 25–29). A's eight
    // working days start again: 2, 3, 4, 5, 6, 9, 10, 11 July. The problem's deadline Wed 6 June moves
    // 18 working days too: 7, 8, 11, 12, 13, 16, 18–22, 25–29, 2, 3 July → Tue 3 July.
    const resumed = await handle.executeUpdate(lifecycleUpdate, { args: [{ action: 'resume', by: 'ops' }] });
    expect(resumed.movedItems).toEqual(['A', 'P1']);
    const after = (await h.state(handle)).state;
    expect(after.items.A!.dueDate).toBe('2035-07-11');
    expect(after.problems.P1!.deadlineAt).toBe(iso(cst('2035-07-04T00:00:00')));

    await h.skipTo(cst('2035-07-11T00:01:00'));
    const itemRungs = () => h.escalations.filter((e) => e.key.startsWith(`${code}/item/A/`));
    await until(async () => itemRungs().length > 0);
    expect(itemRungs().map((e) => [e.rung, e.rungAt])).toEqual([
      ['reminder', iso(cst('2035-07-11T00:00:00'))],
    ]);

    await handle.executeUpdate(lifecycleUpdate, {
      args: [{ action: 'cancel', reason: '项目取消', by: 'ops' }],
    });
    expect(await h.closedStatus(handle)).toBe('COMPLETED');
    expect(await handle.result()).toMatchObject({ code, outcome: 'cancelled' });

    await replayAndRecord(await handle.fetchHistory(), code, 'suspend-resume-cancel');
  });
});

async function until(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
