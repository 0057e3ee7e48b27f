import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import type { Kysely, KyselyPlugin, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { liveAccessCache } from '../../api/access';
import { createApp } from '../../api/app';
import { createKey, type Role, upsertPerson } from '../../api/auth';
import { loadConfig } from '../../config';
import { createDb } from '../../db/connect';
import { migrateToLatest } from '../../db/migrate';
import type { DB } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import { type PostgresServer, startPostgres } from '../../scripts/postgres';
import { startTemporalDevServer, type TemporalDevServer } from '../../scripts/temporal';
import { projectRoot } from '../../scripts/toolchain';
import {
  machineUsage,
  type ProcessUsage,
  processTreeUsage,
  processUsage,
  selfUsage,
  stolenUsage,
} from './load';

/**
 * All of Greenlane for a benchmark, real and on loopback: a throw-away PostgreSQL cluster, an in-memory
 * Temporal dev server, then the worker and the API as child processes (`node --import tsx worker.ts`,
 * `api/server.ts`), exactly as `npm start` runs them, so each one's CPU and memory can be read from
 * /proc on its own. The benchmark process keeps a database handle (to issue keys and check results)
 * and a Temporal client (for the raw baseline and histories). `stop()` takes it all down again.
 */
export type Stack = Awaited<ReturnType<typeof startStack>>;

/**
 * What `usage` can measure: each child, both servers, the benchmark process itself (the driver), and
 * the machine as a whole (`machine`: every process's CPU; `stolen`: the hypervisor's steal time).
 */
export type StackProcess = 'api' | 'worker' | 'temporal' | 'postgres' | 'driver' | 'machine' | 'stolen';

const CHILD_READY_MS = 90_000;
const CHILD_STOP_GRACE_MS = 10_000;

export async function startStack(opts: { log?: (line: string) => void } = {}) {
  const log = opts.log ?? (() => {});
  const tag = randomBytes(3).toString('hex');
  const taskQueue = `bench-${tag}`;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    // Newest first: the API and worker before the servers they talk to.
    for (const stop of stops.reverse()) await stop().catch((e) => log(`stop: ${String(e)}`));
  };

  try {
    const [pg, temporal] = await startServers(stops);
    log(`postgres ${pg.url}, temporal ${temporal.address}`);
    await migrateToLatest(pg.url);
    const db = createDb(pg.url, { applicationName: 'greenlane-bench' });
    stops.push(() => db.destroy());
    await seedReferenceData(db);

    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      DATABASE_URL: pg.url,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      API_HOST: '127.0.0.1',
      // The API binds a port the OS picks and says which in its first line.
      API_PORT: '0',
    };
    const worker = startChild('worker', 'worker.ts', env, /greenlane worker: polling/);
    stops.push(worker.stop);
    const api = startChild('api', 'api/server.ts', env, /Greenlane API listening on (http:\/\/\S+)/);
    stops.push(api.stop);
    const [, apiMatch] = await Promise.all([worker.ready, api.ready]);
    const apiUrl = apiMatch[1]!.replace(/\/$/, '');
    await waitForHealthz(apiUrl);
    log(`worker pid ${worker.pid}, api pid ${api.pid} on ${apiUrl}`);

    const connection = await Connection.connect({ address: temporal.address });
    stops.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    const postmasterPid = Number(readFileSync(join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const usage: Record<StackProcess, () => ProcessUsage | undefined> = {
      api: () => processUsage(api.pid),
      worker: () => processUsage(worker.pid),
      temporal: () => processUsage(temporal.pid),
      postgres: () => processTreeUsage(postmasterPid),
      driver: () => selfUsage(),
      machine: machineUsage,
      stolen: stolenUsage,
    };

    /** A person (when named) and a key for them, straight in PostgreSQL as `npm run keys` does. */
    async function keyFor(role: Role, who: { person?: string; department?: string } = {}) {
      if (who.person) {
        await upsertPerson(db, { id: who.person, name: who.person, role, department: who.department });
      }
      const { key } = await createKey(db, {
        role,
        department: who.department,
        label: `bench ${role} ${who.person ?? who.department ?? ''}`.trim(),
        personId: who.person,
      });
      return key;
    }

    return {
      tag,
      taskQueue,
      apiUrl,
      databaseUrl: pg.url,
      temporalAddress: temporal.address,
      db: db as Kysely<DB>,
      client,
      pids: { api: api.pid, worker: worker.pid, temporal: temporal.pid, postgres: postmasterPid },
      usage,
      keyFor,
      /** The last lines each child printed, for a failure message. */
      output: () => ({ api: api.tail(), worker: worker.tail() }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** PostgreSQL and Temporal side by side; whichever starts is registered for stopping even if the other fails. */
async function startServers(stops: (() => Promise<void>)[]): Promise<[PostgresServer, TemporalDevServer]> {
  const [pg, temporal] = await Promise.allSettled([
    mkdtemp(join(tmpdir(), 'greenlane-bench-pg-')).then((dataDir) => startPostgres({ dataDir, keep: false })),
    startTemporalDevServer({ headless: true }),
  ]);
  if (pg.status === 'fulfilled') stops.push(() => pg.value.stop());
  if (temporal.status === 'fulfilled') stops.push(() => temporal.value.stop());
  if (pg.status === 'rejected') throw pg.reason;
  if (temporal.status === 'rejected') throw temporal.reason;
  return [pg.value, temporal.value];
}

type Child = {
  pid: number;
  /** Resolves with the match of `readyLine` in the child's output; rejects if it exits first. */
  ready: Promise<RegExpExecArray>;
  tail(): string;
  stop(): Promise<void>;
};

/**
 * `node --import tsx <script>` in the project root. Its output is kept (the last 40 lines) rather than
 * printed, so the benchmark prints only its numbers; a failure message includes it.
 */
function startChild(name: string, script: string, env: Record<string, string>, readyLine: RegExp): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const recent: string[] = [];
  let onLine: (line: string) => void = () => {};
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      onLine(line);
    });
  }
  const exited = new Promise<string>((resolve) => {
    child.once('error', (e) => resolve(`failed to start: ${e.message}`));
    child.once('exit', (code, signal) => resolve(signal ?? `exit code ${code}`));
  });
  // Last resort if the benchmark dies without stop(): no child outlives it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const tail = () => recent.join('\n');

  const ready = new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready within ${CHILD_READY_MS / 1000} s:\n${tail()}`)),
      CHILD_READY_MS,
    );
    onLine = (line) => {
      const m = readyLine.exec(line);
      if (!m) return;
      clearTimeout(timer);
      onLine = () => {};
      resolve(m);
    };
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${how}) during the run:\n${tail()}`));
    });
  });
  // A rejection nobody awaits yet (the child dies after it was ready) must not crash the benchmark.
  ready.catch(() => {});

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    })();
    return stopping;
  };
  if (!child.pid) throw new Error(`${name} did not start`);
  return { pid: child.pid, ready, tail, stop };
}

async function waitForHealthz(apiUrl: string): Promise<void> {
  const deadline = Date.now() + CHILD_READY_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}: ${await res.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${apiUrl}/healthz did not answer 200 (last: ${last})`);
}

// --- An instrumented API, for profiling ------------------------------------------------------------------

/** Where one request's time went, in milliseconds; `db` is by statement, e.g. `insert audit_log`. */
export type RequestTimes = {
  method: string;
  path: string;
  status: number;
  totalMs: number;
  db: Record<string, { count: number; ms: number }>;
  temporal: Record<string, { count: number; ms: number }>;
};

/**
 * A second API on the same stack, in this process, built by `createApp` from the same parts as
 * api/server.ts (its own pool and Temporal connection), with every PostgreSQL statement (a kysely
 * plugin: from building the query to its result, so waiting for a pooled connection counts) and every
 * Temporal call (its workflow handles are wrapped) timed and charged to the request that made it.
 * The API under measurement stays the child process; this one only shows where a request's time goes.
 */
export async function startInstrumentedApi(
  stack: Pick<Stack, 'databaseUrl' | 'temporalAddress' | 'taskQueue'>,
) {
  const config = loadConfig({
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: stack.taskQueue,
    API_PORT: '0',
  });
  const current = new AsyncLocalStorage<RequestTimes>();
  const charge = (part: Record<string, { count: number; ms: number }>, what: string, ms: number) => {
    const entry = part[what] ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += ms;
    part[what] = entry;
  };

  const db = createDb(config.databaseUrl, { applicationName: 'greenlane-bench-profile' }).withPlugin(
    statementTimer((what, ms) => {
      const times = current.getStore();
      if (times) charge(times.db, what, ms);
    }),
  );
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  timeWorkflowCalls(client, (what, ms) => {
    const times = current.getStore();
    if (times) charge(times.temporal, what, ms);
  });
  const access = liveAccessCache(config.databaseUrl);
  const app = createApp({
    temporal: { client, namespace: config.temporal.namespace },
    db,
    config,
    accessCache: access.cache,
  });

  const requests: RequestTimes[] = [];
  const { url, close } = await new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
    const server = serve(
      {
        fetch: (request, env) => {
          const times: RequestTimes = {
            method: request.method,
            path: new URL(request.url).pathname,
            status: 0,
            totalMs: 0,
            db: {},
            temporal: {},
          };
          const start = performance.now();
          return current.run(times, async () => {
            const response = await app.fetch(request, env);
            times.totalMs = performance.now() - start;
            times.status = response.status;
            requests.push(times);
            return response;
          });
        },
        hostname: '127.0.0.1',
        port: 0,
      },
      (info) =>
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () => new Promise<void>((done) => server.close(() => done())),
        }),
    );
  });
  return {
    url,
    /** Every request answered so far, in the order they finished. */
    requests: () => requests,
    async stop(): Promise<void> {
      await close();
      await connection.close();
      await access.stop();
      await db.destroy();
    },
  };
}

/** Times each statement from building it to its result, named `<verb> <first table>`. */
function statementTimer(record: (what: string, ms: number) => void): KyselyPlugin {
  const started = new WeakMap<object, { at: number; what: string }>();
  return {
    transformQuery(args): RootOperationNode {
      started.set(args.queryId, { at: performance.now(), what: statementName(args.node) });
      return args.node;
    },
    async transformResult(args): Promise<QueryResult<UnknownRow>> {
      const s = started.get(args.queryId);
      if (s) record(s.what, performance.now() - s.at);
      return args.result;
    },
  };
}

function statementName(node: RootOperationNode): string {
  const verb = node.kind.replace(/QueryNode$|Node$/, '').toLowerCase();
  return `${verb} ${firstTable(node) ?? ''}`.trim();
}

function firstTable(node: unknown): string | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const n = node as { kind?: string; table?: { identifier?: { name?: string } } };
  if (n.kind === 'TableNode' && n.table?.identifier?.name) return n.table.identifier.name;
  for (const value of Object.values(node)) {
    const found = Array.isArray(value)
      ? value.map(firstTable).find((t) => t !== undefined)
      : firstTable(value);
    if (found) return found;
  }
  return undefined;
}

/** Wraps the handles `client.workflow.getHandle` returns so updates and queries are timed. */
function timeWorkflowCalls(client: Client, record: (what: string, ms: number) => void): void {
  const workflow = client.workflow;
  const getHandle = workflow.getHandle.bind(workflow);
  const time =
    <A extends unknown[], R>(what: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const start = performance.now();
      try {
        return await fn(...args);
      } finally {
        record(what, performance.now() - start);
      }
    };
  workflow.getHandle = ((...args: Parameters<typeof getHandle>) => {
    const handle = getHandle(...args);
    handle.executeUpdate = time(
      'executeUpdate',
      handle.executeUpdate.bind(handle),
    ) as typeof handle.executeUpdate;
    handle.query = time('query', handle.query.bind(handle)) as typeof handle.query;
    return handle;
  }) as typeof workflow.getHandle;
}

export type RequestBreakdown = {
  requests: number;
  /** Mean and median of the time the API spent on a request (from receiving it to its answer). */
  meanMs: number;
  p50Ms: number;
  /** Per part, averaged over the requests: calls per request, ms per request, ms per call. */
  parts: { part: string; callsPerRequest: number; msPerRequest: number; msPerCall: number }[];
};

/** Averages requests' times part by part; `other` is what no statement or Temporal call accounts for. */
export function breakdown(requests: readonly RequestTimes[]): RequestBreakdown {
  const n = Math.max(1, requests.length);
  const parts = new Map<string, { count: number; ms: number }>();
  let total = 0;
  let accounted = 0;
  for (const r of requests) {
    total += r.totalMs;
    for (const [prefix, part] of [
      ['postgres', r.db],
      ['temporal', r.temporal],
    ] as const) {
      for (const [what, t] of Object.entries(part)) {
        const key = `${prefix}: ${what}`;
        const entry = parts.get(key) ?? { count: 0, ms: 0 };
        entry.count += t.count;
        entry.ms += t.ms;
        parts.set(key, entry);
        accounted += t.ms;
      }
    }
  }
  parts.set('other: HTTP, routing, validation, JSON, waiting for the event loop', {
    count: requests.length,
    ms: total - accounted,
  });
  const sorted = requests.map((r) => r.totalMs).sort((a, b) => a - b);
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    requests: requests.length,
    meanMs: r2(total / n),
    p50Ms: r2(sorted[Math.floor((sorted.length - 1) / 2)] ?? 0),
    parts: [...parts.entries()].map(([part, t]) => ({
      part,
      callsPerRequest: r2(t.count / n),
      msPerRequest: r2(t.ms / n),
      msPerCall: r2(t.ms / Math.max(1, t.count)),
    })),
  };
}
