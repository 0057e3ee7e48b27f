import type { Kysely } from 'kysely';
import { createKey, upsertPerson } from '../../api/auth/people-and-keys';
import type { Role } from '../../api/auth/principal';
import type { DB } from '../../db/schema';
import { startStack } from '../../scripts/stack';

/**
 * A whole Greenlane of a fault test's own, every part of which the test may stop and start again:
 * a PostgreSQL cluster kept on disk across restarts, a Temporal dev server persisting to a SQLite file,
 * both on ports fixed for the test's lifetime (a restart comes back where the clients look), and the
 * worker and the API as child processes (scripts/stack.ts). The test keeps its own database handle
 * (keys, checks) and Temporal client (direct updates, queries, histories). Everything lives in two
 * temp folders (the cluster's and the rest), removed by stop().
 */
export type FaultStack = Awaited<ReturnType<typeof startFaultStack>>;

export async function startFaultStack(opts: { name: string; notify?: unknown; log?: (l: string) => void }) {
  const stack = await startStack({
    name: `faults-${opts.name}`,
    run: 'processes',
    restartable: true,
    notify: opts.notify ?? false,
    logFiles: true,
    applicationName: 'greenlane-faults',
    log: opts.log,
  });
  const { db, worker, api } = stack;
  const servers = stack.servers!;

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
    tag: stack.tag,
    dir: stack.dir!,
    taskQueue: stack.taskQueue,
    apiUrl: stack.apiUrl,
    db: db as Kysely<DB>,
    client: stack.client,
    worker,
    api,
    keyFor,
    /** stop: fast shutdown (every connection is cut, new ones are refused); start: the same cluster, port. */
    postgres: servers.postgres!,
    /** stop: SIGTERM (the SQLite file stays); start: the same file on the same port. */
    temporal: { address: stack.temporalAddress, stop: servers.temporal.stop, start: servers.temporal.start },
    /** What the children printed last, for a failure message. */
    output: stack.output,
    /** Runs `fn`; if it throws, the error message ends with what the children printed last. */
    async explained<T>(fn: () => Promise<T>): Promise<T> {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof Error) error.message += `\n${worker.output()}\n${api.output()}`;
        throw error;
      }
    },
    stop: stack.stop,
  };
}
