import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { jsonb, type NewEscalation } from '../../db/schema';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * Escalations (督办) over real HTTP. The inbox reads the `escalations` read model, so its rows are seeded
 * directly (waiting for a real card would take a working day); they belong to projects registered
 * through the API, whose workflows are real, so an acknowledgement goes through the workflow and its
 * deliverInstruction activity, which writes the answer onto the row.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
const people: Record<string, string> = {};
// Project A: secretary sec, leader lead. Project B: secretary sec2, leader lead2.
let A = '';
let B = '';
const D1 = 'ZJ';
const D2 = 'ZRZY';

type Seed = {
  project: string;
  path: string;
  rung: NewEscalation['rung'];
  department: string;
  minutesAgo: number;
};
const seeds: Record<string, Seed> = {};
/** The workflow's key of a seeded escalation, and the id the API shows (no encoding needed in a path). */
const keyOf = (name: string) => `${seeds[name]!.project}/${seeds[name]!.path}`;
const idOf = (name: string) => keyOf(name).replaceAll('/', '.');
const enc = (id: string) => encodeURIComponent(id);

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  for (const [name, role, person] of [
    ['sec', 'secretary', 'sec-esc'],
    ['sec2', 'secretary', 'sec-esc-2'],
    ['lead', 'leader', 'leader-esc'],
    ['lead2', 'leader', 'leader-esc-2'],
  ] as const) {
    const k = await g.keyFor(role, { person });
    keys[name] = k.key;
    people[name] = k.personId!;
  }
  keys.operator = (await g.keyFor('operator')).key;
  keys.d1 = (await g.keyFor('department', { department: D1 })).key;
  keys.d2 = (await g.keyFor('department', { department: D2 })).key;

  A = `ESC-A-${g.tag}`;
  B = `ESC-B-${g.tag}`;
  for (const [code, sec, lead] of [
    [A, 'sec', 'lead'],
    [B, 'sec2', 'lead2'],
  ] as const) {
    const reg = await g.call('POST', '/projects', keys[sec]!, {
      code,
      name: '市第二人民医院新院区',
      templateId: 'gov-building',
      leader: people[lead],
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  }
  // The inbox joins the projects read model: wait for the workflows' first write.
  await until(
    () => g.db.selectFrom('projects').select('code').where('code', 'in', [A, B]).execute(),
    (rows) => rows.length === 2,
    'both projects in the read model',
  );

  Object.assign(seeds, {
    aYellow: { project: A, path: 'item/EIA/1/yellow', rung: 'yellow', department: D1, minutesAgo: 180 },
    aRed: { project: A, path: 'item/EIA/1/red', rung: 'red', department: D1, minutesAgo: 120 },
    aProblem: { project: A, path: 'problem/P1/1/red', rung: 'red', department: D2, minutesAgo: 60 },
    bRed: { project: B, path: 'item/EIA/1/red', rung: 'red', department: D1, minutesAgo: 30 },
  } satisfies Record<string, Seed>);
  const now = Date.now();
  await g.db
    .insertInto('escalations')
    .values(
      Object.values(seeds).map((s) => ({
        id: `${s.project}/${s.path}`,
        project_code: s.project,
        subject_kind: s.path.startsWith('item') ? ('item' as const) : ('problem' as const),
        subject_id: s.path.split('/')[1]!,
        rung: s.rung,
        department: s.department,
        recipients: jsonb(
          s.rung === 'yellow' ? ['departmentHead', 'secretary'] : ['leader', 'departmentHead', 'secretary'],
        ),
        title: `${s.rung} card`,
        body: `${s.path} is overdue`,
        due_at: new Date('2026-12-04T16:00:00Z'), // the end of 4 December, China time
        fired_at: new Date(now - s.minutesAgo * 60_000),
        acknowledged_at: null,
        acknowledged_by: null,
        instruction: null,
      })),
    )
    .execute();
  // One already answered.
  await g.db
    .updateTable('escalations')
    .set({
      acknowledged_at: new Date(now - 50 * 60_000),
      acknowledged_by: people.lead!,
      instruction: '限期解决',
    })
    .where('id', '=', keyOf('aProblem'))
    .execute();
});
afterAll(async () => {
  await g?.stop();
});

const inbox = async (key: string, query = '') => {
  const res = await g.call('GET', `/escalations${query ? `?${query}` : ''}`, key);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { escalations: { id: string; department: string }[]; nextCursor: string | null };
};
const ids = (page: { escalations: { id: string }[] }) => page.escalations.map((e) => e.id);

describe('GET /escalations: each caller their own inbox, newest first', () => {
  it('shows a leader every escalation they may answer on the projects they lead, yellow cards too', async () => {
    // The yellow card is addressed to the department head, not the leader; the leader may answer it.
    expect(ids(await inbox(keys.lead!))).toEqual([idOf('aProblem'), idOf('aRed'), idOf('aYellow')]);
    expect(ids(await inbox(keys.lead!, 'acknowledged=false'))).toEqual([idOf('aRed'), idOf('aYellow')]);
    expect(ids(await inbox(keys.lead!, 'acknowledged=true'))).toEqual([idOf('aProblem')]);
    expect(ids(await inbox(keys.lead2!))).toEqual([idOf('bRed')]);
    // Ids go into paths as they are.
    for (const id of ids(await inbox(keys.lead!))) expect(encodeURIComponent(id)).toBe(id);
    expect(ids(await inbox(keys.lead2!, `project=${A}`))).toEqual([]);
    const first = (await inbox(keys.lead!, 'acknowledged=true')).escalations[0];
    expect(first).toMatchObject({
      id: idOf('aProblem'),
      key: keyOf('aProblem'),
      dueAt: '2026-12-04T16:00:00.000Z',
      dueDate: '2026-12-04',
      projectCode: A,
      subjectKind: 'problem',
      subjectId: 'P1',
      rung: 'red',
      acknowledgedBy: people.lead,
      instruction: '限期解决',
      recipients: ['leader', 'departmentHead', 'secretary'],
    });
  });

  it('shows a secretary their projects, a department its own, an operator all', async () => {
    expect(ids(await inbox(keys.sec!))).toEqual([idOf('aProblem'), idOf('aRed'), idOf('aYellow')]);
    expect(ids(await inbox(keys.sec2!))).toEqual([idOf('bRed')]);
    // Departments and operators also see escalations of other test files' projects: filter by project.
    expect(ids(await inbox(keys.d1!, `project=${A}`))).toEqual([idOf('aRed'), idOf('aYellow')]);
    expect(ids(await inbox(keys.d1!, `project=${B}`))).toEqual([idOf('bRed')]);
    expect(ids(await inbox(keys.d2!, `project=${A}`))).toEqual([idOf('aProblem')]);
    expect((await inbox(keys.d1!, 'limit=200')).escalations.every((e) => e.department === D1)).toBe(true);
    expect(ids(await inbox(keys.operator!, `project=${A}`))).toEqual([
      idOf('aProblem'),
      idOf('aRed'),
      idOf('aYellow'),
    ]);
    const since = new Date(Date.now() - 150 * 60_000).toISOString();
    expect(ids(await inbox(keys.operator!, `project=${A}&since=${encodeURIComponent(since)}`))).toEqual([
      idOf('aProblem'),
      idOf('aRed'),
    ]);
  });

  it('pages with a cursor and refuses bad filters with 422, no key with 401', async () => {
    const first = await inbox(keys.sec!, 'limit=2');
    expect(ids(first)).toEqual([idOf('aProblem'), idOf('aRed')]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await inbox(keys.sec!, `limit=2&cursor=${first.nextCursor}`);
    expect([ids(second), second.nextCursor]).toEqual([[idOf('aYellow')], null]);

    const bad = await g.call('GET', '/escalations?acknowledged=maybe&limit=0&since=yesterday', keys.sec!);
    expect([bad.status, bad.body.type]).toEqual([422, ProblemType.validation]);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'acknowledged',
      'limit',
      'since',
    ]);
    expect(bad.body.errors.every((e: { in: string }) => e.in === 'query')).toBe(true);
    const badCursor = await g.call('GET', '/escalations?cursor=bm9wZQ', keys.sec!);
    expect([badCursor.status, badCursor.body.errors[0].path]).toEqual([422, 'cursor']);
    const none = await g.call('GET', '/escalations', null);
    expect([none.status, none.body.type]).toEqual([401, ProblemType.unauthorized]);
  });
});

describe('POST /escalations/{id}/acknowledge: the leader’s instruction (批示)', () => {
  const ack = (
    name: string,
    key: string | null,
    body: unknown = { instruction: '请住建局三日内办结，每日报进度' },
    headers?: Record<string, string>,
  ) => g.call('POST', `/escalations/${idOf(name)}/acknowledge`, key, body, headers);

  it('refuses everyone but the responsible leader and operators, unknown ids and bad bodies', async () => {
    expect((await ack('aRed', null)).status).toBe(401);
    for (const key of [keys.sec!, keys.lead2!, keys.d1!]) {
      const refused = await ack('aRed', key);
      expect([refused.status, refused.body.type]).toEqual([403, ProblemType.forbidden]);
      expect(refused.body.detail).toContain(`responsible leader of project ${A}`);
    }
    const unknown = await g.call(
      'POST',
      `/escalations/${enc(`${A}/item/NOPE/1/red`)}/acknowledge`,
      keys.lead!,
      {
        instruction: '阅',
      },
    );
    expect([unknown.status, unknown.body.type]).toEqual([404, ProblemType.notFound]);
    expect(unknown.body.detail).toBe(`no escalation ${A}/item/NOPE/1/red`);
    // A key with its slashes unencoded makes another path: no such route.
    const raw = await g.call('POST', `/escalations/${keyOf('aRed')}/acknowledge`, keys.lead!, {
      instruction: '阅',
    });
    expect(raw.status).toBe(404);

    const empty = await ack('aRed', keys.lead!, { instruction: '   ' });
    expect([empty.status, empty.body.type]).toEqual([422, ProblemType.validation]);
    expect(empty.body.errors.map((e: { path: string }) => e.path)).toEqual(['instruction']);
    const answered = await ack('aProblem', keys.lead!);
    expect([answered.status, answered.body.type]).toEqual([409, ProblemType.conflict]);
    expect(answered.body.detail).toContain(`acknowledged by ${people.lead}`);
    // None of it reached the workflow.
    const live = await g.call('GET', `/projects/${A}`, keys.lead!);
    expect(live.body.instructions).toEqual([]);
  });

  it('takes the instruction to the workflow and the row, replays it, and refuses a second answer', async () => {
    const headers = { 'idempotency-key': `ack-${g.tag}` };
    const instruction = '请住建局三日内办结，每日报进度';
    const answered = await ack('aRed', keys.lead!, { instruction }, headers);
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    expect(answered.body.instruction).toMatchObject({
      escalationKey: keyOf('aRed'),
      leader: people.lead,
      text: instruction,
    });
    expect(answered.body.escalation).toMatchObject({
      id: idOf('aRed'),
      key: keyOf('aRed'),
      acknowledgedBy: people.lead,
      instruction,
    });

    // Written by the workflow's deliverInstruction activity, not by the API.
    const row = await until(
      () =>
        g.db.selectFrom('escalations').selectAll().where('id', '=', keyOf('aRed')).executeTakeFirstOrThrow(),
      (r) => r.acknowledged_at !== null,
      'the activity to record the instruction',
    );
    expect(row).toMatchObject({ acknowledged_by: people.lead, instruction });
    const live = await g.call('GET', `/projects/${A}`, keys.sec!);
    expect(live.body.instructions).toEqual([answered.body.instruction]);

    const replay = await ack('aRed', keys.lead!, { instruction }, headers);
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    expect(replay.body).toEqual(answered.body);
    const second = await ack('aRed', keys.lead!, { instruction: '改为五日内办结' });
    expect([second.status, second.body.type]).toEqual([409, ProblemType.conflict]);
    expect((await g.call('GET', `/projects/${A}`, keys.sec!)).body.instructions).toHaveLength(1);

    expect(ids(await inbox(keys.lead!, 'acknowledged=false'))).toEqual([idOf('aYellow')]);
    const audit = await g.call('GET', `/projects/${A}/audit`, keys.lead!);
    const entries = audit.body.entries.filter(
      (e: { action: string }) => e.action === 'escalation.acknowledge',
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      subject: keyOf('aRed'),
      role: 'leader',
      personId: people.lead,
      body: { instruction },
    });
  });

  it("lets an operator enter the leader's instruction on their behalf, audited as the operator", async () => {
    // Sent as clients did before ids needed no encoding: the key, URL-encoded, still names it.
    const answered = await g.call(
      'POST',
      `/escalations/${enc(keyOf('aYellow'))}/acknowledge`,
      keys.operator!,
      { instruction: '转领导批示：督促办理' },
    );
    expect(answered.status, JSON.stringify(answered.body)).toBe(200);
    expect(answered.body.escalation).toMatchObject({
      acknowledgedBy: people.lead,
      instruction: '转领导批示：督促办理',
    });
    const audit = await g.call('GET', `/projects/${A}/audit`, keys.operator!);
    expect(audit.body.entries.at(-1)).toMatchObject({
      action: 'escalation.acknowledge',
      subject: keyOf('aYellow'),
      role: 'operator',
    });
  });
});
