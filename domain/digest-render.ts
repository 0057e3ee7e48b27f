import {
  type Digest,
  DUE_SOON_WORKING_DAYS,
  type LeaderDigest,
  type LeaderProjectLine,
  type LineBase,
  type ProblemLine,
  type SecretaryDigest,
} from './digest';
import { forecastLineZh } from './forecast';
import { RUNG_LEVEL, rungLabelZh, rungNameOf } from './ladder';
import { type Colour, colourLabelZh } from './standing';

/** A digest in words: Chinese, plain lines that read well as markdown, plain text and a robot's post. */

export type RenderedDigest = { title: string; text: string };

/**
 * A value set by a person (a name, a title, a reason) on one line: every line break, with the spaces
 * around it, becomes one space, so a value cannot start a line of the digest (a forged bullet or
 * heading). The lines are the template's; each channel makes the values inert in its own syntax.
 */
export function oneLine(value: string): string {
  return value.replace(/[ \t\u3000]*(?:\r\n|[\r\n\v\f\u0085\u2028\u2029])[\s\u3000]*/g, ' ');
}

const dept = (l: LineBase) => oneLine(l.departmentName ?? l.department);

export function renderDigest(d: Digest): RenderedDigest {
  return d.kind === 'secretaries-morning' ? renderSecretary(d) : renderLeader(d);
}

function section<T>(heading: string, lines: readonly T[], line: (x: T) => string): string[] {
  return lines.length === 0 ? [] : ['', `【${heading}】`, ...lines.map((x) => `- ${line(x)}`)];
}

function renderSecretary(d: SecretaryDigest): RenderedDigest {
  const multi = d.projects.length > 1;
  const where = (l: { projectName: string }) => (multi ? `${oneLine(l.projectName)} · ` : '');
  const shortDate = d.dateLabel.replace(/（.*$/, '');
  const person = oneLine(d.person.name);
  const title = d.quiet
    ? `【每日督办】${shortDate} ${person}：进度符合计划`
    : `【每日督办】${shortDate} ${person}：超期 ${d.overdue.length} 项 · 临期 ${d.dueSoon.length} 项 · 问题 ${d.problems.length} 个`;
  const projects = d.projects.map((p) => `${oneLine(p.name)}（${oneLine(p.code)}）`).join('、');
  const rung = (level: number) => {
    const name = rungNameOf(level);
    return name && level >= RUNG_LEVEL.yellow ? `，${rungLabelZh[name]}` : '';
  };
  const lines = [
    `${person}，早上好！${d.dateLabel}审批进度日常核对（对照计划）：${projects || '暂无在办项目'}。`,
    ...section(
      `超期事项 ${d.overdue.length} 项`,
      d.overdue,
      (l) =>
        `${where(l)}${oneLine(l.nameZh)}（${dept(l)}）：承诺时限 ${l.dueLabel}，已超期 ${l.workingDaysOverdue} 个工作日${rung(l.rung)}`,
    ),
    ...section(
      `${DUE_SOON_WORKING_DAYS} 个工作日内到期 ${d.dueSoon.length} 项`,
      d.dueSoon,
      (l) =>
        `${where(l)}${oneLine(l.nameZh)}（${dept(l)}）：${l.dueLabel}到期，${l.workingDaysLeft === 0 ? '今日到期' : `剩 ${l.workingDaysLeft} 个工作日`}`,
    ),
    ...section(
      `已到计划开始日未申报 ${d.lateStarts.length} 项`,
      d.lateStarts,
      (l) => `${where(l)}${oneLine(l.nameZh)}（${dept(l)}）：计划 ${l.plannedLabel}开始`,
    ),
    ...section(`未解决问题 ${d.problems.length} 个`, d.problems, (p) => problemText(p, multi)),
  ];
  if (d.quiet) lines.push('', '今日没有超期、临期事项和未解决问题，进度符合计划。');
  return { title, text: lines.join('\n') };
}

function problemText(p: ProblemLine, withProject: boolean): string {
  const owner = p.owner ? `（责任：${oneLine(p.owner)}）` : '';
  const state = p.pastDeadline ? `已逾期 ${p.workingDaysPast} 个工作日` : '未到期';
  return `${withProject ? `${oneLine(p.projectName)} · ` : ''}问题 ${oneLine(p.problemId)}「${oneLine(p.title)}」${owner}：期限 ${p.deadlineLabel}，${state}`;
}

function renderLeader(d: LeaderDigest): RenderedDigest {
  const shortDate = d.dateLabel.replace(/（.*$/, '');
  const person = oneLine(d.person.name);
  const title = `【每周督办】${shortDate} ${person}：红灯 ${d.counts.red} · 黄灯 ${d.counts.yellow} · 绿灯 ${d.counts.green}`;
  const countdown = (p: LeaderProjectLine) =>
    p.countdown === null
      ? ''
      : p.countdown >= 0
        ? `；开工倒计时 ${p.countdown} 个工作日`
        : `；已过开工目标 ${-p.countdown} 个工作日`;
  const byColour = (colour: Colour) =>
    section(
      `${colourLabelZh[colour]}项目 ${d.counts[colour]} 个`,
      d.projects.filter((p) => p.colour === colour),
      (p) =>
        `${oneLine(p.name)}（${oneLine(p.code)}）：${p.reasons.length ? p.reasons.map(oneLine).join('；') : `第 ${p.stage} 阶段推进正常`}${countdown(p)}${
          p.forecast ? `；${oneLine(forecastLineZh(p.forecast))}` : ''
        }`,
    );
  const lines = [
    `${person}，您好！${d.dateLabel}每周督办：您包抓的 ${d.projects.length} 个项目，红灯 ${d.counts.red} 个、黄灯 ${d.counts.yellow} 个、绿灯 ${d.counts.green} 个。`,
    ...byColour('red'),
    ...byColour('yellow'),
    ...byColour('green'),
    ...section(`红黄牌事项 ${d.cardItems.length} 项`, d.cardItems, (l) => {
      const due = l.dueLabel ? `，承诺时限 ${l.dueLabel}` : '';
      const state =
        l.workingDaysOverdue > 0
          ? `，已超期 ${l.workingDaysOverdue} 个工作日`
          : l.dueLabel
            ? `，剩 ${-l.workingDaysOverdue} 个工作日`
            : '';
      return `${oneLine(l.projectName)} · ${oneLine(l.nameZh)}（${dept(l)}）：${l.rungLabel}${due}${state}`;
    }),
    ...section(`超期未解决问题 ${d.problemsPastDeadline.length} 个`, d.problemsPastDeadline, (p) =>
      problemText(p, true),
    ),
    ...(d.bulletin
      ? [
          '',
          `【月度督查通报】${d.bulletin.month.slice(0, 4)}年${Number(d.bulletin.month.slice(5, 7))}月督查通报已发布，请在挂图作战「督查通报」中查阅：${d.bulletin.link}`,
        ]
      : []),
  ];
  return { title, text: lines.join('\n') };
}
