import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type App, createApp } from '../../api/app';
import { auditContext, recordAudit } from '../../api/audit';
import { parseKey } from '../../api/auth/key-material';
import { guard } from '../../api/auth/middleware';
import { createKey, ensureAdminKey, revokeKey, upsertPerson } from '../../api/auth/people-and-keys';
import { ProblemType } from '../../api/http-problem';
import { loadConfig } from '../../config';
import { auditTrail } from '../../db/audit';
import { createDb } from '../../db/connect';
import type { DB } from '../../db/schema';
import { projectRoot } from '../../scripts/toolchain';

const databaseUrl = inject('databaseUrl');
const temporalAddress = inject('temporalAddress');

/** Unique per run: the database is shared by every integration test file. */
const tag = randomBytes(3).toString('hex');
const person = (name: string) => `${name}-${tag}`;
const DEPT = 'ZJ';

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

/** `npm run keys -- …` as a child process against the test database. */
function keysCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/keys.ts', ...args],
      { cwd: projectRoot, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('authentication and authorization over HTTP', () => {
  let connection: Connection;
  let db: Kysely<DB>;
  let up: { url: string; close: () => Promise<void> };
  const keys: Record<'department' | 'otherDepartment' | 'secretary' | 'operator' | 'admin', string> = {
    department: '',
    otherDepartment: '',
    secretary: '',
    operator: '',
    admin: '',
  };

  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddress });
    db = createDb(databaseUrl);
    await db
      .insertInto('departments')
      .values([
        { code: DEPT, name_zh: '住房和城乡建设局', name_en: 'Housing and Urban-Rural Development' },
        { code: 'XF', name_zh: '消防救援支队', name_en: 'Fire and Rescue' },
      ])
      .onConflict((oc) => oc.column('code').doNothing())
      .execute();
    await upsertPerson(db, {
      id: person('sec-wang'),
      name: '王秘书',
      role: 'secretary',
      mobile: '13800000000',
    });
    await upsertPerson(db, { id: person('op-sun'), name: '孙主任', role: 'operator' });
    keys.department = (
      await createKey(db, { role: 'department', department: DEPT, label: '住建局窗口' })
    ).key;
    keys.otherDepartment = (await createKey(db, { role: 'department', department: 'XF', label: '消防' })).key;
    keys.secretary = (
      await createKey(db, { role: 'secretary', personId: person('sec-wang'), label: 'wang' })
    ).key;
    keys.operator = (await createKey(db, { role: 'operator', personId: person('op-sun'), label: 'sun' })).key;
    keys.admin = (await createKey(db, { role: 'admin', label: 'test admin' })).key;

    const config = loadConfig({ DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress });
    const app = createApp({
      temporal: { client: new Client({ connection }), namespace: 'default' },
      db,
      config,
      logError: () => {},
    });
    // Test-only routes outside AUTHENTICATED_PATHS, guarded explicitly.
    app.get('/test/operators-only', ...guard(db, 'operator'), (c) => c.json({ ok: c.get('principal').role }));
    app.get('/test/departments-only', ...guard(db, 'department'), (c) => c.json({ ok: true }));
    app.post('/test/audited', ...guard(db), async (c) => {
      const body = await c.req.json();
      await recordAudit(db, {
        ...auditContext(c),
        projectCode: `AUD-${tag}`,
        action: 'item.accept',
        subject: 'ZJ-01',
        body,
        result: { status: 'accepted' },
      });
      return c.json({ ok: true }, 201);
    });
    up = await listen(app);
  });
  afterAll(async () => {
    await up?.close();
    await db?.destroy();
    await connection?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${up.url}${path}`, { headers });
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

  async function expectUnauthorized(res: Response, detail: RegExp, presented: boolean) {
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('www-authenticate')).toBe(
      presented ? 'Bearer realm="greenlane", error="invalid_token"' : 'Bearer realm="greenlane"',
    );
    const body = await json(res);
    expect(body).toMatchObject({ type: ProblemType.unauthorized, status: 401, instance: expect.any(String) });
    expect(body.detail).toMatch(detail);
  }

  it('a valid key, as Bearer or X-Api-Key, names the principal', async () => {
    const res = await get('/me', bearer(keys.secretary));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      keyId: parseKey(keys.secretary)!.id,
      personId: person('sec-wang'),
      name: '王秘书',
      role: 'secretary',
      department: null,
    });
    const viaHeader = await get('/me', { 'X-Api-Key': keys.department });
    expect(await json(viaHeader)).toMatchObject({
      role: 'department',
      department: DEPT,
      personId: null,
      name: '住建局窗口',
    });
  });

  it('401 without a key', async () => {
    await expectUnauthorized(await get('/me'), /Authorization: Bearer/, false);
    await expectUnauthorized(await get('/keys'), /Authorization: Bearer/, false);
    await expectUnauthorized(await get('/test/operators-only'), /Authorization: Bearer/, false);
  });

  it('401 for a malformed key or header', async () => {
    await expectUnauthorized(await get('/me', bearer('not-a-key')), /not of the form/, true);
    await expectUnauthorized(
      await get('/me', { Authorization: 'Basic dXNlcjpwYXNz' }),
      /must be `Bearer/,
      true,
    );
    await expectUnauthorized(await get('/me', { 'X-Api-Key': 'gl_zz' }), /not of the form/, true);
  });

  it('401 for an unknown key, or a known id with the wrong secret, alike', async () => {
    const unknown = `gl_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    await expectUnauthorized(await get('/me', bearer(unknown)), /^the API key is not valid$/, true);
    const { id } = parseKey(keys.department)!;
    const wrongSecret = `gl_${id}_${randomBytes(32).toString('base64url')}`;
    await expectUnauthorized(await get('/me', bearer(wrongSecret)), /^the API key is not valid$/, true);
  });

  it('401 for a revoked key', async () => {
    const { id, key } = await createKey(db, { role: 'department', department: DEPT, label: 'to revoke' });
    expect((await get('/me', bearer(key))).status).toBe(200);
    await revokeKey(db, id);
    await expectUnauthorized(await get('/me', bearer(key)), new RegExp(`${id} was revoked`), true);
  });

  it('403 for the wrong role, naming the role needed; admin passes operator checks', async () => {
    const res = await get('/test/operators-only', bearer(keys.department));
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await json(res);
    expect(body).toMatchObject({ type: ProblemType.forbidden, status: 403, required: ['operator'] });
    expect(body.detail).toMatch(/needs role operator; key [0-9a-f]{12} has role department/);
    expect((await get('/keys', bearer(keys.secretary))).status).toBe(403);

    expect(await (await get('/test/operators-only', bearer(keys.operator))).json()).toEqual({
      ok: 'operator',
    });
    expect(await (await get('/test/operators-only', bearer(keys.admin))).json()).toEqual({ ok: 'admin' });
    // …but an admin is not a department.
    expect((await get('/test/departments-only', bearer(keys.admin))).status).toBe(403);
  });

  it('stores keys only as SHA-256 hashes of their secrets, and records when each was last used', async () => {
    const rows = await db.selectFrom('api_keys').selectAll().execute();
    const dump = JSON.stringify(rows);
    for (const key of Object.values(keys)) {
      const { id, secret } = parseKey(key)!;
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(key);
      const row = rows.find((r) => r.id === id)!;
      expect(row.secret_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    }
    const used = rows.find((r) => r.id === parseKey(keys.secretary)!.id)!;
    expect(used.last_used_at).toBeInstanceOf(Date);
  });

  it('refuses keys that break the rules', async () => {
    await expect(createKey(db, { role: 'department', label: 'x' })).rejects.toThrow(/needs --department/);
    await expect(createKey(db, { role: 'department', department: 'NOPE', label: 'x' })).rejects.toThrow(
      /unknown department NOPE/,
    );
    await expect(createKey(db, { role: 'leader', label: 'x' })).rejects.toThrow(/needs --person/);
    await expect(createKey(db, { role: 'operator', department: DEPT, label: 'x' })).rejects.toThrow(
      /only department keys/,
    );
    await expect(createKey(db, { role: 'leader', personId: person('sec-wang'), label: 'x' })).rejects.toThrow(
      /is a secretary/,
    );
    // The database refuses them too, should anything bypass createKey.
    await expect(
      db
        .insertInto('api_keys')
        .values({ id: 'bad', role: 'department', label: 'x', secret_hash: 'a'.repeat(64) })
        .execute(),
    ).rejects.toThrow(/api_keys_department_check/);
  });

  it('ensureAdminKey issues one admin key when none is active, and only one under concurrency', async () => {
    const results = await Promise.all([ensureAdminKey(db), ensureAdminKey(db)]);
    expect(results.filter(Boolean).length).toBeLessThanOrEqual(1);
    expect(await ensureAdminKey(db)).toBeNull();
    const issued = results.find(Boolean);
    if (issued) expect(await (await get('/me', bearer(issued.key))).json()).toMatchObject({ role: 'admin' });
  });

  it('the keys CLI creates, lists and revokes keys against the database', async () => {
    const usage = await keysCli([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: npm run keys');
    expect(usage.stderr).toContain('DATABASE_URL');

    const missing = await keysCli(['create', '--role', 'department', '--label', '住建局窗口']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/needs --department/);
    const badRole = await keysCli(['create', '--role', 'mayor', '--label', 'x']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/--role must be one of department, secretary, leader, operator, admin/);

    const leader = person('ldr-li');
    const added = await keysCli([
      'person',
      'add',
      leader,
      '--name',
      '李市长',
      '--role',
      'leader',
      '--wecom',
      'lishi',
    ]);
    expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining(`Saved person ${leader}`) });
    const created = await keysCli([
      'create',
      '--role',
      'leader',
      '--person',
      leader,
      '--label',
      '李市长手机',
    ]);
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1)!;
    const { id } = parseKey(key)!;
    expect(created.stdout).toContain(`Created key ${id}`);
    expect(await (await get('/me', bearer(key))).json()).toMatchObject({
      role: 'leader',
      personId: leader,
      name: '李市长',
    });

    const listed = await keysCli(['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+leader\\s+-\\s+${leader}`));
    expect(listed.stdout).not.toContain(parseKey(key)!.secret);

    const revoked = await keysCli(['revoke', id]);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining(`Revoked key ${id}`) });
    expect((await get('/me', bearer(key))).status).toBe(401);
    expect((await keysCli(['list'])).stdout).not.toContain(id);
    expect((await keysCli(['list', '--all'])).stdout).toContain(id);
    expect((await keysCli(['revoke', 'ffffffffffff'])).code).toBe(1);
  });

  it('operators and admins manage keys over HTTP; operators cannot issue operator or admin keys', async () => {
    const post = (path: string, key: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${up.url}${path}`, {
        method: 'POST',
        headers: { ...bearer(key), 'Content-Type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const denied = await post('/keys', keys.operator, { role: 'admin', label: 'escalate me' });
    expect(denied.status).toBe(403);
    expect(await json(denied)).toMatchObject({
      type: ProblemType.forbidden,
      detail: 'only an admin may issue admin keys',
    });
    const invalid = await post('/keys', keys.operator, {
      role: 'department',
      department: 'NOPE',
      label: 'x',
    });
    expect(invalid.status).toBe(422);
    expect(await json(invalid)).toMatchObject({
      type: ProblemType.validation,
      detail: expect.stringMatching(/NOPE/),
    });

    const created = await post(
      '/keys',
      keys.operator,
      { role: 'department', department: 'XF', label: '消防窗口' },
      {
        'X-Request-Id': `create-${tag}`,
      },
    );
    expect(created.status).toBe(201);
    const issued = (await json(created)) as { id: string; key: string; role: string };
    expect(issued).toMatchObject({
      role: 'department',
      department: 'XF',
      label: '消防窗口',
      revokedAt: null,
    });
    expect(await (await get('/me', bearer(issued.key))).json()).toMatchObject({ department: 'XF' });

    const list = (await (await get('/keys', bearer(keys.operator))).json()) as { id: string }[];
    expect(list.map((k) => k.id)).toContain(issued.id);
    expect(JSON.stringify(list)).not.toMatch(/secret_hash|gl_[0-9a-f]{12}_/);

    const noKey = await post(`/keys/${issued.id}/revoke`, keys.operator);
    expect(noKey.status).toBe(400);
    const revoke = await post(`/keys/${issued.id}/revoke`, keys.operator, undefined, {
      'Idempotency-Key': `rv-${tag}`,
    });
    expect(revoke.status).toBe(200);
    expect(await json(revoke)).toMatchObject({ id: issued.id, revokedAt: expect.any(String) });
    expect((await get('/me', bearer(issued.key))).status).toBe(401);

    // Audited (no project), and the plaintext key is nowhere in the database.
    const audit = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject', '=', issued.id)
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.action, a.project_code, a.person_id])).toEqual([
      ['key.create', null, person('op-sun')],
      ['key.revoke', null, person('op-sun')],
    ]);
    expect(audit[0]!.request_id).toBe(`create-${tag}`);
    const everything = JSON.stringify([
      await db.selectFrom('audit_log').selectAll().execute(),
      await db.selectFrom('idempotency_keys').selectAll().execute(),
      await db.selectFrom('api_keys').selectAll().execute(),
    ]);
    expect(everything).not.toContain(parseKey(issued.key)!.secret);
  });

  it('records an audit row with who, which key, when, from where and the request id', async () => {
    const before = new Date();
    const res = await fetch(`${up.url}/test/audited`, {
      method: 'POST',
      headers: { ...bearer(keys.department), 'X-Request-Id': `audit-${tag}`, 'User-Agent': 'curl/8.5.0' },
      body: JSON.stringify({ withGaps: true }),
    });
    expect(res.status).toBe(201);
    const trail = await auditTrail(db, `AUD-${tag}`);
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({
      projectCode: `AUD-${tag}`,
      action: 'item.accept',
      subject: 'ZJ-01',
      keyId: parseKey(keys.department)!.id,
      personId: null,
      role: 'department',
      department: DEPT,
      requestId: `audit-${tag}`,
      ip: '127.0.0.1',
      userAgent: 'curl/8.5.0',
      body: { withGaps: true },
      result: { status: 'accepted' },
    });
    expect(new Date(trail[0]!.at).getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
  });

  it('documents the bearer scheme and the key routes in /openapi.json', async () => {
    const doc = await json(await get('/openapi.json'));
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/me', '/keys', '/keys/{id}/revoke']));
    expect(doc.paths['/keys'].post.security).toEqual([{ apiKey: [] }]);
  });
});
