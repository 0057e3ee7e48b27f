import { loadConfig } from './config';
import { startWorker } from './worker-compose';

/**
 * The worker process: runs project workflows and their activities (worker-compose.ts), keeps the
 * digests' schedules up to date and runs the notification dispatcher beside them. Configuration is
 * read once here and passed down.
 */
async function main(): Promise<void> {
  const worker = await startWorker(loadConfig(), { schedules: true, dispatcher: true, console });
  // Worker.run() installs SIGINT/SIGTERM handlers and drains in-flight tasks before it resolves.
  try {
    await worker.running;
  } finally {
    await worker.stop();
  }
}

main().catch((err) => {
  console.error('greenlane worker failed:', err);
  process.exit(1);
});
