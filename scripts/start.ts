import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { startPostgres } from './postgres';
import { waitForHealthz } from './processes';
import { startTemporalDevServer } from './temporal';
import { portIsFree, projectRoot } from './toolchain';

/**
 * `npm start`: all of Greenlane on one machine. PostgreSQL (.data/pg) and the Temporal dev server
 * (.data/temporal.sqlite, with the UI), migrations, then the worker and the API as child processes.
 * Ctrl-C or SIGTERM stops everything in reverse order; a child that dies stops the rest (exit 1).
 * Everything is kept in .data/, so a second start reuses it and is ready in seconds.
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
});

const dataDir = join(projectRoot, '.data');
const pidFile = join(dataDir, 'start.pids.json');
const CHILD_STOP_GRACE_MS = 15_000;

/** Something running that must be stopped, newest first on shutdown. */
type Running = { name: string; stop(): Promise<void> };
const running: Running[] = [];
let shuttingDown = false;
/** Aborted when shutting down: whatever start-up still waits for stops waiting. */
const stopping = new AbortController();
/** PostgreSQL and Temporal while they start: a Ctrl-C then waits for them, to stop them in order. */
let startingServers: Promise<unknown> = Promise.resolve();

function say(line: string): void {
  console.log(`[start] ${line}`);
}

async function main(): Promise<void> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(
      `invalid environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const env = parsed.data;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void shutdown(0, `${signal} received`));
  }
  mkdirSync(dataDir, { recursive: true });
  await stopLeftovers();

  // --- PostgreSQL and Temporal, side by side ---------------------------------------------------
  if (!env.TEMPORAL_ADDRESS) {
    await mustBeFree(env.TEMPORAL_PORT, 'TEMPORAL_PORT', 'the Temporal dev server');
    await mustBeFree(env.TEMPORAL_UI_PORT, 'TEMPORAL_UI_PORT', 'the Temporal UI');
  }
  await mustBeFree(env.API_PORT, 'API_PORT', 'the API', env.API_HOST);
  if (shuttingDown) return;
  const starting = Promise.allSettled([
    env.DATABASE_URL
      ? undefined
      : startPostgres({ dataDir: join(dataDir, 'pg'), port: env.PGPORT, keep: true, log: say }),
    env.TEMPORAL_ADDRESS
      ? undefined
      : startTemporalDevServer({
          port: env.TEMPORAL_PORT,
          uiPort: env.TEMPORAL_UI_PORT,
          dbFile: join(dataDir, 'temporal.sqlite'),
          logFile: join(dataDir, 'temporal.log'),
          log: say,
        }),
  ]);
  startingServers = starting;
  const [pgResult, temporalResult] = await starting;
  // Registered in start order; shutdown stops them in reverse (Temporal before PostgreSQL).
  const pg = pgResult.status === 'fulfilled' ? pgResult.value : undefined;
  if (pg) {
    const unwatch = watchPostgres(pg.dataDir);
    running.push({
      name: 'PostgreSQL',
      stop: async () => {
        unwatch();
        await pg.stop();
      },
    });
  }
  const server = temporalResult.status === 'fulfilled' ? temporalResult.value : undefined;
  if (server) {
    running.push({ name: 'Temporal dev server', stop: server.stop });
    recordPid('temporal', server.pid);
    void server.exited.then((how) =>
      shutdown(1, `the Temporal dev server exited (${how}); see .data/temporal.log`),
    );
  }
  if (pgResult.status === 'rejected') throw pgResult.reason;
  if (temporalResult.status === 'rejected') throw temporalResult.reason;
  if (shuttingDown) return;
  const databaseUrl = pg?.url ?? env.DATABASE_URL!;
  const temporal = server ?? { address: env.TEMPORAL_ADDRESS!, uiUrl: env.TEMPORAL_UI_URL };

  // --- Schema -------------------------------------------------------------------------------------
  const migrate = join(projectRoot, 'db', 'migrate.ts');
  if (existsSync(migrate)) {
    const { migrateToLatest } = (await import(pathToFileURL(migrate).href)) as {
      migrateToLatest(databaseUrl: string): Promise<void>;
    };
    await migrateToLatest(databaseUrl);
    say('database schema up to date');
    if (shuttingDown) return;
  } else {
    say('db/migrate.ts not found: no migrations run');
  }

  // --- Worker and API -----------------------------------------------------------------------------
  const apiUrl = `http://${env.API_HOST}:${env.API_PORT}`;
  const childEnv: Record<string, string> = {
    ...(process.env as Record<string, string>),
    TEMPORAL_ADDRESS: temporal.address,
    DATABASE_URL: databaseUrl,
    API_HOST: env.API_HOST,
    API_PORT: String(env.API_PORT),
    ...(temporal.uiUrl ? { TEMPORAL_UI_URL: temporal.uiUrl } : {}),
  };
  startChild('worker', 'worker.ts', childEnv);
  startChild('api', 'api/server.ts', childEnv);
  await waitForHealthz(apiUrl, { signal: stopping.signal });

  // --- Demo data, when the project has a loader ------------------------------------------------------
  const demo = join(projectRoot, 'scripts', 'demo.ts');
  if (existsSync(demo)) {
    try {
      const { loadDemo } = (await import(pathToFileURL(demo).href)) as {
        loadDemo?: (env: Record<string, string>) => Promise<void>;
      };
      await loadDemo?.({ ...childEnv, API_URL: apiUrl });
    } catch (error) {
      say(`demo data not loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  if (shuttingDown) return;
  const lines = [
    '',
    'Greenlane is running',
    `  API           ${apiUrl}`,
    `  API docs      ${apiUrl}/docs`,
    `  Temporal UI   ${temporal.uiUrl ?? '(not run here: TEMPORAL_ADDRESS was given)'}`,
    `  Temporal      ${temporal.address} (namespace default)`,
    `  PostgreSQL    ${databaseUrl}`,
    `  Data          ${env.DATABASE_URL && env.TEMPORAL_ADDRESS ? '(external)' : '.data/ (delete it to start afresh)'}`,
    `Stop with Ctrl-C (or kill -TERM ${process.pid}).`,
    '',
  ];
  console.log(lines.join('\n'));
}

/** Runs `node --import tsx <script>` with its output prefixed by its name. */
function startChild(name: string, script: string, env: Record<string, string>): void {
  if (shuttingDown) return;
  // detached: its own process group, so a terminal Ctrl-C reaches only us and we stop it in order.
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`[${name}] ${line}`));
  }
  const exited = new Promise<string>((resolveExit) => {
    child.once('error', (error) => resolveExit(`failed to start: ${error.message}`));
    child.once('exit', (code, signal) => resolveExit(signal ?? `exit code ${code}`));
  });
  void exited.then((how) => shutdown(1, `${name} exited unexpectedly (${how})`));
  recordPid(name, child.pid);
  running.push({ name, stop: () => stopChild(child, exited) });
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

/** Stops everything, newest first, then exits. Later calls (a second Ctrl-C, a dying child) are ignored. */
async function shutdown(code: number, reason: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  stopping.abort();
  say(`${reason}: stopping`);
  await startingServers;
  for (const service of [...running].reverse()) {
    say(`stopping ${service.name}`);
    try {
      await service.stop();
    } catch (error) {
      say(`could not stop ${service.name}: ${error instanceof Error ? error.message : String(error)}`);
      code = 1;
    }
  }
  if (readPidRecords()[OWNER]?.pid === process.pid) rmSync(pidFile, { force: true });
  say('stopped');
  process.exit(code);
}

async function mustBeFree(port: number, variable: string, what: string, host = '127.0.0.1'): Promise<void> {
  if (!(await portIsFree(port, host))) {
    throw new Error(`port ${port} for ${what} is in use (another npm start?): stop that, or set ${variable}`);
  }
}

/** pg_ctl daemonises the postmaster, so it is watched by its pid file rather than as a child. */
function watchPostgres(pgDataDir: string): () => void {
  const timer = setInterval(() => {
    const pid = Number(readFileSafe(join(pgDataDir, 'postmaster.pid')).split('\n')[0]);
    if (!(pid > 0 && isAlive(pid)))
      void shutdown(1, 'PostgreSQL stopped unexpectedly; see .data/pg/greenlane-postgres.log');
  }, 2_000);
  timer.unref();
  return () => clearInterval(timer);
}

// --- Processes left by a start that was killed (SIGKILL, a closed terminal) ---------------------------
// The children run in their own process groups and outlive a killed `npm start`; their pids are
// recorded with their command lines, and the next start stops the ones still running those commands.
// (A PostgreSQL left running is handled by scripts/postgres.ts through its own postmaster.pid.)

type PidRecord = Record<string, { pid: number; cmdline: string }>;
/** The record of the `npm start` itself: while it lives, its children are not leftovers. */
const OWNER = 'start';

function recordPid(name: string, pid: number | undefined): void {
  if (!pid) return;
  const records = readPidRecords();
  records[name] = { pid, cmdline: cmdlineOf(pid) };
  writeFileSync(pidFile, JSON.stringify(records, null, 2));
}

async function stopLeftovers(): Promise<void> {
  const records = readPidRecords();
  const owner = records[OWNER];
  if (owner && owner.pid !== process.pid && cmdlineOf(owner.pid) === owner.cmdline) {
    throw new Error(`Greenlane is already running from this folder (pid ${owner.pid}): stop it first`);
  }
  delete records[OWNER];
  // Newest first, as a normal shutdown would: api, worker, then Temporal.
  for (const [name, { pid, cmdline }] of Object.entries(records).reverse()) {
    if (!cmdline || cmdlineOf(pid) !== cmdline) continue;
    say(`stopping ${name} (pid ${pid}) left running by an earlier npm start`);
    killQuietly(pid, 'SIGTERM');
    for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100)
      await new Promise((r) => setTimeout(r, 100));
    if (isAlive(pid)) killQuietly(-pid, 'SIGKILL');
  }
  writeFileSync(pidFile, '{}');
  recordPid(OWNER, process.pid);
}

function readPidRecords(): PidRecord {
  try {
    return JSON.parse(readFileSync(pidFile, 'utf8')) as PidRecord;
  } catch {
    return {};
  }
}

function cmdlineOf(pid: number): string {
  return readFileSafe(`/proc/${pid}/cmdline`);
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return cmdlineOf(pid) !== ''; // a zombie has no command line
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

main().catch((error: unknown) => {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  void shutdown(1, 'start-up failed');
});
