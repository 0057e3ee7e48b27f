import { describe, expect, it } from 'vitest';
import { dingtalkPayload, dingtalkVerdict } from '../../notify/dingtalk';
import { emailContent, emailMessageId } from '../../notify/email';
import { feishuContent, feishuVerdict } from '../../notify/feishu';
import { outcomeOf } from '../../notify/http';
import { formatInstantZh, projectLink, type Recipient, utf8Bytes } from '../../notify/message';
import { webhookBody } from '../../notify/webhook';
import { wecomPayload, wecomVerdict } from '../../notify/wecom';
import { leader, message, secretary } from './notify-fixtures';

const ctx = { publicUrl: 'https://greenlane.example.gov.cn/' };
const link = 'https://greenlane.example.gov.cn/ui/projects/SI-001';
/** Someone with no contact for any channel: named, never pinged. */
const head: Recipient = { personId: 'zj-head', name: '赵局长', roles: ['departmentHead'] };

describe('what every channel says', () => {
  it('links the project page under PUBLIC_URL, encoding the code', () => {
    expect(projectLink('https://gl.example/', 'SI-001')).toBe('https://gl.example/ui/projects/SI-001');
    expect(projectLink('https://gl.example/city', 'A B')).toBe('https://gl.example/city/ui/projects/A%20B');
  });

  it('shows deadlines as the China date they end on, other instants to the minute', () => {
    // The end of 2027-03-04 is stored as the next midnight China time.
    expect(formatInstantZh('2027-03-04T16:00:00.000Z')).toBe('2027-03-04');
    expect(formatInstantZh('2027-03-09T01:00:00.000Z')).toBe('2027-03-09 09:00');
  });
});

describe('DingTalk markdown', () => {
  it('pings by mobile in at.atMobiles and as @mobile in the text, in Chinese, with the link', () => {
    const body = dingtalkPayload([message({ recipients: [leader, secretary, head] })], ctx);
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.title).toBe('【红牌督办】智能装备产业园一期 · 建筑工程施工许可');
    expect(body.at).toEqual({ atMobiles: ['13800000001', '13900000002'], atUserIds: [], isAtAll: false });
    const text = body.markdown.text;
    expect(text).toContain('@13800000001 @13900000002');
    expect(text).toContain(`[查看项目](${link})`);
    expect(text).toContain('- 责任单位：住房和城乡建设局（ZJ）');
    expect(text).toContain('- 承诺时限：2027-03-04');
    expect(text).toContain('通知：李建国（责任领导）、王敏（项目秘书）、赵局长（部门负责人）');
    expect(text).toContain('审批');
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT/); // no raw ISO instants for a leader to decode
  });

  it('pings by DingTalk user id whoever has no mobile', () => {
    const noMobile = { ...leader, mobile: undefined };
    const body = dingtalkPayload([message({ recipients: [noMobile] })], ctx);
    expect(body.at.atMobiles).toEqual([]);
    expect(body.at.atUserIds).toEqual(['dt-li']);
    expect(body.markdown.text).toContain('@dt-li');
  });

  it('folds several escalations into one digest that pings each person once', () => {
    const second = message({ escalationKey: 'k2', title: '【黄牌预警】智能装备产业园一期 · 消防设计审查' });
    const body = dingtalkPayload([message(), second], ctx);
    expect(body.markdown.title).toBe('【审批督办汇总】智能装备产业园一期 共 2 条预警');
    expect(body.markdown.text).toContain('1. **【红牌督办】智能装备产业园一期 · 建筑工程施工许可**');
    expect(body.markdown.text).toContain('2. **【黄牌预警】智能装备产业园一期 · 消防设计审查**');
    expect(body.at.atMobiles).toEqual(['13800000001', '13900000002']);
    expect(body.markdown.text.match(/@13800000001/g)).toHaveLength(1);
  });
});

describe('WeCom markdown', () => {
  it('pings with <@userid> inside the content and names the others', () => {
    const body = wecomPayload([message({ recipients: [leader, secretary, head] })], ctx);
    expect(body.msgtype).toBe('markdown');
    const content = body.markdown.content;
    expect(content).toContain('<@LiJianGuo> <@WangMin>');
    expect(content).not.toContain('<@zj-head>');
    expect(content).toContain('赵局长（部门负责人）');
    expect(content).toContain(`[查看项目](${link})`);
    expect(content).toContain('<font color="warning">【红牌督办】');
  });

  it('keeps a large digest within 4096 bytes with its mentions intact', () => {
    const many = Array.from({ length: 50 }, (_, i) =>
      message({ escalationKey: `k${i}`, title: `【黄牌预警】事项${i}`.repeat(3) }),
    );
    const content = wecomPayload(many, ctx).markdown.content;
    expect(utf8Bytes(content)).toBeLessThanOrEqual(4096);
    expect(content).toContain('<@LiJianGuo> <@WangMin>');
  });
});

describe('Feishu post', () => {
  it('mentions by open_id with at elements and links the project', () => {
    const content = feishuContent([message({ recipients: [leader, head] })], ctx);
    const post = content.post.zh_cn;
    expect(post.title).toBe('【红牌督办】智能装备产业园一期 · 建筑工程施工许可');
    const elements = post.content.flat();
    expect(elements).toContainEqual({ tag: 'at', user_id: 'ou_li' });
    expect(elements.filter((e) => e.tag === 'at')).toHaveLength(1);
    expect(elements).toContainEqual({ tag: 'a', text: '查看项目', href: link });
    expect(elements).toContainEqual({ tag: 'text', text: '通知：李建国（责任领导）、赵局长（部门负责人）' });
  });

  it('keeps a huge digest under the 20 KB body limit', () => {
    const many = Array.from({ length: 400 }, (_, i) => message({ escalationKey: `k${i}` }));
    const content = feishuContent(many, ctx);
    expect(utf8Bytes(JSON.stringify(content))).toBeLessThan(20_000);
    expect(JSON.stringify(content)).toContain('其余略');
  });
});

describe('e-mail', () => {
  it('goes to everyone with an address plus the fixed list, subject = title, plain text with the link', () => {
    const mail = emailContent([message({ recipients: [leader, secretary, head] })], ctx, ['zj@gov.example']);
    expect(mail.to).toEqual(['li.jianguo@gov.example', 'wang.min@gov.example', 'zj@gov.example']);
    expect(mail.subject).toBe('【红牌督办】智能装备产业园一期 · 建筑工程施工许可');
    expect(mail.text).toContain(`查看项目：${link}`);
    expect(mail.text).toContain('承诺时限：2027-03-04');
  });

  it('has one Message-ID per (escalations, target), so a repeat is recognisable', () => {
    const a = emailMessageId([message()], 'smtp', 'Greenlane <noreply@gov.example>');
    expect(a).toMatch(/^<[0-9a-f]{32}\.greenlane@gov\.example>$/);
    expect(emailMessageId([message()], 'smtp', 'noreply@gov.example')).toBe(a);
    expect(emailMessageId([message()], 'other', 'noreply@gov.example')).not.toBe(a);
  });
});

describe('webhook body', () => {
  it('carries the data, the link and the recipients without their contacts', () => {
    const body = webhookBody([message()], { ...ctx, notificationIds: [7] }, 1_700_000_000);
    expect(body).toMatchObject({ type: 'greenlane.escalations', sentAt: 1_700_000_000 });
    expect(body.escalations[0]).toMatchObject({
      notificationId: 7,
      key: 'SI-001/item/SGXK/0/red',
      dueAt: '2027-03-04T16:00:00.000Z',
      dueDate: '2027-03-04',
      link,
      department: { code: 'ZJ', name: '住房和城乡建设局' },
    });
    expect(body.escalations[0]!.recipients).toEqual([
      { personId: 'leader-li', name: '李建国', roles: ['leader'] },
      { personId: 'sec-wang', name: '王敏', roles: ['secretary'] },
    ]);
  });
});

describe('provider answers', () => {
  const http200 = (json: unknown) => ({ status: 200, text: JSON.stringify(json), json });

  it('an errcode on HTTP 200 is a failure (DingTalk, WeCom)', () => {
    expect(outcomeOf(http200({ errcode: 0, errmsg: 'ok' }), dingtalkVerdict).ok).toBe(true);
    expect(outcomeOf(http200({ errcode: 310000, errmsg: 'sign not match' }), dingtalkVerdict)).toEqual({
      ok: false,
      error: 'DingTalk errcode 310000: sign not match',
    });
    expect(outcomeOf(http200({}), dingtalkVerdict).ok).toBe(false);
    expect(outcomeOf(http200({ errcode: 130101, errmsg: 'send too fast' }), dingtalkVerdict)).toMatchObject({
      ok: false,
      retryAfterMs: 600_000,
    });
    expect(outcomeOf(http200({ errcode: 93000, errmsg: 'invalid webhook url' }), wecomVerdict).ok).toBe(
      false,
    );
    expect(outcomeOf(http200({ errcode: 0, errmsg: 'ok' }), wecomVerdict).ok).toBe(true);
  });

  it('a Feishu code other than 0 is a failure; the older StatusCode form is understood', () => {
    expect(outcomeOf(http200({ code: 0, msg: 'success', data: {} }), feishuVerdict).ok).toBe(true);
    expect(outcomeOf(http200({ StatusCode: 0, StatusMessage: 'success' }), feishuVerdict).ok).toBe(true);
    expect(outcomeOf(http200({ code: 19021, msg: 'sign match fail' }), feishuVerdict)).toEqual({
      ok: false,
      error: 'Feishu code 19021: sign match fail',
    });
  });

  it('a non-2xx status fails whatever the body says; 429 carries Retry-After', () => {
    expect(outcomeOf({ status: 500, text: '{"errcode":0}', json: { errcode: 0 } }, dingtalkVerdict)).toEqual({
      ok: false,
      error: 'HTTP 500: {"errcode":0}',
    });
    expect(
      outcomeOf({ status: 429, text: '', json: null, retryAfterMs: 30_000 }, dingtalkVerdict),
    ).toMatchObject({ ok: false, retryAfterMs: 30_000 });
  });
});
