import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '../../db/connect';

/**
 * A connection cut while a pooled client is checked out between two statements (a transaction in
 * progress when PostgreSQL restarts) must fail that transaction, not the process. The fault test that
 * stops PostgreSQL found the worker dying of it: pg emits 'error' on a checked-out client, and with no
 * listener on the client Node turns that into an uncaught exception. Here the server cuts one backend
 * (pg_terminate_backend, what a fast shutdown does to every backend) in the middle of a transaction.
 */

const databaseUrl = inject('databaseUrl');
const db = createDb(databaseUrl, { applicationName: 'greenlane-connection-loss' });
const admin = createDb(databaseUrl, { applicationName: 'greenlane-connection-loss-admin' });

afterAll(async () => {
  await db.destroy();
  await admin.destroy();
});

describe('a PostgreSQL connection lost while in use', () => {
  it('fails the transaction that held it; the process lives and the pool serves the next query', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    try {
      let cut: boolean | undefined;
      const outcome = await db
        .transaction()
        .execute(async (trx) => {
          const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
          const pid = rows[0]!.pid;
          const killed = await sql<{ ok: boolean }>`select pg_terminate_backend(${pid}) as ok`.execute(admin);
          cut = killed.rows[0]?.ok;
          // Let the socket's close reach the client while it is checked out and idle.
          await sleep(300);
          await sql`select 1`.execute(trx);
          return 'committed';
        })
        .catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      expect(cut).toBe(true);
      expect(outcome).toMatch(/terminat|not queryable|connection/i);
      expect(uncaught).toEqual([]);
      const again = await sql<{ n: number }>`select 41 + 1 as n`.execute(db);
      expect(again.rows[0]?.n).toBe(42);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
    }
  });
});
