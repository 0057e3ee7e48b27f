import { randomBytes, randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type App, createApp } from '../../api/app';
import { auditWithAnswer } from '../../api/audit';
import { parseKey } from '../../api/auth/key-material';
import { guard } from '../../api/auth/middleware';
import { createKey } from '../../api/auth/people-and-keys';
import { ProblemError, ProblemType } from '../../api/http-problem';
import {
  type IdempotencyOptions,
  IdempotencyProblemType,
  idempotent,
  requestHash,
} from '../../api/idempotency';
import { loadConfig } from '../../config';
import { createDb } from '../../db/connect';
import type { DB } from '../../db/schema';

const databaseUrl = inject('databaseUrl');
const temporalAddress = inject('temporalAddress');
const tag = randomBytes(3).toString('hex');

/** A response body, read loosely for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: tests read bodies whose shapes the assertions check
const json = (res: Response): Promise<any> => res.json();

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

/** How often each test route's handler really ran, by Idempotency-Key. */
const runs = new Map<string, number>();
const ran = (c: { get(key: 'idempotencyKey'): string }) => {
  const key = c.get('idempotencyKey');
  const n = (runs.get(key) ?? 0) + 1;
  runs.set(key, n);
  return n;
};
/** Keys whose next run of /test/flaky fails with a 500. */
const failNext = new Set<string>();

/**
 * Test-only state-changing routes behind the real middleware: a decision that may take a while, one
 * that fails the first time, one the "workflow" refuses (a 409 problem).
 */
function addTestRoutes(app: App, db: Kysely<DB>, options: IdempotencyOptions, prefix: string): void {
  const chain = [...guard(db, 'department', 'secretary'), idempotent(db, options)] as const;
  app.post(`${prefix}/decide/:item`, ...chain, async (c) => {
    const body = (await c.req.json()) as { delayMs?: number };
    const n = ran(c);
    if (body.delayMs) await new Promise((r) => setTimeout(r, body.delayMs));
    return c.json(
      { item: c.req.param('item'), run: n, body, updateId: c.get('updateId'), at: Date.now() },
      201,
      { Location: `/things/${n}` },
    );
  });
  app.post(`${prefix}/flaky`, ...chain, (c) => {
    const n = ran(c);
    if (failNext.delete(c.get('idempotencyKey'))) throw new Error('the workflow is having a bad day');
    return c.json({ run: n }, 200);
  });
  app.post(`${prefix}/audited/:subject`, ...chain, async (c) => {
    const body = (await c.req.json()) as { delayMs?: number };
    const n = ran(c);
    if (body.delayMs) await new Promise((r) => setTimeout(r, body.delayMs));
    const subject = c.req.param('subject');
    auditWithAnswer(c, { projectCode: null, action: 'test.audited', subject, body: {}, result: { run: n } });
    c.header('Location', `/audited/${subject}/${n}`);
    return c.json({ run: n }, 200);
  });
  app.post(`${prefix}/refused`, ...chain, (c) => {
    const n = ran(c);
    throw new ProblemError({
      status: 409,
      type: ProblemType.conflict,
      title: 'Refused',
      detail: `ZJ-01 is approved; accept is allowed only when it is submitted (run ${n})`,
    });
  });
}

describe('idempotent state-changing requests over HTTP', () => {
  let connection: Connection;
  let db: Kysely<DB>;
  let up: { url: string; close: () => Promise<void> };
  let key: string;
  let otherKey: string;

  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddress });
    db = createDb(databaseUrl);
    await db
      .insertInto('departments')
      .values({ code: 'ZJ', name_zh: '住房和城乡建设局', name_en: 'Housing and Urban-Rural Development' })
      .onConflict((oc) => oc.column('code').doNothing())
      .execute();
    key = (await createKey(db, { role: 'department', department: 'ZJ', label: `idem ${tag}` })).key;
    otherKey = (await createKey(db, { role: 'department', department: 'ZJ', label: `idem other ${tag}` }))
      .key;
    const config = loadConfig({ DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress });
    const app = createApp({
      temporal: { client: new Client({ connection }), namespace: 'default' },
      db,
      config,
      logError: () => {},
    });
    addTestRoutes(app, db, {}, '/test');
    // Impatient duplicates (150 ms), and claims presumed dead after 1 s.
    addTestRoutes(app, db, { waitMs: 150, leaseMs: 1_000 }, '/test/short');
    up = await listen(app);
  });
  afterAll(async () => {
    await up?.close();
    await db?.destroy();
    await connection?.close();
  });

  const post = (
    path: string,
    body: unknown,
    idempotencyKey?: string,
    as = key,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${up.url}${path}`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${as}`,
        'Content-Type': 'application/json',
        ...(idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey }),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('400 without an Idempotency-Key, or with a malformed one; nothing runs', async () => {
    const missing = await post('/test/decide/ZJ-01', { note: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(await json(missing)).toMatchObject({ type: IdempotencyProblemType.missing, status: 400 });
    for (const bad of ['x'.repeat(201), 'has space', '']) {
      const res = await post('/test/decide/ZJ-01', { note: 'x' }, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect((await json(res)).type).toEqual(
        bad === ''
          ? expect.stringMatching(/idempotency-key-(missing|invalid)$/)
          : IdempotencyProblemType.invalid,
      );
    }
    // Authentication comes first: a bad key is 401 and consumes nothing.
    const unauthenticated = await post('/test/decide/ZJ-01', {}, randomUUID(), 'gl_nope');
    expect(unauthenticated.status).toBe(401);
  });

  it('the same key and body replay the first answer — status, headers, body — and run nothing', async () => {
    const k = randomUUID();
    const first = await post('/test/decide/ZJ-01', { a: 1, b: { c: [1, 2] } }, k, key, {
      'X-Request-Id': `r1-${tag}`,
    });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstBody = await json(first);
    expect(firstBody).toMatchObject({ item: 'ZJ-01', run: 1, updateId: `${parseKey(key)!.id}:${k}` });

    // The same JSON with its keys in another order is the same request.
    const again = await post('/test/decide/ZJ-01', '{"b":{"c":[1,2]},"a":1}', k, key, {
      'X-Request-Id': `r2-${tag}`,
    });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
    expect(again.headers.get('location')).toBe('/things/1');
    expect(again.headers.get('x-request-id')).toBe(`r2-${tag}`);
    expect(await json(again)).toEqual(firstBody);
    expect(runs.get(k)).toBe(1);

    const row = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('idempotency_key', '=', k)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      key_id: parseKey(key)!.id,
      method: 'POST',
      path: '/test/decide/ZJ-01',
      status: 201,
    });
    expect(row.completed_at).toBeInstanceOf(Date);
  });

  it('the same key with another body, or on another path, is a 422 and runs nothing', async () => {
    const k = randomUUID();
    expect((await post('/test/decide/ZJ-01', { a: 1 }, k)).status).toBe(201);
    const otherBody = await post('/test/decide/ZJ-01', { a: 2 }, k);
    expect(otherBody.status).toBe(422);
    const problem = await json(otherBody);
    expect(problem).toMatchObject({ type: IdempotencyProblemType.reused, status: 422 });
    expect(problem.detail).toContain('POST /test/decide/ZJ-01');
    expect((await post('/test/decide/ZJ-02', { a: 1 }, k)).status).toBe(422);
    expect(runs.get(k)).toBe(1);
  });

  it('keys are scoped to the caller: another API key with the same Idempotency-Key runs afresh', async () => {
    const k = randomUUID();
    const mine = await json(await post('/test/decide/ZJ-01', { a: 1 }, k, key));
    const theirs = await post('/test/decide/ZJ-01', { a: 1 }, k, otherKey);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    const theirBody = await json(theirs);
    expect(theirBody.run).toBe(2);
    expect(theirBody.updateId).not.toBe(mine.updateId);
  });

  it('two concurrent requests with the same key: the handler runs once and both get its answer', async () => {
    const k = randomUUID();
    const [a, b] = await Promise.all([
      post('/test/decide/ZJ-01', { delayMs: 400 }, k),
      post('/test/decide/ZJ-01', { delayMs: 400 }, k),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    const [bodyA, bodyB] = [await json(a), await json(b)];
    expect(bodyA).toEqual(bodyB);
    expect(runs.get(k)).toBe(1);
    const replayed = [a, b].map((r) => r.headers.get('idempotent-replayed'));
    expect(replayed.sort()).toEqual(['true', null].sort());
  });

  it('a duplicate that outwaits its patience gets 409 in-flight with Retry-After, then the answer', async () => {
    const k = randomUUID();
    const slow = post('/test/short/decide/ZJ-01', { delayMs: 600 }, k);
    await new Promise((r) => setTimeout(r, 100));
    const impatient = await post('/test/short/decide/ZJ-01', { delayMs: 600 }, k);
    expect(impatient.status).toBe(409);
    expect(impatient.headers.get('retry-after')).toBe('1');
    expect(await json(impatient)).toMatchObject({ type: IdempotencyProblemType.inFlight, status: 409 });
    const first = await slow;
    expect(first.status).toBe(201);
    const later = await post('/test/short/decide/ZJ-01', { delayMs: 600 }, k);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(later)).toEqual(await json(first));
    expect(runs.get(k)).toBe(1);
  });

  it('a 5xx releases the key, so the retry runs; its answer is then the one replayed', async () => {
    const k = randomUUID();
    failNext.add(k);
    const failed = await post('/test/flaky', {}, k);
    expect(failed.status).toBe(500);
    expect(
      await db.selectFrom('idempotency_keys').select('key_id').where('idempotency_key', '=', k).execute(),
    ).toEqual([]);
    const retried = await post('/test/flaky', {}, k);
    expect(retried.status).toBe(200);
    expect(await json(retried)).toEqual({ run: 2 });
    const replayed = await post('/test/flaky', {}, k);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(replayed)).toEqual({ run: 2 });
    expect(runs.get(k)).toBe(2);
  });

  it('a release that fails (PostgreSQL down) is tried again, so the retry runs without waiting out the lease', async () => {
    const k = randomUUID();
    failNext.add(k);
    // PostgreSQL refuses the first delete of this request's row, as a server that went away would.
    const name = `refuse_release_${tag}`;
    const [seq, fn, trigger] = [name, `${name}_fn`, `${name}_trg`].map((n) => sql.id(n));
    await sql`create sequence ${seq}`.execute(db);
    await sql`create function ${fn}() returns trigger language plpgsql as $$
    begin
      if old.idempotency_key = ${sql.lit(k)} and nextval(${sql.lit(name)}) = 1 then
        raise exception 'refused this delete once';
      end if;
      return old;
    end $$`.execute(db);
    await sql`create trigger ${trigger} before delete on idempotency_keys for each row execute function ${fn}()`.execute(
      db,
    );
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const failed = await post('/test/flaky', {}, k);
      expect(failed.status).toBe(500);
      const left = () =>
        db.selectFrom('idempotency_keys').select('key_id').where('idempotency_key', '=', k).execute();
      expect(await left()).toHaveLength(1);
      expect(warn.mock.calls.flat().join(' ')).toContain('could not release (trying again every second)');
      // Released in the background about RELEASE_RETRY_MS later, then the retry runs.
      await vi.waitFor(async () => expect(await left()).toEqual([]), { timeout: 5_000, interval: 100 });
      const retried = await post('/test/flaky', {}, k);
      expect(retried.status).toBe(200);
      expect(await json(retried)).toEqual({ run: 2 });
    } finally {
      warn.mockRestore();
      await sql`drop trigger ${trigger} on idempotency_keys`.execute(db);
      await sql`drop function ${fn}()`.execute(db);
      await sql`drop sequence ${seq}`.execute(db);
    }
  });

  it('an audited action writes its audit entry and its stored answer together, once', async () => {
    const k = randomUUID();
    const subject = `together-${tag}`;
    const res = await post(`/test/audited/${subject}`, {}, k);
    expect(res.status).toBe(200);
    const replayed = await post(`/test/audited/${subject}`, {}, k);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const audit = await db.selectFrom('audit_log').selectAll().where('subject', '=', subject).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'test.audited', key_id: parseKey(key)!.id, result: { run: 1 } });
    expect(audit[0]!.request_id).toBe(res.headers.get('x-request-id'));
    const row = await db
      .selectFrom('idempotency_keys')
      .select(['status', 'completed_at'])
      .where('idempotency_key', '=', k)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe(200);
    expect(row.completed_at).not.toBeNull();
  });

  it('a request whose claim was taken over meanwhile writes neither answer nor audit entry', async () => {
    const k = randomUUID();
    const subject = `taken-over-${tag}`;
    const pending = post(`/test/audited/${subject}`, { delayMs: 400 }, k);
    // While the handler runs, another request takes the claim over (as after the lease).
    await new Promise((r) => setTimeout(r, 150));
    const taken = await db
      .updateTable('idempotency_keys')
      .set({ owner_token: 'the-other-request' })
      .where('idempotency_key', '=', k)
      .executeTakeFirst();
    expect(taken.numUpdatedRows).toBe(1n);
    expect((await pending).status).toBe(200);
    const audit = await db.selectFrom('audit_log').select('id').where('subject', '=', subject).execute();
    expect(audit).toEqual([]);
    const row = await db
      .selectFrom('idempotency_keys')
      .select(['owner_token', 'completed_at'])
      .where('idempotency_key', '=', k)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ owner_token: 'the-other-request', completed_at: null });
  });

  it.each([
    ['the audit entry', 'audit_log'],
    ['the answer', 'idempotency_keys'],
  ] as const)(
    'when %s cannot be written, neither is the other: an error, the key released, the retry writes both',
    async (_, table) => {
      const k = randomUUID();
      const subject = `refused-once-${table}-${tag}`;
      // PostgreSQL refuses the first write of this request's row (a sequence: not undone by the rollback).
      const name = `refuse_${table}_${tag}`;
      const [seq, fn, trigger] = [name, `${name}_fn`, `${name}_trg`].map((n) => sql.id(n));
      const row =
        table === 'audit_log'
          ? sql`new.subject = ${sql.lit(subject)}`
          : sql`new.idempotency_key = ${sql.lit(k)} and new.completed_at is not null`;
      await sql`create sequence ${seq}`.execute(db);
      await sql`create function ${fn}() returns trigger language plpgsql as $$
      begin
        if ${row} and nextval(${sql.lit(name)}) = 1 then
          raise exception 'refused this row once';
        end if;
        return new;
      end $$`.execute(db);
      await sql`create trigger ${trigger} before insert or update on ${sql.id(table)} for each row execute function ${fn}()`.execute(
        db,
      );
      try {
        const failed = await post(`/test/audited/${subject}`, {}, k);
        expect(failed.status).toBe(500);
        expect((await json(failed)).type).toBe(ProblemType.internal);
        expect(failed.headers.get('location')).toBeNull();
        const afterFailure = await Promise.all([
          db.selectFrom('audit_log').select('id').where('subject', '=', subject).execute(),
          db.selectFrom('idempotency_keys').select('key_id').where('idempotency_key', '=', k).execute(),
        ]);
        expect(afterFailure).toEqual([[], []]);
        const retried = await post(`/test/audited/${subject}`, {}, k);
        expect(retried.status).toBe(200);
        expect(await json(retried)).toEqual({ run: 2 });
        const audit = await db
          .selectFrom('audit_log')
          .select('result')
          .where('subject', '=', subject)
          .execute();
        expect(audit).toEqual([{ result: { run: 2 } }]);
        const replayed = await post(`/test/audited/${subject}`, {}, k);
        expect(await json(replayed)).toEqual({ run: 2 });
        expect(runs.get(k)).toBe(2);
      } finally {
        await sql`drop trigger ${trigger} on ${sql.id(table)}`.execute(db);
        await sql`drop function ${fn}()`.execute(db);
        await sql`drop sequence ${seq}`.execute(db);
      }
    },
  );

  it('a 4xx answer (a refused decision) is stored and replayed like a success', async () => {
    const k = randomUUID();
    const first = await post('/test/refused', { action: 'accept' }, k);
    expect(first.status).toBe(409);
    const problem = await json(first);
    const again = await post('/test/refused', { action: 'accept' }, k);
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(again)).toEqual(problem);
    expect(runs.get(k)).toBe(1);
  });

  it('a claim left by a crashed process is taken over once its lease has expired', async () => {
    const k = randomUUID();
    expect((await post('/test/short/decide/ZJ-01', { delayMs: 0 }, k)).status).toBe(201);
    // Make it what a process that died mid-request leaves behind: an old claim with no answer.
    await db
      .updateTable('idempotency_keys')
      .set({
        status: null,
        response: null,
        completed_at: null,
        owner_token: 'dead',
        created_at: sql<Date>`now() - interval '1 hour'`,
      })
      .where('idempotency_key', '=', k)
      .execute();
    const retried = await post('/test/short/decide/ZJ-01', { delayMs: 0 }, k);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
    expect((await json(retried)).run).toBe(2);
    const row = await db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('idempotency_key', '=', k)
      .executeTakeFirstOrThrow();
    expect(row.owner_token).not.toBe('dead');
    expect(row.status).toBe(201);
  });

  it('a handler running past its lease renews its claim: a duplicate then waits, and nothing runs twice', async () => {
    const k = randomUUID();
    const path = '/test/short/decide/ZJ-01';
    const slow = post(path, { delayMs: 2_500 }, k);
    // Well past the short routes' 1 s lease: without its renewals the claim would be taken for dead.
    await new Promise((r) => setTimeout(r, 1_700));
    const duplicate = await post(path, { delayMs: 2_500 }, k);
    expect(duplicate.status).toBe(409);
    expect((await json(duplicate)).type).toBe(IdempotencyProblemType.inFlight);
    const first = await slow;
    expect(first.status).toBe(201);
    expect(runs.get(k)).toBe(1);
    const later = await post(path, { delayMs: 2_500 }, k);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(later)).toEqual(await json(first));
    expect(runs.get(k)).toBe(1);
  });

  it('a live claim within its lease is waited for, not taken over', async () => {
    const k = randomUUID();
    const path = '/test/short/decide/ZJ-01';
    const body = new TextEncoder().encode('{}');
    await db
      .insertInto('idempotency_keys')
      .values({
        key_id: parseKey(key)!.id,
        idempotency_key: k,
        method: 'POST',
        path,
        body_hash: requestHash('POST', path, body),
        owner_token: 'alive',
      })
      .execute();
    // The short routes wait 150 ms, less than their 1 s lease: the claim is still live when they give up.
    const res = await post(path, {}, k);
    expect(res.status).toBe(409);
    expect((await json(res)).type).toBe(IdempotencyProblemType.inFlight);
    expect(runs.get(k)).toBeUndefined();
    const row = await db
      .selectFrom('idempotency_keys')
      .select('owner_token')
      .where('idempotency_key', '=', k)
      .executeTakeFirstOrThrow();
    expect(row.owner_token).toBe('alive');
  });
});
