import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { shippedCatalog } from '../../domain/catalog-data';
import type { Decision } from '../../domain/decisions';
import { instantiatePlan, type Plan } from '../../domain/plan';
import { decideItemUpdate } from '../../workflows/messages';
import { ANCHOR, newProject } from '../helpers/projects';
import { replayAndRecord, useHarness } from '../helpers/workflow-harness';

/**
 * A whole government-invested building project (the gov-building template) driven from registration to
 * completion: every wave of items that opens together is decided concurrently (大并联), one item goes
 * back for correction, the run crosses the synthetic June 2035 holiday, and the workflow continues as new
 * several times on the way. With RECORD_HISTORIES=1 the histories are written to test/workflows/histories/
 * for the replay test.
 */

const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const DAY = 24 * 3600 * 1000;

const h = useHarness('full-project', ANCHOR);

function govPlan(): Plan {
  const result = instantiatePlan(shippedCatalog, 'gov-building');
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.plan;
}

describe('a full government-invested project', () => {
  it('runs 45+ items from registration to completion, in parallel waves, across continue-as-new', async () => {
    const plan = govPlan();
    expect(plan.items.length).toBeGreaterThanOrEqual(45);
    const code = 'GOV-2035-001';
    const handle = await h.start(code, { kind: 'new', maxHistoryEvents: 400, ...newProject(code, plan) });
    const firstRunId = (await handle.describe()).runId;

    const prerequisites = new Map(plan.items.map((i) => [i.code, i.prerequisites]));
    const done = new Set<string>();
    const opened = new Set(plan.items.filter((i) => i.prerequisites.length === 0).map((i) => i.code));
    const initiallyReady = Object.values((await h.state(handle)).state.items)
      .filter((i) => i.status === 'ready')
      .map((i) => i.code);
    expect(initiallyReady.sort()).toEqual([...opened].sort());

    const dept = (code: string) =>
      ({ role: 'department', department: plan.items.find((i) => i.code === code)!.department }) as const;
    const decide = (d: Decision) => retryAcrossContinueAsNew(handle, d);
    const returned = 'FEASIBILITY';
    let waves = 0;
    let decisions = 0;

    while (done.size < plan.items.length) {
      const wave = [...opened].filter((c) => !done.has(c));
      expect(wave.length, `wave ${waves} is empty: the plan is stuck`).toBeGreaterThan(0);
      waves += 1;
      const results = await Promise.all(
        wave.map(async (item) => {
          await decide({ action: 'submit', item, actor: secretary });
          await decide({ action: 'accept', item, actor: dept(item) });
          decisions += 2;
          if (item === returned) {
            const r = await decide({
              action: 'return',
              item,
              actor: dept(item),
              missing: ['节能审查意见原件'],
            });
            expect(r.item.status).toBe('returned');
            await decide({ action: 'resubmit', item, actor: secretary });
            decisions += 2;
          }
          decisions += 1;
          return decide({ action: 'approve', item, actor: dept(item), documentNo: `${item}〔2035〕1号` });
        }),
      );
      for (const item of wave) done.add(item);
      // What opened must be exactly the items whose last prerequisite finished in this wave.
      const reported = results.flatMap((r) => r.opened).sort();
      const expected = plan.items
        .filter((i) => !opened.has(i.code) && prerequisites.get(i.code)!.every((p) => done.has(p)))
        .map((i) => i.code)
        .sort();
      expect(reported).toEqual(expected);
      for (const c of expected) opened.add(c);
      await h.skipTo((await h.now()) + DAY); // the next wave a day later: the run crosses 06-14..06-16
    }

    expect(await h.closedStatus(handle)).toBe('COMPLETED');
    const first = await h.client.workflow.getHandle(code, firstRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    expect(waves).toBeGreaterThan(5);
    expect(decisions).toBe(plan.items.length * 3 + 2);
    expect(Date.parse(new Date(await h.now()).toISOString())).toBeGreaterThan(
      Date.parse('2035-06-16T16:00:00Z'),
    );

    const histories = await h.runHistories(code, firstRunId!);
    expect(histories.length).toBeGreaterThan(1);
    // Each run replays against the code that produced it, and joins the corpus when recorded.
    for (const [i, { runId, history }] of histories.entries()) {
      await replayAndRecord(history, `${code}:${runId}`, `gov-building-run${i + 1}`);
    }
  });
});

/**
 * An update sent while the run is continuing as new may find it closing; the client then sends it again,
 * and it lands on the new run. The workflow never accepts the same decision twice: a repeat is refused.
 */
async function retryAcrossContinueAsNew(handle: WorkflowHandle, decision: Decision) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await handle.executeUpdate(decideItemUpdate, { args: [decision] });
    } catch (err) {
      const text = String(err);
      if (attempt < 5 && /completed|continued|not found/i.test(text)) continue;
      throw err;
    }
  }
}
