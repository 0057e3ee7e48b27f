import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config';
import { createDb } from '../db/connect';
import { onPrincipalWrite } from '../db/principal-writes';
import type { DB } from '../db/schema';
import { seedReferenceData } from '../db/seed';
import { liveAccessCache } from './access';
import { type App, createApp } from './app';
import { PrincipalCache } from './auth/principal-cache';
import type { Supervision } from './supervision';

/**
 * The API's composition, for api/server.ts and for the tests and benchmarks that run an API in their
 * own process: connect to Temporal, take a PostgreSQL pool, start the live access cache, build the
 * app with `createApp` and serve it over HTTP.
 */

/** It listens on config.api.host and config.api.port (port 0: one the OS picks). */
export type ApiOptions = {
  /**
   * A pool to use instead of one of its own: the caller owns it (seeds it, destroys it after stop()).
   * Without it the API creates its pool, seeds the reference data into it and destroys it on stop().
   */
  db?: Kysely<DB>;
  /** Wraps the app's fetch handler, e.g. to time every request. */
  fetch?: (appFetch: App['fetch']) => App['fetch'];
  /** What `npm start` is restarting, for /healthz (api/supervision.ts). */
  supervision?: Supervision;
};

export type RunningApi = {
  /** http://<address>:<port> as bound. */
  url: string;
  app: App;
  db: Kysely<DB>;
  client: Client;
  /** Stops accepting, lets in-flight requests finish, then closes Temporal, the cache and its own pool. */
  stop(): Promise<void>;
};

/**
 * Starts an API. Temporal must be reachable at start (fail fast with a clear message: a misconfigured
 * address should not look like a healthy process); PostgreSQL connects lazily, except for seeding an
 * own pool.
 */
export async function startApi(config: Config, options: ApiOptions = {}): Promise<RunningApi> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: '10s' });
  } catch (err) {
    const reason =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : err;
    throw new Error(`cannot reach Temporal at ${config.temporal.address}: ${reason}`);
  }
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const db = options.db ?? createDb(config.databaseUrl);
  // Closed by every change of a key or a person made in this process, until PostgreSQL announces it.
  const principals = new PrincipalCache();
  const unwatch = onPrincipalWrite(() => principals.writing());
  const closeAll = async (access?: { stop(): Promise<void> }) => {
    unwatch();
    const closed = await Promise.allSettled([
      connection.close(),
      access?.stop(),
      options.db ? undefined : db.destroy(),
    ]);
    const failed = closed.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
  };

  let access: ReturnType<typeof liveAccessCache> | undefined;
  try {
    // Departments and the shipped calendars, where operators have not loaded their own (idempotent).
    if (!options.db) await seedReferenceData(db);
    access = liveAccessCache(config.databaseUrl, principals);
    const app = createApp({
      temporal: { client, namespace: config.temporal.namespace },
      db,
      config,
      accessCache: access.cache,
      principalCache: principals,
      supervision: options.supervision,
    });
    const server = await listen(
      options.fetch ? options.fetch(app.fetch) : app.fetch,
      config.api.host,
      config.api.port,
    );
    const { address, port } = server.address() as AddressInfo;
    const running = access;
    return {
      url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
      app,
      db,
      client,
      async stop() {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // A client's kept-alive connection would carry new requests for as long as it keeps sending:
        // each one is closed as soon as it is idle, so the client reconnects (to another API process)
        // and the stop does not wait for the client to pause.
        const idle = setInterval(() => {
          if ('closeIdleConnections' in server) server.closeIdleConnections();
        }, 50);
        await closed.finally(() => clearInterval(idle));
        await closeAll(running);
      },
    };
  } catch (error) {
    await closeAll(access).catch(() => {});
    throw error;
  }
}

/** Resolves once the server listens; rejects when it cannot (the port is taken). */
function listen(fetch: App['fetch'], hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => {
      server.off('error', reject);
      resolve(server);
    });
    server.once('error', reject);
  });
}
