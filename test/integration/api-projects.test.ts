import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * The API over real HTTP, with a real worker, Temporal dev server and PostgreSQL: a whole social-investment
 * industrial project driven through the API only, the authorization matrix on its routes, each error
 * class with its status and problem type, idempotent replays, the read model and the audit trail.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let secretary = '';
let leader = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-wang' });
  const otherSec = await g.keyFor('secretary', { person: 'sec-zhao' });
  const lead = await g.keyFor('leader', { person: 'leader-li' });
  keys.secretary = sec.key;
  keys.otherSecretary = otherSec.key;
  keys.leader = lead.key;
  keys.operator = (await g.keyFor('operator')).key;
  secretary = sec.personId!;
  leader = lead.personId!;
});
afterAll(async () => {
  await g?.stop();
});

async function departmentKey(department: string): Promise<string> {
  keys[`dept:${department}`] ??= (await g.keyFor('department', { department })).key;
  return keys[`dept:${department}`]!;
}

const register = (code: string, over: Record<string, unknown> = {}) =>
  g.call('POST', '/projects', keys.secretary!, {
    code,
    name: '智能装备产业园一期',
    templateId: 'social-industrial',
    leader,
    targetStart: '2027-09-01',
    ...over,
  });

describe('a project driven through the API only', () => {
  it('registers, takes every decision of a 35-item project, mirrors it and audits it', async () => {
    const code = `SI-${g.tag}`;
    const registered = await register(code);
    expect(registered.status).toBe(201);
    expect(registered.body).toMatchObject({ code, workflowId: `project-${code}`, items: 35 });
    expect(registered.body.schedule.criticalPath.length).toBeGreaterThan(0);

    const live = await g.call('GET', `/projects/${code}`, keys.secretary!);
    expect(live.status).toBe(200);
    const departmentOf = new Map<string, string>(
      live.body.plan.items.map((i: { code: string; department: string }) => [i.code, i.department]),
    );
    let ready: string[] = Object.values(live.body.items as Record<string, { code: string; status: string }>)
      .filter((i) => i.status === 'ready')
      .map((i) => i.code);
    expect(ready.length).toBeGreaterThan(0);
    let widestWave = 0;

    const finished = new Set<string>();
    let decisions = 0;
    while (ready.length > 0) {
      widestWave = Math.max(widestWave, ready.length);
      const opened: string[] = [];
      for (const item of ready) {
        const path = `/projects/${code}/items/${item}/decisions`;
        const dept = await departmentKey(departmentOf.get(item)!);
        expect((await g.call('POST', path, keys.secretary!, { action: 'submit' })).status).toBe(200);
        expect((await g.call('POST', path, dept, { action: 'accept' })).status).toBe(200);
        const approved = await g.call('POST', path, dept, {
          action: 'approve',
          documentNo: `${item}〔2027〕1号`,
        });
        expect(approved.status, JSON.stringify(approved.body)).toBe(200);
        expect(approved.body.item.status).toBe('approved');
        decisions += 3;
        finished.add(item);
        opened.push(...approved.body.opened);
      }
      ready = opened;
    }
    expect(finished.size).toBe(35);
    expect(widestWave).toBeGreaterThan(3); // 大并联: one approval opens several items at once
    expect(decisions).toBe(105);

    // The read model catches up: listed as completed for its secretary and leader, not for others.
    const listed = await until(
      () => g.call('GET', '/projects', keys.leader!),
      (r) =>
        r.body.projects.some(
          (p: { code: string; status: string }) => p.code === code && p.status === 'completed',
        ),
      'the read model to show the project completed',
    );
    expect(listed.body.projects.find((p: { code: string }) => p.code === code)).toMatchObject({
      secretary,
      leader,
      stage: 5,
      overdueItems: 0,
    });
    // A completed project's workflow ends; after that it takes nothing more: 409 project-closed, not 404.
    await until(
      () => g.client.workflow.getHandle(`project-${code}`).describe(),
      (d) => d.status.name === 'COMPLETED',
      'the workflow to complete',
    );
    const late = await g.call('POST', `/projects/${code}/problems`, keys.secretary!, {
      title: '竣工后的问题',
      description: '项目已完成后提出',
    });
    expect([late.status, late.body.type]).toEqual([409, ProblemType.projectClosed]);
    const others = await g.call('GET', '/projects', keys.otherSecretary!);
    expect(others.body.projects.map((p: { code: string }) => p.code)).not.toContain(code);
    const items = await g.db
      .selectFrom('project_items')
      .selectAll()
      .where('project_code', '=', code)
      .execute();
    expect(items).toHaveLength(35);
    expect(items.every((i) => i.status === 'approved' && i.finished_at !== null)).toBe(true);
    // The ledger's planned dates come from the schedule made at registration (倒排工期 from the target).
    expect(items.every((i) => i.planned_start !== null && i.planned_finish! >= i.planned_start!)).toBe(true);
    expect(items.some((i) => i.latest_start !== null)).toBe(true);

    const audit = await g.call('GET', `/projects/${code}/audit`, keys.leader!);
    expect(audit.status).toBe(200);
    expect(audit.body.entries).toHaveLength(1 + decisions);
    expect(audit.body.entries[0]).toMatchObject({ action: 'project.register', personId: secretary });
    expect(audit.body.entries.at(-1)).toMatchObject({ action: 'item.approve', role: 'department' });
    expect(audit.body.entries.every((e: { requestId: string; ip: string }) => e.requestId && e.ip)).toBe(
      true,
    );
  });
});

describe('registration', () => {
  it('keeps the schedule it answered with, a past start date included', async () => {
    const code = `PAST-${g.tag}`;
    const res = await register(code, { start: '2026-09-01' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.schedule.start).toBe('2026-09-01');
    const live = await g.call('GET', `/projects/${code}`, keys.secretary!);
    expect(live.body.baseline.start).toBe('2026-09-01');
    expect(live.body.baseline.permitFinish).toBe(res.body.schedule.permitFinish);
  });
});

describe('errors and authorization on project routes', () => {
  let code = '';
  let firstItem = '';
  let department = '';
  beforeAll(async () => {
    code = `SI-E-${g.tag}`;
    expect((await register(code)).status).toBe(201);
    const live = await g.call('GET', `/projects/${code}`, keys.secretary!);
    const item = live.body.plan.items.find((i: { prerequisites: string[] }) => i.prerequisites.length === 0);
    firstItem = item.code;
    department = item.department;
  });
  const path = () => `/projects/${code}/items/${firstItem}/decisions`;

  it('answers 401 without a key and 403 for the wrong role, department or secretary', async () => {
    const none = await g.call('POST', path(), null, { action: 'submit' });
    expect([none.status, none.body.type]).toEqual([401, ProblemType.unauthorized]);
    expect(none.headers.get('content-type')).toContain('application/problem+json');

    const other = await g.call('POST', path(), keys.otherSecretary!, { action: 'submit' });
    expect([other.status, other.body.type]).toEqual([403, ProblemType.forbidden]);
    const byLeader = await g.call('POST', path(), keys.leader!, { action: 'submit' });
    expect(byLeader.status).toBe(403);

    expect((await g.call('POST', path(), keys.secretary!, { action: 'submit' })).status).toBe(200);
    const wrongDept = await g.call('POST', path(), await departmentKey(department === 'ZJ' ? 'FGW' : 'ZJ'), {
      action: 'accept',
    });
    expect([wrongDept.status, wrongDept.body.type]).toEqual([403, ProblemType.forbidden]);
    expect(wrongDept.body.detail).toContain(`belongs to department ${department}`);
    const secretaryAccepts = await g.call('POST', path(), keys.secretary!, { action: 'accept' });
    expect(secretaryAccepts.status).toBe(403);

    expect((await g.call('GET', `/projects/${code}`, keys.otherSecretary!)).status).toBe(403);
    expect((await g.call('GET', `/projects/${code}`, await departmentKey(department))).status).toBe(403);
    expect((await g.call('GET', `/projects/${code}`, keys.leader!)).status).toBe(200);
    expect((await g.call('GET', `/departments/${department}/queue`, keys.secretary!)).status).toBe(403);
  });

  it('shows a department its queue, soonest due first', async () => {
    const queue = await g.call('GET', `/departments/${department}/queue`, await departmentKey(department));
    expect(queue.status).toBe(200);
    const mine = await until(
      () => g.call('GET', `/departments/${department}/queue`, keys.operator!),
      (r) =>
        r.body.items.some(
          (i: { projectCode: string; item: string }) => i.projectCode === code && i.item === firstItem,
        ),
      'the submitted item in the queue',
    );
    expect(
      mine.body.items.find((i: { item: string; projectCode: string }) => i.projectCode === code),
    ).toMatchObject({
      item: firstItem,
      status: 'submitted',
    });
  });

  it('passes the workflow validator reason through on 409, lists fields on 422, 404 for unknown', async () => {
    const dept = await departmentKey(department);
    const early = await g.call('POST', path(), dept, { action: 'approve', documentNo: 'X-1' });
    expect([early.status, early.body.type]).toEqual([409, ProblemType.invalidTransition]);
    expect(early.body.detail).toBe(`${firstItem} is submitted; approve is allowed only when it is accepted`);

    const malformed = await g.call('POST', path(), dept, { action: 'approve' });
    expect([malformed.status, malformed.body.type]).toEqual([422, ProblemType.validation]);
    expect(malformed.body.errors.map((e: { path: string }) => e.path)).toContain('documentNo');

    const unknown = await g.call('POST', `/projects/NOPE-${g.tag}/items/${firstItem}/decisions`, dept, {
      action: 'accept',
    });
    expect([unknown.status, unknown.body.type]).toEqual([404, ProblemType.notFound]);
    const unknownItem = await g.call('POST', `/projects/${code}/items/NOPE/decisions`, dept, {
      action: 'accept',
    });
    expect(unknownItem.status).toBe(404);

    const twice = await register(code);
    expect([twice.status, twice.body.type]).toEqual([409, ProblemType.projectExists]);
    const badTemplate = await register(`SI-X-${g.tag}`, { templateId: 'nope' });
    expect([badTemplate.status, badTemplate.body.type]).toEqual([422, ProblemType.validation]);
    const badTailoring = await register(`SI-Y-${g.tag}`, { tailoring: { waive: ['LAND-SALE'] } });
    expect(badTailoring.status).toBe(422);
    expect(badTailoring.body.detail).toContain('LAND-SALE');
  });

  it('replays an idempotent decision and refuses the same key with another body', async () => {
    const dept = await departmentKey(department);
    const key = { 'idempotency-key': `accept-${g.tag}` };
    const [a, b] = await Promise.all([
      g.call('POST', path(), dept, { action: 'accept' }, key),
      g.call('POST', path(), dept, { action: 'accept' }, key),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body).toEqual(a.body);
    const again = await g.call('POST', path(), dept, { action: 'accept' }, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(a.body);
    const other = await g.call('POST', path(), dept, { action: 'return', missing: ['图纸'] }, key);
    expect(other.status).toBe(422);
    const state = await g.call('GET', `/projects/${code}`, keys.secretary!);
    expect(state.body.items[firstItem]).toMatchObject({ status: 'accepted', returns: 0 });
  });
});
