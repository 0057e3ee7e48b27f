import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ProblemType } from '../../api/http-problem';
import { NotificationMessage } from '../../notify/message';
import { wecomPayload } from '../../notify/wecom';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';

/**
 * Urging a department (催办) over real HTTP: the secretary urges the department of an open item, the
 * urging is recorded and audited and its message waits in the outbox for the department's robot, a
 * second urging the same working day is refused with its own problem type, other roles get 403, an item
 * outside the plan 404, and the monthly report counts the urging against the department.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let code = '';
let item = '';
let department = '';
let waiting = '';

const monthNow = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);

async function urgingsOf(dept: string): Promise<number> {
  const r = await g.call('GET', `/reports/departments/monthly?month=${monthNow()}`, keys.operator!);
  expect(r.status).toBe(200);
  return r.body.departments.find((d: { department: string }) => d.department === dept)?.urgings ?? 0;
}

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  keys.secretary = (await g.keyFor('secretary', { person: 'sec-urge' })).key;
  const lead = await g.keyFor('leader', { person: 'leader-urge' });
  keys.leader = lead.key;
  keys.operator = (await g.keyFor('operator')).key;
  code = `URGE-${g.tag}`;
  const reg = await g.call('POST', '/projects', keys.secretary, {
    code,
    name: '催办测试项目',
    templateId: 'gov-building',
    leader: lead.personId,
  });
  expect(reg.status, JSON.stringify(reg.body)).toBe(201);
  const view = await g.call('GET', `/projects/${code}`, keys.secretary);
  const items = view.body.plan.items as { code: string; department: string }[];
  const status = (c: string) => view.body.items[c].status as string;
  const open = items.find((i) => status(i.code) === 'ready')!;
  item = open.code;
  department = open.department;
  waiting = items.find((i) => status(i.code) === 'waiting')!.code;
  // The department's handler and its group robot (never configured: the dispatcher fails it, unsent).
  const handler = await g.keyFor('department', { person: 'handler-urge', department });
  keys.department = handler.key;
  await g.db
    .insertInto('department_contacts')
    .values({ department, duty: 'handler', person_id: handler.personId! })
    .execute();
  await g.db
    .insertInto('notification_routes')
    .values({ owner_kind: 'department', owner_id: department, channel: 'wecom', target: `urge-${g.tag}` })
    .execute();
});
afterAll(async () => {
  await g?.stop();
});

describe('POST /projects/{code}/items/{item}/urgings', () => {
  it('urges the department once a working day, tells its robot, audits, and counts in the monthly report', async () => {
    const before = await urgingsOf(department);
    const note = '请尽快审查 [点此](http://evil.example/x) **加急**';
    const headers = { 'idempotency-key': `urge-${g.tag}-1` };
    const first = await g.call(
      'POST',
      `/projects/${code}/items/${item}/urgings`,
      keys.secretary!,
      { note },
      headers,
    );
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.urging).toMatchObject({ projectCode: code, item, department, note });
    expect(first.body.urging.id).toBe(`urging/${code}/${item}/${first.body.urging.workingDay}`);
    expect(first.body.messages).toBe(1);

    // The same request again is the same answer, not a second urging.
    const replay = await g.call(
      'POST',
      `/projects/${code}/items/${item}/urgings`,
      keys.secretary!,
      { note },
      headers,
    );
    expect([replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect(replay.body.urging.id).toBe(first.body.urging.id);

    // A new request the same working day is refused, with its own type.
    const again = await g.call('POST', `/projects/${code}/items/${item}/urgings`, keys.operator!, {});
    expect([again.status, again.body.type]).toEqual([409, ProblemType.alreadyUrged]);

    // The outbox holds one message for the department's robot; the robot's Markdown escapes the note.
    const rows = await g.db
      .selectFrom('notifications')
      .select(['channel', 'target', 'message', 'urging_id', 'escalation_id'])
      .where('urging_id', '=', first.body.urging.id)
      .execute();
    expect(rows.map((r) => [r.channel, r.target, r.escalation_id])).toEqual([
      ['wecom', `urge-${g.tag}`, first.body.urging.id],
    ]);
    const message = NotificationMessage.parse(rows[0]!.message);
    expect(message.body).toContain(note);
    expect(message.recipients.map((r) => r.roles)).toEqual([['handler']]);
    const markdown = JSON.stringify(wecomPayload([message], { publicUrl: 'https://greenlane.example' }));
    expect(markdown).not.toContain('[点此](http://evil.example/x)');
    expect(markdown).not.toContain('**加急**');

    // Operators see it among the deliveries, as an urging of the project.
    const deliveries = await g.call('GET', `/notifications?kind=urging&project=${code}`, keys.operator!);
    expect(
      deliveries.body.notifications.map((n: Record<string, unknown>) => [n.kind, n.urgingId, n.projectCode]),
    ).toEqual([['urging', first.body.urging.id, code]]);

    const list = await g.call('GET', `/projects/${code}/urgings`, keys.leader!);
    expect(list.body.urgings.map((u: { id: string }) => u.id)).toEqual([first.body.urging.id]);
    const audit = await g.call('GET', `/projects/${code}/audit`, keys.secretary!);
    expect(audit.body.entries.filter((e: { action: string }) => e.action === 'item.urge')).toHaveLength(1);
    expect(await urgingsOf(department)).toBe(before + 1);
  });

  it('is the secretary’s and operators’ to do: the leader and the department get 403', async () => {
    for (const who of ['leader', 'department']) {
      const r = await g.call('POST', `/projects/${code}/items/${item}/urgings`, keys[who]!, {});
      expect([who, r.status, r.body.type]).toEqual([who, 403, ProblemType.forbidden]);
    }
  });

  it('refuses an item outside the plan (404), one not yet open (409) and an unknown field (422)', async () => {
    const unknown = await g.call('POST', `/projects/${code}/items/NOT-IN-PLAN/urgings`, keys.secretary!, {});
    expect([unknown.status, unknown.body.type]).toEqual([404, ProblemType.notFound]);
    const early = await g.call('POST', `/projects/${code}/items/${waiting}/urgings`, keys.secretary!, {});
    expect([early.status, early.body.type]).toEqual([409, ProblemType.conflict]);
    const extra = await g.call('POST', `/projects/${code}/items/${item}/urgings`, keys.secretary!, {
      urgent: true,
    });
    expect([extra.status, extra.body.type]).toEqual([422, ProblemType.validation]);
    const none = await g.call('GET', `/projects/${code}/urgings`, keys.secretary!);
    expect(none.body.urgings).toHaveLength(1);
  });
});

describe('POST /projects/{code}/plan?dryRun=true', () => {
  it('previews a waiver with the workflow’s own amendment and changes nothing', async () => {
    const view = await g.call('GET', `/projects/${code}`, keys.secretary!);
    const items = view.body.plan.items as { code: string; prerequisites: string[] }[];
    const required = new Set(items.flatMap((i) => i.prerequisites));
    const leaf = items.find((i) => !required.has(i.code) && view.body.items[i.code].status === 'waiting')!;
    const body = { tailoring: { waive: [leaf.code] }, reason: '预览' };
    const preview = await g.call('POST', `/projects/${code}/plan?dryRun=true`, keys.secretary!, body);
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({ dryRun: true, removed: [leaf.code], added: [] });
    expect(preview.body.permitBefore).toBe(view.body.baseline.permitFinish);
    expect(preview.body.permitBefore).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(preview.body.shifted).toContainEqual(expect.objectContaining({ code: leaf.code, after: null }));
    const after = await g.call('GET', `/projects/${code}`, keys.secretary!);
    expect(after.body.plan.items).toHaveLength(items.length);
    expect(after.body.revision).toBe(view.body.revision);
    const leader = await g.call('POST', `/projects/${code}/plan?dryRun=true`, keys.leader!, body);
    expect(leader.status).toBe(403);
  });
});

describe('the project page’s forms', () => {
  const pageOf = async (key: string) => {
    const res = await fetch(`${g.url}/ui/projects/${code}`, { headers: { cookie: await g.uiCookie(key) } });
    return { status: res.status, text: await res.text() };
  };

  it('offers the secretary every form and the leader only the problem they may raise', async () => {
    const sec = await pageOf(keys.secretary!);
    expect(sec.status).toBe(200);
    for (const id of ['raise-form', 'urge-items', 'log-form', 'visit-form', 'amend-form'])
      expect(sec.text).toContain(`id="${id}"`);
    const lead = await pageOf(keys.leader!);
    expect(lead.status).toBe(200);
    expect(lead.text).toContain('id="raise-form"');
    for (const id of ['urge-items', 'log-form', 'amend-form']) expect(lead.text).not.toContain(`id="${id}"`);
  });

  it('refuses a form without the session’s token, and a leader’s urging in Chinese', async () => {
    const cookie = await g.uiCookie(keys.leader!);
    const post = (csrf: string) =>
      fetch(`${g.url}/ui/projects/${code}/urgings`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, origin: g.url, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, token: crypto.randomUUID(), item }).toString(),
      });
    expect((await post('forged')).status).toBe(403);
    const csrf = /name="csrf" value="([^"]+)"/.exec((await pageOf(keys.leader!)).text)![1]!;
    const refused = await post(csrf);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('您不是本项目的秘书，不能办理此事项。');
    const urgings = await g.call('GET', `/projects/${code}/urgings`, keys.secretary!);
    expect(urgings.body.urgings).toHaveLength(1);
  });
});
