import { writeFile } from 'node:fs/promises';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../workflow-bundle';
import { decideItemUpdate } from '../../workflows/messages';
import * as SA from '../../workflows/search-attributes';
import { ANCHOR, newProject, planItem, smallPlan } from '../helpers/projects';
import { useHarness } from '../helpers/workflow-harness';

/**
 * What operators compare against in the Temporal UI: TargetStartDate holds the target start of
 * construction as the date itself at 00:00 UTC, so `TargetStartDate < "2035-07-07T00:00:00Z"` leaves
 * out a project whose target is 7 July and `>=` finds it (the queries themselves are tried on the dev
 * server in test/integration/china-time.test.ts). Projects that upserted the old value (00:00 China
 * time, 16:00Z the day before) replay unchanged: the new value is behind `patched()`, and a history
 * recorded before it is in the replay corpus.
 */

const h = useHarness('search-attributes', ANCHOR);

describe('TargetStartDate', () => {
  it('is the target date at 00:00 UTC, as operators type it', async () => {
    const code = 'SA-TARGET-1';
    const handle = await h.start(code, {
      kind: 'new',
      ...newProject(code, smallPlan([planItem('A')]), { targetStart: '2035-07-07' }),
    });
    await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'submit', item: 'A', actor: { role: 'secretary', id: 'sec-wang' } }],
    });
    let value: Date | undefined;
    for (let i = 0; i < 100 && value === undefined; i++) {
      value = (await handle.describe()).typedSearchAttributes.get(SA.TargetStartDate);
      if (value === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    const history = await handle.fetchHistory();
    if (process.env.RECORD_HISTORIES === '1') {
      await writeFile(new URL('./histories/target-start-date.json', import.meta.url), historyToJSON(history));
    }
    expect(value?.toISOString()).toBe('2035-07-07T00:00:00.000Z');
    await Worker.runReplayHistory(await workflowBundle(), history, code);
  });
});
