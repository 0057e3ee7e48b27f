import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { createDb } from '../db/connect';
import { seedReferenceData } from '../db/seed';
import { liveAccessCache } from './access';
import { createApp } from './app';

/**
 * The API's composition root: read the config once, connect, serve, and close everything on SIGINT or
 * SIGTERM. Temporal must be reachable at start (fail fast with a clear message: a misconfigured
 * address should not look like a healthy process); PostgreSQL connects lazily. Once running, an outage
 * of either turns into 503 problems with Retry-After, and /healthz says which.
 */
async function main(): Promise<void> {
  const config = loadConfig();

  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '10s' });
  } catch (err) {
    const reason =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : err;
    throw new Error(`cannot reach Temporal at ${config.temporal.address}: ${reason}`);
  }
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const db = createDb(config.databaseUrl);
  // Departments and the shipped calendars, where operators have not loaded their own (idempotent).
  await seedReferenceData(db);

  const access = liveAccessCache(config.databaseUrl);
  const app = createApp({
    temporal: { client, namespace: config.temporal.namespace },
    db,
    config,
    accessCache: access.cache,
  });
  const server = serve({ fetch: app.fetch, hostname: config.api.host, port: config.api.port }, (info) => {
    console.log(
      `Greenlane API listening on http://${info.address}:${info.port} (public URL ${config.api.publicUrl})`,
    );
  });

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
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.allSettled([connection.close(), access.stop(), db.destroy()]);
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
