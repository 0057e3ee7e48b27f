import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { leaderLinkId } from '../../db/leader-links';
import { createNotificationDispatcher } from '../../notify/dispatcher';
import { mintLeaderLinks } from '../../notify/leader-links';
import type { NotificationMessage } from '../../notify/message';
import { cspViolations, launchChromium, recordingContext, screenshots } from '../helpers/browser';
import { type Greenlane, startGreenlane } from '../helpers/greenlane';
import { type RobotReceiver, startRobotReceiver } from '../helpers/receivers';
import { until } from '../helpers/until';

/**
 * A leader acts from the message (issue 16 §2): a project brought in with an application left for
 * months escalates to red at once; the red card reaches the leader's own DingTalk robot as an
 * ActionCard whose 批示 button opens a phone page (no key), which shows the project and takes the
 * instruction with a deadline through the acknowledge path (the escalation answered, audited). The
 * same link again, an expired link, a link whose leader was reassigned and an unknown one each get a
 * clear page; two answers at once through one link answer once. Screenshots go to test-output/.
 */

const out = screenshots;
const PHONE = { width: 390, height: 844 };
let g: Greenlane;
let robot: RobotReceiver;
let browser: Browser;
let page: Page;
let operatorKey = '';
let leader = '';
let code = '';
let actionUrl = '';

/** Fast delivery settings: the test runs the dispatcher's passes itself. */
const DELIVERY = {
  enabled: true,
  pollMs: 50,
  maxAttempts: 3,
  sendTimeoutMs: 5_000,
  backoffBaseMs: 1_000,
  backoffCapMs: 60_000,
  digestMax: 10,
};

type EscalationRow = { id: string; rung: string; acknowledged_at: Date | null; instruction: string | null };
const escalationsOf = async (): Promise<EscalationRow[]> =>
  g.db
    .selectFrom('escalations')
    .select(['id', 'rung', 'acknowledged_at', 'instruction'])
    .where('project_code', '=', code)
    .orderBy('fired_at')
    .execute();

/** A link for one more of the project's unanswered escalations, as the dispatcher makes them. */
async function freshLink(): Promise<{ url: string; key: string }> {
  const row = (await escalationsOf()).find((e) => !e.acknowledged_at);
  if (!row) throw new Error('no unanswered escalation left for a fresh link');
  const message = {
    escalationKey: row.id,
    recipients: [{ personId: leader, name: '李建国', roles: ['leader'] }],
    subject: { kind: 'item', id: 'EIA' },
  } as NotificationMessage;
  const links = await mintLeaderLinks(g.db, [message], g.url, Date.now());
  return { url: links.get(row.id)!, key: row.id };
}

const tokenOf = (url: string) => url.split('/l/')[1]!;
beforeAll(async () => {
  robot = await startRobotReceiver('dingtalk', { secret: 'SECleaderlinktest' });
  g = await startGreenlane({
    databaseUrl: inject('databaseUrl'),
    temporalAddress: inject('temporalAddress'),
  });
  operatorKey = (await g.keyFor('operator')).key;
  leader = (await g.keyFor('leader', { person: 'leader-link' })).personId!;
  const sec = await g.keyFor('secretary', { person: 'sec-link' });
  const secretary = sec.personId!;
  await g.db.updateTable('people').set({ name: '李建国' }).where('id', '=', leader).execute();
  await g.db.updateTable('people').set({ name: '王敏' }).where('id', '=', secretary).execute();
  // The leader's own robot: messages there name the leader alone, so they carry the action.
  await g.db
    .insertInto('notification_routes')
    .values({ owner_kind: 'person', owner_id: leader, channel: 'dingtalk', target: `leader-${g.tag}` })
    .execute();
  code = `LINK-${g.tag}`;
  // The EIA accepted on 24 September and never decided: every rung of its ladder fell due long ago.
  const imported = await g.call('POST', '/projects/import', operatorKey, {
    code,
    name: '市第一人民医院新院区',
    templateId: 'gov-building',
    leader,
    secretary,
    registeredOn: '2026-09-14',
    history: [
      { on: '2026-09-14', item: 'PROPOSAL', decision: { action: 'submit' } },
      { on: '2026-09-15', item: 'PROPOSAL', decision: { action: 'accept' } },
      {
        on: '2026-09-22',
        item: 'PROPOSAL',
        decision: { action: 'approve', documentNo: '发改审批〔2026〕88号' },
      },
      { on: '2026-09-23', item: 'EIA', decision: { action: 'submit' } },
      { on: '2026-09-24', item: 'EIA', decision: { action: 'accept' } },
    ],
    problems: [],
  });
  expect(imported.status, JSON.stringify(imported.body)).toBe(201);
  const logged = await g.call('POST', `/projects/${code}/service-log`, sec.key, {
    date: new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10),
    contactType: 'visit',
    participants: ['王敏（项目秘书）', '生态环境局审批科'],
    outcome: '环评报告书已补正两次，生态环境局仍未出具批复，建议领导协调',
  });
  expect(logged.status, JSON.stringify(logged.body)).toBe(201);
  await until(escalationsOf, (rows) => rows.some((e) => e.rung === 'red'), 'the red card');
  const dispatcher = createNotificationDispatcher({
    db: g.db,
    settings: {
      ...DELIVERY,
      targets: {
        dingtalk: { [`leader-${g.tag}`]: { url: robot.url, secret: 'SECleaderlinktest' } },
      },
    },
    publicUrl: g.url,
  });
  await until(
    async () => {
      await dispatcher.runOnce();
      return robot.delivered();
    },
    (got) => got.some((r) => r.json.msgtype === 'actionCard' && r.json.actionCard.title.includes('红牌')),
    "the red card's ActionCard",
  );
  browser = await launchChromium();
  page = await (
    await recordingContext(browser, { viewport: PHONE, isMobile: true, hasTouch: true, locale: 'zh-CN' })
  ).newPage();
});

afterAll(async () => {
  await browser?.close();
  await g?.stop();
  await robot?.close();
});

describe("a leader acts from the robot's message, on a phone", () => {
  it('gets the red card as an ActionCard whose 批示 button is a link of their own, stored only hashed', async () => {
    const card = robot
      .delivered()
      .find((r) => r.json.msgtype === 'actionCard' && r.json.actionCard.title.includes('红牌'))!
      .json.actionCard;
    expect(card.btns.map((b: { title: string }) => b.title)).toEqual(['批示', '查看项目']);
    actionUrl = card.btns[0].actionURL;
    expect(actionUrl).toMatch(new RegExp(`^${g.url}/l/[A-Za-z0-9_-]{43}$`));
    expect(card.text).toContain('批示链接仅限本人使用');
    const stored = await g.db
      .selectFrom('leader_links')
      .selectAll()
      .where('person_id', '=', leader)
      .execute();
    expect(stored.some((l) => l.id === leaderLinkId(tokenOf(actionUrl)))).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(tokenOf(actionUrl));
    const outbox = await g.db.selectFrom('notifications').select('message').execute();
    expect(JSON.stringify(outbox)).not.toContain(tokenOf(actionUrl));
  });

  it('opens a one-screen page: whose link, the colour, what is late, by whom, since when, what the secretary says', async () => {
    await page.goto(actionUrl);
    expect(await page.locator('#leader-name').textContent()).toBe('李建国');
    expect(await page.locator('#colour').getAttribute('data-colour')).toBe('red');
    const late = await page.locator('#late li').allTextContents();
    expect(late.some((l) => /生态环境局 · 承诺 \d{4}-\d\d-\d\d 办结 · 已超期 \d+ 个工作日/.test(l))).toBe(
      true,
    );
    expect(await page.locator('#secretary-says').textContent()).toContain('建议领导协调');
    expect(await page.locator('#project-people').textContent()).toContain('项目秘书 王敏');
    // Instants in China time, never an ISO string.
    expect(await page.locator('#escalation').textContent()).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(await page.locator('#escalation').textContent()).toContain('红牌');
    // One column at the phone's width: nothing wider than the screen.
    const width = await page.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
          .documentElement.scrollWidth,
    );
    expect(width).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({ path: `${out}leader-link-page.png`, fullPage: true });
    expect(await cspViolations(page)).toEqual([]);
  });

  it('refuses a deadline in the past beside the form, then takes the instruction and a deadline', async () => {
    await page.fill('#instruction', '请生态环境局本周内出具批复，秘书跟进');
    await page.fill('#deadline', '2020-01-01');
    await page.evaluate(() => {
      const d = (
        globalThis as unknown as {
          document: { querySelector(s: string): { removeAttribute(a: string): void } };
        }
      ).document;
      d.querySelector('#deadline').removeAttribute('min'); // the browser would stop it; the server must too
    });
    await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
    expect(await page.locator('#form-error').textContent()).toBe('办结时限不能早于今天');
    expect(await page.inputValue('#instruction')).toBe('请生态环境局本周内出具批复，秘书跟进');
    const deadline = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    await page.fill('#deadline', deadline);
    await Promise.all([page.waitForSelector('#answered'), page.click('button[type=submit]')]);
    expect(await page.locator('#answered-text').textContent()).toBe(
      `请生态环境局本周内出具批复，秘书跟进（请于 ${deadline} 前办结）`,
    );
    await page.screenshot({ path: `${out}leader-link-answered.png`, fullPage: true });
    // Through the acknowledge path: the escalation answered in the read model and the workflow, audited.
    const key = (
      await g.db
        .selectFrom('leader_links')
        .select('escalation_id')
        .where('id', '=', leaderLinkId(tokenOf(actionUrl)))
        .executeTakeFirstOrThrow()
    ).escalation_id;
    const row = (await escalationsOf()).find((e) => e.id === key)!;
    expect(row.instruction).toContain(`请于 ${deadline} 前办结`);
    const project = await g.call('GET', `/projects/${code}`, operatorKey);
    expect(project.body.instructions.some((i: { escalationKey: string }) => i.escalationKey === key)).toBe(
      true,
    );
    const audit = await g.call('GET', `/projects/${code}/audit`, operatorKey);
    const entry = audit.body.entries.find(
      (e: { action: string; subject: string }) => e.action === 'escalation.acknowledge' && e.subject === key,
    );
    expect(entry).toMatchObject({ personId: leader, role: 'leader', body: { via: 'leader-link', deadline } });
    expect(entry.keyId).toMatch(/^link-[0-9a-f]{12}$/);
  });

  it('shows a used link what was answered, and never the form again', async () => {
    const res = await page.goto(actionUrl);
    expect(res?.status()).toBe(410);
    expect(await page.locator('#refused').getAttribute('data-kind')).toBe('used');
    expect(await page.locator('#earlier-instruction').textContent()).toContain('请生态环境局本周内出具批复');
    expect(await page.locator('#instruction-form').count()).toBe(0);
    await page.screenshot({ path: `${out}leader-link-used.png`, fullPage: true });
  });

  it('answers once when one link is posted twice at once', async () => {
    const link = await freshLink();
    const post = () =>
      fetch(link.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ instruction: '同时提交', deadline: '' }).toString(),
      });
    const statuses = (await Promise.all([post(), post()])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 410]);
    const project = await g.call('GET', `/projects/${code}`, operatorKey);
    expect(
      project.body.instructions.filter((i: { escalationKey: string }) => i.escalationKey === link.key),
    ).toHaveLength(1);
  });

  it('gives an expired link a clear page', async () => {
    const link = await freshLink();
    await g.db
      .updateTable('leader_links')
      .set({ expires_at: sql<Date>`now() - interval '1 minute'` })
      .where('id', '=', leaderLinkId(tokenOf(link.url)))
      .execute();
    const res = await page.goto(link.url);
    expect(res?.status()).toBe(410);
    expect(await page.locator('#refused').getAttribute('data-kind')).toBe('expired');
    await page.screenshot({ path: `${out}leader-link-expired.png`, fullPage: true });
    // Not a browser: a problem.
    const api = await fetch(link.url, { method: 'POST', body: new URLSearchParams({ instruction: 'x' }) });
    expect([
      api.status,
      api.headers.get('content-type'),
      ((await api.json()) as { type: string }).type,
    ]).toEqual([410, 'application/problem+json', 'https://greenlane.dev/problems/link-gone']);
  });

  it('refuses a link forwarded on after its leader left the project, and an unknown one', async () => {
    const link = await freshLink();
    const successor = (await g.keyFor('leader', { person: 'leader-link-next' })).personId!;
    await g.db.updateTable('people').set({ name: '周新' }).where('id', '=', successor).execute();
    const moved = await g.call('POST', `/projects/${code}/assignment`, operatorKey, { leader: successor });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const res = await page.goto(link.url);
    expect(res?.status()).toBe(410);
    expect(await page.locator('#refused').getAttribute('data-kind')).toBe('reassigned');
    expect(await page.locator('#refused').textContent()).toContain('现为 周新');
    await page.screenshot({ path: `${out}leader-link-reassigned.png`, fullPage: true });
    const posted = await fetch(link.url, {
      method: 'POST',
      headers: { accept: 'text/html' },
      body: new URLSearchParams({ instruction: '转发后提交' }),
    });
    expect(posted.status).toBe(410);
    expect((await escalationsOf()).find((e) => e.id === link.key)!.acknowledged_at).toBeNull();
    const unknown = await page.goto(`${g.url}/l/${'A'.repeat(43)}`);
    expect(unknown?.status()).toBe(404);
    expect(await page.locator('#refused').getAttribute('data-kind')).toBe('unknown');
    expect(await cspViolations(page)).toEqual([]);
  });
});
