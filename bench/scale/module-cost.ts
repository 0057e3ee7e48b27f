import v8 from 'node:v8';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
// SDK internals, for this measurement only: the worker's own parsing of a bundle and its reusable V8 context.
import { parseWorkflowCode } from '@temporalio/worker/lib/worker';
import type { WorkflowCreateOptions } from '@temporalio/worker/lib/workflow/interface';
import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import { workflowBundlerOptions, workflowsPath } from '../../workflow-bundle';

/**
 * Heap that every cached workflow pays for the workflow bundle's modules, before it holds any state
 * (bench/README.md, scale). With reuseV8Context (the SDK default) all workflows of a worker run in one
 * V8 context but each gets its own instance of every module it loads that was not preloaded; this
 * creates N major-project workflows in such a context, as the worker's workflow thread does (initRuntime
 * loads the workflow modules), and reports the heap they add after a full GC, divided by N: for the
 * bundle as the SDK builds it by default, as workflow-bundle.ts builds it without preloading, and as
 * the worker runs it.
 *
 *   node --expose-gc --import tsx bench/scale/module-cost.ts [N]     (N: 100 by default; ~30 s)
 */

const n = Number(process.argv[2] ?? 100);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const silent = { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} };

function heapUsed(): number {
  gc?.();
  gc?.();
  return v8.getHeapStatistics().used_heap_size;
}

function createOptions(i: number): WorkflowCreateOptions {
  const now = new Date();
  // Only what initRuntime reads; the workflow function itself is not started.
  const info = {
    workflowType: 'majorProjectWorkflow',
    workflowId: `module-cost-${i}`,
    runId: `module-cost-run-${i}`,
    firstExecutionRunId: `module-cost-run-${i}`,
    namespace: 'default',
    taskQueue: 'module-cost',
    attempt: 1,
    searchAttributes: {},
    typedSearchAttributes: [],
    memo: {},
    historyLength: 1,
    historySize: 0,
    continueAsNewSuggested: false,
    startTime: now,
    runStartTime: now,
    unsafe: { isReplaying: false, now: Date.now },
  };
  return {
    info: info as unknown as WorkflowCreateOptions['info'],
    randomnessSeed: [i, 1] as unknown as WorkflowCreateOptions['randomnessSeed'],
    now: now.getTime(),
    showStackTraceSources: false,
  };
}

async function perWorkflowKiB(label: string, bundlerOptions: typeof workflowBundlerOptions): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath, ...bundlerOptions, logger: silent });
  const bundle = parseWorkflowCode(code, `/tmp/module-cost-${label}.js`) as unknown as WorkflowBundleOption;
  const creator = await ReusableVMWorkflowCreator.create(
    bundle as Parameters<typeof ReusableVMWorkflowCreator.create>[0],
    5_000,
    new Set(),
    undefined,
  );
  const held = [await creator.createWorkflow(createOptions(-1))]; // the first one warms the context
  const before = heapUsed();
  for (let i = 0; i < n; i++) held.push(await creator.createWorkflow(createOptions(i)));
  const added = heapUsed() - before;
  console.log(
    `${label.padEnd(28)} bundle ${(code.length / 2 ** 20).toFixed(1)} MiB, ${(added / n / 1024).toFixed(0)} KiB of heap per workflow (${n} workflows, modules only)`,
  );
  for (const workflow of held) await workflow.dispose();
  await creator.destroy();
}

await perWorkflowKiB('SDK default bundle', {});
await perWorkflowKiB('bundled, not preloaded', { ...workflowBundlerOptions, preloadModules: [] });
await perWorkflowKiB('workflow-bundle.ts options', workflowBundlerOptions);
