import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GreenlaneActivities } from '../../activities/contract';
import { readBundle } from '../../scripts/workflow-bundle';
import { workflowBundle, workflowsPath } from '../../workflow-bundle';
import { decideItemUpdate } from '../../workflows/messages';
import { ANCHOR, newProject, planItem, smallPlan } from '../helpers/projects';
import { createTimeSkippingEnv } from '../helpers/time-skipping';
import { registerSearchAttributes } from '../helpers/workflow-harness';

/**
 * Why a change goes behind patched(). A project runs on build A (the workflow before the acceptance
 * clock, test/fixtures/build-a): an item submitted, left a week without an answer, then decided. Its
 * history replays on the current code, whose acceptance clock waits behind patched('acceptance-clock'),
 * and fails on the same code with the patch taken away (a deliberate mistake, made by a webpack loader
 * for this test): the unpatched code arms the acceptance timer where the history has none.
 */

const cst = (local: string) => Date.parse(`${local}+08:00`);
const secretary = { role: 'secretary', id: 'sec-wang' } as const;
const fgw = { role: 'department', department: 'FGW' } as const;

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnv();
  await registerSearchAttributes(env);
});
afterAll(async () => {
  await env?.teardown();
});

const activities: GreenlaneActivities = {
  async recordProgress(record) {
    return { escalationsInserted: record.escalations.length };
  },
  async deliverInstruction() {},
};

async function historyOnBuildA() {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'build-a',
    workflowBundle: readBundle(readFileSync(new URL('../fixtures/build-a/workflows.js.gz', import.meta.url))),
    activities,
  });
  return worker.runUntil(async () => {
    const now = await env.currentTimeMs();
    if (ANCHOR > now) await env.sleep(ANCHOR - now);
    const code = 'PATCH-1';
    const handle = await env.client.workflow.start('majorProjectWorkflow', {
      taskQueue: 'build-a',
      workflowId: code,
      args: [{ kind: 'new', ...newProject(code, smallPlan([planItem('A')])) }],
    });
    await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'submit', item: 'A', actor: secretary }],
    });
    // A week without an answer: past the five working days the acceptance clock would allow.
    await env.sleep(cst('2035-06-13T10:00:00') - (await env.currentTimeMs()));
    await handle.executeUpdate(decideItemUpdate, { args: [{ action: 'accept', item: 'A', actor: fgw }] });
    await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'approve', item: 'A', actor: fgw, documentNo: '发改〔2035〕1号' }],
    });
    return handle.fetchHistory();
  });
}

describe('patch discipline', () => {
  it('replays build A’s history on the patched code, and fails on the same code without the patch', async () => {
    const history = await historyOnBuildA();
    expect(historyToJSON(history)).not.toContain('acceptance-clock');
    await Worker.runReplayHistory(await workflowBundle(), history, 'PATCH-1');

    const unpatched = await bundleWorkflowCode({
      workflowsPath,
      webpackConfigHook: (config) => {
        config.module?.rules?.push({
          test: /major-project\.ts$/,
          enforce: 'pre',
          use: [{ loader: createRequire(import.meta.url).resolve('../helpers/unpatch-loader.cjs') }],
        });
        return config;
      },
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: unpatched }, history, 'PATCH-1'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
