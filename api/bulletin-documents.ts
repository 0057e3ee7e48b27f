import { type Assessment, type AssessmentRow, COMPONENTS, componentZh } from '../domain/assessment';
import type { Bulletin, BulletinCard, BulletinProblem } from '../domain/bulletin';
import { chinaDateOf, dueDateOf } from '../domain/calendar';
import type { CsvColumn } from '../domain/csv';
import { rungLabelZh } from '../domain/ladder';
import { problemStatusZh } from '../domain/vocabulary';
import type { OfficialBlock, OfficialDocument } from './official-docx';
import { cst } from './report-csv';

/**
 * The bulletin's and the assessment's words, once, for every form they take: the Word document
 * (api/official-docx.ts), the dashboard page and its PDF (api/ui/bulletin.ts), the CSV. Figures are the
 * domain's (domain/bulletin.ts, domain/assessment.ts); this file only writes them out.
 */

export const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 10_000) / 100}%`);
/** An instant as its China date, 'YYYY-MM-DD'. */
export const cstDate = (iso: string | null) => (iso === null ? '—' : chinaDateOf(Date.parse(iso)));
/** An instant as China time, 'YYYY-MM-DD HH:mm'. */
export const cstDateTime = (iso: string) => cst(iso)!;
export const monthZh = (month: string) => `${month.slice(0, 4)}年${Number(month.slice(5, 7))}月`;
export const quarterZh = (quarter: string) =>
  `${quarter.slice(0, 4)}年第${'一二三四'[Number(quarter[5]) - 1]}季度`;
const dept = (code: string | null, name: string | null) => name ?? code ?? '—';
const ISSUER = '重大项目帮办代办服务室';

export const bulletinTitle = (b: Bulletin) => `${monthZh(b.month)}重大项目审批督查通报`;
export const assessmentTitle = (a: Assessment) => `${quarterZh(a.quarter)}审批部门考核结果`;

export const departmentHeaders = [
  '排名',
  '部门',
  '办结件数',
  '按时办结',
  '按时办结率',
  '超期件数',
  '累计扣分',
];
export const departmentCells = (r: Bulletin['departments'][number]) => [
  r.rank,
  dept(r.department, r.nameZh),
  r.handled,
  r.onTime,
  percent(r.onTimeRate),
  r.overdue,
  r.points,
];
export const cardHeaders = ['时间', '项目', '事项/问题', '责任部门', '督办'];
export const cardCells = (c: BulletinCard) => [
  cstDate(c.firedAt),
  c.projectName,
  c.subjectId,
  dept(c.department, c.departmentName),
  rungLabelZh[c.rung],
];
export const problemHeaders = ['项目', '问题', '责任部门', '期限', '状态'];
export const problemCells = (p: BulletinProblem) => [
  p.projectName,
  `${p.problemId} ${p.title}`,
  dept(p.ownerDepartment, p.ownerDepartmentName),
  // The deadline is the end of its day (00:00 of the next): the day people read.
  dueDateOf(p.deadlineAt),
  problemStatusZh[p.status as keyof typeof problemStatusZh] ?? p.status,
];

/** The totals in one sentence. */
export function bulletinSummaryZh(b: Bulletin): string {
  const t = b.totals;
  return `本月 ${t.departments} 个审批部门共办结事项 ${t.handled} 件，按时办结 ${t.onTime} 件，按时办结率 ${percent(t.onTimeRate)}；超期 ${t.overdue} 件，累计扣分 ${t.points} 分；发出红牌督办 ${t.redCards} 次、约谈通知 ${t.interviews} 次；解决问题 ${t.problemsSolved} 个，尚未解决 ${t.problemsOpen} 个。服务日志 ${b.service.contacts.total} 条，回访 ${b.service.returnVisits.count} 次${b.service.returnVisits.meanSatisfaction === null ? '' : `，平均满意度 ${b.service.returnVisits.meanSatisfaction} 分`}。`;
}

export function namedLineZh(n: Bulletin['named'][number]): string {
  const months = n.months.map((m) => `${monthZh(m.month)}超期 ${m.overdue} 件`).join('，');
  return `${dept(n.department, n.nameZh)}：${months}。`;
}

export function bulletinDocument(b: Bulletin): OfficialDocument {
  const blocks: OfficialBlock[] = [
    { kind: 'heading', text: '总体情况' },
    { kind: 'paragraph', text: bulletinSummaryZh(b) },
    { kind: 'heading', text: '部门办理情况及排名' },
    { kind: 'table', headers: departmentHeaders, rows: b.departments.map(departmentCells) },
    { kind: 'heading', text: '红牌督办和约谈情况' },
  ];
  const cards = [...b.redCards, ...b.interviews];
  blocks.push(
    cards.length
      ? { kind: 'table', headers: cardHeaders, rows: cards.map(cardCells) }
      : { kind: 'paragraph', text: '本月无红牌督办和约谈。' },
  );
  blocks.push({ kind: 'heading', text: '问题解决情况' });
  blocks.push({ kind: 'paragraph', text: `本月解决问题 ${b.problems.solved.length} 个：` });
  if (b.problems.solved.length)
    blocks.push({ kind: 'table', headers: problemHeaders, rows: b.problems.solved.map(problemCells) });
  blocks.push({ kind: 'paragraph', text: `尚未解决问题 ${b.problems.open.length} 个：` });
  if (b.problems.open.length)
    blocks.push({ kind: 'table', headers: problemHeaders, rows: b.problems.open.map(problemCells) });
  blocks.push({ kind: 'heading', text: '点名通报' });
  blocks.push({ kind: 'paragraph', text: `通报规则：${b.rule.textZh}` });
  if (b.named.length) for (const n of b.named) blocks.push({ kind: 'paragraph', text: namedLineZh(n) });
  else blocks.push({ kind: 'paragraph', text: '本月无部门达到点名通报条件。' });
  return {
    title: bulletinTitle(b),
    subtitle: `${ISSUER} · ${monthZh(b.month)}`,
    blocks,
    dateLine: `${ISSUER}　${cstDate(b.asOf)}`,
  };
}

export const assessmentHeaders = [
  '排名',
  '部门',
  '得分',
  ...COMPONENTS.map((k) => componentZh[k]),
  '办结',
  '按时',
  '超期未结',
  '补正',
  '黄牌',
  '红牌',
  '约谈',
  '扣分',
  '回访',
];
export const assessmentCells = (r: AssessmentRow) => [
  r.rank,
  dept(r.department, r.nameZh),
  r.score,
  ...COMPONENTS.map((k) => r.components[k] ?? '不计'),
  r.evidence.decided,
  r.evidence.onTime,
  r.evidence.overdueOpen,
  r.evidence.returned,
  r.evidence.yellowCards,
  r.evidence.redCards,
  r.evidence.interviews,
  r.evidence.pointsLost,
  r.evidence.returnVisits,
];

/** The rules in words: each component's weight and how it is scored. */
export function assessmentRulesZh(a: Assessment): string[] {
  const w = a.rules.weights;
  return [
    `考核细则：${a.rules.title}（版本 ${a.rules.version}），满分 100 分。`,
    `按时办结率 ${w.onTime} 分：按本季度按时办结件数占（本季度办结件数 + 季末仍超期未办结件数）的比例计分。`,
    `督办扣分 ${w.points} 分：本季度黄牌、红牌、约谈按督办规则的基础分值每分扣 ${a.rules.perPoint} 分，扣完为止。`,
    `约谈 ${w.interviews} 分：每次约谈通知扣 ${a.rules.perInterview} 分，扣完为止。`,
    `补正率 ${w.returns} 分：按本季度办结事项中未经补正的比例计分。`,
    `回访满意度 ${w.satisfaction} 分：按部门所涉项目阶段的回访平均满意度（1–5 分）折算。`,
    '某项无可计数据（本季度无办结或超期事项、无回访）的不计，得分按其余各项权重折算为百分制；本季度无在办事项、无督办、无回访的部门不参与考核。',
  ];
}

export function assessmentDocument(a: Assessment, asOf: string): OfficialDocument {
  const blocks: OfficialBlock[] = [
    { kind: 'heading', text: '考核细则' },
    ...assessmentRulesZh(a).map((text) => ({ kind: 'paragraph' as const, text })),
    { kind: 'heading', text: '考核结果及排名' },
    { kind: 'table', headers: assessmentHeaders, rows: a.departments.map(assessmentCells) },
  ];
  return {
    title: assessmentTitle(a),
    subtitle: `${ISSUER} · ${quarterZh(a.quarter)}`,
    blocks,
    dateLine: `${ISSUER}　${cstDate(asOf)}`,
  };
}

export const assessmentColumns: CsvColumn<AssessmentRow>[] = [
  { header: '排名', value: (r) => r.rank },
  { header: '部门代码', value: (r) => r.department },
  { header: '部门名称', value: (r) => r.nameZh },
  { header: '得分', value: (r) => r.score },
  ...COMPONENTS.map((k) => ({ header: componentZh[k], value: (r: AssessmentRow) => r.components[k] })),
  { header: '办结件数', value: (r) => r.evidence.decided },
  { header: '按时办结件数', value: (r) => r.evidence.onTime },
  { header: '季末超期未结件数', value: (r) => r.evidence.overdueOpen },
  { header: '经补正件数', value: (r) => r.evidence.returned },
  { header: '黄牌', value: (r) => r.evidence.yellowCards },
  { header: '红牌', value: (r) => r.evidence.redCards },
  { header: '约谈', value: (r) => r.evidence.interviews },
  { header: '督办扣分', value: (r) => r.evidence.pointsLost },
  { header: '回访次数', value: (r) => r.evidence.returnVisits },
  { header: '满意度合计', value: (r) => r.evidence.satisfactionSum },
];
