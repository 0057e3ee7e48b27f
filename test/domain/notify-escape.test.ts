import { describe, expect, it } from 'vitest';
import { oneLine as domainOneLine } from '../../domain/digest-render';
import {
  feishuValue,
  markdownLines,
  markdownValue,
  oneLine,
  plainLines,
  plainValue,
  validMobile,
  validUserId,
} from '../../notify/escape';
import { projectLink } from '../../notify/message';

/** The escaping rules one by one; test/security/notify-injection.test.ts checks whole payloads. */

describe("the programme's own text is unchanged", () => {
  const ordinary = [
    '【红牌督办】智能装备产业园一期 · 建筑工程施工许可',
    '智能装备产业园一期（SI-001）的建筑工程施工许可承诺时限为 2027-03-04，已触发红牌督办，责任单位 ZJ，扣 4 分。',
    '依据自然资规〔2026〕12号，MINERAL-OVERLAY 压覆矿产审查（ZRZY）',
    '触发时间 2027-03-09 09:00',
    '问题「用地红线调整」（责任：自然资源局）：期限 6月12日（周二），已逾期 1 个工作日',
    '【每周督办】2035年6月11日 李建国：红灯 1 · 黄灯 1 · 绿灯 1',
    '李建国，您好！2035年6月11日（周一）每周督办：您包抓的 3 个项目。',
  ];

  it.each(ordinary)('%s', (text) => {
    expect(markdownValue(text)).toBe(text);
    expect(plainValue(text)).toBe(text);
    expect(feishuValue(text)).toBe(text);
    expect(markdownLines(text)).toBe(text);
  });

  it('keeps a digest body line for line, its section headings and bullets', () => {
    const body = [
      '王芳，早上好！2035年6月13日（周三）审批进度日常核对（对照计划）：项目P-1（P-1）。',
      '',
      '【超期事项 1 项】',
      '- 环评批复（住建局）：承诺时限 6月11日（周一），已超期 2 个工作日，黄牌预警',
      '- 事项A（住建局）：6月16日（周六·调休上班）到期，剩 1 个工作日',
    ].join('\n');
    expect(markdownLines(body)).toBe(body);
    expect(plainLines(body)).toBe(body);
  });
});

describe('markdown robots (DingTalk, WeCom)', () => {
  it('turns syntax characters into their fullwidth look-alikes', () => {
    expect(markdownValue('[a](b) ![c] <font> #h *b* _i_ ~s~ `c` |t| @all &amp; !')).toBe(
      '［a］(b) ！［c］ ＜font＞ ＃h ＊b＊ ＿i＿ ～s～ ｀c｀ ｜t｜ ＠all ＆amp; ！',
    );
  });

  it('breaks bare URLs so they are not autolinked', () => {
    expect(markdownValue('见 http://evil.example/x 或 WWW.evil.example')).toBe(
      '见 http：//evil.example/x 或 WWW．evil.example',
    );
  });

  it('puts a value on one line, and neutralises what would open a list, a heading or a code block', () => {
    expect(markdownValue('正常\r\n- 伪造\n#### 标题')).toBe('正常 - 伪造 ＃＃＃＃ 标题');
    expect(markdownValue('- 伪造')).toBe('－ 伪造');
    expect(markdownValue('+ 伪造')).toBe('＋ 伪造');
    expect(markdownValue('1. 伪造')).toBe('1． 伪造');
    expect(markdownValue('2) 伪造')).toBe('2） 伪造');
    expect(markdownValue('===')).toBe('＝==');
    expect(markdownValue('     代码')).toBe('代码');
    expect(markdownValue('第1.2条')).toBe('第1.2条');
  });

  it('strips zero-width, bidi and control characters', () => {
    expect(markdownValue('a\u200Bb\u202Ec\u2066d\u2069\uFEFFe\u0007f\u001Bg\u0085h\u2028i')).toBe(
      'abcdefg h i',
    );
    expect(markdownValue('a\tb')).toBe('a b');
  });

  it("a digest's bullets are those under a section heading; a line a value starts is no bullet", () => {
    expect(markdownLines('- 伪造，早上好！\n\n【超期事项 1 项】\n- 事项\n- - 嵌套\n- 1. 序号')).toBe(
      '－ 伪造，早上好！\n\n【超期事项 1 项】\n- 事项\n- － 嵌套\n- 1． 序号',
    );
    expect(markdownLines('  缩进\r\n#### 标题\n> 引用')).toBe('缩进\n＃＃＃＃ 标题\n＞ 引用');
  });
});

describe('plain text (e-mail, Feishu text elements)', () => {
  it('keeps the text as typed, on one line, without invisible characters', () => {
    expect(plainValue('[a](http://x) #h <b>\n- 伪造\u200B\u202E')).toBe('[a](http://x) #h <b> - 伪造');
    expect(oneLine('a \r\n\r\n b\u2029c')).toBe('a b c');
    expect(plainLines('a\r\nb\u200B\n\tc')).toBe('a\nb\n c');
  });

  it("Feishu: a value cannot carry Feishu's <at> markup", () => {
    expect(feishuValue('<at user_id="all">所有人</at> a<b')).toBe('＜at user_id="all">所有人＜/at> a<b');
    expect(feishuValue('< AT user_id="ou_x">')).toBe('＜ AT user_id="ou_x">');
  });
});

describe('mention ids from the directory', () => {
  it('keeps well-formed ones and drops the rest', () => {
    expect(validMobile('13800000001')).toBe('13800000001');
    for (const bad of ['138 0000 0001', '+8613800000001', '@all', '', '1'.repeat(21)]) {
      expect(validMobile(bad)).toBeUndefined();
    }
    for (const good of ['LiJianGuo', 'dt-li', 'ou_0a1b2c', 'a.b']) expect(validUserId(good)).toBe(good);
    for (const bad of ['all', 'ALL', 'x><font', 'a b', '@all', '', 'x'.repeat(129)]) {
      expect(validUserId(bad)).toBeUndefined();
    }
  });
});

describe('the project link', () => {
  it('encodes the code whole, so it cannot close a markdown link target', () => {
    expect(projectLink('https://gl.example/', "A)(!*'B")).toBe(
      'https://gl.example/ui/projects/A%29%28%21%2A%27B',
    );
  });
});

describe('digest values on one line (domain)', () => {
  it('turns every line break, with the spaces around it, into one space', () => {
    expect(domainOneLine('正常 \r\n- 伪造\n\n#### 伪造\u2028x\u0085y')).toBe('正常 - 伪造 #### 伪造 x y');
    expect(domainOneLine('自然资规〔2026〕12号')).toBe('自然资规〔2026〕12号');
  });
});
