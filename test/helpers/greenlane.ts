import { randomBytes } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index';
import { createApp } from '../../api/app';
import { createKey, type Role, upsertPerson } from '../../api/auth';
import { loadConfig } from '../../config';
import { createDb } from '../../db/connect';
import { seedReferenceData } from '../../db/seed';

/**
 * All of Greenlane against the integration tier's real servers: the API served over HTTP on a free port,
 * a worker running the real workflow bundle and the real activities (PostgreSQL), on a task queue of
 * its own so test files never see each other's work. Keys are issued for the people a test names.
 */
export type Greenlane = Awaited<ReturnType<typeof startGreenlane>>;

export async function startGreenlane(opts: {
  databaseUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
}) {
  const tag = randomBytes(3).toString('hex');
  const taskQueue = `greenlane-${tag}`;
  const config = loadConfig({
    DATABASE_URL: opts.databaseUrl,
    TEMPORAL_ADDRESS: opts.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    API_PORT: '0',
    ...(opts.temporalUiUrl ? { TEMPORAL_UI_URL: opts.temporalUiUrl } : {}),
  });
  const db = createDb(config.databaseUrl);
  await seedReferenceData(db);

  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: new URL('../../workflows/index.ts', import.meta.url).pathname,
    activities: createActivities({ db }),
  });
  const running = worker.run();

  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const app = createApp({ temporal: { client, namespace: config.temporal.namespace }, db, config });
  const { url, close } = await new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });

  /** A person and a key for them; ids get the run's tag so files sharing the database never collide. */
  async function keyFor(role: Role, opts: { person?: string; department?: string } = {}) {
    const personId = opts.person ? `${opts.person}-${tag}` : undefined;
    if (personId) await upsertPerson(db, { id: personId, name: personId, role, department: opts.department });
    const { key } = await createKey(db, {
      role,
      department: opts.department,
      label: `test ${role}`,
      personId,
    });
    return { key, personId };
  }

  let requests = 0;
  /** One HTTP call as a client makes it; every POST gets a fresh Idempotency-Key unless one is given. */
  async function call(
    method: 'GET' | 'POST',
    path: string,
    key: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const h: Record<string, string> = { ...headers };
    if (key) h.authorization = `Bearer ${key}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    if (method === 'POST' && !('idempotency-key' in h)) h['idempotency-key'] = `t-${tag}-${++requests}`;
    const res = await fetch(url + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read bodies whose shapes the assertions check
    const json: any = text ? JSON.parse(text) : null;
    return { status: res.status, headers: res.headers, body: json };
  }

  return {
    url,
    tag,
    db,
    client,
    config,
    keyFor,
    call,
    async stop(): Promise<void> {
      await close();
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await db.destroy();
    },
  };
}
