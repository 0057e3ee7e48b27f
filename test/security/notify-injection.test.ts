import { describe, expect, it } from 'vitest';
import type { NotificationChannel } from '../../db/schema';
import { makeCalendar } from '../../domain/calendar';
import {
  type Digest,
  type DigestProblem,
  type DigestSource,
  leaderDigest,
  secretaryDigest,
} from '../../domain/digest';
import { renderDigest } from '../../domain/digest-render';
import type { EscalationEvent } from '../../domain/project';
import type { ReportItem, ReportProject } from '../../domain/reports';
import { dingtalkBody, dingtalkPayload } from '../../notify/dingtalk';
import { emailContent } from '../../notify/email';
import { feishuBody, feishuContent } from '../../notify/feishu';
import type { NotificationMessage, RenderContext } from '../../notify/message';
import {
  type Directory,
  type Person,
  planDeliveries,
  type Route,
  recipientFor,
} from '../../notify/recipients';
import { wecomBody, wecomPayload } from '../../notify/wecom';
import { person } from '../domain/notify-fixtures';
import { testCalendarYears } from '../helpers/projects';
import { reportItem, reportProject } from '../helpers/report-rows';

/**
 * Values set by people — a project's name, a problem's title, person and department names, an item's
 * name, a reason — reach the robots' markdown only as text: whatever markup they carry, the message a
 * vice mayor's robot shows links only to the programme's pages, pings only people from the directory,
 * and has only the template's headings, colours and lines. Each hostile value is put in every position
 * at once, through the paths production uses (planDeliveries for escalations, secretaryDigest /
 * leaderDigest / renderDigest for the digests, then each channel's renderer).
 */

const PUBLIC_URL = 'https://greenlane.example.gov.cn';
const ctx = { publicUrl: PUBLIC_URL };

/** What people might type. None starts with 伪造: a line starting with it was forged by a value. */
const HOSTILE: Record<string, string> = {
  link: '[点此查看领导批示](http://evil.example/phish)',
  image: '![t](http://evil.example/t.png)',
  jsLink: '[批示](javascript:alert(1))',
  autolink: '<http://evil.example/phish>',
  refLink: '[批示][1]\n[1]: http://evil.example/phish',
  heading: '#### 紧急',
  setext: '紧急\n===',
  font: '<font color="warning">紧急督办</font>',
  html: '<a href="http://evil.example">x</a><img src=x onerror=alert(1)>',
  wecomMention: '<@all> <@LiJianGuo>',
  dingtalkMention: '@all @13800000001',
  feishuMention: '<at user_id="all">所有人</at>',
  forgedLines: '正常\n- 伪造：请立即转账\r\n#### 伪造标题\r1. 伪造序号\u2028> 伪造引用\u0085* 伪造',
  leadingBullet: '- 伪造的一条',
  leadingNumber: '1. 伪造的一条',
  invisible: '正常\u200B\u200F\u202Eevil\u2066x\u2069\uFEFF\u0007\u001B[31m\u0085',
  bareUrl: 'http://evil.example/phish https://evil.example www.evil.example',
  emphasis: '**加粗** _斜体_ ~~删除~~ `代码` | 表 | > 引用',
  entity: '&lt;font&gt; &#91;x&#93; &#64;all',
  indent: '      缩进成代码块',
};

/** The same positions, harmless: the shape each payload must keep. */
const BENIGN = '市第二人民医院新院区';

const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: what must never reach a payload
  /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/;

// --- The directory: good mention ids, and ids no robot may receive ------------------------------------

const MOBILES = new Set(['13800000001', '13900000002']);
const DINGTALK_IDS = new Set(['dt-sun']);
const WECOM_IDS = new Set(['LiJianGuo', 'WangMin']);
const FEISHU_IDS = new Set(['ou_li', 'ou_wang']);

function people(name: string): Person[] {
  return [
    person('lead', name, {
      mobile: '13800000001',
      email: 'li@gov.example',
      dingtalk_user_id: 'dt-li',
      wecom_user_id: 'LiJianGuo',
      feishu_open_id: 'ou_li',
    }),
    person('sec', name, {
      mobile: '13900000002',
      email: 'wang@gov.example',
      wecom_user_id: 'WangMin',
      feishu_open_id: 'ou_wang',
    }),
    // Contact ids of a shape no robot should be given: dropped, the person still named.
    person('head', name, {
      mobile: '138 0000 0003 @all',
      dingtalk_user_id: 'all',
      wecom_user_id: 'all',
      feishu_open_id: 'all',
      email: 'head@gov.example',
    }),
    // A mobile that does not fit: pinged by the DingTalk user id instead.
    person('hand', name, {
      mobile: '+86 (139)',
      dingtalk_user_id: 'dt-sun',
      wecom_user_id: 'x><font color="warning">',
      feishu_open_id: 'ou x',
    }),
  ];
}

const CHANNELS: NotificationChannel[] = ['dingtalk', 'wecom', 'feishu', 'email'];

function directory(v: string): Directory {
  return {
    project: { code: 'SI-001', name: v, secretary: 'sec', leader: 'lead' },
    people: new Map(people(v).map((p) => [p.id, p])),
    contacts: [
      { department: 'ZJ', duty: 'head', personId: 'head' },
      { department: 'ZJ', duty: 'handler', personId: 'hand' },
    ],
    problemOwners: new Map(),
    routes: CHANNELS.map(
      (channel): Route => ({ ownerKind: 'project', ownerId: 'SI-001', channel, target: 't' }),
    ),
    departmentNames: new Map([['ZJ', v]]),
  };
}

/** Escalations as the workflow words them (domain/supervision.ts): the project's name and the subject's label. */
function events(v: string): EscalationEvent[] {
  const base = {
    department: 'ZJ',
    notify: ['leader', 'departmentHead', 'handler', 'secretary'],
    dueAt: '2027-03-04T16:00:00.000Z',
    rungAt: '2027-03-08T16:00:00.000Z',
    firedAt: '2027-03-09T01:00:00.000Z',
  };
  return [
    {
      ...base,
      key: 'SI-001/problem/Q1/0/red',
      subjectKind: 'problem',
      subjectId: 'Q1',
      rung: 'red',
      level: 3,
      points: 4,
      title: `【红牌督办】${v} · 问题「${v}」`,
      body: `${v}（SI-001）的问题「${v}」承诺时限为 2027-03-04T16:00:00.000Z，已触发红牌督办，责任单位 ZJ，扣 4 分。`,
    },
    {
      ...base,
      key: 'SI-001/item/SGXK/0/yellow',
      subjectKind: 'item',
      subjectId: 'SGXK',
      rung: 'yellow',
      level: 2,
      points: 2,
      title: `【黄牌预警】${v} · ${v}`,
      body: `${v}（SI-001）的${v}承诺时限为 2027-03-04T16:00:00.000Z，已触发黄牌预警，责任单位 ZJ，扣 2 分。`,
    },
  ];
}

/** channel → the messages of the two escalations on that channel. */
function escalationMessages(v: string): Record<string, NotificationMessage[]> {
  const dir = directory(v);
  const out: Record<string, NotificationMessage[]> = {};
  for (const e of events(v)) {
    for (const d of planDeliveries(e, dir)) out[d.channel] = [...(out[d.channel] ?? []), d.message];
  }
  return out;
}

// --- Digests, through the path activities/digests.ts takes --------------------------------------------

const calendar = makeCalendar(testCalendarYears());
const nextMidnight = (date: string) =>
  new Date(Date.parse(`${date}T00:00:00+08:00`) + 86_400_000).toISOString();

function digestSource(v: string): DigestSource {
  const project = (code: string, over: Partial<ReportProject> = {}) =>
    reportProject(code, { name: v, leader: 'lead', secretary: 'sec', ...over });
  const item = (projectCode: string, itemCode: string, over: Partial<ReportItem>) =>
    reportItem(projectCode, itemCode, { nameZh: v, departmentName: v, ...over });
  const problem = (projectCode: string, problemId: string, over: Partial<DigestProblem>): DigestProblem => ({
    projectCode,
    problemId,
    title: v,
    status: 'open',
    ownerDepartment: 'ZJ',
    ownerDepartmentName: v,
    ownerPerson: null,
    deadlineAt: nextMidnight('2035-06-08'),
    ...over,
  });
  return {
    person: { id: 'sec', name: v },
    date: '2035-06-11',
    now: Date.parse('2035-06-11T09:00:00+08:00'),
    calendar,
    projects: [project('P-1', { escalationLevel: 3, overdueItems: 1 }), project('P-2'), project('P-3')],
    items: [
      item('P-1', 'R', { dueAt: nextMidnight('2035-06-07'), rung: 3 }),
      item('P-2', 'Y', { dueAt: nextMidnight('2035-06-12'), rung: 2 }),
      item('P-3', 'F', { status: 'ready', acceptedAt: null, plannedStart: '2035-06-08' }),
    ],
    problems: [
      problem('P-1', 'P1', {}),
      problem('P-2', 'P2', { ownerDepartment: null, ownerDepartmentName: null, ownerPerson: v }),
    ],
  };
}

/** The digest as the outbox carries it (activities/digests.ts channelMessage), for one channel. */
function digestMessage(digest: Digest, channel: NotificationChannel, v: string): NotificationMessage {
  const { title, text } = renderDigest(digest);
  const lead = people(v)[0]!;
  return {
    escalationKey: `digest/${digest.kind}/${digest.date}/${digest.person.id}`,
    projectCode: 'P-1',
    projectName: `${v} 等 3 个项目`,
    rung: 'digest',
    level: 0,
    title,
    body: text,
    subject: { kind: 'digest', id: digest.kind },
    department: null,
    dueAt: null,
    firedAt: '2035-06-11T01:00:00.000Z',
    recipients: [recipientFor(channel, lead, [digest.kind === 'leaders-weekly' ? 'leader' : 'secretary'])],
  };
}

function digests(v: string): Digest[] {
  const leader = leaderDigest({ ...digestSource(v), person: { id: 'lead', name: v } });
  // The reasons are the domain's own; a reason carrying a person's text must be as inert.
  const withReasons: Digest = {
    ...leader,
    projects: leader.projects.map((p) => ({ ...p, reasons: [...p.reasons, v] })),
  };
  return [secretaryDigest(digestSource(v)), withReasons];
}

// --- Every case: channel, what it was given, its payload for hostile and for harmless values -----------

type Case = {
  name: string;
  render: (v: string) => unknown;
  links: number;
  markdown: 'dingtalk' | 'wecom' | null;
};

function cases(): Case[] {
  const esc = (channel: NotificationChannel, i: number | 'both') => (v: string) => {
    const ms = escalationMessages(v)[channel]!;
    return i === 'both' ? ms : [ms[i]!];
  };
  const out: Case[] = [];
  for (const [channel, render, markdown] of [
    ['dingtalk', (ms: NotificationMessage[]) => dingtalkPayload(ms, ctx), 'dingtalk'],
    ['wecom', (ms: NotificationMessage[]) => wecomPayload(ms, ctx), 'wecom'],
    ['feishu', (ms: NotificationMessage[]) => feishuContent(ms, ctx), null],
    ['email', (ms: NotificationMessage[]) => emailContent(ms, ctx), null],
  ] as const) {
    out.push(
      {
        name: `${channel}: red card on a problem`,
        render: (v) => render(esc(channel, 0)(v)),
        links: 1,
        markdown,
      },
      {
        name: `${channel}: yellow card on an item`,
        render: (v) => render(esc(channel, 1)(v)),
        links: 1,
        markdown,
      },
      {
        name: `${channel}: a digest of several`,
        render: (v) => render(esc(channel, 'both')(v)),
        links: 2,
        markdown,
      },
      {
        name: `${channel}: secretaries' morning digest`,
        render: (v) => render([digestMessage(digests(v)[0]!, channel, v)]),
        links: 1,
        markdown,
      },
      {
        name: `${channel}: leaders' weekly digest`,
        render: (v) => render([digestMessage(digests(v)[1]!, channel, v)]),
        links: 1,
        markdown,
      },
    );
  }
  return out;
}

// --- What the payloads may contain --------------------------------------------------------------------

const LINK = /\]\(([^)]*)\)/g;
const TEMPLATE_LINK = new RegExp(
  `\\[查看项目\\]\\(${PUBLIC_URL.replace(/[.]/g, '\\.')}/ui/projects/[A-Za-z0-9%-]+\\)`,
  'g',
);

/** A markdown robot's text, checked line by line against what only the template may write. */
function checkMarkdown(text: string, benign: string, c: Case): void {
  expect(text).not.toMatch(INVISIBLE);
  expect(text).not.toContain('![');

  // Every link is the programme's own: its targets all start with PUBLIC_URL, one per project line.
  const targets = [...text.matchAll(LINK)].map((m) => m[1]!);
  expect(targets).toHaveLength(c.links);
  for (const t of targets) expect(t.startsWith(`${PUBLIC_URL}/ui/projects/`)).toBe(true);

  // The same lines as with harmless values, the only heading the template's first line.
  const lines = text.split('\n');
  expect(lines).toHaveLength(benign.split('\n').length);
  expect(lines.filter((l) => /^\s*#/.test(l))).toEqual([lines[0]]);
  for (const line of lines) expect(line).not.toMatch(/^\s*(?:[-+*>]|#+|\d+[.)]|[-=]{2,})?\s*伪造/);
  // The bullets and indents are the template's: the same ones as with harmless values.
  const bullets = (t: string) => t.split('\n').map((l) => /^\s*(?:- |> |\d+\. )?/.exec(l)![0]);
  expect(bullets(text)).toEqual(bullets(benign));
  // As many colour tags and mentions as the template writes.
  const count = (t: string, re: RegExp) => t.match(re)?.length ?? 0;
  for (const re of [/<font/g, /<\/font>/g, /<@/g, /@/g, /\*\*/g])
    expect(count(text, re), String(re)).toBe(count(benign, re));

  // Take away what the template writes; nothing of markdown's or HTML's is left, nor a URL.
  let rest = text.replace(TEMPLATE_LINK, '');
  if (c.markdown === 'dingtalk') {
    rest = rest
      .replace(/^#### /, '')
      .replace(/^(\d+)\. \*\*(.*)\*\*$/gm, '$2')
      .replace(/^- /gm, '');
    const mentionLine = lines.filter((l) => l.startsWith('@'));
    expect(mentionLine).toHaveLength(1);
    for (const id of mentionLine[0]!.split(' ')) {
      expect(MOBILES.has(id.slice(1)) || DINGTALK_IDS.has(id.slice(1)), id).toBe(true);
    }
    rest = rest.replace(/^@.*$/m, '');
  } else {
    const mentions = [...text.matchAll(/<@([^>]*)>/g)].map((m) => m[1]!);
    expect(mentions.length).toBeGreaterThan(0);
    for (const id of mentions) expect(WECOM_IDS.has(id), id).toBe(true);
    rest = rest
      .replace(/^### /, '')
      .replace(/<font color="(?:info|warning|comment)">/g, '')
      .replace(/<\/font>/g, '')
      .replace(/<@(?:LiJianGuo|WangMin)>/g, '')
      .replace(/^(?:> |\d+\. |- )/gm, '');
  }
  expect(rest).not.toMatch(/[[\]<>#*_~`|@&!]/);
  expect(rest).not.toMatch(/:\/\/|www\./i);
}

type Post = { post: { zh_cn: { title: string; content: ({ tag: string } & Record<string, string>)[][] } } };

function checkFeishu(post: Post, benign: Post, c: Case): void {
  const { title, content } = post.post.zh_cn;
  expect(title).not.toMatch(/[\r\n]/);
  const all = content.flat();
  for (const e of all) {
    for (const value of Object.values(e)) expect(value).not.toMatch(INVISIBLE);
    if (e.tag === 'text') expect(e.text).not.toMatch(/<\s*\/?\s*at\b/i);
    if (e.tag === 'a') expect(e.href!.startsWith(`${PUBLIC_URL}/ui/projects/`)).toBe(true);
  }
  expect(title).not.toMatch(INVISIBLE);
  expect(all.filter((e) => e.tag === 'a')).toHaveLength(c.links);
  const ats = all.filter((e) => e.tag === 'at').map((e) => e.user_id);
  for (const id of ats) expect(FEISHU_IDS.has(id!), id).toBe(true);
  // The same lines, and within each text element the same line breaks, as with harmless values.
  const shape = (p: Post) =>
    p.post.zh_cn.content.map((line) =>
      line.map((e) => `${e.tag}:${e.tag === 'text' ? e.text!.split('\n').length : ''}`),
    );
  expect(shape(post)).toEqual(shape(benign));
}

function checkEmail(mail: { subject: string; text: string }, benign: { text: string }): void {
  expect(mail.subject).not.toMatch(/[\r\n]/);
  expect(mail.subject).not.toMatch(INVISIBLE);
  expect(mail.text).not.toMatch(INVISIBLE);
  expect(mail.text.split('\n')).toHaveLength(benign.text.split('\n').length);
  for (const line of mail.text.split('\n')) expect(line).not.toMatch(/^\s*伪造/);
}

describe.each(cases())('$name', (c) => {
  const benign = c.render(BENIGN);

  it.each(Object.entries(HOSTILE))('keeps %s inert', (_, value) => {
    const payload = c.render(value);
    if (c.markdown === 'dingtalk') {
      const p = payload as ReturnType<typeof dingtalkPayload>;
      const b = benign as ReturnType<typeof dingtalkPayload>;
      checkMarkdown(p.markdown.text, b.markdown.text, c);
      expect(p.markdown.title).not.toMatch(/[\r\n[\]<>#*@!]/);
      expect(p.markdown.title).not.toMatch(INVISIBLE);
      // The robot pings only well-formed ids of the directory, never everyone.
      expect(p.at.isAtAll).toBe(false);
      for (const m of p.at.atMobiles) expect(MOBILES.has(m), m).toBe(true);
      for (const u of p.at.atUserIds) expect(DINGTALK_IDS.has(u), u).toBe(true);
    } else if (c.markdown === 'wecom') {
      const p = payload as ReturnType<typeof wecomPayload>;
      checkMarkdown(p.markdown.content, (benign as typeof p).markdown.content, c);
    } else if (c.name.startsWith('feishu')) {
      checkFeishu(payload as Post, benign as Post, c);
    } else {
      checkEmail(payload as ReturnType<typeof emailContent>, benign as ReturnType<typeof emailContent>);
    }
  });
});

describe('the template keeps its formatting around hostile values', () => {
  const v = HOSTILE.link!;

  it('DingTalk: heading, bullets, bold, the project link and the directory mentions', () => {
    const one = dingtalkPayload([escalationMessages(v).dingtalk![0]!], ctx);
    const text = one.markdown.text;
    expect(
      text.startsWith('#### 【红牌督办】［点此查看领导批示］(http：//evil.example/phish) · 问题「'),
    ).toBe(true);
    expect(text).toContain('\n- 项目：［点此查看领导批示］(http：//evil.example/phish)（SI-001）\n');
    expect(text).toContain('\n- 承诺时限：2027-03-04\n- 触发时间：2027-03-09 09:00\n');
    expect(text).toContain(`\n[查看项目](${PUBLIC_URL}/ui/projects/SI-001)\n`);
    expect(text).toContain('\n@13800000001 @13900000002 @dt-sun\n');
    expect(one.at).toEqual({
      atMobiles: ['13800000001', '13900000002'],
      atUserIds: ['dt-sun'],
      isAtAll: false,
    });
    // Everyone is named, the people whose ids were refused too.
    expect(text.match(/（部门负责人）|（经办人）/g)).toHaveLength(2);

    const fold = dingtalkPayload(escalationMessages(v).dingtalk!, ctx).markdown.text;
    expect(fold).toMatch(
      /^#### 【审批督办汇总】［点此查看领导批示］\(http：\/\/evil\.example\/phish\) 共 2 条预警\n1\. \*\*【红牌督办】/,
    );
    expect(fold).toContain('\n2. **【黄牌预警】');
  });

  it('WeCom: coloured title, quoted facts, the project link and <@userid> mentions', () => {
    const content = wecomPayload([escalationMessages(v).wecom![0]!], ctx).markdown.content;
    expect(content).toMatch(/^### <font color="warning">【红牌督办】［点此查看领导批示］/);
    expect(content).toContain(
      '\n> 项目：<font color="comment">［点此查看领导批示］(http：//evil.example/phish)（SI-001）</font>\n',
    );
    expect(content).toContain(`\n[查看项目](${PUBLIC_URL}/ui/projects/SI-001)\n`);
    expect(content).toContain('\n<@LiJianGuo> <@WangMin>\n');
  });

  it("the digests keep their sections and bullets; the greeting's name is no bullet", () => {
    const [secretary, leader] = digests('- 伪造\n#### 伪造');
    const morning = dingtalkPayload([digestMessage(secretary!, 'dingtalk', '- 伪造')], ctx).markdown.text;
    const lines = morning.split('\n');
    expect(lines[0]).toMatch(/^#### 【每日督办】2035年6月11日 - 伪造 ＃＃＃＃ 伪造：超期 /);
    expect(lines[1]).toMatch(/^－ 伪造 ＃＃＃＃ 伪造，早上好！/);
    expect(lines).toContain('【超期事项 1 项】');
    expect(lines.filter((l) => l.startsWith('- '))).not.toHaveLength(0);
    for (const l of lines.filter((x) => x.startsWith('- '))) expect(l).not.toMatch(/^- [-+]/);

    const weekly = wecomPayload([digestMessage(leader!, 'wecom', 'x')], ctx).markdown.content.split('\n');
    expect(weekly).toContain('【红灯项目 1 个】');
    expect(weekly.some((l) => /^- － 伪造 ＃＃＃＃ 伪造（P-1）：已触发红牌督办（第 3 级）；/.test(l))).toBe(
      true,
    );
  });

  it('Feishu, e-mail: the text as typed on one line, the mentions from the directory', () => {
    const post = feishuContent([escalationMessages(HOSTILE.feishuMention!).feishu![0]!], ctx).post.zh_cn;
    expect(post.title).toBe(
      '【红牌督办】＜at user_id="all">所有人＜/at> · 问题「＜at user_id="all">所有人＜/at>」',
    );
    expect(post.content.flat().filter((e) => e.tag === 'at')).toEqual([
      { tag: 'at', user_id: 'ou_li' },
      { tag: 'at', user_id: 'ou_wang' },
    ]);
    const mail = emailContent([escalationMessages(HOSTILE.forgedLines!).email![0]!], ctx);
    expect(mail.subject).toBe(
      '【红牌督办】正常 - 伪造：请立即转账 #### 伪造标题 1. 伪造序号 > 伪造引用 * 伪造 · 问题「正常 - 伪造：请立即转账 #### 伪造标题 1. 伪造序号 > 伪造引用 * 伪造」',
    );
  });
});

describe("the leader's action cards keep every hostile value inert", () => {
  const action = `${PUBLIC_URL}/l/${'A'.repeat(43)}`;
  /** The red card as the leader alone gets it (their own robot), with an action link. */
  const own = (v: string): [NotificationMessage, RenderContext] => {
    const red = escalationMessages(v).dingtalk!.find((m) =>
      m.recipients.some((r) => r.roles.includes('leader')),
    )!;
    const m = { ...red, recipients: red.recipients.filter((r) => r.roles.includes('leader')).slice(0, 1) };
    return [m, { publicUrl: PUBLIC_URL, actionLinks: new Map([[m.escalationKey, action]]) }];
  };

  it.each(Object.entries(HOSTILE))('DingTalk ActionCard: %s', (_, value) => {
    const [m, c] = own(value);
    const body = dingtalkBody([m], c);
    if (body.msgtype !== 'actionCard') throw new Error('expected an ActionCard');
    const { title, text, btns } = body.actionCard;
    expect(text).not.toMatch(INVISIBLE);
    expect([...text.matchAll(LINK)]).toEqual([]); // the only links are the buttons
    expect(text).not.toMatch(/https?:\/\//);
    // Lines start only as the template starts them (its heading and fact bullets); no value opens a
    // list, a heading or a quote.
    const template = /^(#### |- (项目|责任单位|承诺时限|触发时间)：)/;
    for (const line of text.split('\n').filter((l) => !template.test(l))) {
      expect(line).not.toMatch(/^\s*(?:[-+*]\s|\d+\.\s|>|#)/);
    }
    expect(title).not.toMatch(/[\r\n[\]<>#*@!]/);
    expect(btns.map((b) => b.actionURL)).toEqual([action, `${PUBLIC_URL}/ui/projects/${m.projectCode}`]);
  });

  it.each(Object.entries(HOSTILE))('WeCom template card and Feishu card: %s', (_, value) => {
    const [m, c] = own(value);
    const wecom = wecomBody([m], c);
    if (wecom.msgtype !== 'template_card') throw new Error('expected a template card');
    const t = wecom.template_card;
    for (const s of [
      t.main_title.title,
      t.sub_title_text,
      ...t.horizontal_content_list.map((f) => f.value),
    ]) {
      expect(s).not.toMatch(/[\r\n]/);
      expect(s).not.toMatch(INVISIBLE);
    }
    const feishu = feishuBody([m], c, undefined, 1_800_000_000);
    if (feishu.msg_type !== 'interactive') throw new Error('expected an interactive card');
    const json = JSON.stringify(feishu.card);
    expect(json).not.toContain('lark_md');
    expect(json).not.toContain('<at');
    expect(feishu.card.header.title.content).not.toMatch(/[\r\n]/);
  });
});
