import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from './activities/index';
import { createNotificationDispatcher } from './activities/notify/dispatcher';
import { loadConfig } from './config';
import { createDb } from './db/connect';
import { ensureDigestSchedules } from './scripts/schedules';

/**
 * The worker process: runs project workflows and their activities. Composition root: configuration is
 * read once here and dependencies are passed down.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const db = createDb(config.databaseUrl, { applicationName: 'greenlane-worker' });
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: new URL('./workflows/index.ts', import.meta.url).pathname,
    activities: createActivities({ db }),
  });
  console.log(`greenlane worker: polling ${config.temporal.taskQueue} on ${config.temporal.address}`);
  // The digests' Temporal Schedules, created or brought up to date (idempotent: every worker may do it).
  // Not fatal: projects do not depend on digests, and the next worker to start tries again.
  await ensureDigestSchedules(config.temporal).catch((err) =>
    console.warn(`greenlane worker: cannot ensure the digest schedules: ${(err as Error).message ?? err}`),
  );
  // The outbox dispatcher (DingTalk, WeCom, Feishu, e-mail, webhook) runs beside the worker; several
  // workers may run it at once. Stopped after the worker drains, so the last escalations' rows are
  // already committed (they go out with the next worker that runs, if not this one).
  const dispatcher = config.notify.enabled
    ? createNotificationDispatcher({ db, settings: config.notify, publicUrl: config.api.publicUrl })
    : undefined;
  dispatcher?.start();
  // Worker.run() installs SIGINT/SIGTERM handlers and drains in-flight tasks before it resolves.
  try {
    await worker.run();
  } finally {
    await dispatcher?.stop();
    await connection.close();
    await db.destroy();
  }
}

main().catch((err) => {
  console.error('greenlane worker failed:', err);
  process.exit(1);
});
