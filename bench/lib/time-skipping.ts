import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { GreenlaneActivities } from '../../activities/contract';
import { testServerPath } from '../../scripts/toolchain';
import { workflowBundle } from '../../workflow-bundle';
import { greenlaneSearchAttributes } from '../../workflows/search-attributes';

// A CommonJS module: Node's ESM loader sees only its default export.
const { temporal } = proto;

/**
 * A Temporal time-skipping test server (the Java one scripts/setup.sh fetches) on a free port, with the
 * Greenlane search attributes registered and a worker running the real workflow bundle. Benchmarks pass
 * their own activities: they measure the workflow's history, not what the activities talk to.
 */
export type TimeSkipping = Awaited<ReturnType<typeof startTimeSkipping>>;

let runtimeInstalled = false;

export async function startTimeSkipping(opts: { taskQueue: string; activities: GreenlaneActivities }) {
  // The SDK logs every bundle and worker state change at INFO; a benchmark prints only its numbers.
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    // existing-path: the SDK would otherwise download the server from a host these machines cannot reach.
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  try {
    await registerSearchAttributes(env);
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: opts.taskQueue,
      ...(await workflowBundle()),
      activities: opts.activities,
    });
    const running = worker.run();
    return {
      env,
      client: env.client,
      taskQueue: opts.taskQueue,
      now: () => env.currentTimeMs(),
      /**
       * Move the server's clock to `instant` (epoch ms); timers due on the way fire. Time moves only here:
       * never await `handle.result()` on this client, which unlocks skipping and lets the clock run away.
       */
      async skipTo(instant: number): Promise<void> {
        const now = await env.currentTimeMs();
        if (instant > now) await env.sleep(instant - now);
      },
      async stop(): Promise<void> {
        worker.shutdown();
        await running;
        await env.teardown();
      },
    };
  } catch (error) {
    await env.teardown();
    throw error;
  }
}

/** Poll `read` every 20 ms until `ok` holds; throws with `what` after `timeoutMs` of real time. */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const indexed = temporal.api.enums.v1.IndexedValueType;
const indexedType = {
  Keyword: indexed.INDEXED_VALUE_TYPE_KEYWORD,
  Int: indexed.INDEXED_VALUE_TYPE_INT,
  Datetime: indexed.INDEXED_VALUE_TYPE_DATETIME,
} as const;

/** Like a real server, the test server refuses upserts of attributes it was never told about. */
async function registerSearchAttributes(env: TestWorkflowEnvironment): Promise<void> {
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      Object.entries(greenlaneSearchAttributes).map(([name, type]) => [name, indexedType[type]]),
    ),
  });
}
