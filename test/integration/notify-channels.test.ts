import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import type { ProgressRecord } from '../../activities/contract';
import { createActivities } from '../../activities/index';
import type { NotifySettings, NotifyTargets } from '../../config';
import { createDb } from '../../db/connect';
import { listNotifications, retryFailedNotification } from '../../db/notification-views';
import type { DB, NotificationChannel } from '../../db/schema';
import { seedReferenceData } from '../../db/seed';
import type { EscalationEvent } from '../../domain/project';
import { createNotificationDispatcher, type DispatcherDeps } from '../../notify/dispatcher';
import { claimDue } from '../../notify/outbox';
import { WINDOW_MARGIN } from '../../notify/pacing';
import {
  manualClock,
  type RobotKind,
  type RobotReceiver,
  startRobotReceiver,
  startSmtpReceiver,
} from '../helpers/receivers';

/**
 * Each channel against a loopback receiver that checks requests as the real service does, through the
 * real path: recordProgress writes escalations and their outbox rows, the dispatcher claims and sends
 * them. The dispatcher and the receivers share a clock the tests move, so backoff and rate windows are
 * tested without waiting. Every test has its own people, project and target names, and its dispatcher
 * claims only its own targets, so tests (and other files on this database) never see each other's rows.
 */

const tag = randomBytes(3).toString('hex');
let db: Kysely<DB>;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = createDb(inject('databaseUrl'));
  await seedReferenceData(db);
});
// Target names are new in every test: rate windows and leftover rows stay with the test that made them.
let testNo = 0;
beforeEach(() => {
  testNo++;
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  await db?.destroy();
});

let casts = 0;
/** A project with its own leader and secretary, reachable on the given channels. */
async function cast(
  routes: { channel: NotificationChannel; target: string; who?: 'leader' | 'secretary' }[],
) {
  const n = ++casts;
  const leader = `lead-${n}-${tag}`;
  const secretary = `sec-${n}-${tag}`;
  const code = `NT-${n}-${tag}`;
  await db
    .insertInto('people')
    .values([
      {
        id: leader,
        name: '李建国',
        role: 'leader',
        mobile: '13800000001',
        email: `li-${n}@gov.example`,
        dingtalk_user_id: 'dt-li',
        wecom_user_id: 'LiJianGuo',
        feishu_open_id: 'ou_li',
      },
      {
        id: secretary,
        name: '王敏',
        role: 'secretary',
        mobile: '13900000002',
        email: `wang-${n}@gov.example`,
        wecom_user_id: 'WangMin',
        feishu_open_id: 'ou_wang',
      },
    ])
    .execute();
  await db
    .insertInto('notification_routes')
    .values(
      routes.flatMap((r) =>
        (r.who ? [r.who] : (['leader', 'secretary'] as const)).map((who) => ({
          owner_kind: 'person' as const,
          owner_id: who === 'leader' ? leader : secretary,
          channel: r.channel,
          target: r.target,
        })),
      ),
    )
    .execute();
  const activities = createActivities({ db });
  let fired = 0;
  return {
    code,
    leader,
    secretary,
    /** recordProgress with `count` new red cards for this project. */
    async fire(count = 1): Promise<string[]> {
      const events = Array.from({ length: count }, () => escalation(code, ++fired));
      const result = await activities.recordProgress(progress(code, leader, secretary, events));
      expect(result.escalationsInserted).toBe(count);
      return events.map((e) => e.key);
    },
    rows: () =>
      db
        .selectFrom('notifications as n')
        .innerJoin('escalations as e', 'e.id', 'n.escalation_id')
        .selectAll('n')
        .where('e.project_code', '=', code)
        .orderBy('n.id')
        .execute(),
  };
}

function escalation(code: string, i: number): EscalationEvent {
  return {
    key: `${code}/item/I${i}/0/red`,
    subjectKind: 'item',
    subjectId: `I${i}`,
    rung: 'red',
    level: 3,
    department: `D${tag}`,
    notify: ['leader', 'secretary'],
    dueAt: '2027-03-04T16:00:00.000Z',
    rungAt: '2027-03-08T16:00:00.000Z',
    firedAt: '2027-03-09T01:00:00.000Z',
    points: 2,
    title: `【红牌督办】智能装备产业园一期 · 事项${i}`,
    body: `智能装备产业园一期（${code}）的事项${i}承诺时限为 2027-03-04T16:00:00.000Z，已触发红牌督办。`,
  };
}

function progress(
  code: string,
  leader: string,
  secretary: string,
  escalations: EscalationEvent[],
): ProgressRecord {
  const at = new Date().toISOString();
  return {
    project: {
      profile: { code, name: '智能装备产业园一期', category: 'social', secretary, leader },
      templateId: 'test',
      registeredAt: at,
      revision: 1,
      summary: {
        stage: 1,
        openItems: [],
        overdueItems: [],
        blockedItems: [],
        escalationLevel: 3,
        done: false,
      },
      planItems: ['ENTERPRISE-FILING'],
      plannedDays: null,
      committedDays: 120,
    },
    items: [],
    problems: [],
    scores: {},
    escalations,
    syncedAt: at,
  };
}

const BASE_MS = 1_000;
function settings(targets: NotifyTargets, over: Partial<NotifySettings> = {}): NotifySettings {
  return {
    enabled: true,
    pollMs: 50,
    maxAttempts: 5,
    sendTimeoutMs: 3_000,
    backoffBaseMs: BASE_MS,
    backoffCapMs: 60_000,
    digestMax: 10,
    targets,
    ...over,
  };
}

/** A dispatcher on the test's clock that claims only the targets it is configured with. */
function dispatcher(s: NotifySettings, clock: { now: () => number }, over: Partial<DispatcherDeps> = {}) {
  const only = Object.entries(s.targets).flatMap(([channel, byName]) =>
    Object.keys(byName ?? {}).map((name) => `${channel}:${name}`),
  );
  const d = createNotificationDispatcher({
    db,
    settings: s,
    publicUrl: 'https://greenlane.example.gov.cn',
    clock: clock.now,
    random: () => 0.5,
    log: { warn: () => {}, error: () => {} },
    only,
    ...over,
  });
  closers.push(() => d.stop());
  return d;
}

async function receiver(kind: RobotKind, clock: { now: () => number }, secret?: string) {
  const r = await startRobotReceiver(kind, { clock: clock.now, ...(secret ? { secret } : {}) });
  closers.push(() => r.close());
  return r;
}

function targetFor(kind: RobotKind, r: RobotReceiver, secret?: string): NotifyTargets {
  if (kind === 'wecom') return { wecom: { [nameFor(kind)]: { url: r.url } } };
  if (kind === 'webhook') return { webhook: { [nameFor(kind)]: { url: r.url, secret: secret! } } };
  return { [kind]: { [nameFor(kind)]: { url: r.url, ...(secret ? { secret } : {}) } } };
}
const nameFor = (kind: RobotKind | 'email') => `${kind}-${testNo}-${tag}`;
const secretFor: Record<RobotKind, string | undefined> = {
  dingtalk: 'SECtestsecret0123456789',
  wecom: undefined,
  feishu: 'feishu-test-secret',
  webhook: 'webhook-secret-0123456789abcdef',
};

describe('DingTalk', () => {
  it('sends signed markdown that pings by mobile, once', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('dingtalk', clock, secretFor.dingtalk);
    const p = await cast([{ channel: 'dingtalk', target: nameFor('dingtalk') }]);
    const [key] = await p.fire();
    const d = dispatcher(settings(targetFor('dingtalk', robot, secretFor.dingtalk)), clock);

    expect(await d.runOnce()).toMatchObject({ sent: 1, requests: 1 });
    expect(robot.delivered()).toHaveLength(1);
    const got = robot.received[0]!;
    expect(got.verified).toBe(true);
    expect(got.query.get('timestamp')).toBe(String(clock.now()));
    expect(got.json.msgtype).toBe('markdown');
    expect(got.json.markdown.title).toBe('【红牌督办】智能装备产业园一期 · 事项1');
    expect(got.json.at).toEqual({ atMobiles: ['13800000001', '13900000002'], atUserIds: [], isAtAll: false });
    expect(got.json.markdown.text).toContain('@13800000001 @13900000002');
    expect(got.json.markdown.text).toContain(
      `[查看项目](https://greenlane.example.gov.cn/ui/projects/${p.code})`,
    );

    const [row] = await p.rows();
    expect(row).toMatchObject({ escalation_id: key, status: 'sent', attempts: 1, last_error: null });
    expect(row!.response).toEqual({ errcode: 0, errmsg: 'ok' });
    // Sent is final: later passes, even much later, send nothing more.
    clock.advance(3_600_000);
    expect(await d.runOnce()).toMatchObject({ requests: 0 });
    expect(robot.received).toHaveLength(1);
  });

  it('is refused by the receiver when signed with the wrong secret (the check is real)', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('dingtalk', clock, secretFor.dingtalk);
    const p = await cast([{ channel: 'dingtalk', target: nameFor('dingtalk') }]);
    await p.fire();
    const wrong = { dingtalk: { [nameFor('dingtalk')]: { url: robot.url, secret: 'SECnotthesecret' } } };
    await dispatcher(settings(wrong), clock).runOnce();
    expect(robot.received[0]!.verified).toBe(false);
    const [row] = await p.rows();
    expect(row).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: 'DingTalk errcode 310000: sign not match',
    });
  });
});

describe('WeCom, Feishu and the webhook', () => {
  it('WeCom: markdown with <@userid> mentions and the link', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('wecom', clock);
    const p = await cast([{ channel: 'wecom', target: nameFor('wecom') }]);
    await p.fire();
    await dispatcher(settings(targetFor('wecom', robot)), clock).runOnce();
    expect(robot.delivered()).toHaveLength(1);
    const content: string = robot.received[0]!.json.markdown.content;
    expect(content).toContain('<@LiJianGuo> <@WangMin>');
    expect(content).toContain(`(https://greenlane.example.gov.cn/ui/projects/${p.code})`);
    expect(content).toContain('【红牌督办】智能装备产业园一期 · 事项1');
  });

  it('Feishu: a signed post (seconds, in the body) with at elements', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('feishu', clock, secretFor.feishu);
    const p = await cast([{ channel: 'feishu', target: nameFor('feishu') }]);
    await p.fire();
    await dispatcher(settings(targetFor('feishu', robot, secretFor.feishu)), clock).runOnce();
    expect(robot.delivered()).toHaveLength(1);
    const body = robot.received[0]!.json;
    expect(body.timestamp).toBe(String(Math.floor(clock.now() / 1000)));
    expect(robot.received[0]!.query.get('sign')).toBeNull();
    expect(body.msg_type).toBe('post');
    const elements = body.content.post.zh_cn.content.flat();
    expect(elements).toContainEqual({ tag: 'at', user_id: 'ou_li' });
    expect(elements).toContainEqual({ tag: 'at', user_id: 'ou_wang' });
    expect(elements).toContainEqual({
      tag: 'a',
      text: '查看项目',
      href: `https://greenlane.example.gov.cn/ui/projects/${p.code}`,
    });
  });

  it('webhook: JSON signed over the raw body, with a stable delivery id', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const hook = await receiver('webhook', clock, secretFor.webhook);
    const p = await cast([{ channel: 'webhook', target: nameFor('webhook'), who: 'leader' }]);
    const [key] = await p.fire();
    await dispatcher(settings(targetFor('webhook', hook, secretFor.webhook)), clock).runOnce();
    expect(hook.delivered()).toHaveLength(1);
    const got = hook.received[0]!;
    const [row] = await p.rows();
    expect(got.headers['x-greenlane-delivery']).toBe(String(row!.id));
    expect(got.json.escalations).toEqual([
      expect.objectContaining({
        notificationId: row!.id,
        key,
        projectCode: p.code,
        link: `https://greenlane.example.gov.cn/ui/projects/${p.code}`,
        recipients: [{ personId: p.leader, name: '李建国', roles: ['leader'] }],
      }),
    ]);
  });
});

describe('retries', () => {
  for (const kind of ['dingtalk', 'wecom', 'feishu', 'webhook'] as const) {
    for (const failure of ['http500', 'providerError'] as const) {
      it(`${kind}: retried after ${failure === 'http500' ? 'an HTTP 500' : 'an error answer'}, never sent again once answered`, async () => {
        const clock = manualClock(Date.now() + 5_000);
        const robot = await receiver(kind, clock, secretFor[kind]);
        const p = await cast([{ channel: kind, target: nameFor(kind), who: 'leader' }]);
        await p.fire();
        const d = dispatcher(settings(targetFor(kind, robot, secretFor[kind])), clock);
        robot.failNext(failure);

        expect(await d.runOnce()).toMatchObject({ sent: 0, retried: 1 });
        let [row] = await p.rows();
        expect(row).toMatchObject({ status: 'pending', attempts: 1 });
        expect(row!.last_error).toMatch(
          failure === 'http500' ? /^HTTP 500/ : /errcode -?\d+|code 19024|HTTP 503/,
        );
        // Backoff with jitter (random() = 0.5 here): three quarters of the base delay.
        expect(row!.next_attempt_at.getTime()).toBe(clock.now() + 0.75 * BASE_MS);

        expect(await d.runOnce()).toMatchObject({ requests: 0 }); // not due yet
        clock.advance(BASE_MS);
        expect(await d.runOnce()).toMatchObject({ sent: 1 });
        [row] = await p.rows();
        expect(row).toMatchObject({ status: 'sent', attempts: 2, last_error: null });

        clock.advance(3_600_000);
        await d.runOnce();
        expect(robot.received).toHaveLength(2);
        expect(robot.delivered()).toHaveLength(1);
      });
    }
  }

  it('e-mail over SMTP: AUTH, Chinese subject and text, retried after a 451', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const smtp = await startSmtpReceiver({ clock: clock.now });
    closers.push(() => smtp.close());
    const p = await cast([{ channel: 'email', target: nameFor('email') }]);
    await p.fire();
    const targets: NotifyTargets = {
      email: {
        [nameFor('email')]: {
          host: smtp.host,
          port: smtp.port,
          secure: false,
          requireTls: false,
          user: smtp.user,
          password: smtp.password,
          from: 'Greenlane 审批督办 <noreply@gov.example>',
          to: ['duty-office@gov.example'],
        },
      },
    };
    const d = dispatcher(settings(targets), clock);
    smtp.failNext();
    expect(await d.runOnce()).toMatchObject({ retried: 1 });
    expect((await p.rows())[0]!.last_error).toMatch(/^SMTP: .*451/);
    clock.advance(BASE_MS);
    expect(await d.runOnce()).toMatchObject({ sent: 1 });

    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.user).toBe(smtp.user);
    expect(mail.to.sort()).toEqual(
      ['duty-office@gov.example', `li-${casts}@gov.example`, `wang-${casts}@gov.example`].sort(),
    );
    expect(mail.subject).toBe('【红牌督办】智能装备产业园一期 · 事项1');
    expect(mail.text).toContain(`查看项目：https://greenlane.example.gov.cn/ui/projects/${p.code}`);
    expect(mail.text).toContain('承诺时限：2027-03-04');
    expect(mail.headers['message-id']).toMatch(/^<[0-9a-f]{32}\.greenlane@gov\.example>$/);
    clock.advance(3_600_000);
    await d.runOnce();
    expect(smtp.mails).toHaveLength(1);
  });

  it('a row that keeps failing ends `failed`, visible to operators, and can be retried by them', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('wecom', clock);
    const p = await cast([{ channel: 'wecom', target: nameFor('wecom'), who: 'leader' }]);
    await p.fire();
    const d = dispatcher(settings(targetFor('wecom', robot), { maxAttempts: 3 }), clock);
    robot.failNext('http500', 3);
    for (let i = 0; i < 3; i++) {
      await d.runOnce();
      clock.advance(60_000);
    }
    const failed = await listNotifications(db, { status: 'failed', projectCode: p.code });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      channel: 'wecom',
      attempts: 3,
      lastError: expect.stringMatching(/^HTTP 500/),
    });
    expect(await d.runOnce()).toMatchObject({ requests: 0 }); // failed rows are left alone

    expect(await retryFailedNotification(db, failed[0]!.id, clock.now())).toBe(true);
    expect(await d.runOnce()).toMatchObject({ sent: 1 });
    expect(robot.delivered()).toHaveLength(1);
  });

  it('a sender that dies after claiming leaves the row to be sent again when its lease lapses', async () => {
    // The one duplicate window: claimed (and maybe sent) but never marked. Here nothing was sent.
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('wecom', clock);
    const p = await cast([{ channel: 'wecom', target: nameFor('wecom'), who: 'leader' }]);
    await p.fire();
    const s = settings(targetFor('wecom', robot));
    const claimed = await claimDue(db, {
      now: clock.now(),
      targets: s.targets,
      digestMax: 10,
      sendTimeoutMs: s.sendTimeoutMs,
      busy: [],
      batch: 10,
      perTarget: 10,
      only: [`wecom:${nameFor('wecom')}`],
    });
    expect(claimed).toHaveLength(1);
    const d = dispatcher(s, clock);
    expect(await d.runOnce()).toMatchObject({ requests: 0 }); // leased
    clock.advance(s.sendTimeoutMs + 60_000);
    expect(await d.runOnce()).toMatchObject({ sent: 1 });
    expect((await p.rows())[0]).toMatchObject({ status: 'sent', attempts: 2 });
  });
});

/** The most requests within any `windowMs`, by the receiver's clock. */
function busiestWindow(times: number[], windowMs: number): number {
  return Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + windowMs).length));
}

describe('rate limits: never exceeded, nothing dropped', () => {
  it('DingTalk: a burst of 25 goes as 19 messages and one digest of 6; more wait for the window', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('dingtalk', clock, secretFor.dingtalk);
    const p = await cast([{ channel: 'dingtalk', target: nameFor('dingtalk'), who: 'leader' }]);
    const keys = await p.fire(25);
    const d = dispatcher(settings(targetFor('dingtalk', robot, secretFor.dingtalk)), clock);
    const t0 = clock.now();
    expect(await d.runOnce()).toMatchObject({ sent: 25, requests: 20 });
    expect(robot.delivered()).toHaveLength(20);
    const digest = robot.received.at(-1)!.json.markdown;
    expect(digest.title).toBe('【审批督办汇总】智能装备产业园一期 共 6 条预警');
    // The leader's own robot: single messages are ActionCards (notify/leader-links.ts), the digest markdown.
    const titles = robot.received.flatMap(
      (r) => (r.json.markdown ?? r.json.actionCard).text.match(/事项\d+/g) as string[],
    );
    expect(new Set(titles)).toEqual(new Set(keys.map((_, i) => `事项${i + 1}`)));
    const rows = await p.rows();
    expect(new Set(rows.slice(19).map((r) => r.request_id)).size).toBe(1); // the six share one request

    // Five more ten seconds later: the minute is used up, so they wait (no attempt counted).
    clock.advance(10_000);
    await p.fire(5);
    expect(await d.runOnce()).toMatchObject({ requests: 0 });
    const waiting = (await p.rows()).slice(25);
    const freeAt = t0 + Math.ceil(60_000 * (1 + WINDOW_MARGIN));
    for (const r of waiting) expect(r).toMatchObject({ status: 'pending', attempts: 0 });
    for (const r of waiting) expect(r.next_attempt_at.getTime()).toBe(freeAt);
    clock.set(freeAt);
    expect(await d.runOnce()).toMatchObject({ sent: 5, requests: 5 });
    expect(
      busiestWindow(
        robot.received.map((r) => r.at),
        60_000,
      ),
    ).toBeLessThanOrEqual(20);
    expect((await p.rows()).every((r) => r.status === 'sent')).toBe(true);
  });

  it('DingTalk without digests: 20 in the first minute, the other 5 after it', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('dingtalk', clock, secretFor.dingtalk);
    const p = await cast([{ channel: 'dingtalk', target: nameFor('dingtalk'), who: 'leader' }]);
    await p.fire(25);
    const d = dispatcher(settings(targetFor('dingtalk', robot, secretFor.dingtalk), { digestMax: 1 }), clock);
    expect(await d.runOnce()).toMatchObject({ sent: 20 });
    clock.advance(30_000);
    expect(await d.runOnce()).toMatchObject({ sent: 0 });
    clock.advance(40_000);
    expect(await d.runOnce()).toMatchObject({ sent: 5 });
    expect(robot.delivered()).toHaveLength(25);
    expect(
      busiestWindow(
        robot.received.map((r) => r.at),
        60_000,
      ),
    ).toBe(20);
  });

  it('Feishu: at most 5 a second', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('feishu', clock, secretFor.feishu);
    const p = await cast([{ channel: 'feishu', target: nameFor('feishu'), who: 'leader' }]);
    await p.fire(12);
    const d = dispatcher(settings(targetFor('feishu', robot, secretFor.feishu), { digestMax: 1 }), clock);
    const sentPerPass: number[] = [];
    for (let i = 0; i < 12; i++) {
      sentPerPass.push((await d.runOnce()).sent);
      clock.advance(250);
    }
    expect(sentPerPass.reduce((a, b) => a + b)).toBe(12);
    expect(
      busiestWindow(
        robot.received.map((r) => r.at),
        1_000,
      ),
    ).toBeLessThanOrEqual(5);
    expect(sentPerPass[0]).toBe(5);
  });

  it('two dispatchers at once share the limit and never send a row twice', async () => {
    const clock = manualClock(Date.now() + 5_000);
    const robot = await receiver('dingtalk', clock, secretFor.dingtalk);
    const p = await cast([{ channel: 'dingtalk', target: nameFor('dingtalk'), who: 'leader' }]);
    await p.fire(30);
    const s = settings(targetFor('dingtalk', robot, secretFor.dingtalk), { digestMax: 1 });
    const [a, b] = [dispatcher(s, clock, { batch: 7 }), dispatcher(s, clock, { batch: 7 })];
    for (let i = 0; i < 4; i++) await Promise.all([a.runOnce(), b.runOnce(), a.runOnce(), b.runOnce()]);
    expect(robot.received).toHaveLength(20);
    clock.advance(70_000);
    for (let i = 0; i < 3; i++) await Promise.all([a.runOnce(), b.runOnce()]);
    const titles = robot.received.map((r) => (r.json.markdown ?? r.json.actionCard).title as string);
    expect(titles).toHaveLength(30);
    expect(new Set(titles).size).toBe(30);
  });
});

describe('isolation and secrets', () => {
  it('a robot that does not answer delays only its own rows', async () => {
    const robotDown = await receiver('wecom', Date);
    const robotUp = await receiver('dingtalk', Date, secretFor.dingtalk);
    const p = await cast([
      { channel: 'wecom', target: nameFor('wecom'), who: 'leader' },
      { channel: 'dingtalk', target: nameFor('dingtalk'), who: 'leader' },
    ]);
    robotDown.failNext('hang', 10);
    const targets = {
      ...targetFor('wecom', robotDown),
      ...targetFor('dingtalk', robotUp, secretFor.dingtalk),
    };
    const d = dispatcher(settings(targets, { sendTimeoutMs: 5_000, pollMs: 20, backoffBaseMs: 60_000 }), {
      now: Date.now,
    });
    await p.fire(3);
    const started = Date.now();
    d.start();
    const statuses = async (channel: string) =>
      (await p.rows()).filter((r) => r.channel === channel).map((r) => r.status);
    for (let i = 0; i < 200 && robotUp.delivered().length < 3; i++)
      await new Promise((r) => setTimeout(r, 20));
    // DingTalk is done well before the WeCom request could even time out.
    expect(robotUp.delivered()).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(await statuses('dingtalk')).toEqual(['sent', 'sent', 'sent']);
    expect(await statuses('wecom')).toEqual(['sending', 'sending', 'sending']);
    for (let i = 0; i < 100 && (await statuses('wecom')).includes('sending'); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await d.stop();
    // The first request timed out; the two behind it were given back untried, without an attempt.
    expect(robotDown.received).toHaveLength(1);
    const wecom = (await p.rows()).filter((r) => r.channel === 'wecom');
    expect(wecom.map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 1],
      ['pending', 0],
      ['pending', 0],
    ]);
    expect(wecom[0]!.last_error).toBe('no answer before the timeout');
  });

  it('keeps URLs, tokens, keys and secrets out of last_error and the logs', async () => {
    const clock = manualClock(Date.now() + 5_000);
    // A broken relay that echoes the request URL (with its token) in its error page.
    const echo = createServer((req, res) => res.writeHead(502).end(`bad gateway for ${req.url}`));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => echo.close(() => r())));
    const echoPort = (echo.address() as AddressInfo).port;
    // A port nothing listens on.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));

    const token = `tok${randomBytes(16).toString('hex')}`;
    const secret = `SEC${randomBytes(16).toString('hex')}`;
    const wecomKey = `key${randomBytes(16).toString('hex')}`;
    const targets: NotifyTargets = {
      dingtalk: {
        [nameFor('dingtalk')]: {
          url: `http://127.0.0.1:${echoPort}/robot/send?access_token=${token}`,
          secret,
        },
      },
      wecom: {
        [nameFor('wecom')]: { url: `http://127.0.0.1:${closedPort}/cgi-bin/webhook/send?key=${wecomKey}` },
      },
      webhook: { [nameFor('webhook')]: { url: `http://127.0.0.1:${echoPort}/h/${token}`, secret } },
    };
    const p = await cast([
      { channel: 'dingtalk', target: nameFor('dingtalk'), who: 'leader' },
      { channel: 'wecom', target: nameFor('wecom'), who: 'leader' },
      { channel: 'webhook', target: nameFor('webhook'), who: 'leader' },
    ]);
    await p.fire();
    const lines: string[] = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(capture),
    );
    try {
      const d = dispatcher(settings(targets, { maxAttempts: 1 }), clock, { log: console });
      expect(await d.runOnce()).toMatchObject({ failed: 3 });
    } finally {
      for (const s of spies) s.mockRestore();
    }
    const rows = await p.rows();
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed', 'failed']);
    const errors = rows.map((r) => r.last_error ?? '');
    expect(errors.find((e) => e.startsWith('HTTP 502'))).toContain('***');
    expect(errors.join('\n')).toMatch(/ECONNREFUSED/);
    expect(lines.join('\n')).toContain('failed for good');
    const everything = [...errors, ...lines, ...rows.map((r) => JSON.stringify(r))].join('\n');
    for (const s of [token, secret, wecomKey, encodeURIComponent(secret)])
      expect(everything).not.toContain(s);
  });
});
