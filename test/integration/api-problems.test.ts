import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { IdempotencyProblemType } from '../../api/idempotency';
import { loadCalendarYears } from '../../db/reference';
import { makeCalendar } from '../../domain/calendar';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';

/**
 * Problems (钉住不放) over real HTTP: raise, assign, plan, resolve and verify through the API, a problem
 * blocking an item's approval until it is resolved, the authorization matrix on these routes, the
 * workflow's refusals passed through unchanged, validation, 404s, idempotent raises and the audit trail.
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
  const sec = await g.keyFor('secretary', { person: 'sec-prob' });
  const lead = await g.keyFor('leader', { person: 'leader-prob' });
  keys.secretary = sec.key;
  keys.leader = lead.key;
  keys.otherSecretary = (await g.keyFor('secretary', { person: 'sec-prob-other' })).key;
  keys.otherLeader = (await g.keyFor('leader', { person: 'leader-prob-other' })).key;
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

/** A registered project, its first item (no prerequisites), that item's department and one without items. */
async function project(suffix: string) {
  const code = `PB${suffix}-${g.tag}`;
  const reg = await g.call('POST', '/projects', keys.secretary!, {
    code,
    name: '新能源汽车零部件产业园',
    templateId: 'social-industrial',
    leader,
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  const live = await g.call('GET', `/projects/${code}`, keys.secretary!);
  const items: { code: string; department: string; prerequisites: string[] }[] = live.body.plan.items;
  const first = items.find((i) => i.prerequisites.length === 0)!;
  const inPlan = new Set(items.map((i) => i.department));
  const outsider = (await g.db.selectFrom('departments').select('code').execute())
    .map((d) => d.code)
    .find((d) => !inPlan.has(d))!;
  return {
    code,
    item: first.code,
    department: first.department,
    other: items.find((i) => i.department !== first.department)!.department,
    outsider,
  };
}

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe('a problem pinned until it is solved (钉住不放)', () => {
  it('blocks an approval until resolved, through raise, assign, plan, resolve and verify', async () => {
    const { code, item, department } = await project('L');
    const dept = await departmentKey(department);
    const decisions = `/projects/${code}/items/${item}/decisions`;
    expect((await g.call('POST', decisions, keys.secretary!, { action: 'submit' })).status).toBe(200);
    expect((await g.call('POST', decisions, dept, { action: 'accept' })).status).toBe(200);

    const before = Date.now();
    const raised = await g.call('POST', `/projects/${code}/problems`, dept, {
      title: '红线内有一条 10kV 架空线需迁改',
      description: '供电公司尚未出具迁改方案，影响规划许可',
      blocksItem: item,
    });
    expect(raised.status, JSON.stringify(raised.body)).toBe(201);
    expect(raised.headers.get('location')).toBe(`/projects/${code}/problems/P1`);
    expect(raised.body.problem).toMatchObject({
      id: 'P1',
      status: 'open',
      blocksItem: item,
      raisedBy: { role: 'department', department },
    });
    // No deadline given: the end of the working day it was raised on (不让问题过夜).
    const calendar = makeCalendar(await loadCalendarYears(g.db));
    const endOfWorkingDay = calendar.deadline(before, { days: 0, dayType: 'working' })!.dueAt;
    expect(Date.parse(raised.body.problem.deadlineAt)).toBe(endOfWorkingDay);

    const approve = { action: 'approve', documentNo: `${item}〔2027〕8号` };
    const blocked = await g.call('POST', decisions, dept, approve);
    expect([blocked.status, blocked.body.type]).toEqual([409, ProblemType.invalidTransition]);
    expect(blocked.body.detail).toBe(`${item} is blocked by problem P1 until it is resolved`);

    const actions = `/projects/${code}/problems/P1/actions`;
    const assigned = await g.call('POST', actions, keys.secretary!, {
      action: 'assign',
      ownerDepartment: department,
    });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    expect(assigned.body.problem).toMatchObject({ status: 'assigned', ownerDepartment: department });

    const deadline = future(10);
    const planned = await g.call('POST', actions, dept, {
      action: 'plan',
      solution: '供电公司三日内出具迁改方案，先行办理规划许可',
      deadline,
    });
    expect(planned.status, JSON.stringify(planned.body)).toBe(200);
    expect(planned.body.problem).toMatchObject({ status: 'planned', round: 2 });
    expect(Date.parse(planned.body.problem.deadlineAt)).toBe(calendar.endOfDay(deadline));

    const resolved = await g.call('POST', actions, dept, { action: 'resolve', resolution: '迁改方案已出具' });
    expect(resolved.status).toBe(200);
    expect(resolved.body.problem.status).toBe('resolved');

    const approved = await g.call('POST', decisions, dept, approve);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.item.status).toBe('approved');

    const verified = await g.call('POST', actions, keys.secretary!, { action: 'verify', accepted: true });
    expect(verified.status).toBe(200);
    expect(verified.body.problem.status).toBe('verified');

    const listed = await g.call('GET', `/projects/${code}/problems`, keys.leader!);
    expect(listed.status).toBe(200);
    expect(listed.body.problems).toHaveLength(1);
    expect(listed.body.problems[0]).toMatchObject({
      id: 'P1',
      status: 'verified',
      resolution: '迁改方案已出具',
    });

    const audit = await g.call('GET', `/projects/${code}/audit`, keys.secretary!);
    const trail = audit.body.entries.filter((e: { action: string }) => e.action.startsWith('problem.'));
    expect(trail.map((e: { action: string; subject: string }) => [e.action, e.subject])).toEqual([
      ['problem.raise', 'P1'],
      ['problem.assign', 'P1'],
      ['problem.plan', 'P1'],
      ['problem.resolve', 'P1'],
      ['problem.verify', 'P1'],
    ]);
    expect(trail[0]).toMatchObject({ role: 'department', department });
    expect(trail[1]).toMatchObject({ role: 'secretary', personId: secretary });
    expect(trail.every((e: { requestId: string; ip: string }) => e.requestId && e.ip)).toBe(true);
  });

  it('sends a resolution that did not hold back to work, and the block with it', async () => {
    const { code, item, department } = await project('V');
    const dept = await departmentKey(department);
    const decisions = `/projects/${code}/items/${item}/decisions`;
    await g.call('POST', decisions, keys.secretary!, { action: 'submit' });
    await g.call('POST', decisions, dept, { action: 'accept' });
    const raised = await g.call('POST', `/projects/${code}/problems`, keys.operator!, {
      title: '进场道路未通',
      description: '施工便道需占用农田',
      ownerDepartment: department,
      blocksItem: item,
    });
    expect(raised.body.problem.status).toBe('assigned');
    const actions = `/projects/${code}/problems/P1/actions`;
    expect((await g.call('POST', actions, dept, { action: 'resolve', resolution: '已协调' })).status).toBe(
      200,
    );
    const rejected = await g.call('POST', actions, keys.secretary!, {
      action: 'verify',
      accepted: false,
      note: '现场核实道路仍未贯通',
    });
    expect(rejected.body.problem.status).toBe('planned');
    const blocked = await g.call('POST', decisions, dept, { action: 'approve', documentNo: 'X-1' });
    expect(blocked.status).toBe(409);
    expect(blocked.body.detail).toBe(`${item} is blocked by problem P1 until it is resolved`);
  });
});

describe('authorization, refusals and errors on problem routes', () => {
  let p: Awaited<ReturnType<typeof project>>;
  beforeAll(async () => {
    p = await project('A');
  });
  const raise = (key: string | null, body: Record<string, unknown> = {}, headers?: Record<string, string>) =>
    g.call(
      'POST',
      `/projects/${p.code}/problems`,
      key,
      { title: '用地指标不足', description: '需市级统筹新增建设用地指标', ...body },
      headers,
    );

  it('answers 401 without a key and 403 to callers not on the project', async () => {
    const none = await raise(null);
    expect([none.status, none.body.type]).toEqual([401, ProblemType.unauthorized]);
    expect((await g.call('GET', `/projects/${p.code}/problems`, null)).status).toBe(401);
    expect(
      (await g.call('POST', `/projects/${p.code}/problems/P1/actions`, null, { action: 'resolve' })).status,
    ).toBe(401);

    for (const key of [keys.otherSecretary!, keys.otherLeader!, await departmentKey(p.outsider)]) {
      const refused = await raise(key);
      expect([refused.status, refused.body.type]).toEqual([403, ProblemType.forbidden]);
      expect(refused.body.detail).toContain(`project ${p.code}`);
    }
    // The project's leader and a department with items in it may raise.
    expect((await raise(keys.leader!)).body.problem.id).toBe('P1');
    expect((await raise(await departmentKey(p.department))).body.problem.id).toBe('P2');

    const owner = await departmentKey(p.department);
    const other = await departmentKey(p.other);
    const act = (key: string, body: Record<string, unknown>) =>
      g.call('POST', `/projects/${p.code}/problems/P1/actions`, key, body);
    expect((await act(keys.secretary!, { action: 'assign', ownerDepartment: p.department })).status).toBe(
      200,
    );

    const cases: [string, string, Record<string, unknown>, string][] = [
      [
        'owner department assigns',
        owner,
        { action: 'assign', ownerDepartment: p.other },
        'only the secretary',
      ],
      ['leader verifies', keys.leader!, { action: 'verify', accepted: true }, 'only the secretary'],
      [
        'another department plans',
        other,
        { action: 'plan', solution: '统筹' },
        'only the owner of problem P1',
      ],
      [
        'another secretary resolves',
        keys.otherSecretary!,
        { action: 'resolve', resolution: 'x' },
        'only the owner',
      ],
      ['the leader resolves', keys.leader!, { action: 'resolve', resolution: 'x' }, 'only the owner'],
    ];
    for (const [what, key, body, detail] of cases) {
      const refused = await act(key, body);
      expect([refused.status, refused.body.type], what).toEqual([403, ProblemType.forbidden]);
      expect(refused.body.detail, what).toContain(detail);
    }

    // Reading: the secretary, leader and operators see every problem; a department what it owns or raised.
    expect((await g.call('GET', `/projects/${p.code}/problems`, keys.otherSecretary!)).status).toBe(403);
    expect(
      (await g.call('GET', `/projects/${p.code}/problems`, await departmentKey(p.outsider))).status,
    ).toBe(403);
    const ownerView = await g.call('GET', `/projects/${p.code}/problems`, owner);
    expect(ownerView.body.problems.map((x: { id: string }) => x.id)).toEqual(['P1', 'P2']);
    const otherView = await g.call('GET', `/projects/${p.code}/problems`, other);
    expect([otherView.status, otherView.body.problems]).toEqual([200, []]);
    const open = await g.call('GET', `/projects/${p.code}/problems?status=assigned`, keys.operator!);
    expect(open.body.problems.map((x: { id: string }) => x.id)).toEqual(['P1']);
  });

  it("passes the workflow's reason through unchanged as 409", async () => {
    const verify = await g.call('POST', `/projects/${p.code}/problems/P1/actions`, keys.secretary!, {
      action: 'verify',
      accepted: true,
    });
    expect([verify.status, verify.body.type]).toEqual([409, ProblemType.invalidTransition]);
    expect(verify.body.detail).toBe('problem P1 is assigned; only a resolved problem can be verified');

    const past = await raise(keys.secretary!, { deadline: '2020-01-06' });
    expect([past.status, past.body.type]).toEqual([409, ProblemType.invalidTransition]);
    expect(past.body.detail).toBe('deadline 2020-01-06 is in the past');

    const act = (body: Record<string, unknown>) =>
      g.call('POST', `/projects/${p.code}/problems/P1/actions`, keys.secretary!, body);
    expect((await act({ action: 'resolve', resolution: '指标已下达' })).status).toBe(200);
    const again = await act({ action: 'resolve', resolution: '指标已下达' });
    expect([again.status, again.body.detail]).toEqual([409, 'problem P1 is already resolved']);
    const reassign = await act({ action: 'assign', ownerDepartment: p.other });
    expect(reassign.body.detail).toBe('problem P1 is resolved; it cannot be reassigned');
  });

  it('answers 404 for an unknown project or problem and 422 listing every failing field', async () => {
    const dept = await departmentKey(p.department);
    const unknown = await g.call('POST', `/projects/NOPE-${g.tag}/problems`, keys.operator!, {
      title: 't',
      description: 'd',
    });
    expect([unknown.status, unknown.body.type]).toEqual([404, ProblemType.notFound]);
    expect((await g.call('GET', `/projects/NOPE-${g.tag}/problems`, keys.operator!)).status).toBe(404);
    const noProblem = await g.call('POST', `/projects/${p.code}/problems/P99/actions`, dept, {
      action: 'resolve',
      resolution: 'x',
    });
    expect([noProblem.status, noProblem.body.type]).toEqual([404, ProblemType.notFound]);
    expect(noProblem.body.detail).toBe(`problem P99 does not exist in project ${p.code}`);

    const empty = await g.call('POST', `/projects/${p.code}/problems`, dept, { deadline: '2030-02-30' });
    expect([empty.status, empty.body.type]).toEqual([422, ProblemType.validation]);
    expect(empty.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'deadline',
      'description',
      'title',
    ]);
    const noSolution = await g.call('POST', `/projects/${p.code}/problems/P2/actions`, dept, {
      action: 'plan',
    });
    expect(noSolution.status).toBe(422);
    expect(noSolution.body.errors).toEqual([expect.objectContaining({ in: 'body', path: 'solution' })]);
    const badAction = await g.call('POST', `/projects/${p.code}/problems/P2/actions`, dept, {
      action: 'close',
    });
    expect(badAction.status).toBe(422);
    expect(badAction.body.errors[0].path).toBe('action');
    const badAssign = await g.call('POST', `/projects/${p.code}/problems/P2/actions`, keys.secretary!, {
      action: 'assign',
      ownerDepartment: 'not a department',
      ownerPerson: '',
    });
    // Every failing field is listed (ownerPerson '' breaks two rules: too short, and the pattern).
    expect(new Set(badAssign.body.errors.map((e: { path: string }) => e.path))).toEqual(
      new Set(['ownerDepartment', 'ownerPerson']),
    );
    const noKey = await g.call(
      'POST',
      `/projects/${p.code}/problems`,
      dept,
      { title: 't', description: 'd' },
      {
        'idempotency-key': '',
      },
    );
    expect(noKey.status).toBe(400);
  });

  it('replays a raise with the same Idempotency-Key: the same problem, no second one', async () => {
    const headers = { 'idempotency-key': `raise-${g.tag}` };
    const body = { title: '地下管线不明', description: '需物探' };
    const before = (await g.call('GET', `/projects/${p.code}/problems`, keys.secretary!)).body.problems
      .length;
    const [a, b] = await Promise.all([
      raise(keys.secretary!, body, headers),
      raise(keys.secretary!, body, headers),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body).toEqual(a.body);
    const again = await raise(keys.secretary!, body, headers);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(`/projects/${p.code}/problems/${a.body.problem.id}`);
    expect(again.body).toEqual(a.body);
    const after = await g.call('GET', `/projects/${p.code}/problems`, keys.secretary!);
    expect(after.body.problems).toHaveLength(before + 1);
    expect(after.body.problems.filter((x: { title: string }) => x.title === body.title)).toHaveLength(1);

    const reused = await raise(keys.secretary!, { ...body, title: '另一个问题' }, headers);
    expect([reused.status, reused.body.type]).toEqual([422, IdempotencyProblemType.reused]);
    const audit = await g.call('GET', `/projects/${p.code}/audit`, keys.operator!);
    expect(
      audit.body.entries.filter(
        (e: { action: string; subject: string }) =>
          e.action === 'problem.raise' && e.subject === a.body.problem.id,
      ),
    ).toHaveLength(1);
  });
});
