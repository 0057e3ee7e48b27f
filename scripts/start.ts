import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { createDb } from '../db/connect';
import { releaseUnansweredIdempotencyKeys } from '../db/idempotency';
import { deploymentEnv, Launcher } from './launcher';
import { isAlive, killQuietly } from './pid-records';
import { type PostgresServer, startPostgres } from './postgres';
import { PROCESS_SCRIPTS, waitForHealthz } from './processes';
import { type ChildRun, DEFAULT_RESTART_POLICY, formatDuration, type SupervisedChild } from './supervisor';
import { startTemporalDevServer, type TemporalDevServer } from './temporal';
import { portIsFree, projectRoot } from './toolchain';

/**
 * `npm start`: all of Greenlane on one machine. PostgreSQL (.data/pg) and the Temporal dev server
 * (.data/temporal.sqlite, with the UI), migrations, then the worker and the API as child processes.
 * Everything is kept in .data/ (GREENLANE_DATA_DIR), so a second start reuses it and is ready in seconds.
 *
 * Each of the four is supervised (scripts/supervisor.ts): one that exits unexpectedly is started again,
 * on the same ports and data, after 1, 2, 4, 8, 16 s; a sixth exit within 10 minutes stops everything
 * (exit 1). The API hears over its IPC channel which pieces are restarting, and /healthz says so.
 * Ctrl-C or SIGTERM stops everything in reverse order, and nothing restarts from then on.
 *
 * Composition root of the dev environment: this is the one place it reads process.env.
 */

const Env = z.object({
  DATABASE_URL: z.string().url().optional(),
  PGPORT: z.coerce.number().int().min(1).max(65535).optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
  TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
  TEMPORAL_UI_URL: z.string().url().optional(),
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  /** Where PostgreSQL's cluster, Temporal's SQLite file, the logs and the pid file live. */
  GREENLANE_DATA_DIR: z.string().min(1).optional(),
  /** `false` in production: no demo people, keys or project. */
  GREENLANE_DEMO: z.enum(['true', 'false']).default('true'),
});

const DEFAULT_DATA_DIR = join(projectRoot, '.data');
const CHILD_STOP_GRACE_MS = 15_000;
const CHILD_READY_TIMEOUT_MS = 90_000;
const POSTMASTER_WATCH_MS = 500;

const launcher = new Launcher('start');
const { say, running } = launcher;
/** The supervised children by name, for the status the API is told. */
const children = new Map<string, SupervisedChild>();
/** The API's current process: its IPC channel carries which pieces are restarting. */
let apiProcess: ChildProcess | undefined;
async function main(): Promise<void> {
  const env = Launcher.env(Env);
  const dataDir = resolve(env.GREENLANE_DATA_DIR ?? DEFAULT_DATA_DIR);
  await launcher.claim(dataDir, 'start.pids.json');

  // --- PostgreSQL and Temporal, side by side ---------------------------------------------------
  if (!env.TEMPORAL_ADDRESS) {
    await mustBeFree(env.TEMPORAL_PORT, 'TEMPORAL_PORT', 'the Temporal dev server');
    await mustBeFree(env.TEMPORAL_UI_PORT, 'TEMPORAL_UI_PORT', 'the Temporal UI');
  }
  await mustBeFree(env.API_PORT, 'API_PORT', 'the API', env.API_HOST);
  if (launcher.shuttingDown) return;
  let pg: PostgresServer | undefined;
  const startPg = async (): Promise<ChildRun> => {
    // The same folder and port every time: clients reconnect where they were.
    pg = await startPostgres({
      dataDir: join(dataDir, 'pg'),
      port: pg?.port ?? env.PGPORT,
      keep: true,
      log: say,
    });
    return watchPostmaster(pg);
  };
  let temporal: TemporalDevServer | undefined;
  const startTemporal = async (): Promise<ChildRun> => {
    const server = await startTemporalDevServer({
      port: env.TEMPORAL_PORT,
      uiPort: env.TEMPORAL_UI_PORT,
      dbFile: join(dataDir, 'temporal.sqlite'),
      logFile: join(dataDir, 'temporal.log'),
      log: say,
    });
    temporal = server;
    // Once it has ended, stop() only drops its last-resort exit handler.
    void server.exited.then(() => server.stop());
    return server;
  };
  const starting = Promise.allSettled([
    env.DATABASE_URL
      ? undefined
      : superviseChild('postgres', startPg, `see ${join(dataDir, 'pg', 'greenlane-postgres.log')}`),
    env.TEMPORAL_ADDRESS
      ? undefined
      : superviseChild('temporal', startTemporal, `see ${join(dataDir, 'temporal.log')}`),
  ]);
  launcher.starting = starting;
  const [pgResult, temporalResult] = await starting;
  // Registered in start order; shutdown stops them in reverse (Temporal before PostgreSQL).
  if (pgResult.status === 'fulfilled' && pgResult.value) {
    running.push({ name: 'PostgreSQL', stop: pgResult.value.stop });
  }
  if (temporalResult.status === 'fulfilled' && temporalResult.value) {
    running.push({ name: 'Temporal dev server', stop: temporalResult.value.stop });
  }
  if (pgResult.status === 'rejected') throw pgResult.reason;
  if (temporalResult.status === 'rejected') throw temporalResult.reason;
  if (launcher.shuttingDown) return;
  const databaseUrl = pg?.url ?? env.DATABASE_URL!;
  const temporalAt = temporal
    ? { address: temporal.address, uiUrl: temporal.uiUrl }
    : { address: env.TEMPORAL_ADDRESS!, uiUrl: env.TEMPORAL_UI_URL };

  // --- Schema -------------------------------------------------------------------------------------
  const migrate = join(projectRoot, 'db', 'migrate.ts');
  if (existsSync(migrate)) {
    const { migrateToLatest } = (await import(pathToFileURL(migrate).href)) as {
      migrateToLatest(databaseUrl: string): Promise<void>;
    };
    await migrateToLatest(databaseUrl);
    say('database schema up to date');
    if (launcher.shuttingDown) return;
  } else {
    say('db/migrate.ts not found: no migrations run');
  }

  // --- Worker and API -----------------------------------------------------------------------------
  const apiUrl = `http://${env.API_HOST}:${env.API_PORT}`;
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TEMPORAL_ADDRESS: temporalAt.address,
    DATABASE_URL: databaseUrl,
    API_HOST: env.API_HOST,
    API_PORT: String(env.API_PORT),
    ...(temporalAt.uiUrl ? { TEMPORAL_UI_URL: temporalAt.uiUrl } : {}),
    ...deploymentEnv(),
  };
  // Side by side, each until it says it is ready; a Ctrl-C meanwhile waits for them, to stop them.
  const startingChildren = Promise.allSettled([
    superviseChild('worker', () => startNodeChild('worker', childEnv)),
    superviseChild('api', async () => {
      // On its own database the API is the only one: claims left unanswered are a dead API's.
      if (pg) await releaseClaimsOfDeadApi(databaseUrl);
      return startNodeChild('api', childEnv);
    }),
  ]);
  launcher.starting = startingChildren;
  const [worker, api] = await startingChildren;
  for (const [name, result] of [
    ['worker', worker],
    ['api', api],
  ] as const) {
    if (result.status === 'fulfilled') running.push({ name, stop: result.value.stop });
  }
  if (worker.status === 'rejected') throw worker.reason;
  if (api.status === 'rejected') throw api.reason;
  await waitForHealthz(apiUrl, { signal: launcher.stopping.signal });

  // --- Demo data, when the project has a loader ------------------------------------------------------
  const demo = join(projectRoot, 'scripts', 'demo.ts');
  if (env.GREENLANE_DEMO === 'false') {
    say('no demo data (GREENLANE_DEMO=false): issue keys with npm run keys -- create');
  } else if (existsSync(demo)) {
    try {
      const { loadDemo } = (await import(pathToFileURL(demo).href)) as {
        loadDemo?: (env: Record<string, string>) => Promise<void>;
      };
      await loadDemo?.({ ...childEnv, API_URL: apiUrl, GREENLANE_DATA_DIR: dataDir });
    } catch (error) {
      say(`demo data not loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  if (launcher.shuttingDown) return;
  const lines = [
    '',
    'Greenlane is running',
    `  API           ${apiUrl}`,
    `  API docs      ${apiUrl}/docs`,
    `  Temporal UI   ${temporalAt.uiUrl ?? '(not run here: TEMPORAL_ADDRESS was given)'}`,
    `  Temporal      ${temporalAt.address} (namespace default)`,
    `  PostgreSQL    ${databaseUrl}`,
    `  Data          ${env.DATABASE_URL && env.TEMPORAL_ADDRESS ? '(external)' : `${dataDir === DEFAULT_DATA_DIR ? '.data/' : dataDir} (delete it to start afresh)`}`,
    `  Restarts      a process that exits is started again (at most ${DEFAULT_RESTART_POLICY.maxRestarts} times within ${formatDuration(DEFAULT_RESTART_POLICY.windowMs)} each)`,
    `Stop with Ctrl-C (or kill -TERM ${process.pid}).`,
    '',
  ];
  console.log(lines.join('\n'));
}

/**
 * Starts a child under supervision (scripts/supervisor.ts): its first start here, its restarts there.
 * Too many restarts stop everything.
 */
async function superviseChild(
  name: string,
  start: () => Promise<ChildRun>,
  hint?: string,
): Promise<SupervisedChild> {
  return launcher.supervise({
    name,
    start,
    hint,
    onChange: (child) => {
      children.set(child.name, child);
      tellApi();
    },
  });
}

/** The API learns, over its IPC channel, which pieces are restarting (its /healthz reports them). */
function tellApi(): void {
  if (!apiProcess?.connected) return;
  const restarting = [...children.values()].filter((c) => c.restarting).map((c) => c.name);
  apiProcess.send({ type: 'greenlane-supervision', restarting }, (error) => {
    if (error) say(`could not tell the API what is restarting: ${error.message}`);
  });
}

/**
 * Runs `node --import tsx <script>` with its output prefixed by its name, and resolves once it
 * printed its ready line (the worker: polling; the API: listening).
 */
function startNodeChild(name: 'worker' | 'api', env: Record<string, string>): Promise<ChildRun> {
  const { script, ready } = PROCESS_SCRIPTS[name];
  // detached: its own process group, so a terminal Ctrl-C reaches only us and we stop it in order.
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
    env,
    detached: true,
    stdio: name === 'api' ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  if (name === 'api') apiProcess = child;
  const exited = new Promise<string>((resolveExit) => {
    child.once('error', (error) => resolveExit(`failed to start: ${error.message}`));
    child.once('exit', (code, signal) => resolveExit(signal ?? `exit code ${code}`));
  });
  const run: ChildRun = { pid: child.pid, exited, stop: () => stopChild(child, exited) };
  return new Promise<ChildRun>((resolveReady, reject) => {
    let isReady = false;
    const timer = setTimeout(() => {
      if (child.pid) killQuietly(-child.pid, 'SIGKILL');
      reject(new Error(`${name} did not say it was ready within ${CHILD_READY_TIMEOUT_MS / 1000} s`));
    }, CHILD_READY_TIMEOUT_MS);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        console.log(`[${name}] ${line}`);
        if (isReady || !ready.test(line)) return;
        isReady = true;
        clearTimeout(timer);
        resolveReady(run);
      });
    }
    void exited.then((how) => {
      clearTimeout(timer);
      if (!isReady) reject(new Error(`${name} exited (${how}) before it was ready`));
    });
  });
}

/**
 * Before the API starts (again): the claims on Idempotency-Keys of the requests it was answering when
 * it died are released, so their retries run at once instead of after the 60 s lease (the Temporal
 * update id keeps a decision that did land from landing twice). Best effort: with PostgreSQL down
 * they wait out the lease, as in any deployment.
 */
async function releaseClaimsOfDeadApi(databaseUrl: string): Promise<void> {
  const db = createDb(databaseUrl, { applicationName: 'greenlane-start' });
  try {
    const n = await releaseUnansweredIdempotencyKeys(db);
    if (n > 0)
      say(`released ${n} unanswered Idempotency-Key claim${n === 1 ? '' : 's'}: their retries run afresh`);
  } catch (error) {
    say(
      `could not release unanswered Idempotency-Key claims (they expire after 60 s): ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await db.destroy();
  }
}

/**
 * pg_ctl daemonises the postmaster, so it is nobody's child here: it is watched by its pid. How it
 * ended is not ours to know (its log may say).
 */
function watchPostmaster(pg: PostgresServer): ChildRun {
  let timer: NodeJS.Timeout | undefined;
  let ended: (how: string) => void = () => {};
  const exited = new Promise<string>((resolveExit) => {
    ended = resolveExit;
    timer = setInterval(() => {
      if (!isAlive(pg.pid)) resolveExit(`its postmaster, pid ${pg.pid}, is gone`);
    }, POSTMASTER_WATCH_MS);
  });
  void exited.then(() => clearInterval(timer));
  return {
    pid: pg.pid,
    exited,
    async stop() {
      clearInterval(timer);
      await pg.stop();
      ended('stopped');
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<string>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    // Whatever it started goes too: the whole process group.
    if (child.pid) killQuietly(-child.pid, 'SIGKILL');
  }, CHILD_STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

async function mustBeFree(port: number, variable: string, what: string, host = '127.0.0.1'): Promise<void> {
  if (!(await portIsFree(port, host))) {
    throw new Error(`port ${port} for ${what} is in use (another npm start?): stop that, or set ${variable}`);
  }
}

launcher.run(main);
