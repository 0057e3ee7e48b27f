import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDigestActivities } from '../../activities/digests';
import { ProblemType } from '../../api/http-problem';
import type { NotifySettings } from '../../config';
import { jsonb } from '../../db/schema';
import { createNotificationDispatcher } from '../../notify/dispatcher';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { type RobotReceiver, startRobotReceiver } from '../helpers/receivers';

/**
 * Operators' view of the notification outbox over HTTP (list by status, project and kind; retry a failed
 * delivery), and the digests' path through it: the digest activity against PostgreSQL writes one inbox
 * row per person and one outbox row per route, once however often it runs; the dispatcher sends the
 * digest to a loopback DingTalk robot like any escalation; the person reads it at GET /me/digests.
 *
 * Every row here belongs to this file's project, people and target names; the digest runs name their
 * people, and the dispatcher claims only this file's target, so other files on the database are untouched.
 */

let g: Greenlane;
const keys: Record<string, string> = {};
let secretary = '';
let leader = '';
let code = '';
let robot: RobotReceiver;
const ids: Record<'failed' | 'pending' | 'sent', number> = { failed: 0, pending: 0, sent: 0 };
const SECRET = 'SECtestsecret0123456789';

const midnightAfter = (date: string) => new Date(Date.parse(`${date}T00:00:00+08:00`) + 86_400_000);
const todayCst = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);

beforeAll(async () => {
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  const sec = await g.keyFor('secretary', { person: 'sec-ntf' });
  const lead = await g.keyFor('leader', { person: 'leader-ntf' });
  secretary = sec.personId!;
  leader = lead.personId!;
  keys.secretary = sec.key;
  keys.leader = lead.key;
  keys.operator = (await g.keyFor('operator')).key;
  keys.operatorPerson = (await g.keyFor('operator', { person: 'op-ntf' })).key;
  robot = await startRobotReceiver('dingtalk', { secret: SECRET });
  await g.db
    .updateTable('people')
    .set({ name: '王敏', mobile: '13900000002' })
    .where('id', '=', secretary)
    .execute();

  code = `NTF-${g.tag}`;
  await g.db
    .insertInto('projects')
    .values({
      code,
      name: '市第一人民医院新院区',
      category: 'government',
      template_id: 'gov-building',
      secretary,
      leader,
      target_start: null,
      stage: 1,
      status: 'active',
      overdue_items: 1,
      escalation_level: 2,
      revision: 1,
      snapshot: jsonb({}),
    })
    .execute();
  // One item overdue since 2025 (so the secretary's digest has something to say).
  await g.db
    .insertInto('project_items')
    .values({
      project_code: code,
      item_code: 'EIA',
      name_zh: '环境影响评价审批',
      department: 'HB',
      stage: 1,
      lane: 'parallel',
      status: 'accepted',
      planned_start: null,
      planned_finish: null,
      latest_start: null,
      submitted_at: new Date('2025-06-02T01:00:00Z'),
      accepted_at: new Date('2025-06-02T02:00:00Z'),
      due_at: midnightAfter('2025-06-20'),
      finished_at: null,
      working_days_used: null,
      rung: 2,
      revision: 1,
    })
    .execute();
  const escalation = `${code}/item/EIA/1/yellow`;
  await g.db
    .insertInto('escalations')
    .values({
      id: escalation,
      project_code: code,
      subject_kind: 'item',
      subject_id: 'EIA',
      rung: 'yellow',
      department: 'HB',
      recipients: jsonb(['departmentHead', 'secretary']),
      title: '【黄牌预警】环境影响评价审批 今日到期',
      body: 'b',
      fired_at: new Date('2025-06-20T08:00:00Z'),
    })
    .execute();
  for (const [status, channel] of [
    ['failed', 'wecom'],
    ['pending', 'feishu'],
    ['sent', 'email'],
  ] as const) {
    const row = await g.db
      .insertInto('notifications')
      .values({
        escalation_id: escalation,
        channel,
        target: `ops-${g.tag}`,
        message: jsonb({}),
        status,
        attempts: status === 'failed' ? 10 : 1,
        last_error: status === 'failed' ? 'HTTP 500: upstream unavailable' : null,
        sent_at: status === 'sent' ? new Date() : null,
        // Not due for a day: no dispatcher of another file ever claims it.
        next_attempt_at: new Date(Date.now() + 86_400_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids[status] = row.id;
  }
  await g.db
    .insertInto('notification_routes')
    .values({ owner_kind: 'person', owner_id: secretary, channel: 'dingtalk', target: `dt-${g.tag}` })
    .execute();
});
afterAll(async () => {
  await robot?.close();
  await g?.stop();
});

describe('notifications for operators', () => {
  it('lists deliveries by status and project; only operators may', async () => {
    const failed = await g.call('GET', `/notifications?status=failed&project=${code}`, keys.operator!);
    expect(failed.status).toBe(200);
    expect(failed.body.notifications).toEqual([
      expect.objectContaining({
        id: ids.failed,
        kind: 'escalation',
        escalationId: `${code}.item.EIA.1.yellow`,
        digestId: null,
        projectCode: code,
        channel: 'wecom',
        target: `ops-${g.tag}`,
        status: 'failed',
        attempts: 10,
        lastError: 'HTTP 500: upstream unavailable',
      }),
    ]);
    const all = await g.call('GET', `/notifications?project=${code}`, keys.operator!);
    expect(all.body.notifications.map((n: { id: number }) => n.id)).toEqual([
      ids.sent,
      ids.pending,
      ids.failed,
    ]);
    const page = await g.call('GET', `/notifications?project=${code}&limit=2`, keys.operator!);
    expect(page.body.notifications).toHaveLength(2);
    expect(page.body.nextBefore).toBe(ids.pending);
    const rest = await g.call('GET', `/notifications?project=${code}&before=${ids.pending}`, keys.operator!);
    expect(rest.body.notifications.map((n: { id: number }) => n.id)).toEqual([ids.failed]);

    for (const key of [keys.secretary!, keys.leader!]) {
      const refused = await g.call('GET', '/notifications?status=failed', key);
      expect(refused.status).toBe(403);
      expect(refused.body.type).toBe(ProblemType.forbidden);
    }
    expect((await g.call('GET', '/notifications', null)).status).toBe(401);
    const bad = await g.call('GET', '/notifications?status=lost', keys.operator!);
    expect(bad.status).toBe(422);
  });

  it('retries a failed delivery once, audited; refuses the others', async () => {
    const headers = { 'idempotency-key': `ntf-${g.tag}-retry` };
    const r = await g.call('POST', `/notifications/${ids.failed}/retry`, keys.operator!, undefined, headers);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.notification).toMatchObject({ id: ids.failed, status: 'pending', attempts: 0 });
    const replay = await g.call(
      'POST',
      `/notifications/${ids.failed}/retry`,
      keys.operator!,
      undefined,
      headers,
    );
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    const again = await g.call('POST', `/notifications/${ids.failed}/retry`, keys.operator!);
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/is pending; only a failed delivery is retried/);
    expect((await g.call('POST', `/notifications/${ids.sent}/retry`, keys.operator!)).status).toBe(409);
    expect((await g.call('POST', '/notifications/999999999/retry', keys.operator!)).status).toBe(404);
    expect((await g.call('POST', `/notifications/${ids.sent}/retry`, keys.secretary!)).status).toBe(403);

    const audit = await g.db
      .selectFrom('audit_log')
      .select(['project_code', 'subject', 'role'])
      .where('action', '=', 'notification.retry')
      .where('subject', '=', String(ids.failed))
      .execute();
    expect(audit).toEqual([{ project_code: code, subject: String(ids.failed), role: 'operator' }]);
  });
});

describe('digests through the inbox and the outbox', () => {
  it('writes one inbox row per person and one message per route, once however often the run repeats', async () => {
    const now = Date.now();
    const digests = createDigestActivities({ db: g.db, clock: () => now });
    const date = todayCst();
    const first = await digests.writeDigests({ kind: 'secretaries-morning', date, people: [secretary] });
    expect(first).toEqual({ people: 1, written: 1, notifications: 1, quiet: 0 });
    const again = await digests.writeDigests({ kind: 'secretaries-morning', date, people: [secretary] });
    expect(again).toEqual({ people: 1, written: 0, notifications: 0, quiet: 0 });
    const weekly = await digests.writeDigests({ kind: 'leaders-weekly', date, people: [leader] });
    expect(weekly).toEqual({ people: 1, written: 1, notifications: 0, quiet: 0 }); // the leader has no route

    const rows = await g.db
      .selectFrom('digests')
      .select(['id', 'person_id', 'title'])
      .where('person_id', 'in', [secretary, leader])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.id)).toEqual([
      `digest/leaders-weekly/${date}/${leader}`,
      `digest/secretaries-morning/${date}/${secretary}`,
    ]);

    // The dispatcher sends the digest like an escalation: a signed DingTalk markdown that pings the secretary.
    const targets = { dingtalk: { [`dt-${g.tag}`]: { url: robot.url, secret: SECRET } } };
    const settings: NotifySettings = {
      enabled: true,
      pollMs: 50,
      maxAttempts: 3,
      sendTimeoutMs: 3_000,
      backoffBaseMs: 1_000,
      backoffCapMs: 10_000,
      digestMax: 10,
      targets,
    };
    const dispatcher = createNotificationDispatcher({
      db: g.db,
      settings,
      publicUrl: 'https://greenlane.example.gov.cn',
      only: [`dingtalk:dt-${g.tag}`],
      log: { warn: () => {}, error: () => {} },
    });
    expect(await dispatcher.runOnce()).toMatchObject({ sent: 1, requests: 1 });
    const got = robot.delivered();
    expect(got).toHaveLength(1);
    expect(got[0]!.verified).toBe(true);
    const markdown = got[0]!.json.markdown;
    expect(markdown.title).toBe(rows[1]!.title);
    expect(markdown.title).toMatch(/^【每日督办】.* 王敏：超期 1 项 · 临期 0 项 · 问题 0 个$/);
    expect(markdown.text).toContain('【超期事项 1 项】');
    expect(markdown.text).toContain('- 环境影响评价审批（HB）：承诺时限 2025年6月20日（周五），已超期');
    expect(markdown.text).toContain(`/ui/projects/${code}`);
    expect(markdown.text).toContain('通知：王敏（项目秘书）');
    expect(got[0]!.json.at.atMobiles).toEqual(['13900000002']);

    // Operators see it among the deliveries, as a digest's.
    const listed = await g.call('GET', '/notifications?kind=digest&status=sent', keys.operator!);
    const mine = listed.body.notifications.filter((n: { digestId: string }) => n.digestId === rows[1]!.id);
    expect(mine).toEqual([
      expect.objectContaining({
        kind: 'digest',
        escalationId: null,
        projectCode: null,
        channel: 'dingtalk',
        status: 'sent',
        attempts: 1,
      }),
    ]);
  });

  it('each person reads their own digests at GET /me/digests', async () => {
    const mine = await g.call('GET', '/me/digests', keys.secretary!);
    expect(mine.status).toBe(200);
    expect(mine.body.digests).toHaveLength(1);
    expect(mine.body.digests[0]).toMatchObject({
      kind: 'secretaries-morning',
      date: todayCst(),
      quiet: false,
      content: { kind: 'secretaries-morning', person: { id: secretary, name: '王敏' } },
    });
    expect(mine.body.digests[0].body).toMatch(/^王敏，早上好！/);
    const theirs = await g.call('GET', '/me/digests?kind=leaders-weekly', keys.leader!);
    expect(theirs.body.digests.map((d: { kind: string }) => d.kind)).toEqual(['leaders-weekly']);
    expect(theirs.body.digests[0].body).toContain('黄灯项目 1 个');
    expect((await g.call('GET', '/me/digests?kind=leaders-weekly', keys.secretary!)).body.digests).toEqual(
      [],
    );
    expect((await g.call('GET', `/me/digests?before=${todayCst()}`, keys.secretary!)).body.digests).toEqual(
      [],
    );
    expect((await g.call('GET', '/me/digests', keys.operatorPerson!)).body.digests).toEqual([]);
    const nobody = await g.call('GET', '/me/digests', keys.operator!);
    expect(nobody.status).toBe(403);
  });
});
