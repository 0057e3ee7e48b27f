import { loadConfig } from '../config';
import { startApi } from './compose';
import { supervisionFromParent } from './supervision';

/**
 * The API's process: read the config once, start the API (api/compose.ts), and close everything on
 * SIGINT or SIGTERM. Temporal must be reachable at start; PostgreSQL connects lazily. Once running, an
 * outage of either turns into 503 problems with Retry-After, and /healthz says which.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // Under `npm start`: its IPC channel says which pieces it is restarting, for /healthz.
  const api = await startApi(config, { supervision: supervisionFromParent() });
  console.log(`Greenlane API listening on ${api.url} (public URL ${config.api.publicUrl})`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    // Stop accepting, let in-flight requests finish (bounded), then close the clients they use.
    const force = setTimeout(() => {
      console.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    await api.stop().catch((err) => console.error(`shutdown: ${err instanceof Error ? err.message : err}`));
    clearTimeout(force);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
