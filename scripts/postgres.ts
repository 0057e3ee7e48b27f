import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort, logTail, portIsFree, postgresBinDir } from './toolchain';

/**
 * A project-local PostgreSQL cluster run with initdb/pg_ctl: `npm start` keeps one in .data/pg, tests
 * make a throw-away one in a temp folder. It listens on 127.0.0.1 only, with trust authentication
 * (initdb's pg_hba.conf then only has loopback `host` lines) and no Unix socket.
 */

export type StartPostgresOptions = {
  /** Cluster folder; initialised when empty or missing, reused when it holds a cluster. */
  dataDir: string;
  /** Port on 127.0.0.1; a free one when not given. */
  port?: number;
  /** Keep the cluster on stop (npm start); false deletes dataDir on stop and skips fsync (tests). */
  keep: boolean;
  /** Progress lines (e.g. console.log); silent when not given. */
  log?: (line: string) => void;
};

export type PostgresServer = {
  /** postgres://postgres@127.0.0.1:<port>/greenlane */
  url: string;
  port: number;
  dataDir: string;
  /** The postmaster's pid (pg_ctl daemonises it: it is nobody's child here, watch it by pid). */
  pid: number;
  /**
   * Fast shutdown (disconnects clients), then deletes dataDir unless `keep`. Safe to call twice, and
   * after the server died: it never stops another server started on the same folder since.
   */
  stop(): Promise<void>;
};

export const DATABASE_NAME = 'greenlane';
const SUPERUSER = 'postgres';
const LOG_FILE = 'greenlane-postgres.log';

/** Starts (initialising when needed) a cluster and makes sure database `greenlane` exists. */
export async function startPostgres(options: StartPostgresOptions): Promise<PostgresServer> {
  const log = options.log ?? (() => {});
  const dataDir = resolve(options.dataDir);
  const runner = pgRunner(postgresBinDir());

  prepareDataDir(dataDir, runner);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`postgres: initialising a new cluster in ${dataDir}`);
    await initCluster(dataDir, runner, options.keep);
  }
  await clearStalePid(dataDir, runner, log);

  // A free port may be taken between finding it and binding it: retry with another one.
  let port = options.port ?? (await freePort());
  for (let attempt = 1; ; attempt++) {
    try {
      await runner.run('pg_ctl', [
        '-D',
        dataDir,
        '-l',
        join(dataDir, LOG_FILE),
        '-w',
        '-t',
        '60',
        '-o',
        `-p ${port}`,
        'start',
      ]);
      break;
    } catch (error) {
      // The port was taken meanwhile when something now listens on it: try another one.
      if (options.port === undefined && attempt < 3 && !(await portIsFree(port))) {
        port = await freePort();
        continue;
      }
      const lines = logTail(join(dataDir, LOG_FILE), 20);
      throw new Error(
        `PostgreSQL did not start in ${dataDir}: ${String(error)}\n--- ${LOG_FILE} ---\n${lines}`,
      );
    }
  }

  const pid = postmasterPid(dataDir);
  /** Whether the server on the folder is still the one started here (it may have died, another started). */
  const stillOurs = () => pid > 0 && postmasterPid(dataDir) === pid;

  // Last resort when this process exits without stop() (a crashed test run): stop the cluster
  // synchronously ('exit' handlers cannot wait) so no postgres outlives us.
  const stopOnExit = () => {
    try {
      if (stillOurs()) runner.runSync('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
    } catch {
      // nothing more can be done while exiting
    }
  };
  process.once('exit', stopOnExit);

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      process.removeListener('exit', stopOnExit);
      if (stillOurs()) {
        await runner.run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
      }
      if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    await ensureDatabase(port);
  } catch (error) {
    await stop();
    throw error;
  }
  log(`postgres: ready on 127.0.0.1:${port} (${dataDir})`);
  return { url: `postgres://${SUPERUSER}@127.0.0.1:${port}/${DATABASE_NAME}`, port, dataDir, pid, stop };
}

type PgRunner = {
  asOsUser: string | undefined;
  run(tool: 'initdb' | 'pg_ctl', args: string[]): Promise<string>;
  runSync(tool: 'pg_ctl', args: string[]): void;
};

/**
 * initdb and postgres refuse to run as root: then the binaries run as the `postgres` OS user (made by
 * Debian's package) through runuser, and that user owns the cluster folder.
 */
function pgRunner(binDir: string): PgRunner {
  const asOsUser = process.getuid?.() === 0 ? 'postgres' : undefined;
  const env = { ...process.env };
  for (const key of ['PGDATA', 'PGPORT', 'PGHOST', 'PGUSER', 'PGDATABASE']) delete env[key];
  const command = (tool: string, args: string[]): [string, string[]] => {
    const bin = join(binDir, tool);
    return asOsUser ? ['runuser', ['-u', asOsUser, '--', bin, ...args]] : [bin, args];
  };
  return {
    asOsUser,
    runSync(tool, args) {
      const [file, argv] = command(tool, args);
      execFileSync(file, argv, { cwd: '/', env, stdio: 'ignore', timeout: 30_000 });
    },
    run(tool, args) {
      const [file, argv] = command(tool, args);
      return new Promise((resolveRun, reject) => {
        // detached: the postmaster that pg_ctl leaves behind gets its own session, so a Ctrl-C in the
        // terminal reaches only `npm start`, which then stops everything in order. (pg_ctl -l sends
        // the postmaster's output to its log, so these pipes close when pg_ctl exits.)
        const child = spawn(file, argv, { cwd: '/', env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.once('error', reject);
        child.once('close', (code) => {
          if (code === 0) resolveRun(stdout);
          else
            reject(
              new Error(
                `${tool} ${args.join(' ')} failed (exit code ${code}): ${stderr.trim() || stdout.trim()}`,
              ),
            );
        });
      });
    },
  };
}

function prepareDataDir(dataDir: string, runner: PgRunner): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!runner.asOsUser) return;
  const uid = Number(osUserId(runner.asOsUser, '-u'));
  const gid = Number(osUserId(runner.asOsUser, '-g'));
  if (statSync(dataDir).uid !== uid) {
    execFileSyncQuiet('chown', ['-R', `${uid}:${gid}`, dataDir]);
  }
  execFileSyncQuiet('chmod', ['700', dataDir]);
  try {
    execFileSyncQuiet('runuser', ['-u', runner.asOsUser, '--', 'test', '-w', dataDir]);
  } catch {
    throw new Error(
      `The '${runner.asOsUser}' OS user cannot reach ${dataDir}: every parent folder must be searchable ` +
        `by it (chmod o+x on them), or use a data folder elsewhere.`,
    );
  }
}

async function initCluster(dataDir: string, runner: PgRunner, keep: boolean): Promise<void> {
  // Trust on loopback only: initdb -A trust writes `local` and 127.0.0.1/::1 `host` lines, we listen on
  // 127.0.0.1 and create no Unix socket. C collation, UTF8: byte order, any Chinese text.
  const args = [
    '-D',
    dataDir,
    '-U',
    SUPERUSER,
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-instructions',
  ];
  // A throw-away cluster does not need to survive a power cut: skip fsync everywhere.
  if (!keep) args.push('--no-sync');
  await runner.run('initdb', args);
  // Connections: Temporal's services take up to 24 each (deploy/temporal/config/greenlane.yaml: 20 to
  // its main database, 4 to visibility), five of them in the cluster topology, beside Greenlane's
  // pools; PostgreSQL's default of 100 ran out under load.
  const settings = [
    "listen_addresses = '127.0.0.1'",
    "unix_socket_directories = ''",
    'max_connections = 300',
  ];
  if (!keep) settings.push('fsync = off', 'synchronous_commit = off', 'full_page_writes = off');
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    `\n# Greenlane (scripts/postgres.ts)\n${settings.join('\n')}\n`,
  );
}

/**
 * A run that was killed leaves postmaster.pid behind. PostgreSQL ignores it only when no process has
 * that pid; after a reboot the pid may belong to anything, which would wedge the start. Remove it
 * when its process is something else, and stop a postgres still running on this folder (left over by
 * a killed `npm start`) so this start owns the cluster. When nothing has that pid (a postmaster killed
 * a moment ago) the file stays: PostgreSQL then checks that none of the dead server's backends still
 * holds its shared memory, and refuses to start until they are gone (the caller retries).
 */
async function clearStalePid(dataDir: string, runner: PgRunner, log: (line: string) => void): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = postmasterPid(dataDir);
  if (pid > 0 && isPostmasterOf(pid, dataDir)) {
    log(`postgres: a server left running by an earlier run (pid ${pid}) holds ${dataDir}; stopping it`);
    await runner.run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '60', 'stop']);
  } else if (pid > 0 && processExists(pid)) {
    unlinkSync(pidFile);
  }
}

/** The pid on the first line of the folder's postmaster.pid; 0 when there is none. */
export function postmasterPid(dataDir: string): number {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return 0;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** pg_ctl starts the postmaster as `postgres -D <dataDir> ...`. */
function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return (argv[0]?.endsWith('postgres') ?? false) && argv.includes(dataDir);
  } catch {
    return false;
  }
}

async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, database: 'postgres' });
  // A connection lost between two statements is an 'error' event (fatal unheard); the next await fails.
  client.on('error', () => {});
  await client.connect();
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [DATABASE_NAME]);
    if (found.rowCount === 0) await client.query(`create database ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}

function osUserId(user: string, flag: '-u' | '-g'): string {
  return execFileSyncQuiet('id', [flag, user]).trim();
}

function execFileSyncQuiet(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
