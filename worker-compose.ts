import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import { createActivities } from './activities/index';
import { projectStateReader } from './activities/project-states';
import type { Config } from './config';
import { createDb } from './db/connect';
import type { DB } from './db/schema';
import { createNotificationDispatcher } from './notify/dispatcher';
import { ensureDigestSchedules } from './scripts/schedules';

/**
 * The worker's composition, for worker.ts and for the tests that run a worker in their own process:
 * the real workflow bundle and the real activities on config.temporal.taskQueue.
 */

export type WorkerOptions = {
  /** A pool to use instead of one of its own: the caller owns it (destroys it after stop()). */
  db?: Kysely<DB>;
  /** Create or update the digests' Temporal Schedules (idempotent: every worker may do it). */
  schedules?: boolean;
  /** Run the outbox dispatcher beside the worker when config.notify.enabled. */
  dispatcher?: boolean;
  /** Where progress goes (`greenlane worker: polling …` once the worker is created); silent without. */
  console?: Pick<Console, 'log' | 'warn'>;
};

export type RunningWorker = {
  db: Kysely<DB>;
  /** The current Worker.run(): resolves once it stopped and drained (SIGINT/SIGTERM, stop()), rejects if it failed. */
  readonly running: Promise<void>;
  /** No worker on the task queue for `ms` (a worker restarting, a long pause): the workflows wait. */
  pause(ms: number): Promise<void>;
  /** Stops polling, drains in-flight tasks, then closes the dispatcher, the connection and its own pool. */
  stop(): Promise<void>;
};

export async function startWorker(config: Config, options: WorkerOptions = {}): Promise<RunningWorker> {
  const db = options.db ?? createDb(config.databaseUrl, { applicationName: 'greenlane-worker' });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // A client connection too: the leaders' weekly digest reads projects' live states for their forecasts.
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const create = () =>
    Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowsPath: new URL('./workflows/index.ts', import.meta.url).pathname,
      activities: createActivities({ db, projectStates: projectStateReader(client) }),
    });
  let worker: Worker;
  try {
    worker = await create();
  } catch (error) {
    await connection.close();
    await clientConnection.close();
    if (!options.db) await db.destroy();
    throw error;
  }
  options.console?.log(
    `greenlane worker: polling ${config.temporal.taskQueue} on ${config.temporal.address}`,
  );
  // Not fatal: projects do not depend on digests, and the next worker to start tries again.
  if (options.schedules) {
    await ensureDigestSchedules(config.temporal).catch((err) =>
      options.console?.warn(
        `greenlane worker: cannot ensure the digest schedules: ${(err as Error).message ?? err}`,
      ),
    );
  }
  // The outbox dispatcher (DingTalk, WeCom, Feishu, e-mail, webhook) runs beside the worker; several
  // workers may run it at once. Stopped after the worker drains, so the last escalations' rows are
  // already committed (they go out with the next worker that runs, if not this one).
  const dispatcher =
    options.dispatcher && config.notify.enabled
      ? createNotificationDispatcher({ db, settings: config.notify, publicUrl: config.api.publicUrl })
      : undefined;
  dispatcher?.start();
  // Worker.run() installs SIGINT/SIGTERM handlers and drains in-flight tasks before it resolves.
  let running = worker.run();

  const drain = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  return {
    db,
    get running() {
      return running;
    },
    async pause(ms) {
      await drain();
      await new Promise((r) => setTimeout(r, ms));
      worker = await create();
      running = worker.run();
    },
    async stop() {
      try {
        await drain();
      } finally {
        await dispatcher?.stop();
        await connection.close();
        await clientConnection.close();
        if (!options.db) await db.destroy();
      }
    },
  };
}
