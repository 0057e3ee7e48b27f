import { randomBytes } from 'node:crypto';
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseKey } from '../../api/auth/key-material';
import { createKey, revokeKey, upsertPerson } from '../../api/auth/people-and-keys';
import { type RunningApi, startApi } from '../../api/compose';
import { loadConfig } from '../../config';
import { createDb } from '../../db/connect';

/**
 * The principal cache of an API started as api/server.ts starts it (api/compose.ts, with its listener):
 * a key is read once for a burst of requests, and a revoked key, a key's person renamed, stop being
 * trusted at once when the change is made in this process, and as soon as PostgreSQL announces it when
 * it is made elsewhere (here: a connection of no Greenlane pool, as `npm run keys` or psql would).
 */

const databaseUrl = inject('databaseUrl');
const temporalAddress = inject('temporalAddress');
const tag = randomBytes(3).toString('hex');

/** Counts the API's reads of api_keys (findKeyWithPerson's `select … from api_keys as k`). */
function keyReads(): { plugin: KyselyPlugin; count: () => number } {
  let n = 0;
  return {
    plugin: {
      transformQuery(args): RootOperationNode {
        if (args.node.kind === 'SelectQueryNode' && JSON.stringify(args.node.from).includes('"api_keys"'))
          n += 1;
        return args.node;
      },
      transformResult: async (args) => args.result,
    },
    count: () => n,
  };
}

describe('principal cache', () => {
  const reads = keyReads();
  const db = createDb(databaseUrl).withPlugin(reads.plugin);
  /** Another pool of this process, as a route or a test's own handle. */
  const other = createDb(databaseUrl);
  /** Outside every Greenlane pool: what another process does. */
  const outside = new pg.Client({ connectionString: databaseUrl });
  let api: RunningApi;

  const me = async (key: string) => {
    const res = await fetch(`${api.url}/me`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, body: (await res.json()) as { name?: string } };
  };
  const issue = async (name: string, slug: string) => {
    const id = `cache-${slug}-${tag}`;
    await upsertPerson(other, { id, name, role: 'secretary' });
    return (await createKey(other, { role: 'secretary', personId: id, label: name })).key;
  };
  /**
   * A burst of `n` requests with a key just used reads nothing. Polled: until the listener connects,
   * and again whenever another test file sharing the database writes a person or a key (PostgreSQL
   * then announces a change and every entry is dropped).
   */
  const burstReads = (key: string, n: number) => async () => {
    await me(key);
    const before = reads.count();
    for (let i = 0; i < n; i++) expect((await me(key)).status).toBe(200);
    return reads.count() - before;
  };
  const cached = (key: string) => expect.poll(burstReads(key, 1), { timeout: 20_000 }).toBe(0);

  beforeAll(async () => {
    await outside.connect();
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      API_PORT: '0',
    });
    api = await startApi(config, { db });
  });

  afterAll(async () => {
    await api?.stop();
    await outside.end();
    await db.destroy();
    await other.destroy();
  });

  it('reads a key once for a burst of requests', async () => {
    const key = await issue('甲', 'a');
    await expect.poll(burstReads(key, 5), { timeout: 20_000 }).toBe(0);
  });

  it('refuses a key revoked through a pool of this process on the very next request', async () => {
    const key = await issue('乙', 'b');
    await cached(key);
    await revokeKey(other, parseKey(key)!.id);
    expect((await me(key)).status).toBe(401);
  });

  it('refuses a key revoked by another process once PostgreSQL announces it', async () => {
    const key = await issue('丙', 'c');
    await cached(key);
    await outside.query('update api_keys set revoked_at = now() where id = $1', [parseKey(key)!.id]);
    await expect.poll(async () => (await me(key)).status).toBe(401);
  });

  it("shows a person's new name once PostgreSQL announces it", async () => {
    const key = await issue('丁', 'd');
    await cached(key);
    await outside.query('update people set name = $1 where id = $2', ['丁新', `cache-d-${tag}`]);
    await expect.poll(async () => (await me(key)).body.name).toBe('丁新');
  });

  it("recording a key's last use is no change: the key stays cached", async () => {
    const key = await issue('戊', 'e');
    await cached(key);
    await outside.query(`update api_keys set last_used_at = now() - interval '1 hour' where id = $1`, [
      parseKey(key)!.id,
    ]);
    // The cached row still says it was used a moment ago: no read, and no write of last_used_at.
    const before = reads.count();
    expect((await me(key)).status).toBe(200);
    expect(reads.count()).toBe(before);
    // Nor was anything announced. Announcements arrive in commit order: a marker sent after the update,
    // by the same connection, is the first one heard from it if the update announced nothing.
    const listener = new pg.Client({ connectionString: databaseUrl });
    await listener.connect();
    try {
      const pid = (await outside.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const heard: string[] = [];
      listener.on('notification', (n) => {
        if (n.processId === pid) heard.push(n.payload ?? '');
      });
      await listener.query('listen greenlane_principals');
      await outside.query(`update api_keys set last_used_at = now() where id = $1`, [parseKey(key)!.id]);
      await outside.query(`select pg_notify('greenlane_principals', 'marker')`);
      await expect.poll(() => heard.includes('marker')).toBe(true);
      expect(heard).toEqual(['marker']);
    } finally {
      await listener.end();
    }
  });
});
