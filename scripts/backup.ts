import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { createDb } from '../db/connect';
import { type PostgresServer, startPostgres } from './postgres';
import { NAMESPACE, startTemporalDevServer } from './temporal';
import { postgresBinDir, projectRoot } from './toolchain';

/**
 * `npm run backup` and `npm run restore`: the data of the embedded default (`npm start`) — its
 * PostgreSQL database and the Temporal dev server's SQLite file — while Greenlane is stopped.
 *
 *   npm run backup [-- --to <folder>]     a new folder under backups/ unless --to names one
 *   npm run restore -- <folder>           into an empty data folder, then verifies it
 *
 * Backup: PostgreSQL is started on its cluster for a moment and dumped with pg_dump (custom format,
 * restorable into any later PostgreSQL), the SQLite file (and its -wal/-shm, if a killed server left
 * them) copied as it lies — consistent because nothing runs on it — with backup.json: when, which
 * release, row counts, the size and SHA-256 of every file. Restore checks the files against it,
 * restores the dump into a new cluster, copies the SQLite file back, then starts both servers for a
 * moment to verify: the row counts are the backup's, and every active project has its workflow.
 *
 * Composition root: reads GREENLANE_DATA_DIR (as `npm start` does) and its command line.
 */

const run = promisify(execFile);

const Env = z.object({ GREENLANE_DATA_DIR: z.string().min(1).optional() });
const dataDir = resolve(Env.parse(process.env).GREENLANE_DATA_DIR ?? join(projectRoot, '.data'));
const pgDir = join(dataDir, 'pg');
const TEMPORAL_FILE = 'temporal.sqlite';
const DUMP_FILE = 'greenlane.pgdump';
const MANIFEST = 'backup.json';
/** Kept beside the data: the plaintext keys of the demo people (npm start's demo), when there are any. */
const KEPT_FILES = ['demo-keys.json'];

/** Tables whose row counts a restore must reproduce. */
const COUNTED = ['projects', 'project_items', 'escalations', 'audit_log', 'api_keys', 'people'] as const;

const Manifest = z.object({
  createdAt: z.string(),
  greenlane: z.object({ version: z.string(), commit: z.string().optional() }),
  postgres: z.object({
    pgDump: z.string(),
    rows: z.record(z.string(), z.number()),
    activeProjects: z.number(),
  }),
  files: z.record(z.string(), z.object({ bytes: z.number(), sha256: z.string() })),
});
type Manifest = z.infer<typeof Manifest>;

let prefix = 'backup';
function say(line: string): void {
  console.log(`[${prefix}] ${line}`);
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  prefix = command === 'restore' ? 'restore' : 'backup';
  if (command === 'backup') {
    const at = args.indexOf('--to');
    await backup(at >= 0 && args[at + 1] ? resolve(args[at + 1]!) : undefined);
  } else if (command === 'restore' && args[0]) {
    await restore(resolve(args[0]));
  } else {
    console.error('Usage: npm run backup [-- --to <folder>]\n       npm run restore -- <backup folder>');
    process.exitCode = 2;
  }
}

// --- Backup --------------------------------------------------------------------------------------------

async function backup(to: string | undefined): Promise<void> {
  mustBeStopped();
  if (!existsSync(join(pgDir, 'PG_VERSION')) || !existsSync(join(dataDir, TEMPORAL_FILE))) {
    throw new Error(`no Greenlane data in ${dataDir} (a PostgreSQL cluster in pg/ and ${TEMPORAL_FILE})`);
  }
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const folder = to ?? join(projectRoot, 'backups', `greenlane-${stamp}`);
  if (existsSync(folder) && readdirSync(folder).length > 0) throw new Error(`${folder} is not empty`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);

  const bin = postgresBinDir();
  const pg = await startPostgres({ dataDir: pgDir, keep: true, log: say });
  let postgres: Manifest['postgres'];
  try {
    const dump = join(folder, DUMP_FILE);
    await run(join(bin, 'pg_dump'), ['--format=custom', `--file=${dump}`, `--dbname=${pg.url}`]);
    // A readable archive: pg_restore can list it.
    await run(join(bin, 'pg_restore'), ['--list', dump]);
    const { rows, activeProjects } = await countRows(pg);
    postgres = {
      pgDump: (await run(join(bin, 'pg_dump'), ['--version'])).stdout.trim(),
      rows,
      activeProjects,
    };
  } finally {
    await pg.stop();
  }

  const copied = [
    ...readdirSync(dataDir).filter((f) => f === TEMPORAL_FILE || f.startsWith(`${TEMPORAL_FILE}-`)),
    ...KEPT_FILES.filter((f) => existsSync(join(dataDir, f))),
  ];
  for (const file of copied) copyFileSync(join(dataDir, file), join(folder, file));

  const files: Manifest['files'] = {};
  for (const file of [DUMP_FILE, ...copied]) files[file] = await fileFacts(join(folder, file));
  const manifest: Manifest = {
    createdAt: new Date().toISOString(),
    greenlane: await release(),
    postgres,
    files,
  };
  writeFileSync(join(folder, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  say(
    `backed up ${dataDir} to ${folder}: ${postgres.rows.projects} projects (${postgres.activeProjects} active), ` +
      `${Object.entries(files)
        .map(([f, { bytes }]) => `${f} ${formatBytes(bytes)}`)
        .join(', ')}`,
  );
  say('copy that folder off this machine (it holds API key hashes and, with the demo, demo keys)');
}

// --- Restore -------------------------------------------------------------------------------------------

async function restore(folder: string): Promise<void> {
  mustBeStopped();
  const manifest = Manifest.parse(JSON.parse(readFileSync(join(folder, MANIFEST), 'utf8')));
  for (const [file, facts] of Object.entries(manifest.files)) {
    const now = await fileFacts(join(folder, file));
    if (now.sha256 !== facts.sha256 || now.bytes !== facts.bytes) {
      throw new Error(`${join(folder, file)} is not the file backed up (size or SHA-256 differ)`);
    }
  }
  say(`files match ${MANIFEST} (backup of ${manifest.createdAt}, Greenlane ${manifest.greenlane.version})`);
  if (existsSync(pgDir) && readdirSync(pgDir).length > 0) {
    throw new Error(`${pgDir} is not empty: move the data folder aside first (mv ${dataDir} ${dataDir}.old)`);
  }
  if (existsSync(join(dataDir, TEMPORAL_FILE))) {
    throw new Error(`${join(dataDir, TEMPORAL_FILE)} exists: move the data folder aside first`);
  }
  mkdirSync(dataDir, { recursive: true });
  // Run as root, PostgreSQL runs as the `postgres` OS user, which must reach pg/ through it.
  if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);

  const bin = postgresBinDir();
  const pg = await startPostgres({ dataDir: pgDir, keep: true, log: say });
  let activeCodes: string[];
  try {
    await run(join(bin, 'pg_restore'), [
      '--exit-on-error',
      '--single-transaction',
      '--no-owner',
      `--dbname=${pg.url}`,
      join(folder, DUMP_FILE),
    ]);
    const counted = await countRows(pg);
    const differ = Object.entries(manifest.postgres.rows).filter(([t, n]) => counted.rows[t] !== n);
    if (differ.length > 0) {
      throw new Error(
        `restored row counts differ: ${differ.map(([t, n]) => `${t} ${counted.rows[t]} (backup ${n})`).join(', ')}`,
      );
    }
    activeCodes = counted.activeCodes;
    say(`PostgreSQL restored: ${COUNTED.map((t) => `${counted.rows[t]} ${t}`).join(', ')}, as backed up`);
  } finally {
    await pg.stop();
  }

  for (const file of Object.keys(manifest.files).filter((f) => f !== DUMP_FILE)) {
    copyFileSync(join(folder, file), join(dataDir, file));
  }
  say(
    `copied ${Object.keys(manifest.files)
      .filter((f) => f !== DUMP_FILE)
      .join(', ')} to ${dataDir}`,
  );

  // The workflows: every project the read model calls active has its workflow in Temporal.
  const temporal = await startTemporalDevServer({ headless: true, dbFile: join(dataDir, TEMPORAL_FILE) });
  try {
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const client = new Client({ connection, namespace: NAMESPACE });
      const workflows = new Map<string, string>();
      for await (const w of client.workflow.list({ query: `WorkflowType = 'majorProjectWorkflow'` })) {
        workflows.set(w.workflowId, w.status.name);
      }
      const missing = activeCodes.filter((code) => !workflows.has(`project-${code}`));
      if (missing.length > 0) {
        throw new Error(`active projects without a workflow in Temporal: ${missing.slice(0, 20).join(', ')}`);
      }
      const running = [...workflows.values()].filter((s) => s === 'RUNNING').length;
      say(
        `Temporal restored: ${workflows.size} project workflows (${running} running); every one of the ` +
          `${activeCodes.length} active projects has its workflow`,
      );
    } finally {
      await connection.close();
    }
  } finally {
    await temporal.stop();
  }
  say(`restore verified; start Greenlane (npm start, or systemctl start greenlane)`);
}

// --- Pieces --------------------------------------------------------------------------------------------

async function countRows(pg: PostgresServer) {
  const db = createDb(pg.url, { applicationName: 'greenlane-backup' });
  try {
    const rows: Record<string, number> = {};
    for (const table of COUNTED) {
      const { n } = await db
        .selectFrom(table)
        .select(({ fn }) => fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      rows[table] = Number(n);
    }
    const active = await db.selectFrom('projects').select('code').where('status', '=', 'active').execute();
    return { rows, activeProjects: active.length, activeCodes: active.map((p) => p.code) };
  } finally {
    await db.destroy();
  }
}

/**
 * Refuses while `npm start` (or a process it left behind) runs on this data folder: the SQLite file is
 * copied only while no Temporal server writes it.
 */
function mustBeStopped(): void {
  let records: Record<string, { pid: number; cmdline: string }> = {};
  try {
    records = JSON.parse(readFileSync(join(dataDir, 'start.pids.json'), 'utf8'));
  } catch {
    // no record: nothing was started here, or it stopped cleanly
  }
  for (const [name, { pid, cmdline }] of Object.entries(records)) {
    if (name === 'postgres') continue; // startPostgres stops a leftover postmaster itself
    if (cmdline && cmdlineOf(pid) === cmdline) {
      throw new Error(
        `${name === 'start' ? 'Greenlane' : `its ${name}`} is running on ${dataDir} (pid ${pid}): stop Greenlane first ` +
          '(systemctl stop greenlane, or Ctrl-C in the terminal of npm start)',
      );
    }
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

async function fileFacts(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { bytes: statSync(path).size, sha256: hash.digest('hex') };
}

async function release(): Promise<Manifest['greenlane']> {
  const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  try {
    const { stdout } = await run('git', ['-C', projectRoot, 'rev-parse', 'HEAD']);
    return { version, commit: stdout.trim() };
  } catch {
    return { version };
  }
}

function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

main().catch((error: unknown) => {
  console.error(`[${prefix}] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
