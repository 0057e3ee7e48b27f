import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { jsonb } from '../../db/schema';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';

/**
 * The service log (服务日志) and return visits (回访) over real HTTP against PostgreSQL: who may write and
 * read them, validation as problem+json, Idempotency-Key replay, the refusal of a visit before its stage
 * closed, the audit trail, and the month's service summary in the department monthly report.
 *
 * The projects are read-model rows written here (a stage closed on a known day): the routes need the
 * read model only. No other file writes service rows, and this one dates its entries in 2025, so the
 * summary of 2025-03 is checked exactly.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let secretary = '';
let leader = '';
let code = '';
let other = '';

const cst = (local: string) => new Date(Date.parse(`${local}+08:00`));

async function seedProject(
  projectCode: string,
  items: { code: string; stage: number; status: string; finishedAt?: string; lane?: string }[],
) {
  await g.db
    .insertInto('projects')
    .values({
      code: projectCode,
      name: `服务测试项目 ${projectCode}`,
      category: 'government',
      template_id: 'gov-building',
      secretary,
      leader,
      target_start: null,
      stage: 1,
      status: 'active',
      revision: 1,
      snapshot: jsonb({}),
    })
    .execute();
  await g.db
    .insertInto('project_items')
    .values(
      items.map((i) => ({
        project_code: projectCode,
        item_code: i.code,
        name_zh: `事项${i.code}`,
        department: 'ZJ',
        stage: i.stage,
        lane: i.lane ?? 'stage',
        status: i.status,
        planned_start: null,
        planned_finish: null,
        latest_start: null,
        submitted_at: null,
        accepted_at: null,
        due_at: null,
        finished_at: i.finishedAt ? cst(i.finishedAt) : null,
        working_days_used: null,
        revision: 1,
      })),
    )
    .execute();
}

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-svc' });
  const lead = await g.keyFor('leader', { person: 'leader-svc' });
  secretary = sec.personId!;
  leader = lead.personId!;
  keys.secretary = sec.key;
  keys.leader = lead.key;
  keys.otherSecretary = (await g.keyFor('secretary', { person: 'sec-svc-other' })).key;
  keys.operator = (await g.keyFor('operator')).key;
  keys.department = (await g.keyFor('department', { department: 'ZJ' })).key;
  code = `SVC-${g.tag}`;
  other = `SVC2-${g.tag}`;
  // Stage 1 closes on Thu 2025-02-20 (its last item, a parallel one, was waived that afternoon); stage 2
  // is open; stage 3 has no items.
  await seedProject(code, [
    { code: 'A', stage: 1, status: 'approved', finishedAt: '2025-02-18T10:00:00' },
    { code: 'B', stage: 1, status: 'waived', finishedAt: '2025-02-20T15:00:00', lane: 'parallel' },
    { code: 'C', stage: 2, status: 'accepted' },
    { code: 'D', stage: 2, status: 'approved', finishedAt: '2025-03-01T09:00:00' },
  ]);
  await seedProject(other, [
    { code: 'A', stage: 1, status: 'approvedOnCommitment', finishedAt: '2025-03-10T11:00:00' },
    { code: 'E', stage: 2, status: 'approved', finishedAt: '2025-03-28T11:00:00' },
  ]);
});
afterAll(async () => {
  await g?.stop();
});

const logEntry = (over: Record<string, unknown> = {}) => ({
  date: '2025-01-10',
  contactType: 'phone',
  participants: ['王芳（项目秘书）', '张工（建设单位）'],
  outcome: '确认消防设计审查材料已齐',
  ...over,
});

describe('the service log', () => {
  it('is written by the project secretary or an operator, and read by those who read the project', async () => {
    const mine = await g.call('POST', `/projects/${code}/service-log`, keys.secretary!, logEntry());
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    expect(mine.body).toMatchObject({
      projectCode: code,
      date: '2025-01-10',
      contactType: 'phone',
      participants: ['王芳（项目秘书）', '张工（建设单位）'],
      recordedBy: secretary,
    });
    const byOperator = await g.call(
      'POST',
      `/projects/${code}/service-log`,
      keys.operator!,
      logEntry({ date: '2025-01-11', contactType: 'meeting' }),
    );
    expect(byOperator.status).toBe(201);

    for (const key of [keys.leader!, keys.otherSecretary!, keys.department!]) {
      const refused = await g.call('POST', `/projects/${code}/service-log`, key, logEntry());
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.body.type).toBe(ProblemType.forbidden);
    }
    expect((await g.call('POST', `/projects/${code}/service-log`, null, logEntry())).status).toBe(401);

    const read = await g.call('GET', `/projects/${code}/service-log?to=2025-01-31`, keys.leader!);
    expect(read.status).toBe(200);
    expect(
      read.body.entries.map((e: { date: string; contactType: string }) => [e.date, e.contactType]),
    ).toEqual([
      ['2025-01-11', 'meeting'],
      ['2025-01-10', 'phone'],
    ]);
    const phones = await g.call(
      'GET',
      `/projects/${code}/service-log?to=2025-01-31&contactType=phone`,
      keys.operator!,
    );
    expect(phones.body.entries).toHaveLength(1);
    expect((await g.call('GET', `/projects/${code}/service-log`, keys.otherSecretary!)).status).toBe(403);
    expect((await g.call('GET', `/projects/${code}/service-log`, keys.department!)).status).toBe(403);
  });

  it('refuses malformed entries with every failing field listed', async () => {
    const bad = await g.call('POST', `/projects/${code}/service-log`, keys.secretary!, {
      date: '2025-02-30',
      contactType: 'email',
      participants: [],
      outcome: '',
    });
    expect(bad.status).toBe(422);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(bad.body.type).toBe(ProblemType.validation);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'contactType',
      'date',
      'outcome',
      'participants',
    ]);
    const future = await g.call(
      'POST',
      `/projects/${code}/service-log`,
      keys.secretary!,
      logEntry({ date: '2099-01-01' }),
    );
    expect(future.status).toBe(422);
    expect(future.body.detail).toMatch(/2099-01-01 is in the future/);
    const missing = await g.call('POST', `/projects/NOPE-${g.tag}/service-log`, keys.operator!, logEntry());
    expect(missing.status).toBe(404);
  });

  it('replays a retried request with the same Idempotency-Key, and writes it once', async () => {
    const headers = { 'idempotency-key': `svc-${g.tag}-replay` };
    const body = logEntry({ date: '2025-01-20', outcome: '重放测试' });
    const first = await g.call('POST', `/projects/${code}/service-log`, keys.secretary!, body, headers);
    const again = await g.call('POST', `/projects/${code}/service-log`, keys.secretary!, body, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const rows = await g.db
      .selectFrom('service_log')
      .select('id')
      .where('project_code', '=', code)
      .where('outcome', '=', '重放测试')
      .execute();
    expect(rows).toHaveLength(1);
    const reused = await g.call(
      'POST',
      `/projects/${code}/service-log`,
      keys.secretary!,
      { ...body, outcome: '另一条' },
      headers,
    );
    expect(reused.status).toBe(422);
    expect(reused.body.type).toMatch(/idempotency-key-reused$/);
    const none = await fetch(`${g.url}/projects/${code}/service-log`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.secretary}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(none.status).toBe(400);
  });
});

describe('return visits (回访)', () => {
  it('are refused before their stage closed, and for a stage without items', async () => {
    const open = await g.call('POST', `/projects/${code}/return-visits`, keys.secretary!, {
      stage: 2,
      date: '2025-03-05',
      satisfaction: 5,
    });
    expect(open.status).toBe(409);
    expect(open.body.type).toBe(ProblemType.conflict);
    expect(open.body.detail).toBe(`stage 2 of project ${code} has not closed: C still open`);
    const empty = await g.call('POST', `/projects/${code}/return-visits`, keys.secretary!, {
      stage: 3,
      date: '2025-03-05',
      satisfaction: 5,
    });
    expect(empty.status).toBe(409);
    const early = await g.call('POST', `/projects/${code}/return-visits`, keys.secretary!, {
      stage: 1,
      date: '2025-02-19',
      satisfaction: 5,
    });
    expect(early.status).toBe(422);
    expect(early.body.detail).toMatch(/follows the stage's close on 2025-02-20/);
    const bad = await g.call('POST', `/projects/${code}/return-visits`, keys.secretary!, {
      stage: 5,
      satisfaction: 6,
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['satisfaction', 'stage']);
    expect(
      (
        await g.call('POST', `/projects/${code}/return-visits`, keys.leader!, {
          stage: 1,
          date: '2025-03-05',
          satisfaction: 5,
        })
      ).status,
    ).toBe(403);
  });

  it('are recorded once per stage after it closed, audited, and listed with the stages', async () => {
    const visit = await g.call('POST', `/projects/${code}/return-visits`, keys.secretary!, {
      stage: 1,
      date: '2025-03-05',
      satisfaction: 4,
      comment: '审批快，材料一次讲清',
    });
    expect(visit.status, JSON.stringify(visit.body)).toBe(201);
    expect(visit.body).toMatchObject({
      projectCode: code,
      stage: 1,
      date: '2025-03-05',
      satisfaction: 4,
      comment: '审批快，材料一次讲清',
      stageClosedOn: '2025-02-20',
      recordedBy: secretary,
    });
    const second = await g.call('POST', `/projects/${code}/return-visits`, keys.operator!, {
      stage: 1,
      date: '2025-03-06',
      satisfaction: 2,
    });
    expect(second.status).toBe(409);
    expect(second.body.detail).toMatch(/recorded on 2025-03-05 by/);

    const listed = await g.call('GET', `/projects/${code}/return-visits`, keys.leader!);
    expect(listed.status).toBe(200);
    expect(listed.body.visits).toHaveLength(1);
    expect(listed.body.stages).toEqual([
      { stage: 1, items: 2, done: 2, open: [], closedOn: '2025-02-20', visited: true },
      { stage: 2, items: 2, done: 1, open: ['C'], closedOn: null, visited: false },
      { stage: 3, items: 0, done: 0, open: [], closedOn: null, visited: false },
      { stage: 4, items: 0, done: 0, open: [], closedOn: null, visited: false },
    ]);

    const audit = await g.call('GET', `/projects/${code}/audit`, keys.operator!);
    const actions = audit.body.entries.map((e: { action: string }) => e.action);
    expect(actions).toContain('service.log');
    expect(actions).toContain('service.returnVisit');
    const entry = audit.body.entries.find((e: { action: string }) => e.action === 'service.returnVisit');
    expect(entry).toMatchObject({ subject: 'stage-1', personId: secretary, role: 'secretary' });
  });
});

describe('the service summary of the monthly report', () => {
  it('counts the month’s contacts by type, the projects contacted, the visits and their mean satisfaction', async () => {
    // March 2025: code — phone 03-03, phone 03-10, visit 03-12, meeting 03-20; other — phone 03-05.
    // Outside it: phone 02-28 and visit 04-01. Visits in March: code stage 1 (4, above) and other stage 1
    // (5); other stage 2 on 04-02 (1) is April's. Hand-computed: phone 3, visit 1, meeting 1, total 5,
    // 2 projects; 2 visits, mean (4 + 5) / 2 = 4.5.
    const entries: [string, string, string][] = [
      [code, '2025-03-03', 'phone'],
      [code, '2025-03-10', 'phone'],
      [code, '2025-03-12', 'visit'],
      [code, '2025-03-20', 'meeting'],
      [other, '2025-03-05', 'phone'],
      [code, '2025-02-28', 'phone'],
      [other, '2025-04-01', 'visit'],
    ];
    for (const [project, date, contactType] of entries) {
      const r = await g.call(
        'POST',
        `/projects/${project}/service-log`,
        keys.secretary!,
        logEntry({ date, contactType }),
      );
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    for (const [stage, date, satisfaction] of [
      [1, '2025-03-25', 5],
      [2, '2025-04-02', 1],
    ] as const) {
      const r = await g.call('POST', `/projects/${other}/return-visits`, keys.secretary!, {
        stage,
        date,
        satisfaction,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }

    const march = await g.call('GET', '/reports/departments/monthly?month=2025-03', keys.operator!);
    expect(march.status).toBe(200);
    expect(march.body.service).toEqual({
      contacts: { phone: 3, visit: 1, meeting: 1, total: 5 },
      projectsContacted: 2,
      returnVisits: { count: 2, meanSatisfaction: 4.5 },
    });
    const april = await g.call('GET', '/reports/departments/monthly?month=2025-04', keys.leader!);
    expect(april.body.service).toEqual({
      contacts: { phone: 0, visit: 1, meeting: 0, total: 1 },
      projectsContacted: 1,
      returnVisits: { count: 1, meanSatisfaction: 1 },
    });
    const quiet = await g.call('GET', '/reports/departments/monthly?month=2024-12', keys.operator!);
    expect(quiet.body.service.returnVisits).toEqual({ count: 0, meanSatisfaction: null });
  });
});
