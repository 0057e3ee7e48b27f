import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { projectStartOptions } from '../../api/temporal';
import { startWorker } from '../../worker-compose';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { newProject, planItem, smallPlan } from '../helpers/projects';
import { until } from '../helpers/until';

/**
 * The directory over HTTP against the real stack (PostgreSQL, Temporal, the worker): registering a
 * person and issuing their key without the command line, moving a clerk to another department (their
 * old department's key revoked, their duties there dropped), a department's contacts and channels, a
 * leaver's handover (both running projects reassigned in their workflows, the old key refused), a
 * handover that fails midway and is finished by the same request, 403/404/409/422, and the audit trail.
 */

let g: Greenlane;
let dir: string;
let operator = '';
let secretary = { key: '', id: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'greenlane-people-'));
  const notify = join(dir, 'notify.json');
  // One configured robot, so a department's channel can name it (it is never sent to: no dispatcher).
  writeFileSync(
    notify,
    JSON.stringify({ targets: { dingtalk: { 'zrzy-group': { url: 'http://127.0.0.1:9/robot' } } } }),
  );
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
    env: { NOTIFY_CONFIG_FILE: notify, NOTIFY_ENABLED: 'false' },
  });
  operator = (await g.keyFor('operator', { person: 'op-people' })).key;
  const sec = await g.keyFor('secretary', { person: 'sec-people' });
  secretary = { key: sec.key, id: sec.personId! };
});
afterAll(async () => {
  await g?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const id = (name: string) => `${name}-${g.tag}`;
const paths = (errors: { path: string }[]) => errors.map((e) => e.path);

async function leaderWithKey(name: string) {
  const person = id(name);
  const created = await g.call('POST', '/people', operator, { id: person, name: '张副市长', role: 'leader' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const key = await g.call('POST', '/keys', operator, {
    role: 'leader',
    personId: person,
    label: `包抓领导 ${person}`,
  });
  expect(key.status, JSON.stringify(key.body)).toBe(201);
  return { person, key: key.body.key as string, keyId: key.body.id as string };
}

async function register(code: string, leader: string) {
  const r = await g.call('POST', '/projects', secretary.key, {
    code,
    name: '离任交接测试项目',
    templateId: 'social-industrial',
    leader,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

describe('people over HTTP', () => {
  it('registers a person and their key without the command line; refuses what it cannot keep', async () => {
    const clerk = id('rf-zhao');
    const body = { id: clerk, name: '赵科员', role: 'department', department: 'ZRZY', mobile: '13800000000' };
    expect((await g.call('POST', '/people', secretary.key, body)).status).toBe(403);
    const created = await g.call('POST', '/people', operator, { ...body, dingtalkUserId: 'ding-zhao' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      id: clerk,
      role: 'department',
      department: 'ZRZY',
      mobile: '13800000000',
      dingtalkUserId: 'ding-zhao',
      email: null,
      activeKeys: [],
      duties: [],
    });
    // The error of the issue, gone: the key is issued over HTTP once the person is registered.
    const key = await g.call('POST', '/keys', operator, {
      role: 'department',
      department: 'ZRZY',
      personId: clerk,
      label: '自然资源和规划局窗口',
    });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    expect((await g.call('GET', `/people/${clerk}`, operator)).body.activeKeys).toEqual([key.body.id]);

    const again = await g.call('POST', '/people', operator, body);
    expect([again.status, again.body.type]).toEqual([409, ProblemType.conflict]);
    const department = await g.call('POST', '/people', operator, {
      ...body,
      id: id('x1'),
      department: 'NOPE',
    });
    expect([department.status, paths(department.body.errors)]).toEqual([422, ['department']]);
    expect(department.headers.get('content-type')).toContain('application/problem+json');
    const role = await g.call('POST', '/people', operator, { ...body, id: id('x2'), role: 'clerk' });
    expect([role.status, paths(role.body.errors)]).toEqual([422, ['role']]);
    const unnamed = await g.call('POST', '/people', operator, {
      id: id('x3'),
      name: '某',
      role: 'department',
    });
    expect([unnamed.status, paths(unnamed.body.errors)]).toEqual([422, ['department']]);
    const unknownField = await g.call('POST', '/people', operator, { ...body, id: id('x4'), title: '科员' });
    expect(unknownField.status).toBe(422);
    expect((await g.call('GET', `/people/${id('nobody')}`, operator)).status).toBe(404);
    const ghost = await g.call('PUT', `/people/${id('nobody')}`, operator, { name: '某', role: 'leader' });
    expect(ghost.status).toBe(404);
    expect((await g.call('GET', '/people', secretary.key)).status).toBe(403);
    const listed = await g.call('GET', '/people', operator);
    expect(listed.body.people.map((p: { id: string }) => p.id)).toContain(clerk);
  });

  it("keeps a department's contacts and channels; moves a clerk, revoking the old department's key", async () => {
    const clerk = id('rf-zhao');
    const oldKey = (await g.call('GET', `/people/${clerk}`, operator)).body.activeKeys[0] as string;
    const contacts = '/departments/ZRZY/contacts';
    const wrong = await g.call('PUT', contacts, operator, {
      heads: [secretary.id],
      handlers: [clerk],
      routes: [{ channel: 'dingtalk', target: 'nowhere' }],
    });
    expect([wrong.status, paths(wrong.body.errors)]).toEqual([422, ['heads.0']]);
    const target = await g.call('PUT', contacts, operator, {
      heads: [],
      handlers: [clerk],
      routes: [{ channel: 'dingtalk', target: 'nowhere' }],
    });
    expect([target.status, paths(target.body.errors)]).toEqual([422, ['routes.0.target']]);
    const saved = await g.call('PUT', contacts, operator, {
      heads: [],
      handlers: [clerk],
      routes: [{ channel: 'dingtalk', target: 'zrzy-group' }],
    });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({
      department: 'ZRZY',
      handlers: [clerk],
      routes: [{ channel: 'dingtalk', target: 'zrzy-group' }],
    });
    expect((await g.call('PUT', contacts, secretary.key, saved.body)).status).toBe(403);
    expect((await g.call('GET', '/departments/NOPE/contacts', operator)).status).toBe(404);

    const move = `/people/${clerk}/move`;
    const unknown = await g.call('POST', move, operator, { department: 'NOPE', reason: '调动' });
    expect([unknown.status, paths(unknown.body.errors)]).toEqual([422, ['department']]);
    const moved = await g.call('POST', move, operator, { department: 'ZJ', reason: '调住建局窗口' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body).toMatchObject({
      person: { id: clerk, department: 'ZJ', duties: [], activeKeys: [] },
      keysRevoked: [oldKey],
      dutiesDropped: [{ department: 'ZRZY', duty: 'handler' }],
    });
    expect((await g.call('GET', contacts, operator)).body.handlers).toEqual([]);
    expect((await g.call('POST', move, operator, { department: 'ZJ', reason: '再调' })).status).toBe(409);
    const notClerk = await g.call('POST', `/people/${secretary.id}/move`, operator, {
      department: 'ZJ',
      reason: '调',
    });
    expect(notClerk.status).toBe(409);

    // Edits keep what is not a move; a role that keys depend on cannot change.
    const edited = await g.call('PUT', `/people/${clerk}`, operator, {
      name: '赵科长',
      role: 'department',
      department: 'ZJ',
      email: 'zhao@zj.example.cn',
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expect(edited.body.person).toMatchObject({ name: '赵科长', email: 'zhao@zj.example.cn', mobile: null });
    const demoted = await g.call('PUT', `/people/${secretary.id}`, operator, {
      name: '秘书',
      role: 'leader',
    });
    expect([demoted.status, demoted.body.type]).toEqual([409, ProblemType.conflict]);
    expect(demoted.body.detail).toContain('unrevoked secretary key');

    const trail = await g.call('GET', `/people/${clerk}/audit`, operator);
    expect(trail.body.entries.map((e: { action: string }) => e.action)).toEqual([
      'person.create',
      'person.move',
      'person.update',
    ]);
    expect(trail.body.entries[1]).toMatchObject({
      body: { department: 'ZJ', reason: '调住建局窗口' },
      result: { from: 'ZRZY', to: 'ZJ', keysRevoked: [oldKey] },
    });
    const departmentAudit = await g.db
      .selectFrom('audit_log')
      .select(['action', 'subject'])
      .where('action', '=', 'department.contacts')
      .where('subject', '=', 'ZRZY')
      .execute();
    expect(departmentAudit.length).toBeGreaterThanOrEqual(1);
  });
});

describe('the people page', () => {
  it('is for operators, and takes forms only with the session token', async () => {
    const mine = await g.uiCookie(operator);
    const page = await fetch(`${g.url}/ui/people`, { headers: { cookie: mine } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`data-person="${secretary.id}"`);
    const theirs = await fetch(`${g.url}/ui/people`, {
      headers: { cookie: await g.uiCookie(secretary.key) },
    });
    expect(theirs.status).toBe(403);
    const forged = await fetch(`${g.url}/ui/people`, {
      method: 'POST',
      headers: { cookie: mine, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        mode: 'create',
        id: id('forged'),
        name: '伪造',
        role: 'leader',
      }).toString(),
    });
    expect(forged.status).toBe(403);
    expect((await g.call('GET', `/people/${id('forged')}`, operator)).status).toBe(404);
  });
});

describe("a leaver's handover", () => {
  it('reassigns both running projects of a leader in their workflows and revokes the old key', async () => {
    const old = await leaderWithKey('leader-old');
    const successor = await leaderWithKey('leader-new');
    const codes = [`HO-${g.tag}-1`, `HO-${g.tag}-2`];
    for (const code of codes) await register(code, old.person);
    const handover = `/people/${old.person}/handover`;
    const request = { to: successor.person, reason: '调任市政府办公室' };

    expect((await g.call('POST', handover, secretary.key, request)).status).toBe(403);
    expect((await g.call('POST', handover, old.key, request)).status).toBe(403);
    const toSecretary = await g.call('POST', handover, operator, { ...request, to: secretary.id });
    expect([toSecretary.status, paths(toSecretary.body.errors)]).toEqual([422, ['to']]);
    const toNobody = await g.call('POST', handover, operator, { ...request, to: id('nobody') });
    expect([toNobody.status, paths(toNobody.body.errors)]).toEqual([422, ['to']]);
    expect((await g.call('POST', `/people/${id('rf-zhao')}/handover`, operator, request)).status).toBe(409);
    expect((await g.call('POST', `/people/${id('nobody')}/handover`, operator, request)).status).toBe(404);

    const done = await g.call('POST', handover, operator, request, { 'idempotency-key': `ho-${g.tag}` });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toEqual({
      person: old.person,
      to: successor.person,
      reassigned: codes.map((code) => ({
        code,
        handed: ['leader'],
        secretary: secretary.id,
        leader: successor.person,
      })),
      skipped: [],
      keysRevoked: [old.keyId],
    });
    // The workflows themselves now name the successor.
    for (const code of codes) {
      const live = await g.call('GET', `/projects/${code}`, successor.key);
      expect(live.status, JSON.stringify(live.body)).toBe(200);
      expect(live.body.profile.leader).toBe(successor.person);
    }
    const refused = await g.call('GET', '/me', old.key);
    expect([refused.status, refused.body.type]).toEqual([401, ProblemType.unauthorized]);
    const replay = await g.call('POST', handover, operator, request, { 'idempotency-key': `ho-${g.tag}` });
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect(replay.body).toEqual(done.body);

    const projectTrail = await g.call('GET', `/projects/${codes[0]}/audit`, operator);
    expect(
      projectTrail.body.entries.find((e: { action: string }) => e.action === 'project.reassign'),
    ).toMatchObject({
      body: { leader: successor.person, handoverOf: old.person, reason: request.reason },
      result: { leader: successor.person },
    });
    const personTrail = await g.call('GET', `/people/${old.person}/audit`, operator);
    expect(personTrail.body.entries.map((e: { action: string }) => e.action)).toEqual([
      'person.create',
      'person.handover',
    ]);
  });

  it('reports exactly what a handover did when one project fails, and finishes with the same request', async () => {
    const old = await leaderWithKey('leader-mid');
    const successor = await leaderWithKey('leader-mid-new');
    const [first, stuck, last] = ['A', 'M', 'Z'].map((s) => `MID-${g.tag}-${s}`) as [string, string, string];
    // A project whose workflow no worker serves yet: asking it fails (as when Temporal cannot answer).
    const orphanQueue = `orphan-${g.tag}`;
    const orphan = newProject(stuck, smallPlan([planItem('A')]), {
      secretary: secretary.id,
      leader: old.person,
    });
    await g.client.workflow.start('majorProjectWorkflow', projectStartOptions(orphanQueue, orphan));
    await register(first, old.person);
    await register(last, old.person);

    const handover = `/people/${old.person}/handover`;
    const request = { to: successor.person, reason: '退休' };
    const key = { 'idempotency-key': `mid-${g.tag}` };
    const partial = await g.call('POST', handover, operator, request, key);
    expect([partial.status, partial.body.type], JSON.stringify(partial.body)).toEqual([
      503,
      ProblemType.handoverIncomplete,
    ]);
    expect(partial.headers.get('retry-after')).not.toBeNull();
    expect(partial.body.reassigned.map((r: { code: string }) => r.code)).toEqual([first, last]);
    expect(partial.body.failed.map((f: { code: string }) => f.code)).toEqual([stuck]);
    expect(partial.body.keysRevoked).toEqual([]);
    expect((await g.call('GET', '/me', old.key)).status).toBe(200); // kept until the handover is complete

    const worker = await startWorker(
      { ...g.config, temporal: { ...g.config.temporal, taskQueue: orphanQueue } },
      { db: g.db },
    );
    try {
      // Served now: its first task done, it has written its read model.
      await until(
        () => g.db.selectFrom('projects').select('code').where('code', '=', stuck).executeTakeFirst(),
        (row) => row !== undefined,
        'the orphan project to be served',
      );
      const finished = await g.call('POST', handover, operator, request, key);
      expect(finished.status, JSON.stringify(finished.body)).toBe(200);
      expect(finished.body.reassigned).toEqual([
        { code: stuck, handed: ['leader'], secretary: secretary.id, leader: successor.person },
      ]);
      expect(finished.body.keysRevoked).toEqual([old.keyId]);
      for (const code of [first, stuck, last]) {
        expect((await g.call('GET', `/projects/${code}`, operator)).body.profile.leader).toBe(
          successor.person,
        );
      }
      expect((await g.call('GET', '/me', old.key)).status).toBe(401);
    } finally {
      await worker.stop();
    }
  });
});
