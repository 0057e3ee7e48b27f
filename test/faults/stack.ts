import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { createKey, type Role, upsertPerson } from '../../api/auth';
import { createDb } from '../../db/connect';
import { migrateToLatest } from '../../db/migrate';
import type { DB } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import { type PostgresServer, startPostgres } from '../../scripts/postgres';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/temporal';
import { freePort } from '../../scripts/toolchain';
import { greenlaneProcess } from '../helpers/processes';

/**
 * A whole Greenlane of a fault test's own, every part of which the test may stop and start again:
 * a PostgreSQL cluster kept on disk across restarts, a Temporal dev server persisting to a SQLite file,
 * both on ports fixed for the test's lifetime (a restart comes back where the clients look), and the
 * worker and the API as child processes. The test keeps its own database handle (keys, checks) and
 * Temporal client (direct updates, queries, histories). Everything lives in two temp folders (the
 * cluster's and the rest), removed by stop().
 */
export type FaultStack = Awaited<ReturnType<typeof startFaultStack>>;

export async function startFaultStack(opts: { name: string; notify?: unknown; log?: (l: string) => void }) {
  const log = opts.log ?? (() => {});
  const tag = randomBytes(3).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), `greenlane-faults-${opts.name}-`));
  // Its own temp folder: under `dir` (mode 0700) the cluster's OS user could not reach it when run as root.
  const pgDir = await mkdtemp(join(tmpdir(), `greenlane-faults-${opts.name}-pg-`));
  const temporalDb = join(dir, 'temporal.sqlite');
  const temporalLog = join(dir, 'temporal.log');
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => log(`clean-up: ${String(e)}`));
    await rm(dir, { recursive: true, force: true });
    await rm(pgDir, { recursive: true, force: true });
  };

  try {
    // keep: true, so a stop leaves the cluster for the restart; cleanUp removes its folder at the end.
    let postgres: PostgresServer = await startPostgres({ dataDir: pgDir, keep: true });
    cleanups.push(() => postgres.stop());
    const temporalPort = await freePort();
    const startTemporal = () =>
      startTemporalDevServer({
        headless: true,
        port: temporalPort,
        dbFile: temporalDb,
        logFile: temporalLog,
      });
    let temporal: TemporalDevServer = await startTemporal();
    cleanups.push(() => temporal.stop());
    log(`postgres ${postgres.url}, temporal ${temporal.address} (${temporalDb})`);

    await migrateToLatest(postgres.url);
    const db = createDb(postgres.url, { applicationName: 'greenlane-faults' });
    cleanups.push(() => db.destroy());
    await seedReferenceData(db);

    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const taskQueue = `faults-${opts.name}-${tag}`;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      DATABASE_URL: postgres.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      NOTIFY_ENABLED: opts.notify ? 'true' : 'false',
    };
    delete env.NOTIFY_CONFIG_FILE;
    if (opts.notify) {
      const file = join(dir, 'notify.json');
      writeFileSync(file, JSON.stringify(opts.notify), { mode: 0o600 });
      env.NOTIFY_CONFIG_FILE = file;
    }
    const worker = greenlaneProcess('worker', { env, logFile: join(dir, 'worker.log') });
    const api = greenlaneProcess('api', { env, apiUrl, logFile: join(dir, 'api.log') });
    cleanups.push(
      () => worker.stop(),
      () => api.stop(),
    );
    await Promise.all([worker.start(), api.start()]);

    const connection = await Connection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    /** A person (when named) and an API key for them, straight in PostgreSQL as `npm run keys` does. */
    async function keyFor(role: Role, who: { person?: string; department?: string } = {}) {
      if (who.person) {
        await upsertPerson(db, { id: who.person, name: who.person, role, department: who.department });
      }
      return createKey(db, {
        role,
        department: who.department,
        label: `faults ${role} ${who.person ?? who.department ?? ''}`.trim(),
        personId: who.person,
      });
    }

    return {
      tag,
      dir,
      taskQueue,
      apiUrl,
      db: db as Kysely<DB>,
      client,
      worker,
      api,
      keyFor,
      postgres: {
        get port() {
          return postgres.port;
        },
        /** Fast shutdown: every connection is cut, new ones are refused. */
        stop: () => postgres.stop(),
        /** The same cluster on the same port. */
        async start() {
          postgres = await startPostgres({ dataDir: pgDir, port: postgres.port, keep: true });
        },
      },
      temporal: {
        address: temporal.address,
        /** SIGTERM: the dev server shuts down and its SQLite file stays. */
        stop: () => temporal.stop(),
        /** The same file on the same port. */
        async start() {
          temporal = await startTemporal();
        },
      },
      /** What the children printed last, for a failure message. */
      output: () => `--- worker ---\n${worker.output()}\n--- api ---\n${api.output()}`,
      /** Runs `fn`; if it throws, the error message ends with what the children printed last. */
      async explained<T>(fn: () => Promise<T>): Promise<T> {
        try {
          return await fn();
        } catch (error) {
          if (error instanceof Error) error.message += `\n${worker.output()}\n${api.output()}`;
          throw error;
        }
      },
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
