import { writeFile } from 'node:fs/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import type { GreenlaneActivities, ProgressRecord } from '../../activities/contract';
import type { EscalationEvent } from '../../domain/project';
import { workflowBundle } from '../../workflow-bundle';
import type { MajorProjectInput, majorProjectWorkflow } from '../../workflows/major-project';
import { projectStateQuery } from '../../workflows/messages';
import { greenlaneSearchAttributes } from '../../workflows/search-attributes';
import { createTimeSkippingEnv } from './time-skipping';

/**
 * A time-skipping Temporal test server with a worker running the real workflow bundle. Activities are
 * recorders at the activity boundary (the workflow tier checks what the workflow asks for; the
 * integration tier runs the real activities against PostgreSQL).
 */
export type Harness = Awaited<ReturnType<typeof startHarness>>;

/**
 * A harness for the tests of a file (or of a describe block): started before them with the server's
 * clock at `at`, stopped after them. What it returns stands for the harness once it has started.
 */
export function useHarness(taskQueue: string, at: number): Harness {
  let started: Harness | undefined;
  beforeAll(async () => {
    started = await startHarness(taskQueue);
    await started.skipTo(at);
  });
  afterAll(async () => {
    await started?.stop();
  });
  return new Proxy({} as Harness, {
    get(_, key) {
      if (!started) throw new Error(`the ${taskQueue} harness was used before it started`);
      return Reflect.get(started, key);
    },
  });
}

export async function startHarness(taskQueue: string) {
  const env: TestWorkflowEnvironment = await createTimeSkippingEnv();
  await registerSearchAttributes(env);
  const escalations: EscalationEvent[] = [];
  const snapshots: ProgressRecord[] = [];
  const instructions: Parameters<GreenlaneActivities['deliverInstruction']>[0][] = [];
  const activities: GreenlaneActivities = {
    async recordProgress(record) {
      snapshots.push(record);
      escalations.push(...record.escalations);
      return { escalationsInserted: record.escalations.length };
    },
    async deliverInstruction(input) {
      instructions.push(input);
    },
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    ...(await workflowBundle()),
    activities,
  });
  const running = worker.run();
  const client = env.client;

  return {
    env,
    client,
    escalations,
    snapshots,
    instructions,
    /** Skip the server's clock forward to `instant` (epoch ms); timers due before it fire on the way. */
    async skipTo(instant: number): Promise<void> {
      const now = await env.currentTimeMs();
      if (instant > now) await env.sleep(instant - now);
    },
    async now(): Promise<number> {
      return env.currentTimeMs();
    },
    async start(
      workflowId: string,
      input: MajorProjectInput,
    ): Promise<WorkflowHandle<typeof majorProjectWorkflow>> {
      return client.workflow.start('majorProjectWorkflow', { taskQueue, workflowId, args: [input] });
    },
    /**
     * Wait for the run to close without unlocking time skipping (awaiting `result()` on the time-skipping
     * client lets the server jump ahead by years when nothing else is scheduled).
     */
    async closedStatus(handle: WorkflowHandle): Promise<string> {
      for (let i = 0; i < 200; i++) {
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') return status.name;
        await new Promise((r) => setTimeout(r, 50));
      }
      return 'RUNNING';
    },
    /** Every run's history, first to last, following continue-as-new from `firstRunId`. */
    async runHistories(workflowId: string, firstRunId: string) {
      const runs = [];
      let runId: string | undefined = firstRunId;
      while (runId) {
        const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
        runs.push({ runId, history });
        runId =
          history.events!.at(-1)!.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
          undefined;
      }
      return runs;
    },
    async state(handle: WorkflowHandle) {
      return handle.query(projectStateQuery);
    },
    async stop(): Promise<void> {
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/**
 * Replay a run's history against the current workflow code (a determinism failure throws), and with
 * RECORD_HISTORIES=1 write it into the replay corpus (test/workflows/histories/<name>.json).
 */
export async function replayAndRecord(
  history: temporal.api.history.v1.IHistory,
  runName: string,
  corpusName: string,
) {
  await Worker.runReplayHistory(await workflowBundle(), history, runName);
  if (process.env.RECORD_HISTORIES === '1') {
    await writeFile(
      new URL(`../workflows/histories/${corpusName}.json`, import.meta.url),
      historyToJSON(history),
    );
  }
}

const indexed = temporal.api.enums.v1.IndexedValueType;
const typeOf = {
  Keyword: indexed.INDEXED_VALUE_TYPE_KEYWORD,
  Int: indexed.INDEXED_VALUE_TYPE_INT,
  Datetime: indexed.INDEXED_VALUE_TYPE_DATETIME,
} as const;

/** The time-skipping server knows no custom search attributes until they are registered, like a real one. */
export async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  const searchAttributes = Object.fromEntries(
    Object.entries(greenlaneSearchAttributes).map(([name, type]) => [name, typeOf[type]]),
  );
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes,
  });
}
