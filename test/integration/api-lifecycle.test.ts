import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { until } from '../helpers/until';

/**
 * A project's lifecycle over real HTTP with a real worker, Temporal dev server and PostgreSQL: the
 * responsible leader suspends the project (缓建), an operator resumes it, then cancels it (撤销); the
 * ledger, the queue, the board and the audit trail follow. Closing is refused before the completion
 * acceptance. The working-day arithmetic of suspension is pinned in test/domain/lifecycle.test.ts.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let leader = '';

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  keys.secretary = (await g.keyFor('secretary', { person: 'sec-lc' })).key;
  const lead = await g.keyFor('leader', { person: 'leader-lc' });
  keys.leader = lead.key;
  leader = lead.personId!;
  keys.otherLeader = (await g.keyFor('leader', { person: 'leader-lc-other' })).key;
  keys.operator = (await g.keyFor('operator')).key;
  keys.FGW = (await g.keyFor('department', { department: 'FGW' })).key;
});
afterAll(async () => {
  await g?.stop();
});

async function register(code: string) {
  const reg = await g.call('POST', '/projects', keys.secretary!, {
    code,
    name: '城市会展中心',
    templateId: 'gov-building',
    leader,
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  for (const [key, body] of [
    [keys.secretary!, { action: 'submit' }],
    [keys.FGW!, { action: 'accept' }],
  ] as const) {
    const r = await g.call('POST', `/projects/${code}/items/PROPOSAL/decisions`, key, body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
}

const lifecycle = (code: string, key: string, body: unknown) =>
  g.call('POST', `/projects/${code}/lifecycle`, key, body);
const projectRow = (code: string) =>
  g.db.selectFrom('projects').select(['status']).where('code', '=', code).executeTakeFirst();

describe('POST /projects/{code}/lifecycle', () => {
  const code = () => `LC-${g.tag}`;
  beforeAll(async () => {
    await register(code());
  });

  it('lets the responsible leader suspend: clocks stop, decisions wait, the board lists it apart', async () => {
    expect(
      (await lifecycle(code(), keys.secretary!, { action: 'suspend', reason: '资金未落实' })).status,
    ).toBe(403);
    expect(
      (await lifecycle(code(), keys.otherLeader!, { action: 'suspend', reason: '资金未落实' })).status,
    ).toBe(403);
    const noReason = await lifecycle(code(), keys.leader!, { action: 'suspend' });
    expect([noReason.status, noReason.body.type]).toEqual([422, ProblemType.validation]);

    const res = await lifecycle(code(), keys.leader!, {
      action: 'suspend',
      reason: '资金未落实，业主申请缓建',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ phase: 'suspended', movedItems: ['PROPOSAL'] });
    const live = (await g.call('GET', `/projects/${code()}`, keys.secretary!)).body;
    expect(live.lifecycle.phase).toBe('suspended');
    expect(live.items.PROPOSAL.dueAt).toBeNull();
    expect(live.nextEscalationAt).toBeNull();

    const decision = await g.call('POST', `/projects/${code()}/items/PROPOSAL/decisions`, keys.FGW!, {
      action: 'approve',
      documentNo: '发改〔2026〕9号',
    });
    expect(decision.status).toBe(409);
    expect(decision.body.detail).toContain('is suspended (缓建)');
    const again = await lifecycle(code(), keys.leader!, { action: 'suspend', reason: '再次' });
    expect(again.status).toBe(409);

    await until(
      () => projectRow(code()),
      (r) => r?.status === 'suspended',
      'the read model to say suspended',
    );
    const board = await fetch(`${g.url}/ui`, { headers: { cookie: await g.uiCookie(keys.operator!) } });
    const html = await board.text();
    expect(html).toContain(`<tr data-project="${code()}" data-status="suspended">`);
    expect(html).toContain('缓建');
  });

  it('lets an operator resume, then cancel: the run ends, the ledger keeps the project with items withdrawn', async () => {
    const resumed = await lifecycle(code(), keys.operator!, { action: 'resume' });
    expect([resumed.status, resumed.body.phase]).toEqual([200, 'active']);
    const live = (await g.call('GET', `/projects/${code()}`, keys.secretary!)).body;
    expect(live.items.PROPOSAL.dueDate).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/));

    const cancelled = await lifecycle(code(), keys.operator!, {
      action: 'cancel',
      reason: '规划调整，项目取消建设',
    });
    expect([cancelled.status, cancelled.body.phase]).toEqual([200, 'cancelled']);
    const decision = await g.call('POST', `/projects/${code()}/items/PROPOSAL/decisions`, keys.FGW!, {
      action: 'approve',
      documentNo: '发改〔2026〕9号',
    });
    expect([decision.status, decision.body.type]).toEqual([409, ProblemType.projectClosed]);

    await until(
      () => projectRow(code()),
      (r) => r?.status === 'cancelled',
      'the read model to say cancelled',
    );
    const ledger = (await g.call('GET', `/reports/projects/${code()}/ledger`, keys.operator!)).body;
    const proposal = ledger.items.find((i: { itemCode: string }) => i.itemCode === 'PROPOSAL');
    expect(proposal.status).toBe('withdrawn');
    const queue = (await g.call('GET', '/departments/FGW/queue', keys.FGW!)).body;
    expect(queue.items.some((i: { projectCode: string }) => i.projectCode === code())).toBe(false);
    const audit = (await g.call('GET', `/projects/${code()}/audit`, keys.operator!)).body.entries;
    expect(
      audit.map((e: { action: string }) => e.action).filter((a: string) => a.startsWith('project.')),
    ).toEqual(['project.register', 'project.suspend', 'project.resume', 'project.cancel']);
  });

  it('refuses to close a project before its completion acceptance', async () => {
    const other = `LC-C-${g.tag}`;
    await register(other);
    const res = await lifecycle(other, keys.operator!, { action: 'close' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('once its completion acceptance (JOINT-ACCEPTANCE) is done');
    const unknown = await lifecycle(other, keys.operator!, { action: 'archive' });
    expect(unknown.status).toBe(422);
  });
});
