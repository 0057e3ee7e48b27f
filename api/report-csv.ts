import type { annualPlan } from '../domain/annual-plan';
import { chinaMinuteOf } from '../domain/calendar';
import type { CsvColumn } from '../domain/csv';
import { rungLabelZh, rungNameOf } from '../domain/ladder';
import type { departmentMonthly, projectLedger, returnsLedger } from '../domain/reports';
import { colourLabelZh, type leaderProjects } from '../domain/standing';
import { itemStatusLabelZh, projectStatusZh, timeKindZh } from '../domain/vocabulary';

/**
 * The reports' CSV downloads (api/routes/reports.ts): their columns, with the Chinese headers people
 * read in Excel, and how each value is written (statuses and ladder rungs in Chinese, instants in China
 * Standard Time, rates as percentages).
 */

const rungZh = (level: number) => {
  const name = rungNameOf(level);
  return name ? rungLabelZh[name] : level === 0 ? '' : `第 ${level} 级`;
};
/** An instant as China Standard Time, 'YYYY-MM-DD HH:mm'. */
export const cst = (iso: string | null) => (iso === null ? null : chinaMinuteOf(Date.parse(iso)));
const percent = (rate: number | null) => (rate === null ? null : `${Math.round(rate * 10_000) / 100}%`);

type Ledger = ReturnType<typeof projectLedger>[number];
export const ledgerColumns: CsvColumn<Ledger>[] = [
  { header: '项目代码', value: (r) => r.projectCode },
  { header: '事项编码', value: (r) => r.itemCode },
  { header: '事项名称', value: (r) => r.nameZh },
  { header: '责任部门', value: (r) => r.departmentName ?? r.department },
  { header: '阶段', value: (r) => r.stage },
  { header: '状态', value: (r) => itemStatusLabelZh(r.status) },
  { header: '计划开始', value: (r) => r.plannedStart },
  { header: '计划完成', value: (r) => r.plannedFinish },
  { header: '最晚开始', value: (r) => r.latestStart },
  { header: '申报时间', value: (r) => cst(r.submittedAt) },
  { header: '受理时间', value: (r) => cst(r.acceptedAt) },
  // The due day people read, not dueAt (00:00 of the day after it).
  { header: '承诺时限', value: (r) => r.dueDate },
  { header: '时限暂定', value: (r) => r.provisional },
  { header: '办结时间', value: (r) => cst(r.finishedAt) },
  { header: '已用工作日', value: (r) => r.workingDaysUsed },
  { header: '时间类型', value: (r) => timeKindZh[r.timeKind] },
  { header: '计入审批用时（工作日）', value: (r) => r.countedDays },
  { header: '历时（工作日）', value: (r) => r.elapsedDays },
  { header: '补正次数', value: (r) => r.returns },
  { header: '督办等级', value: (r) => rungZh(r.rung) },
  { header: '是否按时', value: (r) => r.onTime },
  { header: '是否超期', value: (r) => r.overdue },
];

type Month = ReturnType<typeof departmentMonthly>[number];
export const monthlyColumns: CsvColumn<Month>[] = [
  { header: '排名', value: (r) => r.rank },
  { header: '部门代码', value: (r) => r.department },
  { header: '部门名称', value: (r) => r.nameZh },
  { header: '办结件数', value: (r) => r.handled },
  { header: '按时办结件数', value: (r) => r.onTime },
  { header: '按时办结率', value: (r) => percent(r.onTimeRate) },
  { header: '平均用时（工作日）', value: (r) => r.meanWorkingDays },
  { header: 'P90用时（工作日）', value: (r) => r.p90WorkingDays },
  { header: '超期件数', value: (r) => r.overdue },
  { header: '累计扣分', value: (r) => r.points },
  { header: '被催办次数', value: (r) => r.urgings },
];

type LeaderLine = ReturnType<typeof leaderProjects>[number];
export const leaderColumns: CsvColumn<LeaderLine>[] = [
  { header: '亮灯', value: (r) => colourLabelZh[r.colour] },
  { header: '项目代码', value: (r) => r.code },
  { header: '项目名称', value: (r) => r.name },
  { header: '项目秘书', value: (r) => r.secretary },
  { header: '当前阶段', value: (r) => r.stage },
  { header: '状态', value: (r) => projectStatusZh[r.status] ?? r.status },
  { header: '开工目标', value: (r) => r.targetStart },
  { header: '目标缺口（工作日）', value: (r) => r.targetShortBy },
  { header: '开工倒计时（工作日）', value: (r) => r.countdown },
  { header: '超期事项', value: (r) => r.overdueItems },
  { header: '督办等级', value: (r) => rungZh(r.escalationLevel) },
  { header: '原因', value: (r) => r.reasons.join('；') },
];

type Annual = ReturnType<typeof annualPlan>['projects'][number]['items'][number];
export const annualColumns: CsvColumn<Annual>[] = [
  { header: '项目代码', value: (r) => r.projectCode },
  { header: '项目名称', value: (r) => r.projectName },
  { header: '事项编码', value: (r) => r.itemCode },
  { header: '事项名称', value: (r) => r.nameZh },
  { header: '责任部门', value: (r) => r.departmentName ?? r.department },
  { header: '阶段', value: (r) => r.stage },
  { header: '计划开始', value: (r) => r.plannedStart },
  { header: '计划完成', value: (r) => r.plannedFinish },
  { header: '状态', value: (r) => itemStatusLabelZh(r.status) },
  { header: '办结时间', value: (r) => cst(r.finishedAt) },
  { header: '是否完成', value: (r) => r.done },
  { header: '是否滞后', value: (r) => r.behindPlan },
];

type Returned = ReturnType<typeof returnsLedger>['items'][number];
export const returnsColumns: CsvColumn<Returned>[] = [
  { header: '项目代码', value: (r) => r.projectCode },
  { header: '项目名称', value: (r) => r.projectName },
  { header: '事项编码', value: (r) => r.itemCode },
  { header: '事项名称', value: (r) => r.nameZh },
  { header: '责任部门', value: (r) => r.departmentName ?? r.department },
  { header: '补正次数', value: (r) => r.returns },
  { header: '状态', value: (r) => itemStatusLabelZh(r.status) },
];

type OneTrip = ReturnType<typeof returnsLedger>['departments'][number];
export const oneTripColumns: CsvColumn<OneTrip>[] = [
  { header: '部门代码', value: (r) => r.department },
  { header: '部门名称', value: (r) => r.nameZh },
  { header: '办结件数', value: (r) => r.decided },
  { header: '一次办结件数', value: (r) => r.withoutReturn },
  { header: '一次办结率', value: (r) => percent(r.oneTripRate) },
];
