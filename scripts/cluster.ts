import { join, resolve } from 'node:path';
import { z } from 'zod';
import { migrateToLatest } from '../db/migrate';
import { deploymentEnv, Launcher, type Running } from './launcher';
import type { ManagedProcess } from './managed-process';
import { type PostgresServer, startPostgres } from './postgres';
import { greenlaneProcess, waitForHealthz } from './processes';
import { type ChildRun, DEFAULT_RESTART_POLICY, formatDuration } from './supervisor';
import {
  DEFAULT_RETENTION,
  portsFrom,
  SERVICE_NAMES,
  startTemporalCluster,
  type TemporalCluster,
  temporalUi,
} from './temporal-cluster';
import { portIsFree, projectRoot } from './toolchain';

/**
 * `npm run start:cluster`: Greenlane on Temporal's production topology, on one machine. PostgreSQL
 * (.data/cluster/pg, or DATABASE_URL) holds Greenlane's database and Temporal's two; Temporal runs as
 * five processes (frontend, matching, worker, two history) from deploy/temporal/ — the files
 * docker-compose.yml runs — with the Temporal UI server; then two Greenlane workers and two APIs (on
 * API_PORT and API_PORT+1), and the demo as `npm start` loads it. Every process is supervised
 * (restarted after 1, 2, 4, 8, 16 s; a sixth exit within 10 minutes stops everything). Ctrl-C or
 * SIGTERM stops everything, Greenlane first, then the UI, Temporal's services and PostgreSQL.
 */

const Env = z.object({
  DATABASE_URL: z.string().url().optional(),
  PGPORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** The frontend's port; the other services' ports follow from it (scripts/temporal-cluster.ts portsFrom). */
  TEMPORAL_PORT: z.coerce.number().int().min(301).max(33060).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  /** How long a closed project stays in Temporal's PostgreSQL store; archival keeps it afterwards. */
  TEMPORAL_RETENTION: z
    .string()
    .regex(/^\d+h$/)
    .default(DEFAULT_RETENTION),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(1).max(65534).default(3000),
  GREENLANE_DATA_DIR: z.string().min(1).optional(),
  GREENLANE_DEMO: z.enum(['true', 'false']).default('true'),
});

const launcher = new Launcher('cluster');
const { say, running } = launcher;

async function main(): Promise<void> {
  const env = Launcher.env(Env);
  // Each child adds a last-resort 'exit' handler that kills it: twelve of them here.
  process.setMaxListeners(30);
  const dataDir = resolve(env.GREENLANE_DATA_DIR ?? join(projectRoot, '.data', 'cluster'));
  await launcher.claim(dataDir, 'cluster.pids.json');

  const ports = portsFrom(env.TEMPORAL_PORT);
  const apiPorts = [env.API_PORT, env.API_PORT + 1];
  for (const [port, what] of [
    ...SERVICE_NAMES.map((n) => [ports[n].grpc, `temporal ${n}`] as const),
    [env.TEMPORAL_UI_PORT, 'the Temporal UI (TEMPORAL_UI_PORT)'] as const,
    ...apiPorts.map((p) => [p, 'an API (API_PORT, API_PORT+1)'] as const),
  ]) {
    if (!(await portIsFree(port))) throw new Error(`port ${port} for ${what} is in use (another start?)`);
  }

  // --- PostgreSQL and the schemas -------------------------------------------------------------------
  let pg: PostgresServer | undefined;
  if (!env.DATABASE_URL) {
    pg = await startPostgres({ dataDir: join(dataDir, 'pg'), port: env.PGPORT, keep: true, log: say });
    running.push({ name: 'PostgreSQL', stop: pg.stop });
  }
  const databaseUrl = pg?.url ?? env.DATABASE_URL!;
  const url = new URL(databaseUrl);
  await migrateToLatest(databaseUrl);
  say('greenlane database schema up to date');
  if (launcher.shuttingDown) return;

  // --- Temporal -------------------------------------------------------------------------------------
  const cluster: TemporalCluster = await startTemporalCluster({
    postgres: {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username || 'postgres'),
      password: decodeURIComponent(url.password),
    },
    dataDir,
    ports,
    retention: env.TEMPORAL_RETENTION,
    log: say,
  });
  running.push({ name: 'Temporal', stop: cluster.stop });
  for (const name of SERVICE_NAMES) {
    running.push(await superviseProcess(`temporal-${name}`, cluster.services[name], true));
  }
  const ui = temporalUi({ address: cluster.address, port: env.TEMPORAL_UI_PORT, logDir: dataDir });
  running.push(await superviseProcess('temporal-ui', ui, false));
  const uiUrl = `http://127.0.0.1:${env.TEMPORAL_UI_PORT}`;
  if (launcher.shuttingDown) return;

  // --- Two workers, two APIs -------------------------------------------------------------------------
  const base: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_UI_URL: uiUrl,
    DATABASE_URL: databaseUrl,
    API_HOST: env.API_HOST,
    ...deploymentEnv(),
  };
  const apiUrls = apiPorts.map((p) => `http://${env.API_HOST}:${p}`);
  // Side by side; registered workers first, so a shutdown stops the APIs before the workers.
  const started = await Promise.allSettled([
    ...[1, 2].map((n) =>
      superviseProcess(
        `worker-${n}`,
        greenlaneProcess('worker', {
          env: { ...base, API_PORT: String(env.API_PORT) },
          logFile: join(dataDir, `worker-${n}.log`),
        }),
      ),
    ),
    ...apiPorts.map((p, i) =>
      superviseProcess(
        `api-${i + 1}`,
        greenlaneProcess('api', {
          env: { ...base, API_PORT: String(p) },
          logFile: join(dataDir, `api-${i + 1}.log`),
        }),
      ),
    ),
  ]);
  for (const result of started) if (result.status === 'fulfilled') running.push(result.value);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  await Promise.all(apiUrls.map((u) => waitForHealthz(u, { signal: launcher.stopping.signal })));
  if (launcher.shuttingDown) return;

  if (env.GREENLANE_DEMO === 'true') {
    try {
      const { loadDemo } = await import('./demo');
      await loadDemo({ ...base, API_URL: apiUrls[0]!, GREENLANE_DATA_DIR: dataDir });
    } catch (error) {
      say(`demo data not loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (launcher.shuttingDown) return;
  console.log(
    [
      '',
      'Greenlane is running on a Temporal cluster',
      `  APIs          ${apiUrls.join('  ')}   (docs: ${apiUrls[0]}/docs)`,
      `  Temporal UI   ${uiUrl}`,
      `  Temporal      ${cluster.address} (namespace default, retention ${env.TEMPORAL_RETENTION}, archival ${cluster.archivalDir})`,
      `  Services      ${SERVICE_NAMES.map((n) => `${n} :${ports[n].grpc}`).join(', ')}`,
      `  PostgreSQL    ${url.host} (databases ${url.pathname.slice(1)}, temporal, temporal_visibility)`,
      `  Logs          ${dataDir}/{temporal-*,worker-*,api-*}.log`,
      `  Restarts      a process that exits is started again (at most ${DEFAULT_RESTART_POLICY.maxRestarts} times within ${formatDuration(DEFAULT_RESTART_POLICY.windowMs)} each)`,
      `Stop with Ctrl-C (or kill -TERM ${process.pid}).`,
      '',
    ].join('\n'),
  );
}

type Startable = {
  readonly pid: number | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
  exited(): Promise<string>;
};

/** Supervises a process; `started`: its first run is already up (a cluster service). */
async function superviseProcess(
  name: string,
  proc: Startable | ManagedProcess<string>,
  started = false,
): Promise<Running> {
  let first = started;
  const startRun = async (): Promise<ChildRun> => {
    if (!first) await proc.start();
    first = false;
    return { pid: proc.pid, exited: proc.exited(), stop: () => proc.stop() };
  };
  const child = await launcher.supervise({ name, start: startRun });
  return { name, stop: child.stop };
}

launcher.run(main);
