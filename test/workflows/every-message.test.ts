import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { syntheticYear } from '../../domain/calendar';
import type { Decision } from '../../domain/decisions';
import { defaultEscalationPolicy } from '../../domain/ladder';
import { amendPlan } from '../../domain/plan';
import type { ProblemAction } from '../../domain/problems';
import {
  acknowledgeEscalationUpdate,
  amendPlanUpdate,
  applyRulesUpdate,
  calendarPublishedSignal,
  decideItemUpdate,
  lifecycleUpdate,
  problemUpdate,
  reassignUpdate,
} from '../../workflows/messages';
import { ANCHOR, newProject, planItem, smallPlan } from '../helpers/projects';
import { replayAndRecord, useHarness } from '../helpers/workflow-harness';

/**
 * The replay corpus's widest history: one small project taken through every message the workflow
 * handles and every branch they open — the acceptance clock deeming an item accepted, a clock stopped
 * and restarted, a return, every rung of the ladder and the leader's instruction (批示), a problem
 * through a refused verification to its closing, a plan amendment, a reassignment, a calendar
 * published mid-run, a rules edition applied, the project suspended and resumed, approval on commitment, a rejection and a new
 * round, updates refused before history — across several continue-as-new runs. Each run replays here;
 * with RECORD_HISTORIES=1 they are written to test/workflows/histories/ and replayed on every run after.
 */

const cst = (local: string) => Date.parse(`2035-${local}+08:00`);
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const newSecretary = { role: 'secretary', id: 'sec-li' } as const;
const fgw = { role: 'department', department: 'FGW' } as const;
const zj = { role: 'department', department: 'ZJ' } as const;

const h = useHarness('every-message', ANCHOR);

describe('every message and branch, across continue-as-new', () => {
  it('runs to completion and replays', async () => {
    const code = 'EVERY-1';
    const plan = smallPlan([
      planItem('A'),
      planItem('B', { department: 'ZJ', prerequisites: ['A'] }),
      planItem('C', { commitment: true }),
      planItem('D', { department: 'SW' }),
      planItem('E'),
    ]);
    const handle = await h.start(code, { kind: 'new', maxHistoryEvents: 80, ...newProject(code, plan) });
    const firstRunId = (await handle.describe()).runId;
    const decide = (d: Decision) => handle.executeUpdate(decideItemUpdate, { args: [d] });
    const problem = (a: ProblemAction) => handle.executeUpdate(problemUpdate, { args: [a] });
    const state = async () => (await h.state(handle)).state;

    // The acceptance clock: A submitted Mon 4 June and left unanswered is accepted by law at the end of
    // Mon 11 (five working days), its reminder the Friday before.
    await decide({ action: 'submit', item: 'A', actor: secretary });
    await h.skipTo(cst('06-12T10:00:00'));
    expect((await state()).items.A).toMatchObject({ status: 'accepted', deemedAccepted: true });

    await decide({ action: 'suspend', item: 'A', actor: fgw, period: 'expertReview', expectedDays: 1 });
    await decide({ action: 'resume', item: 'A', actor: fgw });
    await decide({ action: 'return', item: 'A', actor: fgw, missing: ['专家意见'] });
    await decide({ action: 'resubmit', item: 'A', actor: secretary });

    // Past every rung of A's ladder; the leader answers the red card.
    await h.skipTo(cst('06-29T10:00:00'));
    const red = (await state()).recentEscalations.find((e) => e.subjectId === 'A' && e.rung === 'red');
    expect(red).toMatchObject({ key: 'EVERY-1/item/A/1/red', level: 3, department: 'FGW' });
    await handle.executeUpdate(acknowledgeEscalationUpdate, {
      args: [{ escalationKey: red!.key, leader: 'leader-li', instruction: '请发改委本周内办结' }],
    });
    await decide({ action: 'approve', item: 'A', actor: fgw, documentNo: '发改〔2035〕1号' });

    // A problem blocks B, is refused once at verification, and closes.
    await problem({
      action: 'raise',
      actor: secretary,
      title: '用地',
      description: '征地未完成',
      blocksItem: 'B',
    });
    await problem({ action: 'assign', actor: secretary, problemId: 'P1', ownerDepartment: 'ZJ' });
    await problem({ action: 'plan', actor: zj, problemId: 'P1', solution: '协调补偿' });
    await problem({ action: 'resolve', actor: zj, problemId: 'P1', resolution: '已签协议' });
    await problem({ action: 'verify', actor: secretary, problemId: 'P1', accepted: false, note: '未付款' });
    await problem({ action: 'resolve', actor: zj, problemId: 'P1', resolution: '已付款' });
    await problem({ action: 'verify', actor: secretary, problemId: 'P1', accepted: true });

    const amended = amendPlan(plan, { waive: ['D'] });
    if (!amended.ok) throw new Error(amended.problems.join('; '));
    await handle.executeUpdate(amendPlanUpdate, {
      args: [{ plan: amended.plan, by: 'sec-wang', reason: '免办' }],
    });
    await handle.executeUpdate(reassignUpdate, { args: [{ secretary: 'sec-li', by: 'ops-chen' }] });
    const change = await handle.executeUpdate(applyRulesUpdate, {
      args: [
        {
          id: '2035-07',
          note: '压缩 E 的时限',
          limits: { E: { days: 5, dayType: 'working', estimate: false } },
          policy: defaultEscalationPolicy,
        },
      ],
    });
    expect(change.items.map((i) => [i.item, i.limitFrom, i.limitTo])).toEqual([['E', 8, 5]]);
    await handle.signal(calendarPublishedSignal, syntheticYear(2036, { off: ['2036-01-01', '2036-01-02'] }));
    await handle.executeUpdate(lifecycleUpdate, {
      args: [{ action: 'suspend', reason: '资金', by: 'ops-chen' }],
    });
    // Refused before history: a decision while suspended, the old secretary, the wrong department.
    for (const refused of [
      { action: 'submit', item: 'B', actor: newSecretary },
      { action: 'submit', item: 'C', actor: secretary },
    ] as Decision[]) {
      await expect(decide(refused)).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    }
    await handle.executeUpdate(lifecycleUpdate, { args: [{ action: 'resume', by: 'ops-chen' }] });
    await expect(decide({ action: 'accept', item: 'C', actor: zj })).rejects.toBeInstanceOf(
      WorkflowUpdateFailedError,
    );

    await decide({ action: 'submit', item: 'B', actor: newSecretary });
    await decide({ action: 'accept', item: 'B', actor: zj });
    await decide({ action: 'approve', item: 'B', actor: zj, documentNo: '建〔2035〕2号' });
    await decide({ action: 'submit', item: 'C', actor: newSecretary });
    await decide({ action: 'approveOnCommitment', item: 'C', actor: fgw, commitmentRef: '承诺〔2035〕3号' });
    await decide({ action: 'submit', item: 'E', actor: newSecretary });
    await decide({ action: 'reject', item: 'E', actor: fgw, reason: '不符合规划' });
    await decide({ action: 'submit', item: 'E', actor: newSecretary });
    await decide({ action: 'accept', item: 'E', actor: fgw });
    await decide({ action: 'approve', item: 'E', actor: fgw, documentNo: '发改〔2035〕5号' });

    expect(await h.closedStatus(handle)).toBe('COMPLETED');
    const histories = await h.runHistories(code, firstRunId);
    expect(histories.length).toBeGreaterThan(2);
    for (const [i, { runId, history }] of histories.entries()) {
      await replayAndRecord(history, `${code}:${runId}`, `every-message-run${i + 1}`);
    }
  });
});
