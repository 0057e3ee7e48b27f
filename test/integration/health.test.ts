import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { serve } from '@hono/node-server';
import { createRoute } from '@hono/zod-openapi';
import { Client, Connection } from '@temporalio/client';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { z } from 'zod';
import { type App, type AppDeps, createApp } from '../../api/app';
import { PROBLEM_TYPE_BASE, type Problem, ProblemType } from '../../api/http-problem';
import { type Supervision, supervisionFromParent } from '../../api/supervision';
import { loadConfig } from '../../config';
import { createDb } from '../../db/connect';
import type { DB } from '../../db/schema';

const databaseUrl = inject('databaseUrl');
const temporalAddress = inject('temporalAddress');
const namespace = 'default';

/** The parts of an OpenAPI document these tests look at. */
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string }[];
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }> }
    >
  >;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Serves the app over real HTTP on a free port. */
async function listen(app: App): Promise<{ url: string; close: () => Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

/** A task queue of this file's own: no worker polls it but the ones these tests pretend. */
const taskQueue = `health-${randomUUID()}`;

function depsFor(
  client: Client,
  db: Kysely<DB>,
  databaseUrlForConfig: string,
  supervision?: Supervision,
): AppDeps {
  const config = loadConfig({
    DATABASE_URL: databaseUrlForConfig,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PUBLIC_URL: 'https://greenlane.example.test',
  });
  // Expected errors are logged by the app; keep the test output readable.
  return { temporal: { client, namespace }, db, config, logError: () => {}, supervision };
}

/**
 * One workflow-task poll of the task queue under a worker's identity, as a worker's long polls are but
 * shorter: Temporal records the poller when the poll arrives, and answers empty about 3 s later (it
 * refuses a poll whose deadline is much shorter).
 */
async function pollAsWorker(client: Client, identity: string): Promise<void> {
  await client
    .withDeadline(Date.now() + 5_000, () =>
      client.workflowService.pollWorkflowTaskQueue({ namespace, taskQueue: { name: taskQueue }, identity }),
    )
    .catch(() => {});
}

// A test-only route with a JSON body, for validation, malformed-body and size-limit checks, and two
// that fail on purpose, to see what onError makes of unexpected and connection errors.
const echoRoute = createRoute({
  method: 'post',
  path: '/test/echo',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ name: z.string().min(1), count: z.number().int(), note: z.string().optional() }),
        },
      },
    },
  },
  responses: {
    200: { description: 'echo', content: { 'application/json': { schema: z.object({}).passthrough() } } },
  },
});
function addTestRoutes(app: App): void {
  app.openapi(echoRoute, (c) => c.json(c.req.valid('json'), 200));
  app.get('/test/boom', () => {
    throw new Error('secret: password=hunter2 at 10.0.0.7');
  });
  app.get('/test/pg-down', () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  });
}

describe('api over HTTP', () => {
  let connection: Connection;
  let client: Client;
  let db: Kysely<DB>;
  let up: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddress });
    client = new Client({ connection, namespace });
    db = createDb(databaseUrl);
    const app = createApp(depsFor(client, db, databaseUrl));
    addTestRoutes(app);
    up = await listen(app);
  });
  afterAll(async () => {
    await up?.close();
    await db?.destroy();
    await connection?.close();
  });

  it('GET /healthz is 200 when Temporal and PostgreSQL both answer, and degraded while no worker polls', async () => {
    const res = await fetch(`${up.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'degraded',
      temporal: 'ok',
      postgres: 'ok',
      worker: 'missing',
      workers: 0,
      restarting: [],
    });
    // A request id is generated when the caller sends none…
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    // …and echoed when it sends one.
    const again = await fetch(`${up.url}/healthz`, { headers: { 'X-Request-Id': 'probe-42' } });
    expect(again.headers.get('x-request-id')).toBe('probe-42');
  });

  it('GET /healthz is ok once a worker polls the task queue, and counts the workers', async () => {
    await pollAsWorker(client, '101@worker-host-a');
    const one = await fetch(`${up.url}/healthz`);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({
      status: 'ok',
      temporal: 'ok',
      postgres: 'ok',
      worker: 'ok',
      workers: 1,
      restarting: [],
    });
    await Promise.all([pollAsWorker(client, '102@worker-host-b'), pollAsWorker(client, '101@worker-host-a')]);
    expect(await (await fetch(`${up.url}/healthz`)).json()).toMatchObject({ status: 'ok', workers: 2 });
  });

  it('GET /healthz says the worker is restarting while npm start restarts it (its old poll still fresh)', async () => {
    const restarting = { restarting: () => ['worker'] as const };
    const app = createApp(depsFor(client, db, databaseUrl, restarting));
    const res = await app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'degraded',
      temporal: 'ok',
      postgres: 'ok',
      worker: 'restarting',
      workers: 2,
      restarting: ['worker'],
    });
  });

  it('an unknown path is a 404 problem', async () => {
    const res = await fetch(`${up.url}/no/such/thing`, { headers: { 'X-Request-Id': 'req-404' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('x-request-id')).toBe('req-404');
    expect(await res.json()).toMatchObject({
      type: ProblemType.notFound,
      title: expect.any(String),
      status: 404,
      instance: '/no/such/thing',
      requestId: 'req-404',
    });
  });

  it('an invalid body is a 422 problem listing every failing field', async () => {
    const res = await fetch(`${up.url}/test/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: '', count: 1.5 }),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as Problem;
    expect(body).toMatchObject({ type: `${PROBLEM_TYPE_BASE}validation`, status: 422 });
    expect(body.errors?.map((e) => e.path).sort()).toEqual(['count', 'name']);
    for (const e of body.errors ?? []) expect(e).toMatchObject({ in: 'body', message: expect.any(String) });

    const ok = await fetch(`${up.url}/test/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'a', count: 1 }),
    });
    expect(ok.status).toBe(200);
  });

  it('malformed JSON is a 400 problem', async () => {
    const res = await fetch(`${up.url}/test/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: ProblemType.malformedRequest, status: 400 });
  });

  it('an oversized body is a 413 problem, with or without Content-Length', async () => {
    const big = JSON.stringify({ name: 'x', count: 1, note: 'x'.repeat(300 * 1024) });
    const res = await fetch(`${up.url}/test/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({ type: ProblemType.payloadTooLarge, status: 413 });

    const chunks = [big.slice(0, 200_000), big.slice(200_000)];
    const streamed = await fetch(`${up.url}/test/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: new ReadableStream({
        pull(controller) {
          const next = chunks.shift();
          if (next === undefined) controller.close();
          else controller.enqueue(new TextEncoder().encode(next));
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it('an unexpected error is a 500 problem that leaks nothing', async () => {
    const res = await fetch(`${up.url}/test/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ type: ProblemType.internal, status: 500 });
    expect(text).not.toMatch(/hunter2|10\.0\.0\.7|secret|at /);
  });

  it('a connection error from a handler is a 503 problem with Retry-After', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const res = await fetch(`${up.url}/test/pg-down`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ type: ProblemType.unavailable, dependencies: ['postgres'] });
    } finally {
      warn.mockRestore();
    }
  });

  it('GET /openapi.json is an OpenAPI 3.1 document that documents /healthz', async () => {
    const res = await fetch(`${up.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenApiDoc;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Greenlane API', version: expect.any(String) });
    expect(doc.servers).toEqual([{ url: 'https://greenlane.example.test' }]);
    const health = doc.paths['/healthz']?.get;
    expect(health?.responses['200']?.content?.['application/json']?.schema).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['status', 'temporal', 'postgres']),
    });
    expect(Object.keys(health?.responses['503']?.content ?? {})).toEqual(['application/problem+json']);
    // Structurally sound: every operation has responses with descriptions, every $ref resolves.
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/')).toBe(true);
      for (const op of Object.values(item)) {
        for (const r of Object.values(op.responses)) expect(r).toHaveProperty('description');
      }
    }
    for (const ref of JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? []) {
      const pointer = ref.slice(8, -1);
      expect(pointer.startsWith('#/components/')).toBe(true);
      const target = pointer
        .slice(2)
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
      expect(target !== null && typeof target === 'object', `${pointer} resolves to an object`).toBe(true);
    }
  });

  it('GET /docs is an HTML page that reads /openapi.json', async () => {
    const res = await fetch(`${up.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('Greenlane API');
    expect(html).toContain('<script src="docs.js"></script>');
    const script = await fetch(`${up.url}/docs.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain("fetch('openapi.json')");
  });
});

describe('with a dependency down', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const quiet = () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    cleanups.push(async () => warn.mockRestore());
  };

  it('/healthz is a 503 problem naming postgres when the database port is closed', async () => {
    quiet();
    const connection = await Connection.connect({ address: temporalAddress });
    cleanups.push(() => connection.close());
    const deadUrl = `postgres://postgres@127.0.0.1:${await closedPort()}/postgres`;
    const db = createDb(deadUrl);
    cleanups.push(() => db.destroy());
    const app = createApp(depsFor(new Client({ connection, namespace }), db, deadUrl));
    // Any route's query failing to connect is a 503 too, via onError.
    app.get('/test/query', async (c) => c.json(await sql`select 1 as one`.execute(db)));
    const server = await listen(app);
    cleanups.push(server.close);

    const query = await fetch(`${server.url}/test/query`);
    expect(query.status).toBe(503);
    expect(query.headers.get('retry-after')).toBe('5');
    expect(await query.json()).toMatchObject({ type: ProblemType.unavailable, dependencies: ['postgres'] });

    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as Problem;
    expect(body).toMatchObject({ type: ProblemType.unavailable, status: 503, dependencies: ['postgres'] });
    expect(body.detail).toContain('postgres');
  });

  it('/healthz is a 503 problem naming temporal when Temporal cannot be reached', async () => {
    quiet();
    // A lazy connection to a closed port: every call fails UNAVAILABLE, as after an outage.
    const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
    cleanups.push(() => connection.close());
    const db = createDb(databaseUrl);
    cleanups.push(() => db.destroy());
    const client = new Client({ connection, namespace });
    const app = createApp(depsFor(client, db, databaseUrl));
    // Any route's Temporal call failing is a 503 too, via onError.
    app.get('/test/temporal', async (c) => {
      await client.withDeadline(Date.now() + 1_000, () =>
        client.workflowService.describeNamespace({ namespace }),
      );
      return c.text('unreachable');
    });
    const server = await listen(app);
    cleanups.push(server.close);

    const call = await fetch(`${server.url}/test/temporal`);
    expect(call.status).toBe(503);
    expect(call.headers.get('retry-after')).toBe('5');
    expect(await call.json()).toMatchObject({ type: ProblemType.unavailable, dependencies: ['temporal'] });

    const started = Date.now();
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = (await res.json()) as Problem;
    expect(body).toMatchObject({ type: ProblemType.unavailable, dependencies: ['temporal'] });
    expect(body).not.toHaveProperty('restarting');
    expect(Date.now() - started).toBeLessThan(5_000);

    // Under npm start, while it restarts the Temporal dev server, the problem says so.
    const supervised = createApp(depsFor(client, db, databaseUrl, { restarting: () => ['temporal'] }));
    const during = await supervised.request('/healthz');
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(await during.json()).toMatchObject({
      type: ProblemType.unavailable,
      dependencies: ['temporal'],
      restarting: ['temporal'],
      detail: 'cannot reach temporal (temporal restarting); retry shortly',
    });
  });
});

describe('what npm start tells its API (api/supervision.ts)', () => {
  /** A stand-in for `process` with an IPC channel. */
  const channel = () => Object.assign(new EventEmitter(), { send: () => true, channel: { unref: vi.fn() } });

  it('keeps the last list of pieces being restarted, and forgets it when the parent goes', () => {
    const proc = channel();
    const supervision = supervisionFromParent(proc)!;
    expect(proc.channel.unref).toHaveBeenCalled();
    expect(supervision.restarting()).toEqual([]);
    proc.emit('message', { type: 'greenlane-supervision', restarting: ['worker', 'postgres'] });
    expect(supervision.restarting()).toEqual(['worker', 'postgres']);
    // Anything else on the channel is not a status.
    proc.emit('message', { type: 'greenlane-supervision', restarting: ['everything'] });
    proc.emit('message', 'hello');
    expect(supervision.restarting()).toEqual(['worker', 'postgres']);
    proc.emit('message', { type: 'greenlane-supervision', restarting: [] });
    expect(supervision.restarting()).toEqual([]);
    proc.emit('message', { type: 'greenlane-supervision', restarting: ['temporal'] });
    proc.emit('disconnect');
    expect(supervision.restarting()).toEqual([]);
  });

  it('is nothing for a process without an IPC channel (compose, npm run api)', () => {
    expect(supervisionFromParent(new EventEmitter())).toBeUndefined();
  });
});
