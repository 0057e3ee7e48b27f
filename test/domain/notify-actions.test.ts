import { describe, expect, it } from 'vitest';
import { dingtalkBody } from '../../notify/dingtalk';
import { emailContent } from '../../notify/email';
import { feishuBody } from '../../notify/feishu';
import { soleLeaderOf } from '../../notify/render';
import { wecomBody } from '../../notify/wecom';
import { leader, message, secretary } from './notify-fixtures';

/**
 * Escalation messages a leader alone reads carry an action (notify/leader-links.ts): each channel's
 * card opens the leader's link; a message to a group never carries one; a person's text stays inert
 * inside the cards as it does in the ordinary messages.
 */

const action = 'https://greenlane.example.gov.cn/l/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
const own = message({ recipients: [leader] });
const ctx = {
  publicUrl: 'https://greenlane.example.gov.cn/',
  actionLinks: new Map([[own.escalationKey, action]]),
};
const project = 'https://greenlane.example.gov.cn/ui/projects/SI-001';
/** What a secretary might type into a problem title or reason: Markdown, a link, a mention. */
const hostile = '**紧急**[点此](https://evil.example/x) @13800000001 <font color="info">好</font>\n# 标题';

describe('which messages carry an action', () => {
  it('only one that names the leader alone; never a group message or a digest', () => {
    expect(soleLeaderOf(own)).toBe('leader-li');
    expect(soleLeaderOf(message())).toBeUndefined();
    expect(soleLeaderOf(message({ recipients: [secretary] }))).toBeUndefined();
    expect(
      soleLeaderOf(message({ recipients: [leader], subject: { kind: 'digest', id: 'd' } })),
    ).toBeUndefined();
  });
});

describe('DingTalk ActionCard', () => {
  it('has the 批示 button first, then 查看项目, and says whose link it is', () => {
    const body = dingtalkBody([own], ctx);
    expect(body.msgtype).toBe('actionCard');
    if (body.msgtype !== 'actionCard') return;
    expect(body.actionCard.btns).toEqual([
      { title: '批示', actionURL: action },
      { title: '查看项目', actionURL: project },
    ]);
    expect(body.actionCard.text).toContain('批示链接仅限本人使用，一次有效，72 小时内有效');
    expect(body.actionCard.text).toContain('2027-03-04'); // instants in China time
  });

  it("keeps a person's Markdown inert inside the card", () => {
    const body = dingtalkBody([{ ...own, title: hostile, body: hostile }], ctx);
    if (body.msgtype !== 'actionCard') throw new Error('expected an ActionCard');
    const text = body.actionCard.text;
    expect(text).not.toContain('**紧急**');
    expect(text).not.toContain('](https://evil');
    expect(text).not.toMatch(/^# /m);
    expect(text.match(/https?:\/\//g) ?? []).toHaveLength(0); // the only links are the buttons
  });

  it('stays a markdown message without an action link', () => {
    expect(dingtalkBody([own], { publicUrl: ctx.publicUrl }).msgtype).toBe('markdown');
    expect(dingtalkBody([message()], ctx).msgtype).toBe('markdown');
  });
});

describe('WeCom template card', () => {
  it('opens the link from the card and its first jump, its fields cut to WeCom lengths', () => {
    const body = wecomBody([{ ...own, title: `${'很长的标题'.repeat(10)}` }], ctx);
    expect(body.msgtype).toBe('template_card');
    if (body.msgtype !== 'template_card') return;
    const card = body.template_card;
    expect(card.card_action).toEqual({ type: 1, url: action });
    expect(card.jump_list[0]).toEqual({ type: 1, title: '批示', url: action });
    expect([...card.main_title.title].length).toBeLessThanOrEqual(26);
    expect(
      card.horizontal_content_list.every((f) => [...f.keyname].length <= 5 && [...f.value].length <= 26),
    ).toBe(true);
  });

  it('carries values as plain text, one line each', () => {
    const body = wecomBody([{ ...own, body: hostile }], ctx);
    if (body.msgtype !== 'template_card') throw new Error('expected a template card');
    expect(body.template_card.sub_title_text).not.toContain('\n');
  });
});

describe('Feishu interactive card', () => {
  it('puts every value in plain_text and the action in a button', () => {
    const body = feishuBody([{ ...own, title: hostile }], ctx, 'secret', 1_800_000_000);
    expect(body.msg_type).toBe('interactive');
    if (body.msg_type !== 'interactive') return;
    expect(body).toMatchObject({ timestamp: '1800000000' });
    const json = JSON.stringify(body.card);
    expect(json).not.toContain('lark_md');
    expect(json).toContain(`"url":"${action}"`);
    expect(body.card.header.title.content).not.toContain('\n');
  });
});

describe('e-mail', () => {
  it('adds the action link on a line of its own, said to be personal and single-use', () => {
    const mail = emailContent([own], ctx);
    expect(mail.text).toContain(`批示（批示链接仅限本人使用，一次有效，72 小时内有效）：${action}`);
    expect(emailContent([message()], ctx).text).not.toContain('/l/');
  });
});
