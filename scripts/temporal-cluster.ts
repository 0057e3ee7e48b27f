import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import pg from 'pg';
import { type ManagedProcess, managedProcess } from './managed-process';
import { ensureSearchAttributes, NAMESPACE } from './temporal';
import {
  freePort,
  goModuleDir,
  portIsFree,
  projectRoot,
  temporalServerToolPath,
  temporalUiServerPath,
  toolVersions,
} from './toolchain';

/**
 * Temporal's production topology on one machine: PostgreSQL persistence (databases `temporal` and
 * `temporal_visibility`, created and migrated with temporal-sql-tool from the schema shipped in the
 * server's Go module), and every service a temporal-server process of its own — frontend, matching,
 * worker and two history processes — all from deploy/temporal/config/greenlane.yaml (the file
 * docker-compose.yml mounts too) with deploy/temporal/dynamicconfig.yaml. Then namespace `default` with a
 * retention period and archival (history and visibility, file store), and Greenlane's search attributes
 * on SQL visibility. Each service can be killed (-9), stopped and started again on its own ports.
 */

export const DEPLOY_DIR = join(projectRoot, 'deploy', 'temporal');
/** temporal-server's --env: it reads deploy/temporal/config/<this>.yaml. */
export const CONFIG_ENV = 'greenlane';
export const DYNAMIC_CONFIG = join(DEPLOY_DIR, 'dynamicconfig.yaml');

export type ServiceName = 'frontend' | 'history-1' | 'history-2' | 'matching' | 'worker';
export const SERVICE_NAMES: readonly ServiceName[] = [
  'history-1',
  'history-2',
  'matching',
  'frontend',
  'worker',
];

/** Each service's ports (gRPC, membership); the frontend's HTTP port too. */
export type ClusterPorts = Record<ServiceName, { grpc: number; membership: number }> & {
  frontendHttp: number;
};

/**
 * Every port from the frontend's, as the template's defaults lay them out from 7233: gRPC at an offset
 * from it (history-1 +1, matching +2, history-2 +4, worker +6, HTTP +10), membership 300 below each.
 */
export function portsFrom(frontend: number): ClusterPorts {
  if (frontend - 300 < 1 || frontend + 6 - 300 >= 32768) {
    throw new Error(`frontend port ${frontend}: membership ports (300 below) must be between 1 and 32767`);
  }
  const at = (offset: number) => ({ grpc: frontend + offset, membership: frontend - 300 + offset });
  return {
    frontend: at(0),
    'history-1': at(1),
    matching: at(2),
    'history-2': at(4),
    worker: at(6),
    frontendHttp: frontend + 10,
  };
}

/** The template's defaults for one machine (npm run start:cluster). */
export const DEFAULT_PORTS: ClusterPorts = portsFrom(7233);

/** How long a closed project stays in Temporal's own store (docker-compose.yml: NAMESPACE_RETENTION). */
export const DEFAULT_RETENTION = '720h';

export type TemporalClusterOptions = {
  /** The PostgreSQL server the cluster persists to (its superuser, or a role that may create databases). */
  postgres: { host: string; port: number; user: string; password?: string };
  /** Logs (<service>.log) and the archival file store (archival/history, archival/visibility). */
  dataDir: string;
  /** Fixed ports (npm run start:cluster); free ones when not given (tests). */
  ports?: ClusterPorts;
  /** Namespace retention, e.g. '720h' (30 days); at least 1 h, Temporal's minimum for a local namespace. */
  retention?: string;
  log?: (line: string) => void;
};

export type ServiceProcess = ManagedProcess<ServiceName>;

export type TemporalCluster = {
  /** host:port of the frontend. */
  address: string;
  ports: ClusterPorts;
  archivalDir: string;
  services: Record<ServiceName, ServiceProcess>;
  /** Stops every service (frontend first). */
  stop(): Promise<void>;
};

const READY_TIMEOUT_MS = 90_000;
const run = promisify(execFile);

/** Migrates the schemas, starts the five services and prepares the namespace. */
export async function startTemporalCluster(options: TemporalClusterOptions): Promise<TemporalCluster> {
  const log = options.log ?? (() => {});
  const ports = options.ports ?? (await freePorts());
  const archivalDir = join(options.dataDir, 'archival');
  mkdirSync(archivalDir, { recursive: true });
  await migrateTemporalSchemas(options.postgres, log);

  const env = (name: ServiceName) => serviceEnv(name, { postgres: options.postgres, archivalDir, ports });
  const services = {} as Record<ServiceName, ServiceProcess>;
  for (const name of SERVICE_NAMES) {
    // The worker service serves no gRPC: it is up once its membership (ringpop) port listens.
    const readyPort = name === 'worker' ? ports.worker.membership : ports[name].grpc;
    services[name] = serviceProcess(name, readyPort, env(name), options.dataDir);
  }
  const stop = async () => {
    await services.frontend.stop();
    await Promise.all(SERVICE_NAMES.map((n) => services[n].stop()));
  };
  try {
    // One process first: on a new database it writes the cluster metadata, which two at once would
    // race to insert. Then the rest side by side.
    await services['history-1'].start();
    await Promise.all(SERVICE_NAMES.filter((n) => n !== 'history-1').map((n) => services[n].start()));
    const address = `127.0.0.1:${ports.frontend.grpc}`;
    await prepareNamespace(address, archivalDir, options.retention ?? DEFAULT_RETENTION, log);
    log(`temporal: cluster ready on ${address} (frontend, matching, worker, 2 × history; PostgreSQL)`);
    return { address, ports, archivalDir, services, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The environment one service's temporal-server reads deploy/temporal/config/greenlane.yaml with (the
 * template's variables; docker-compose.yml sets the same ones for its containers).
 */
export function serviceEnv(
  name: ServiceName,
  o: { postgres: TemporalClusterOptions['postgres']; archivalDir: string; ports: ClusterPorts },
): Record<string, string> {
  const { ports } = o;
  const history = name === 'history-1' || name === 'history-2' ? ports[name] : ports['history-1'];
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    POSTGRES_SEEDS: o.postgres.host,
    DB_PORT: String(o.postgres.port),
    POSTGRES_USER: o.postgres.user,
    POSTGRES_PWD: o.postgres.password ?? '',
    TEMPORAL_BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    TEMPORAL_ARCHIVAL_DIR: o.archivalDir,
    TEMPORAL_DYNAMIC_CONFIG: DYNAMIC_CONFIG,
    TEMPORAL_FRONTEND_ADDRESS: `127.0.0.1:${ports.frontend.grpc}`,
    TEMPORAL_FRONTEND_PORT: String(ports.frontend.grpc),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontend.membership),
    TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TEMPORAL_HISTORY_PORT: String(history.grpc),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(history.membership),
    TEMPORAL_MATCHING_PORT: String(ports.matching.grpc),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matching.membership),
    TEMPORAL_WORKER_PORT: String(ports.worker.grpc),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.worker.membership),
    ...(process.env.TEMPORAL_LOG_LEVEL ? { TEMPORAL_LOG_LEVEL: process.env.TEMPORAL_LOG_LEVEL } : {}),
  };
}

/**
 * Free ports for every service. Membership ports go into a smallint column of Temporal's
 * cluster_membership table: they must be below 32768, under the OS's ephemeral range, so they are
 * picked at random between 20000 and 32000 and checked free (a port taken meanwhile fails the start).
 */
async function freePorts(): Promise<ClusterPorts> {
  const taken = new Set<number>();
  const lowPort = async (): Promise<number> => {
    for (;;) {
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      if (!taken.has(port) && (await portIsFree(port))) {
        taken.add(port);
        return port;
      }
    }
  };
  const pair = async () => ({ grpc: await freePort(), membership: await lowPort() });
  return {
    frontend: await pair(),
    'history-1': await pair(),
    'history-2': await pair(),
    matching: await pair(),
    worker: await pair(),
    frontendHttp: await freePort(),
  };
}

// --- Schema ---------------------------------------------------------------------------------------------

/** The server module's SQL schemas: schema/postgresql/v12/{temporal,visibility}/versioned. */
export function temporalSchemaDir(): string {
  const dir = goModuleDir('go.temporal.io/server', toolVersions().temporalServerVersion);
  return join(dir, 'schema', 'postgresql', 'v12');
}

/**
 * Creates `temporal` and `temporal_visibility` when missing, sets up a new one at version 0.0 and
 * applies every versioned step not applied yet (update-schema skips those done): idempotent, and an
 * upgraded server's new steps are applied at the next start.
 */
export async function migrateTemporalSchemas(
  server: TemporalClusterOptions['postgres'],
  log: (line: string) => void,
): Promise<void> {
  const tool = temporalServerToolPath('temporal-sql-tool');
  const schemaDir = temporalSchemaDir();
  // The password goes through the environment (SQL_PASSWORD), never on the command line.
  const env = { ...process.env, SQL_PASSWORD: server.password ?? '' };
  const base = ['--plugin', 'postgres12', '--ep', server.host, '-p', String(server.port), '-u', server.user];
  for (const [db, folder] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    const state = await databaseState(server, db);
    if (!state.exists) await run(tool, [...base, '--db', db, 'create-database'], { env });
    if (!state.hasSchema) await run(tool, [...base, '--db', db, 'setup-schema', '-v', '0.0'], { env });
    await run(tool, [...base, '--db', db, 'update-schema', '-d', join(schemaDir, folder, 'versioned')], {
      env,
    });
    log(`temporal: database ${db} ${state.exists ? 'up to date' : 'created and migrated'}`);
  }
}

async function databaseState(
  server: TemporalClusterOptions['postgres'],
  db: string,
): Promise<{ exists: boolean; hasSchema: boolean }> {
  const connect = async (database: string) => {
    const client = new pg.Client({ ...server, database });
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  const admin = await connect('postgres');
  try {
    const found = await admin.query('select 1 from pg_database where datname = $1', [db]);
    if (found.rowCount === 0) return { exists: false, hasSchema: false };
  } finally {
    await admin.end();
  }
  const client = await connect(db);
  try {
    const table = await client.query("select to_regclass('public.schema_version') is not null as present");
    return { exists: true, hasSchema: Boolean(table.rows[0]?.present) };
  } finally {
    await client.end();
  }
}

// --- Namespace ------------------------------------------------------------------------------------------

/** Registers `default` with retention and archival when missing, then Greenlane's search attributes. */
async function prepareNamespace(
  address: string,
  archivalDir: string,
  retention: string,
  log: (line: string) => void,
): Promise<void> {
  const seconds = parseHours(retention);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: '2s' });
      try {
        const service = connection.workflowService;
        const existing = await service.describeNamespace({ namespace: NAMESPACE }).catch(() => undefined);
        if (!existing) {
          await service.registerNamespace({
            namespace: NAMESPACE,
            description: 'Greenlane projects',
            workflowExecutionRetentionPeriod: msToTs(seconds * 1000),
            historyArchivalState: 2, // ARCHIVAL_STATE_ENABLED
            historyArchivalUri: `file://${archivalDir}/history`,
            visibilityArchivalState: 2,
            visibilityArchivalUri: `file://${archivalDir}/visibility`,
          });
          log(
            `temporal: namespace ${NAMESPACE} registered (retention ${retention}, archival to ${archivalDir})`,
          );
        }
      } finally {
        await connection.close();
      }
      await ensureSearchAttributes(address);
      return;
    } catch (error) {
      lastError = error;
      await sleep(500);
    }
  }
  throw new Error(`namespace ${NAMESPACE} not ready on ${address}: ${String(lastError)}`);
}

/** '720h' / '1h' → seconds. */
export function parseHours(retention: string): number {
  const match = /^(\d+)h$/.exec(retention);
  if (!match) throw new Error(`retention must be hours, like 720h: ${retention}`);
  const hours = Number(match[1]);
  if (hours < 1)
    throw new Error('retention must be at least 1h (Temporal refuses less for a local namespace)');
  return hours * 3600;
}

// --- One service ----------------------------------------------------------------------------------------

function serviceProcess(
  name: ServiceName,
  readyPort: number,
  env: Record<string, string>,
  logDir: string,
): ServiceProcess {
  const service = name.startsWith('history') ? 'history' : name;
  return managedProcess({
    name,
    command: () => temporalServerToolPath('temporal-server'),
    args: [
      '--root',
      DEPLOY_DIR,
      '--config',
      'config',
      '--env',
      CONFIG_ENV,
      '--allow-no-auth',
      'start',
      '--service',
      service,
    ],
    env,
    port: readyPort,
    logFile: join(logDir, `temporal-${name}.log`),
  });
}

/**
 * The Temporal UI server (github.com/temporalio/ui-server, built by setup.sh) against the frontend,
 * configured by deploy/temporal/ui/config/greenlane.yaml: loopback only, no login.
 */
export function temporalUi(options: { address: string; port: number; logDir: string }): ManagedProcess<'ui'> {
  return managedProcess({
    name: 'ui',
    command: temporalUiServerPath,
    args: ['--root', join(DEPLOY_DIR, 'ui'), '--config', 'config', '--env', CONFIG_ENV, 'start'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      TEMPORAL_ADDRESS: options.address,
      TEMPORAL_UI_PORT: String(options.port),
    },
    port: options.port,
    logFile: join(options.logDir, 'temporal-ui.log'),
  });
}
