import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { createKey, upsertPerson } from '../../api/auth/people-and-keys';
import type { Role } from '../../api/auth/principal';
import type { DB } from '../../db/schema';
import { type GreenlaneProcess, greenlaneProcess } from '../../scripts/processes';
import { startClusterServers, startStack } from '../../scripts/stack';
import { freePort } from '../../scripts/toolchain';

/**
 * Greenlane on the production topology, for the cluster tests: PostgreSQL and Temporal's five processes
 * (scripts/stack.ts startClusterServers), and two workers and two APIs as child processes on one task
 * queue (scripts/stack.ts and scripts/processes.ts, as npm run start:cluster runs them). Everything lives
 * in temp folders removed by stop().
 */
export type ClusterStack = Awaited<ReturnType<typeof startClusterStack>>;

export async function startClusterStack(opts: { name: string; log?: (line: string) => void }) {
  const log = opts.log ?? (() => {});
  const servers = await startClusterServers({ name: opts.name, fastStop: true, log });
  const { cluster, dir, postgres } = servers;
  const cleanups: (() => Promise<unknown>)[] = [() => servers.stop()];
  const stop = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e) => log(`clean-up: ${String(e)}`));
  };
  try {
    const stack = await startStack({
      name: opts.name,
      run: 'processes',
      servers: { databaseUrl: servers.databaseUrl, temporalAddress: servers.temporalAddress },
      notify: false,
      logFiles: true,
      applicationName: 'greenlane-cluster-tests',
      log,
    });
    cleanups.push(() => stack.stop());

    // The second worker and API: the same task queue and database, an API port of its own.
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      DATABASE_URL: servers.databaseUrl,
      TEMPORAL_ADDRESS: servers.temporalAddress,
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      API_HOST: '127.0.0.1',
      API_PORT: String(await freePort()),
      NOTIFY_ENABLED: 'false',
    };
    delete env.NOTIFY_CONFIG_FILE;
    const worker2 = greenlaneProcess('worker', { env, logFile: join(dir, 'worker-2.log') });
    const api2 = greenlaneProcess('api', { env, logFile: join(dir, 'api-2.log') });
    cleanups.push(
      () => worker2.stop(),
      () => api2.stop(),
    );
    await Promise.all([worker2.start(), api2.start()]);
    const workers: GreenlaneProcess[] = [stack.worker, worker2];
    const apis: GreenlaneProcess[] = [stack.api, api2];
    const db = stack.db as Kysely<DB>;

    return {
      tag: stack.tag,
      dir,
      taskQueue: stack.taskQueue,
      db,
      client: stack.client,
      cluster,
      workers,
      apis,
      apiUrls: () => apis.map((a) => a.url!),
      postgres,
      /** A person (when named) and an API key for them, straight in PostgreSQL as `npm run keys` does. */
      async keyFor(role: Role, who: { person?: string; department?: string } = {}) {
        if (who.person) {
          await upsertPerson(db, { id: who.person, name: who.person, role, department: who.department });
        }
        return createKey(db, {
          role,
          department: who.department,
          label: `cluster ${role} ${who.person ?? who.department ?? ''}`.trim(),
          personId: who.person,
        });
      },
      /** Runs `fn`; if it throws, the error message ends with what the Greenlane processes printed last. */
      async explained<T>(fn: () => Promise<T>): Promise<T> {
        try {
          return await fn();
        } catch (error) {
          if (error instanceof Error) {
            error.message += `\n${[...workers, ...apis].map((p) => `--- ${p.kind} ---\n${p.output()}`).join('\n')}`;
          }
          throw error;
        }
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
