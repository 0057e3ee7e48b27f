import type { Calendar } from './calendar';
import { RUNG_LEVEL } from './ladder';
import { overdueAt, type ReportItem, type ReportProject } from './reports';
import { DONE_STATUSES } from './vocabulary';
import { workingDaysFromTo } from './working-days';

/**
 * A leader's projects with their colour (红黄绿灯), and what each colour rests on: the read model's
 * escalation level and overdue count, the items' latest starts (倒排工期), the target's shortfall.
 */

const DONE: ReadonlySet<string> = DONE_STATUSES;

export type Colour = 'green' | 'yellow' | 'red';
export const colourLabelZh: Record<Colour, string> = { green: '绿灯', yellow: '黄灯', red: '红灯' };

export type ProjectStanding = {
  colour: Colour;
  /** Why, in Chinese, most serious first; empty for green. */
  reasons: string[];
  /** max(projects.overdue_items, items overdue at `now`). */
  overdueItems: number;
  /**
   * Open items not yet accepted whose latest start (倒排工期) has passed although the plan let them start
   * in time: each one now pushes the target start back, and someone must act on it.
   */
  lateStarts: string[];
  /**
   * Working days the plan was short of the target start from its first day (an item's latest start before
   * its planned start); null when the plan can meet the target or there is none. Said once, beside the
   * colour, never as a colour: nobody is late because of it.
   */
  targetShortBy: number | null;
  /** Working days from today to the target start; negative once it has passed; null without a target. */
  countdown: number | null;
};

/**
 * A project's colour (红黄绿灯):
 * - red: an open item or problem reached the red card or beyond (projects.escalation_level ≥ 3), or an open
 *   item not yet accepted has passed a latest start the plan let it meet, so the target start slips now;
 *   a target the plan could never meet is `targetShortBy`, not red (it would be red from the first day);
 * - yellow: a yellow card (escalation_level ≥ 2), or any item overdue (projects.overdue_items, or an
 *   accepted item past its due time at `now`, whichever is more: the read model counts only at its writes);
 * - green otherwise.
 */
export function projectStanding(
  project: ReportProject,
  items: readonly ReportItem[],
  calendar: Calendar,
  now: number,
): ProjectStanding {
  const today = calendar.dateOf(now);
  // A suspended project (缓建) has its clocks stopped: nothing in it is late until it resumes.
  const suspended = project.status === 'suspended';
  const open = suspended ? [] : items.filter((i) => !DONE.has(i.status));
  const bornLate = (i: ReportItem) =>
    i.latestStart !== null && i.plannedStart !== null && i.latestStart < i.plannedStart;
  const lateStarts = open
    .filter((i) => i.acceptedAt === null && i.latestStart !== null && i.latestStart < today && !bornLate(i))
    .map((i) => i.itemCode)
    .sort();
  const shortBy = items
    .filter(bornLate)
    .map((i) => workingDaysFromTo(calendar, i.latestStart!, i.plannedStart!));
  const targetShortBy = shortBy.length > 0 ? Math.max(...shortBy) : null;
  const overdueNow = open.filter((i) => i.status === 'accepted' && overdueAt(i, now)).length;
  const overdueItems = Math.max(project.overdueItems, overdueNow);
  const level = project.escalationLevel;

  const reasons: string[] = suspended ? ['项目缓建中，时限与督办暂停'] : [];
  if (level >= RUNG_LEVEL.red) reasons.push(`已触发红牌督办（第 ${level} 级）`);
  if (lateStarts.length) reasons.push(`开工目标正在延误：${lateStarts.join('、')} 已过最晚开始日仍未受理`);
  if (level === RUNG_LEVEL.yellow) reasons.push('已触发黄牌预警');
  if (overdueItems > 0) reasons.push(`${overdueItems} 个事项超期`);
  const colour: Colour =
    level >= RUNG_LEVEL.red || lateStarts.length > 0
      ? 'red'
      : level >= RUNG_LEVEL.yellow || overdueItems > 0
        ? 'yellow'
        : 'green';

  const target = project.targetStart;
  const countdown = target === null ? null : workingDaysFromTo(calendar, today, target);
  return { colour, reasons, overdueItems, lateStarts, targetShortBy, countdown };
}

/** The note beside the colour when the plan cannot meet the target start (ProjectStanding.targetShortBy). */
export function targetShortZh(shortBy: number | null): string | null {
  return shortBy === null
    ? null
    : `按当前计划，目标开工日不可行：关键路径需压缩 ${shortBy} 个工作日，或推迟目标开工日`;
}

export type LeaderProjectLine = ReportProject & ProjectStanding;

const COLOUR_ORDER: Record<Colour, number> = { red: 0, yellow: 1, green: 2 };

/** A leader's projects with their standing: red first, then yellow, then green; then by code. */
export function leaderProjects(
  projects: readonly ReportProject[],
  items: readonly ReportItem[],
  calendar: Calendar,
  now: number,
): LeaderProjectLine[] {
  return projects
    .map((p) => ({
      ...p,
      ...projectStanding(
        p,
        items.filter((i) => i.projectCode === p.code),
        calendar,
        now,
      ),
    }))
    .sort((a, b) => COLOUR_ORDER[a.colour] - COLOUR_ORDER[b.colour] || a.code.localeCompare(b.code));
}
