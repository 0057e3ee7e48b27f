import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { type RunningApi, startApi } from '../api/compose';
import { type Config, loadConfig } from '../config';
import { createDb } from '../db/connect';
import { migrateToLatest } from '../db/migrate';
import type { DB } from '../db/schema';
import { seedReferenceData } from '../db/seed';
import { type RunningWorker, startWorker } from '../worker-compose';
import { type PostgresServer, startPostgres } from './postgres';
import { type GreenlaneProcess, greenlaneProcess } from './processes';
import { NAMESPACE, startTemporalDevServer, type TemporalDevServer } from './temporal';
import { startTemporalCluster } from './temporal-cluster';
import { freePort } from './toolchain';

/**
 * All of Greenlane for a test, a fault test or a benchmark: PostgreSQL (migrated, seeded) and a
 * Temporal dev server, of its own or already running; then a worker and an API on a task queue of
 * their own (`<name>-<tag>`), either in this process (api/compose.ts, worker-compose.ts) or as child
 * processes started as `npm start` starts them (scripts/processes.ts). The caller gets a database
 * handle and a Temporal client; `stop()` takes down what the stack started, newest first.
 */

// --- PostgreSQL and Temporal ------------------------------------------------------------------------

export type ServersOptions = {
  /** Names the temp folders (`greenlane-<name>-…`). */
  name: string;
  /** Use this database (migrated all the same) instead of a cluster of our own. */
  databaseUrl?: string;
  /**
   * A folder in which Temporal persists (`temporal.sqlite`, its log in `temporal.log`), and the
   * cluster is kept across a stop, so both can be stopped and started again where they were (on the
   * same ports). Without it: a throw-away cluster and an in-memory Temporal.
   */
  persistIn?: string;
  log?: (line: string) => void;
};

/** A server of the stack's own: stop it, and start it again on the same port. */
export type ServerControl = { stop(): Promise<void>; start(): Promise<void> };

export type Servers = {
  databaseUrl: string;
  /** host:port of the Temporal dev server (namespace `default`, every search attribute registered). */
  temporalAddress: string;
  /** The cluster of our own (undefined when a databaseUrl was given): stop is a fast shutdown. */
  postgres: (ServerControl & { readonly port: number; readonly dataDir: string }) | undefined;
  /** Stop is SIGTERM (with persistIn, the SQLite file stays). */
  temporal: ServerControl & { readonly pid: number };
  /** Stops both (Temporal first) and deletes the cluster. */
  stop(): Promise<void>;
};

/** A PostgreSQL cluster (unless a databaseUrl is given) and a headless Temporal dev server, side by side. */
export async function startServers(options: ServersOptions): Promise<Servers> {
  const keep = options.persistIn !== undefined;
  // A folder of its own: under the caller's (mode 0700) the cluster's OS user could not reach it when run as root.
  const pgDir = options.databaseUrl
    ? undefined
    : await mkdtemp(join(tmpdir(), `greenlane-${options.name}-pg-`));
  const startPg = (port?: number) => startPostgres({ dataDir: pgDir!, port, keep });
  const startTemporal = (port?: number) =>
    startTemporalDevServer({
      headless: true,
      port,
      ...(options.persistIn
        ? {
            dbFile: join(options.persistIn, 'temporal.sqlite'),
            logFile: join(options.persistIn, 'temporal.log'),
          }
        : {}),
    });

  // Both start at once (about a second each); if one fails, the other is stopped before rethrowing.
  const [pgResult, temporalResult] = await Promise.allSettled([
    pgDir ? startPg() : Promise.resolve(undefined),
    startTemporal(),
  ]);
  let pg = pgResult.status === 'fulfilled' ? pgResult.value : undefined;
  let temporal = temporalResult.status === 'fulfilled' ? temporalResult.value : undefined;
  const stop = async () => {
    await temporal?.stop();
    await pg?.stop();
    if (pgDir) await rm(pgDir, { recursive: true, force: true });
  };
  if (pgResult.status === 'rejected' || temporalResult.status === 'rejected') {
    await stop();
    throw pgResult.status === 'rejected' ? pgResult.reason : (temporalResult as PromiseRejectedResult).reason;
  }
  const databaseUrl = pg?.url ?? options.databaseUrl!;
  const temporalAddress = temporal!.address;
  options.log?.(`postgres ${databaseUrl}, temporal ${temporalAddress}`);
  try {
    await migrateToLatest(databaseUrl);
  } catch (error) {
    await stop();
    throw error;
  }
  const temporalPort = Number(temporalAddress.split(':').pop());
  return {
    databaseUrl,
    temporalAddress,
    postgres: pg && {
      get port() {
        return (pg as PostgresServer).port;
      },
      get dataDir() {
        return (pg as PostgresServer).dataDir;
      },
      stop: () => (pg as PostgresServer).stop(),
      async start() {
        pg = await startPg((pg as PostgresServer).port);
      },
    },
    temporal: {
      get pid() {
        return (temporal as TemporalDevServer).pid;
      },
      stop: () => (temporal as TemporalDevServer).stop(),
      async start() {
        temporal = await startTemporal(temporalPort);
      },
    },
    stop,
  };
}

/**
 * PostgreSQL and Temporal as the production topology runs them: a cluster of our own, kept durable (fsync
 * and synchronous_commit on) and restartable on its port, migrated, and Temporal's five processes on it
 * (scripts/temporal-cluster.ts). `stop()` ends the services gracefully, or with `kill -9` when `fastStop`
 * (the folders go right after), then PostgreSQL, and deletes both folders.
 */
export async function startClusterServers(options: {
  name: string;
  fastStop?: boolean;
  log?: (line: string) => void;
}) {
  const log = options.log ?? (() => {});
  const pgDir = await mkdtemp(join(tmpdir(), `greenlane-${options.name}-pg-`));
  const dir = await mkdtemp(join(tmpdir(), `greenlane-${options.name}-`));
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e) => log(`clean-up: ${String(e)}`));
    await rm(pgDir, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  };
  try {
    let pg: PostgresServer = await startPostgres({ dataDir: pgDir, keep: true, log });
    cleanups.push(() => pg.stop());
    await migrateToLatest(pg.url);
    const cluster = await startTemporalCluster({
      postgres: { host: '127.0.0.1', port: pg.port, user: 'postgres' },
      dataDir: dir,
      log,
    });
    cleanups.push(() =>
      options.fastStop ? Promise.all(Object.values(cluster.services).map((s) => s.kill9())) : cluster.stop(),
    );
    const postgres: ServerControl & { readonly port: number; readonly dataDir: string } = {
      get port() {
        return pg.port;
      },
      dataDir: pgDir,
      stop: () => pg.stop(),
      async start() {
        pg = await startPostgres({ dataDir: pgDir, port: pg.port, keep: true, log });
      },
    };
    return { databaseUrl: pg.url, temporalAddress: cluster.address, cluster, postgres, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// --- The whole stack ------------------------------------------------------------------------------------

export type StackRun = 'in-process' | 'processes';

export type StackOptions = {
  /** Names the task queue (`<name>-<tag>`) and the temp folders. */
  name: string;
  /** The worker and the API in this process, or as child processes (`node --import tsx worker.ts`, `api/server.ts`). */
  run: StackRun;
  /**
   * PostgreSQL (migrated) and Temporal already running, e.g. the integration tier's: then the stack
   * only seeds the database. Otherwise it starts servers of its own and stops them with the rest.
   */
  servers?: { databaseUrl: string; temporalAddress: string };
  /** With servers of its own: both can be stopped and started again where they were (startServers persistIn). */
  restartable?: boolean;
  /** More configuration (config.ts variables) for the worker and the API. */
  env?: Record<string, string>;
  /**
   * Child processes: notification settings (config.ts NotifyFile), written to `<dir>/notify.json` and
   * enabled; false: notifications off. Not given: as the environment says.
   */
  notify?: unknown;
  /** Child processes: append what each prints to `<dir>/worker.log` and `<dir>/api.log`. */
  logFiles?: boolean;
  /** application_name of the stack's database handle. */
  applicationName?: string;
  log?: (line: string) => void;
};

type StackBase = {
  tag: string;
  taskQueue: string;
  /** A temp folder of the stack's own (servers' files, logs, notify.json), removed by stop(). */
  dir: string | undefined;
  databaseUrl: string;
  temporalAddress: string;
  /** The servers when the stack started them itself. */
  servers: Servers | undefined;
  apiUrl: string;
  db: Kysely<DB>;
  client: Client;
  /** What the child processes printed last (empty in-process), for a failure message. */
  output(): string;
  stop(): Promise<void>;
};

export type InProcessStack = StackBase & {
  /** The configuration the worker and the API run with. */
  config: Config;
  worker: RunningWorker;
  api: RunningApi;
};

export type ProcessStack = StackBase & { worker: GreenlaneProcess; api: GreenlaneProcess };

export function startStack(options: StackOptions & { run: 'in-process' }): Promise<InProcessStack>;
export function startStack(options: StackOptions & { run: 'processes' }): Promise<ProcessStack>;
export async function startStack(options: StackOptions): Promise<InProcessStack | ProcessStack> {
  const log = options.log ?? (() => {});
  const tag = randomBytes(3).toString('hex');
  const taskQueue = `${options.name}-${tag}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  let dir: string | undefined;
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e) => log(`clean-up: ${String(e)}`));
    if (dir) await rm(dir, { recursive: true, force: true });
  };

  try {
    if (!options.servers || options.run === 'processes') {
      dir = await mkdtemp(join(tmpdir(), `greenlane-${options.name}-`));
    }
    let servers: Servers | undefined;
    if (!options.servers) {
      servers = await startServers({
        name: options.name,
        persistIn: options.restartable ? dir : undefined,
        log,
      });
      cleanups.push(() => servers!.stop());
    }
    const databaseUrl = options.servers?.databaseUrl ?? servers!.databaseUrl;
    const temporalAddress = options.servers?.temporalAddress ?? servers!.temporalAddress;
    const db = createDb(databaseUrl, { applicationName: options.applicationName });
    cleanups.push(() => db.destroy());
    await seedReferenceData(db);

    const env: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_TASK_QUEUE: taskQueue,
      API_HOST: '127.0.0.1',
      // In this process: a port the OS picks. Child processes: one chosen up front, so the worker's
      // links (config.api.publicUrl) name the API's port.
      API_PORT: options.run === 'processes' ? String(await freePort()) : '0',
      ...options.env,
    };
    const common = { tag, taskQueue, dir, databaseUrl, temporalAddress, servers, db, stop };

    if (options.run === 'in-process') {
      const config = loadConfig(env);
      const worker = await startWorker(config, { db });
      cleanups.push(() => worker.stop());
      const api = await startApi(config, { db });
      cleanups.push(() => api.stop());
      return { ...common, config, worker, api, apiUrl: api.url, client: api.client, output: () => '' };
    }

    const childEnv: Record<string, string> = { ...(process.env as Record<string, string>), ...env };
    if (options.notify !== undefined) {
      delete childEnv.NOTIFY_CONFIG_FILE;
      childEnv.NOTIFY_ENABLED = options.notify ? 'true' : 'false';
      if (options.notify) {
        const file = join(dir!, 'notify.json');
        writeFileSync(file, JSON.stringify(options.notify), { mode: 0o600 });
        childEnv.NOTIFY_CONFIG_FILE = file;
      }
    }
    const logFile = (kind: string) => (options.logFiles ? join(dir!, `${kind}.log`) : undefined);
    const worker = greenlaneProcess('worker', { env: childEnv, logFile: logFile('worker') });
    const api = greenlaneProcess('api', { env: childEnv, logFile: logFile('api') });
    cleanups.push(
      () => worker.stop(),
      () => api.stop(),
    );
    await Promise.all([worker.start(), api.start()]);

    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: NAMESPACE });
    const output = () => `--- worker ---\n${worker.output()}\n--- api ---\n${api.output()}`;
    return { ...common, worker, api, apiUrl: api.url!, client, output };
  } catch (error) {
    await stop();
    throw error;
  }
}
