import { randomBytes } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities/index';
import { liveAccessCache } from '../../api/access';
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
  const newWorker = () =>
    Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: new URL('../../workflows/index.ts', import.meta.url).pathname,
      activities: createActivities({ db }),
    });
  let worker = await newWorker();
  let running = worker.run();
  /** No worker on the task queue for `ms` (a worker restarting, a long pause): the workflows wait. */
  async function pauseWorker(ms: number): Promise<void> {
    worker.shutdown();
    await running;
    await new Promise((r) => setTimeout(r, ms));
    worker = await newWorker();
    running = worker.run();
  }

  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const access = liveAccessCache(config.databaseUrl);
  const app = createApp({
    temporal: { client, namespace: config.temporal.namespace },
    db,
    config,
    accessCache: access.cache,
  });
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

  const sessions = new Map<string, string>();
  /**
   * The Cookie header of a dashboard session signed in with `key`, as a browser gets it: the sign-in
   * form (its CSRF token and cookie), then the form posted. One session per key for the whole file.
   */
  async function uiCookie(key: string): Promise<string> {
    const known = sessions.get(key);
    if (known) return known;
    const form = await fetch(`${url}/ui/login`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const loginCookie = form.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const res = await fetch(`${url}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
      body: new URLSearchParams({ key, csrf }).toString(),
    });
    const session = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('greenlane_session='));
    if (!session) throw new Error(`signing in to the dashboard failed: HTTP ${res.status}`);
    sessions.set(key, session);
    return session;
  }

  return {
    url,
    tag,
    uiCookie,
    pauseWorker,
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
      await access.stop();
      await db.destroy();
    },
  };
}
