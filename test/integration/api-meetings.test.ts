import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { jsonb } from '../../db/schema';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * Coordination meetings over real HTTP, the real worker, Temporal and PostgreSQL: the agenda drafted from
 * the record, the minutes' decisions landing in the project's workflow (a problem given an owner and a
 * deadline, a leader's instruction on a red card) and the next meeting opening with them and whether each
 * was kept. A red card takes a working day to fire, so the item's rung and its card are seeded in the read
 * model, as the escalation tests do; everything else happens through the API.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
const people: Record<string, string> = {};
let P = '';
let problemId = '';
const CARD = () => `${P}/item/PROPOSAL/1/red`;

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  for (const [name, role] of [
    ['sec', 'secretary'],
    ['lead', 'leader'],
  ] as const) {
    const k = await g.keyFor(role, { person: `mt-${name}` });
    keys[name] = k.key;
    people[name] = k.personId!;
  }
  keys.operator = (await g.keyFor('operator')).key;
  keys.FGW = (await g.keyFor('department', { department: 'FGW' })).key;
  keys.ZRZY = (await g.keyFor('department', { department: 'ZRZY' })).key;

  P = `MT-${g.tag}`;
  const reg = await g.call('POST', '/projects', keys.sec!, {
    code: P,
    name: '城北污水处理厂',
    templateId: 'gov-building',
    leader: people.lead,
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  const raised = await g.call('POST', `/projects/${P}/problems`, keys.sec!, {
    title: '进场道路未贯通',
    description: '施工便道需跨越农田，权属未明',
  });
  expect(raised.status, JSON.stringify(raised.body)).toBe(201);
  problemId = raised.body.problem.id;
  const item = `/projects/${P}/items/PROPOSAL/decisions`;
  expect((await g.call('POST', item, keys.sec!, { action: 'submit' })).status).toBe(200);
  const accepted = await g.call('POST', item, keys.FGW!, { action: 'accept' });
  expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
  await until(
    () =>
      g.db
        .selectFrom('project_items')
        .select('status')
        .where('project_code', '=', P)
        .where('item_code', '=', 'PROPOSAL')
        .executeTakeFirst(),
    (r) => r?.status === 'accepted',
    'the acceptance in the read model',
  );
  // Three days past its limit, on a red card nobody has answered.
  const due = new Date(Date.now() - 3 * 86_400_000);
  await g.db
    .updateTable('project_items')
    .set({ rung: 3, due_at: due })
    .where('project_code', '=', P)
    .where('item_code', '=', 'PROPOSAL')
    .execute();
  await g.db
    .insertInto('escalations')
    .values({
      id: CARD(),
      project_code: P,
      subject_kind: 'item',
      subject_id: 'PROPOSAL',
      rung: 'red',
      department: 'FGW',
      recipients: jsonb(['leader', 'departmentHead', 'secretary']),
      title: '红牌督办',
      body: '项目建议书审批超期',
      due_at: due,
      fired_at: new Date(),
      acknowledged_at: null,
      acknowledged_by: null,
      instruction: null,
    })
    .execute();
});
afterAll(async () => {
  await g?.stop();
});

type Line = {
  no: number;
  kind: string;
  itemCode: string | null;
  problemId: string | null;
  summaryZh: string;
};
const special = (heldOn: string, attendees: string[] = []) =>
  g.call('POST', '/meetings', keys.sec!, { kind: 'special', heldOn, projectCode: P, attendees });

describe('coordination meetings', () => {
  let first: { id: number; agenda: Line[] };

  it('drafts the agenda from the record and notifies the attendees', async () => {
    const res = await special('2026-12-07', [people.lead!]);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    first = res.body;
    expect(res.body.title).toBe('专题协调会（城北污水处理厂） 2026-12-07');
    expect(first.agenda.map((l) => [l.kind, l.itemCode ?? l.problemId])).toEqual([
      ['red-item', 'PROPOSAL'],
      ['problem-unowned', problemId],
    ]);
    expect(first.agenda[0]!.summaryZh).toMatch(
      /^城北污水处理厂 · .+红牌：时限 \d{4}-\d{2}-\d{2}，超期 \d+ 个工作日$/,
    );
    expect(first.agenda[1]!.summaryZh).toContain('「进场道路未贯通」：尚无责任单位');
    expect(res.body.notified).toEqual({ notices: 1, messages: 0 });
    const inbox = await g.call('GET', '/me/digests?kind=meeting-notice', keys.lead!);
    expect(inbox.status, JSON.stringify(inbox.body)).toBe(200);
    expect(inbox.body.digests.map((d: { id: string; title: string }) => [d.id, d.title])).toEqual([
      [`meeting/${first.id}/${people.lead}`, `会议通知：${res.body.title}`],
    ]);
  });

  it('lands each decision in the project, keeps a refused one with its reason, and is minuted once', async () => {
    const minutes = {
      notes: '会议研究了进场道路和项目建议书审批问题',
      decisions: [
        {
          kind: 'assign-problem',
          line: 2,
          ownerDepartment: 'ZRZY',
          deadline: '2099-12-31',
          solution: '自然资源局牵头核定便道用地权属',
        },
        { kind: 'instruction', line: 1, instruction: '发改委三日内办结，逾期约谈' },
        { kind: 'agree-date', line: 1, date: '2026-12-01', note: '发改委承诺' },
        { kind: 'assign-problem', line: 1, ownerDepartment: 'FGW', deadline: '2099-12-31', solution: '无' },
      ],
    };
    // A secretary may not give the leader's instruction: only that decision fails.
    const res = await g.call('POST', `/meetings/${first.id}/minutes`, keys.operator!, minutes);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.decisions.map((d: { state: string }) => d.state)).toEqual([
      'applied',
      'applied',
      'recorded',
      'failed',
    ]);
    expect(res.body.decisions[3].outcome.detail).toBe('agenda line 1 is not about a problem: name problemId');

    // In the workflow: the problem has its owner, solution and deadline; the card its instruction.
    const live = await g.call('GET', `/projects/${P}`, keys.operator!);
    const problem = live.body.problems[problemId];
    expect([problem.ownerDepartment, problem.solution, problem.deadlineDate]).toEqual([
      'ZRZY',
      '自然资源局牵头核定便道用地权属',
      '2099-12-31',
    ]);
    const card = await g.db
      .selectFrom('escalations')
      .select(['instruction', 'acknowledged_by'])
      .where('id', '=', CARD())
      .executeTakeFirstOrThrow();
    expect(card).toEqual({ instruction: '发改委三日内办结，逾期约谈', acknowledged_by: people.lead });

    const again = await g.call('POST', `/meetings/${first.id}/minutes`, keys.operator!, minutes);
    expect([again.status, again.body.type]).toEqual([409, ProblemType.conflict]);
  });

  it('opens the next meeting with the last decisions and whether each was kept', async () => {
    const resolved = await g.call('POST', `/projects/${P}/problems/${problemId}/actions`, keys.ZRZY!, {
      action: 'resolve',
      resolution: '权属已核定，便道开工',
    });
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    const read = await until(
      () => g.call('GET', `/meetings/${first.id}`, keys.lead!),
      (r) => r.body.decisions?.[0]?.kept === true,
      'the resolution in the read model',
    );
    expect(read.body.decisions.map((d: { keptZh: string }) => d.keptZh)).toEqual([
      '已落实',
      '推进中',
      '逾期未落实',
      '未能落实（被拒绝）',
    ]);

    const next = await special('2026-12-14');
    expect(next.status, JSON.stringify(next.body)).toBe(201);
    const carried = next.body.agenda.filter((l: Line) => l.kind === 'carried');
    expect(carried.map((l: Line) => l.summaryZh)).toEqual([
      `上次会议决定 1：${P} 问题 ${problemId} 交 ZRZY 于 2099-12-31 前解决：自然资源局牵头核定便道用地权属（已落实）`,
      `上次会议决定 2：${P} PROPOSAL 领导批示：发改委三日内办结，逾期约谈（推进中）`,
      `上次会议决定 3：${P} PROPOSAL 部门承诺 2026-12-01 前办结（发改委承诺）（逾期未落实）`,
      `上次会议决定 4：${P} PROPOSAL 交 FGW 于 2099-12-31 前解决：无（未能落实（被拒绝））`,
    ]);
    expect(next.body.previousId).toBe(first.id);
    // The problem is solved: it is no longer on the agenda.
    expect(next.body.agenda.some((l: Line) => l.problemId === problemId && l.kind !== 'carried')).toBe(false);
  });

  it('refuses what the rules do not allow, with clear problems', async () => {
    const weekly = await g.call('POST', '/meetings', keys.sec!, { kind: 'weekly', heldOn: '2026-12-07' });
    expect([weekly.status, weekly.body.type]).toEqual([403, ProblemType.forbidden]);
    const stranger = await special('2026-12-07', ['nobody-here']);
    expect([stranger.status, stranger.body.type]).toEqual([422, ProblemType.validation]);
    const noProject = await g.call('POST', '/meetings', keys.operator!, {
      kind: 'special',
      heldOn: '2026-12-07',
    });
    expect([noProject.status, noProject.body.type]).toEqual([422, ProblemType.validation]);
    const dept = await g.call('GET', `/meetings/${first.id}`, keys.FGW!);
    expect([dept.status, dept.body.type]).toEqual([403, ProblemType.forbidden]);
  });
});
