import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { Kysely, KyselyPlugin, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { createKey, upsertPerson } from '../../api/auth/people-and-keys';
import type { Role } from '../../api/auth/principal';
import { startApi } from '../../api/compose';
import { loadConfig } from '../../config';
import { createDb } from '../../db/connect';
import type { DB } from '../../db/schema';
import { startClusterServers, startStack as startGreenlaneStack } from '../../scripts/stack';
import { SERVICE_NAMES, type ServiceName } from '../../scripts/temporal-cluster';
import {
  machineUsage,
  type ProcessUsage,
  processTreeUsage,
  processUsage,
  selfUsage,
  stolenUsage,
} from './load';

/**
 * All of Greenlane for a benchmark, real and on loopback (scripts/stack.ts): a PostgreSQL cluster and a
 * Temporal dev server with its SQLite file, both durable as `npm start` runs them (volatile: no fsync,
 * Temporal in memory, for a labelled comparison only), then the worker and the API as child processes
 * (`node --import tsx worker.ts`, `api/server.ts`), exactly as `npm start` runs them, so each one's CPU
 * and memory can be read from /proc on its own. The benchmark process keeps a database handle (to issue
 * keys and check results) and a Temporal client (for the raw baseline and histories). `stop()` takes it
 * all down again.
 */
export type Stack = Awaited<ReturnType<typeof startStack>>;

/**
 * What `usage` can measure: each child, both servers, the benchmark process itself (the driver), and
 * the machine as a whole (`machine`: every process's CPU; `stolen`: the hypervisor's steal time).
 */
export type StackProcess =
  | 'api'
  | 'worker'
  | 'temporal'
  | 'postgres'
  | 'driver'
  | 'machine'
  | 'stolen'
  /** With `temporal: 'cluster'`: each Temporal service (`temporal` is their sum; history: both processes). */
  | TemporalPart;
export type TemporalPart = 'temporal-frontend' | 'temporal-history' | 'temporal-matching' | 'temporal-worker';

/**
 * Durable unless `volatile` (then PostgreSQL without fsync and Temporal in memory, for a labelled comparison
 * only). `temporal: 'cluster'`: Temporal's production topology instead of the dev server (scripts/temporal-cluster.ts:
 * five processes on a PostgreSQL kept durable, fsync and synchronous_commit on, as `npm run start:cluster`).
 */
export async function startStack(
  opts: { log?: (line: string) => void; temporal?: 'dev' | 'cluster'; volatile?: boolean } = {},
) {
  const log = opts.log ?? (() => {});
  const cluster =
    opts.temporal === 'cluster' ? await startClusterServers({ name: 'bench-cluster', log }) : undefined;
  const stack = await startGreenlaneStack({
    name: 'bench',
    run: 'processes',
    // Durable unless asked: PostgreSQL with fsync, synchronous_commit and full_page_writes on, Temporal
    // keeping its state in a SQLite file, as `npm start` runs them (scripts/stack.ts persistIn).
    restartable: !opts.volatile,
    applicationName: 'greenlane-bench',
    log,
    ...(cluster
      ? { servers: { databaseUrl: cluster.databaseUrl, temporalAddress: cluster.temporalAddress } }
      : {}),
  }).catch(async (error) => {
    await cluster?.stop();
    throw error;
  });
  const stop = async () => {
    await stack.stop();
    await cluster?.stop();
  };
  try {
    const { api, worker, servers } = stack;
    log(`worker pid ${worker.pid}, api pid ${api.pid} on ${stack.apiUrl}`);
    const postgresDir = cluster?.postgres.dataDir ?? servers!.postgres!.dataDir;
    const services = cluster?.cluster.services;
    const pids = {
      api: api.pid!,
      worker: worker.pid!,
      temporal: services ? services.frontend.pid! : servers!.temporal.pid,
      postgres: Number(readFileSync(join(postgresDir, 'postmaster.pid'), 'utf8').split('\n')[0]),
    };
    const sum = (list: (ProcessUsage | undefined)[]): ProcessUsage | undefined =>
      list.every((u) => u === undefined)
        ? undefined
        : list.reduce<ProcessUsage>(
            (a, u) => ({
              cpuSeconds: a.cpuSeconds + (u?.cpuSeconds ?? 0),
              rssBytes: a.rssBytes + (u?.rssBytes ?? 0),
            }),
            { cpuSeconds: 0, rssBytes: 0 },
          );
    const servicePids = (names: ServiceName[]) => names.map((n) => services![n].pid!);
    const parts: Partial<Record<TemporalPart, () => ProcessUsage | undefined>> = services
      ? {
          'temporal-frontend': () => sum(servicePids(['frontend']).map(processUsage)),
          'temporal-history': () => sum(servicePids(['history-1', 'history-2']).map(processUsage)),
          'temporal-matching': () => sum(servicePids(['matching']).map(processUsage)),
          'temporal-worker': () => sum(servicePids(['worker']).map(processUsage)),
        }
      : {};
    const usage = {
      api: () => processUsage(pids.api),
      worker: () => processUsage(pids.worker),
      temporal: services
        ? () => sum(servicePids([...SERVICE_NAMES]).map(processUsage))
        : () => processUsage(pids.temporal),
      postgres: () => processTreeUsage(pids.postgres),
      driver: () => selfUsage(),
      machine: machineUsage,
      stolen: stolenUsage,
      ...parts,
    } as Record<StackProcess, () => ProcessUsage | undefined>;
    const db: Kysely<DB> = stack.db;

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
      tag: stack.tag,
      taskQueue: stack.taskQueue,
      apiUrl: stack.apiUrl,
      databaseUrl: stack.databaseUrl,
      temporalAddress: stack.temporalAddress,
      db,
      client: stack.client,
      pids,
      usage,
      keyFor,
      /** The last lines each child printed, for a failure message. */
      output: () => ({ api: api.output(), worker: worker.output() }),
      /** Whether PostgreSQL and Temporal keep what they acknowledge across a power cut. */
      durable: cluster !== undefined || !opts.volatile,
      /** 'dev' (the dev server) or 'cluster'. */
      temporalKind: cluster ? ('cluster' as const) : ('dev' as const),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
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
 * A second API on the same stack, in this process, started by api/compose.ts as api/server.ts starts
 * its own (its own pool and Temporal connection), with every PostgreSQL statement (a kysely
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
  const requests: RequestTimes[] = [];
  const api = await startApi(config, {
    db,
    fetch: (appFetch) => (request, env) => {
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
        const response = await appFetch(request, env);
        times.totalMs = performance.now() - start;
        times.status = response.status;
        requests.push(times);
        return response;
      });
    },
  }).catch(async (error) => {
    await db.destroy();
    throw error;
  });
  timeWorkflowCalls(api.client, (what, ms) => {
    const times = current.getStore();
    if (times) charge(times.temporal, what, ms);
  });
  return {
    url: api.url,
    /** Every request answered so far, in the order they finished. */
    requests: () => requests,
    async stop(): Promise<void> {
      await api.stop();
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
