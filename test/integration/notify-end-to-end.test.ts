import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProgressRecord } from '../../activities/contract';
import { createActivities } from '../../activities/index';
import type { NotifyTargets } from '../../config';
import { createDb } from '../../db/connect';
import type { DB, NewNotificationRoute, NewPerson } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import type { EscalationEvent } from '../../domain/project';
import { createNotificationDispatcher } from '../../notify/dispatcher';
import {
  type RobotReceiver,
  type SmtpReceiver,
  startRobotReceiver,
  startSmtpReceiver,
} from '../helpers/receivers';

/** Fast delivery settings for these tests: poll often, retry soon. */
const DELIVERY = {
  enabled: true,
  pollMs: 50,
  maxAttempts: 5,
  sendTimeoutMs: 5_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 60_000,
  digestMax: 10,
};

/**
 * From the workflow's write to the leader's phone: recordProgress (the real activity, real PostgreSQL)
 * stores a red card and a reminder with their outbox rows in one transaction, resolved from the
 * project's leader and secretary, the department's head and handler, and everyone's routes; the
 * dispatcher delivers them to loopback receivers. Calling recordProgress again adds nothing.
 */

const tag = randomBytes(3).toString('hex');
const code = `E2E-${tag}`;
const id = (name: string) => `${name}-${tag}`;
const PUBLIC_URL = 'https://greenlane.example.gov.cn';
let db: Kysely<DB>;
const robots: Record<string, RobotReceiver> = {};
let smtp: SmtpReceiver;

const people: NewPerson[] = [
  {
    id: id('lead'),
    name: '李建国',
    role: 'leader',
    mobile: '13800000001',
    email: 'li.jianguo@gov.example',
  },
  {
    id: id('sec'),
    name: '王敏',
    role: 'secretary',
    mobile: '13900000002',
    email: 'wang.min@gov.example',
    wecom_user_id: 'WangMin',
  },
  {
    id: id('head'),
    name: '赵卫东',
    role: 'department',
    department: 'ZJ',
    feishu_open_id: 'ou_zhao',
    mobile: '13700000003',
  },
  { id: id('hand'), name: '钱晓红', role: 'department', department: 'ZJ', mobile: '13600000004' },
];

const target = (name: string) => id(name);
const routes: NewNotificationRoute[] = [
  { owner_kind: 'person', owner_id: id('lead'), channel: 'dingtalk', target: target('leaders') },
  { owner_kind: 'person', owner_id: id('lead'), channel: 'email', target: target('mail') },
  { owner_kind: 'person', owner_id: id('sec'), channel: 'wecom', target: target('secretaries') },
  { owner_kind: 'person', owner_id: id('head'), channel: 'feishu', target: target('heads') },
  { owner_kind: 'department', owner_id: 'ZJ', channel: 'dingtalk', target: target('zj-group') },
  { owner_kind: 'project', owner_id: code, channel: 'webhook', target: target('oa') },
];

function escalations(): EscalationEvent[] {
  const base = {
    subjectKind: 'item' as const,
    department: 'ZJ',
    dueAt: '2027-03-04T16:00:00.000Z',
    firedAt: '2027-03-09T01:00:00.000Z',
  };
  return [
    {
      ...base,
      key: `${code}/item/SGXK/0/red`,
      subjectId: 'SGXK',
      rung: 'red',
      level: 3,
      notify: ['leader', 'departmentHead', 'secretary'],
      rungAt: '2027-03-08T16:00:00.000Z',
      points: 4,
      title: '【红牌督办】市第二人民医院新院区 · 建筑工程施工许可',
      body: `市第二人民医院新院区（${code}）的建筑工程施工许可承诺时限为 2027-03-04T16:00:00.000Z，已触发红牌督办，责任单位 ZJ，扣 4 分。`,
    },
    {
      ...base,
      key: `${code}/item/XFSJ/0/reminder`,
      subjectId: 'XFSJ',
      rung: 'reminder',
      level: 1,
      notify: ['handler', 'secretary'],
      rungAt: '2027-03-03T16:00:00.000Z',
      points: 0,
      title: '【到期提醒】市第二人民医院新院区 · 消防设计审查',
      body: `市第二人民医院新院区（${code}）的消防设计审查承诺时限为 2027-03-04T16:00:00.000Z，已触发到期提醒，责任单位 ZJ。`,
    },
  ];
}

/** A reminder that fires after the routes changed. */
function later(): EscalationEvent {
  const [, reminder] = escalations();
  return {
    ...reminder!,
    key: `${code}/item/TJGH/0/reminder`,
    subjectId: 'TJGH',
    title: '【到期提醒】市第二人民医院新院区 · 建设工程规划许可',
    body: `市第二人民医院新院区（${code}）的建设工程规划许可承诺时限为 2027-03-04T16:00:00.000Z，已触发到期提醒，责任单位 ZJ。`,
  };
}

function progress(events: EscalationEvent[]): ProgressRecord {
  return {
    project: {
      profile: {
        code,
        name: '市第二人民医院新院区',
        category: 'government',
        secretary: id('sec'),
        leader: id('lead'),
      },
      templateId: 'gov-building',
      registeredAt: '2027-01-04T02:00:00.000Z',
      revision: 7,
      summary: {
        stage: 3,
        openItems: [],
        overdueItems: ['SGXK'],
        blockedItems: [],
        escalationLevel: 3,
        done: false,
      },
      planItems: ['SGXK'],
      plannedDays: null,
      committedDays: 90,
    },
    items: [],
    problems: [],
    scores: {},
    escalations: events,
    syncedAt: '2027-03-09T01:00:00.000Z',
  };
}

beforeAll(async () => {
  db = createDb(inject('databaseUrl'));
  await seedReferenceData(db);
  await db.insertInto('people').values(people).execute();
  await db
    .insertInto('department_contacts')
    .values([
      { department: 'ZJ', duty: 'head', person_id: id('head') },
      { department: 'ZJ', duty: 'handler', person_id: id('hand') },
    ])
    .execute();
  await db.insertInto('notification_routes').values(routes).execute();
  robots.leaders = await startRobotReceiver('dingtalk', { secret: 'SECleaders0123456789' });
  robots.zj = await startRobotReceiver('dingtalk', { secret: 'SECzjgroup0123456789' });
  robots.secretaries = await startRobotReceiver('wecom');
  robots.heads = await startRobotReceiver('feishu', { secret: 'feishu-heads-secret' });
  robots.oa = await startRobotReceiver('webhook', { secret: 'oa-webhook-secret-0123456789' });
  smtp = await startSmtpReceiver();
});

afterAll(async () => {
  // The contacts are global to department ZJ: leave none behind for other files on this database.
  await db
    ?.deleteFrom('department_contacts')
    .where('person_id', 'in', [id('head'), id('hand')])
    .execute();
  for (const r of Object.values(robots)) await r.close();
  await smtp?.close();
  await db?.destroy();
});

const rowsOf = () =>
  db
    .selectFrom('notifications')
    .select(['escalation_id', 'channel', 'target', 'status', 'message'])
    .where('escalation_id', 'like', `${code}/%`)
    .orderBy(['escalation_id', 'channel', 'target'])
    .execute();

describe('an escalation from recordProgress to every channel', () => {
  it('writes the inbox and the outbox in one transaction, once', async () => {
    const activities = createActivities({ db });
    expect(await activities.recordProgress(progress(escalations()))).toEqual({ escalationsInserted: 2 });

    const inbox = await db.selectFrom('escalations').select('id').where('project_code', '=', code).execute();
    expect(inbox).toHaveLength(2);
    const rows = await rowsOf();
    const mentioned = (r: (typeof rows)[number]) =>
      (r.message as { recipients: { personId: string }[] }).recipients.map((x) =>
        x.personId.replace(`-${tag}`, ''),
      );
    expect(
      rows.map((r) => [
        r.escalation_id.split('/').at(-3),
        r.channel,
        r.target.replace(`-${tag}`, ''),
        mentioned(r),
      ]),
    ).toEqual([
      ['SGXK', 'dingtalk', 'leaders', ['lead']],
      ['SGXK', 'dingtalk', 'zj-group', ['head']],
      ['SGXK', 'email', 'mail', ['lead']],
      ['SGXK', 'feishu', 'heads', ['head']],
      ['SGXK', 'webhook', 'oa', ['lead', 'head', 'sec']],
      ['SGXK', 'wecom', 'secretaries', ['sec']],
      ['XFSJ', 'dingtalk', 'zj-group', ['hand']],
      ['XFSJ', 'webhook', 'oa', ['hand', 'sec']],
      ['XFSJ', 'wecom', 'secretaries', ['sec']],
    ]);
    expect(rows.every((r) => r.status === 'pending')).toBe(true);

    // A retried or replayed recordProgress adds nothing, even after the routes changed in between: the
    // secretary now also takes e-mail, yet the reminder already stored gets no e-mail row. Only an
    // escalation new in this call is routed, by the routes of now.
    await db
      .insertInto('notification_routes')
      .values({ owner_kind: 'person', owner_id: id('sec'), channel: 'email', target: target('mail') })
      .execute();
    expect(await activities.recordProgress(progress(escalations()))).toEqual({ escalationsInserted: 0 });
    expect(await rowsOf()).toHaveLength(9);
    expect(await activities.recordProgress(progress([...escalations(), later()]))).toEqual({
      escalationsInserted: 1,
    });
    const after = await rowsOf();
    expect(after).toHaveLength(13);
    expect(after.filter((r) => r.channel === 'email').map((r) => r.escalation_id.split('/').at(-3))).toEqual([
      'SGXK',
      'TJGH',
    ]);
  });

  it('delivers each row to its receiver; the leader gets exactly this', async () => {
    const targets: NotifyTargets = {
      dingtalk: {
        [target('leaders')]: { url: robots.leaders!.url, secret: 'SECleaders0123456789' },
        [target('zj-group')]: { url: robots.zj!.url, secret: 'SECzjgroup0123456789' },
      },
      wecom: { [target('secretaries')]: { url: robots.secretaries!.url } },
      feishu: { [target('heads')]: { url: robots.heads!.url, secret: 'feishu-heads-secret' } },
      webhook: { [target('oa')]: { url: robots.oa!.url, secret: 'oa-webhook-secret-0123456789' } },
      email: {
        [target('mail')]: {
          host: smtp.host,
          port: smtp.port,
          secure: false,
          requireTls: false,
          user: smtp.user,
          password: smtp.password,
          from: 'Greenlane 审批督办 <noreply@gov.example>',
          to: [],
        },
      },
    };
    const only = Object.entries(targets).flatMap(([channel, byName]) =>
      Object.keys(byName ?? {}).map((name) => `${channel}:${name}`),
    );
    const dispatcher = createNotificationDispatcher({
      db,
      settings: { ...DELIVERY, targets },
      publicUrl: PUBLIC_URL,
      only,
    });
    expect(await dispatcher.runOnce()).toEqual({ sent: 13, retried: 0, failed: 0, requests: 13 });
    expect((await rowsOf()).every((r) => r.status === 'sent')).toBe(true);

    expect(robots.leaders!.delivered()).toHaveLength(1);
    // The leader's own robot: an ActionCard whose first button is a link of the leader's own.
    const leader = robots.leaders!.received[0]!.json;
    const action: string = leader.actionCard?.btns?.[0]?.actionURL ?? '';
    expect(action).toMatch(new RegExp(`^${PUBLIC_URL}/l/[A-Za-z0-9_-]{43}$`));
    expect(leader).toEqual({
      msgtype: 'actionCard',
      actionCard: {
        title: '【红牌督办】市第二人民医院新院区 · 建筑工程施工许可',
        text: [
          '#### 【红牌督办】市第二人民医院新院区 · 建筑工程施工许可',
          `市第二人民医院新院区（${code}）的建筑工程施工许可承诺时限为 2027-03-04，已触发红牌督办，责任单位 ZJ，扣 4 分。`,
          '',
          `- 项目：市第二人民医院新院区（${code}）`,
          '- 责任单位：住房和城乡建设局（ZJ）',
          '- 承诺时限：2027-03-04',
          '- 触发时间：2027-03-09 09:00',
          '',
          '批示链接仅限本人使用，一次有效，72 小时内有效',
          '',
          'Greenlane 审批督办',
        ].join('\n'),
        btnOrientation: '1',
        btns: [
          { title: '批示', actionURL: action },
          { title: '查看项目', actionURL: `${PUBLIC_URL}/ui/projects/${code}` },
        ],
      },
    });
    // The e-mail to the leader alone carries a link of its own too.
    expect(smtp.mails[0]!.text).toMatch(new RegExp(`批示（[^）]*）：${PUBLIC_URL}/l/[A-Za-z0-9_-]{43}`));

    expect(smtp.mails.map((m) => [m.to, m.subject])).toEqual([
      [['li.jianguo@gov.example'], '【红牌督办】市第二人民医院新院区 · 建筑工程施工许可'],
      [['wang.min@gov.example'], '【到期提醒】市第二人民医院新院区 · 建设工程规划许可'],
    ]);

    // The department's group: the head on the red card, the handler on the reminder.
    const zj = robots.zj!.received.map((r) => r.json.at.atMobiles);
    expect(zj).toEqual([['13700000003'], ['13600000004'], ['13600000004']]);
    expect(robots.heads!.received[0]!.json.content.post.zh_cn.content.flat()).toContainEqual({
      tag: 'at',
      user_id: 'ou_zhao',
    });
    expect(robots.secretaries!.received.map((r) => r.json.markdown.content.includes('<@WangMin>'))).toEqual([
      true,
      true,
      true,
    ]);
    expect(robots.oa!.delivered()).toHaveLength(3);
    for (const r of Object.values(robots)) expect(r.received.every((x) => x.verified)).toBe(true);

    // Nothing is sent twice.
    expect(await dispatcher.runOnce()).toMatchObject({ requests: 0 });
  });
});

describe('a project named with Markdown', () => {
  it('reaches the DingTalk and WeCom robots as text, linking only to the programme', async () => {
    const evilCode = `E2X-${tag}`;
    const evilName = '[点此查看领导批示](http://evil.example/phish)';
    const lead = id('x-lead');
    const sec = id('x-sec');
    await db
      .insertInto('people')
      .values([
        { id: lead, name: '李建国', role: 'leader', mobile: '13800000001' },
        { id: sec, name: '王敏', role: 'secretary', wecom_user_id: 'WangMin' },
      ])
      .execute();
    await db
      .insertInto('notification_routes')
      .values([
        { owner_kind: 'person', owner_id: lead, channel: 'dingtalk', target: target('x-leaders') },
        { owner_kind: 'person', owner_id: sec, channel: 'wecom', target: target('x-secretaries') },
      ])
      .execute();
    const ding = await startRobotReceiver('dingtalk', { secret: 'SECxleaders0123456789' });
    const wecom = await startRobotReceiver('wecom');
    try {
      // As the workflow words it (domain/supervision.ts): the name in the title and the body.
      const [red] = escalations();
      const record = progress([
        {
          ...red!,
          key: `${evilCode}/item/SGXK/0/red`,
          notify: ['leader', 'secretary'],
          title: `【红牌督办】${evilName} · 建筑工程施工许可`,
          body: `${evilName}（${evilCode}）的建筑工程施工许可承诺时限为 2027-03-04T16:00:00.000Z，已触发红牌督办，责任单位 ZJ，扣 4 分。`,
        },
      ]);
      record.project.profile = {
        ...record.project.profile,
        code: evilCode,
        name: evilName,
        leader: lead,
        secretary: sec,
      };
      expect(await createActivities({ db }).recordProgress(record)).toEqual({ escalationsInserted: 1 });

      const dispatcher = createNotificationDispatcher({
        db,
        settings: {
          ...DELIVERY,
          targets: {
            dingtalk: { [target('x-leaders')]: { url: ding.url, secret: 'SECxleaders0123456789' } },
            wecom: { [target('x-secretaries')]: { url: wecom.url } },
          },
        },
        publicUrl: PUBLIC_URL,
        only: [`dingtalk:${target('x-leaders')}`, `wecom:${target('x-secretaries')}`],
      });
      expect(await dispatcher.runOnce()).toMatchObject({ sent: 2, failed: 0 });

      // The leader's own robot gets an ActionCard (notify/leader-links.ts); its links are the buttons'.
      const card = ding.delivered()[0]!.json.actionCard;
      const content: string = wecom.delivered()[0]!.json.markdown.content;
      const neutral = '［点此查看领导批示］(http：//evil.example/phish)';
      expect(card.title).toBe(`【红牌督办】${neutral} · 建筑工程施工许可`);
      const links = (text: string) => [...text.matchAll(/\]\(([^)]*)\)/g)].map((m) => m[1]);
      for (const text of [card.text as string, content]) {
        expect(text).toContain(neutral);
        expect(text).not.toContain('http://evil');
      }
      // The one link left in the markdown is the project's page under PUBLIC_URL; the card has none.
      expect(links(content)).toEqual([`${PUBLIC_URL}/ui/projects/${evilCode}`]);
      expect(links(card.text)).toEqual([]);
      expect(card.btns.map((b: { actionURL: string }) => b.actionURL)).toEqual([
        expect.stringMatching(new RegExp(`^${PUBLIC_URL}/l/[A-Za-z0-9_-]{43}$`)),
        `${PUBLIC_URL}/ui/projects/${evilCode}`,
      ]);
      expect(card.text).toContain(`#### 【红牌督办】${neutral} · 建筑工程施工许可\n`);
      expect(content).toContain(
        `### <font color="warning">【红牌督办】${neutral} · 建筑工程施工许可</font>\n`,
      );
      expect(content).toContain('<@WangMin>');
      expect([...ding.received, ...wecom.received].every((r) => r.verified)).toBe(true);
    } finally {
      await ding.close();
      await wecom.close();
    }
  });
});
