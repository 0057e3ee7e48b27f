import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import { createActivities } from './activities/index';
import { projectStateReader } from './activities/project-states';
import type { Config } from './config';
import { createDb } from './db/connect';
import type { DB } from './db/schema';
import { createNotificationDispatcher } from './notify/dispatcher';
import { cachedProjectsForHeap } from './worker-cache';
import { describeEnsured, ensureSchedules } from './worker-schedules';
import { workflowBundle } from './workflow-bundle';

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

type Version = { deploymentName: string; buildId: string };

/** The build id when none is configured: the package version and the git commit, e.g. 0.1.0+3f2a9c1. */
export function buildIdOfThisCheckout(): string {
  const root = new URL('.', import.meta.url).pathname;
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return `${version}+${commit}`;
  } catch {
    return version; // not a git checkout (an installed package): the version alone
  }
}

/**
 * Make `version` the deployment's current version (npm start: the build it just started is the one to
 * run). The server knows a version once its worker has polled: until then it refuses, so this retries
 * for a while, then gives up with the server's last answer.
 */
async function makeCurrent(connection: NativeConnection, namespace: string, version: Version): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity: `greenlane-worker@${version.buildId}`,
      });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function startWorker(config: Config, options: WorkerOptions = {}): Promise<RunningWorker> {
  const db = options.db ?? createDb(config.databaseUrl, { applicationName: 'greenlane-worker' });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // A client connection too: the leaders' weekly digest reads projects' live states for their forecasts.
  const clientConnection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const deployment = config.temporal.deployment;
  const version = deployment
    ? { deploymentName: deployment.name, buildId: deployment.buildId ?? buildIdOfThisCheckout() }
    : null;
  const cachedProjects = config.temporal.cachedProjects ?? cachedProjectsForHeap();
  const create = async () =>
    Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      ...(await workflowBundle()),
      maxCachedWorkflows: cachedProjects,
      // A project's next task goes first to the worker that has it cached. When that worker is gone
      // (a crash, a restart), the task waits this long before any worker may take it. The SDK's 10 s
      // leaves a decision sent in a worker restart waiting 10 s or more; 5 s is what Temporal's Go and
      // Java SDKs use.
      stickyQueueScheduleToStartTimeout: '5s',
      activities: createActivities({
        db,
        projectStates: projectStateReader(client),
        publicUrl: config.api.publicUrl,
      }),
      // Projects live for years: each one moves to the current version at its next task (auto-upgrade);
      // a change that would replay differently goes behind patched() (workflows/major-project.ts).
      ...(version
        ? {
            workerDeploymentOptions: {
              useWorkerVersioning: true,
              version,
              defaultVersioningBehavior: 'AUTO_UPGRADE' as const,
            },
          }
        : {}),
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
    `greenlane worker: polling ${config.temporal.taskQueue} on ${config.temporal.address}${
      version ? ` as ${version.deploymentName} build ${version.buildId}` : ''
    }, caching up to ${cachedProjects} projects`,
  );
  // Not fatal: projects do not depend on digests, and the next worker to start tries again.
  if (options.schedules) {
    await ensureSchedules(client, config.temporal.taskQueue).then(
      (result) => options.console?.log(`greenlane worker: ${describeEnsured(result)}`),
      (err) =>
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
  if (version && deployment?.promoteOnStart) {
    await makeCurrent(connection, config.temporal.namespace, version);
    options.console?.log(
      `greenlane worker: build ${version.buildId} is the current version of ${version.deploymentName}`,
    );
  }

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
