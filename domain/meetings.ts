import { z } from 'zod';
import { type Calendar, LocalDate } from './calendar';
import { DepartmentCode, ItemCode } from './catalog';
import type { DigestProblem } from './digest';
import { RUNG_LEVEL } from './ladder';
import { PersonId, ProjectCode } from './project';
import type { ReportItem, ReportProject } from './reports';
import { projectStanding } from './standing';
import { DONE_STATUSES } from './vocabulary';

/**
 * The programme's coordination meetings: the weekly meeting (每周碰头会) where the centre goes through
 * what is stuck, and the special meeting (专题协调会) on one project or one of its problems. Greenlane
 * drafts the agenda from the record, the minutes record a decision per agenda line, and each decision
 * becomes the project's own action (api/meeting-decisions.ts), so that it is tracked to closure like
 * everything else; the next meeting opens with the last one's decisions and whether each was kept.
 *
 * Pure: the read-model rows, the calendar and `now` are parameters.
 */

export const MeetingKind = z.enum(['weekly', 'special']).describe('weekly 每周碰头会, special 专题协调会');
export type MeetingKind = z.infer<typeof MeetingKind>;

const text = (max: number) => z.string().trim().min(1).max(max);

export const ConveneMeeting = z
  .strictObject({
    kind: MeetingKind,
    heldOn: LocalDate.describe('The day of the meeting (China Standard Time)'),
    title: text(200).optional().describe('Default: 每周碰头会 / 专题协调会 with the day and the project'),
    projectCode: ProjectCode.optional().describe('A special meeting: the project it is about'),
    problemId: text(32).optional().describe('A special meeting on one problem of that project'),
    attendees: z.array(PersonId).max(100).default([]).describe('People to notify: the directory’s ids'),
  })
  .refine((m) => (m.kind === 'weekly' ? m.projectCode === undefined : m.projectCode !== undefined), {
    message: 'a special meeting names its project (projectCode); a weekly one covers every project',
    path: ['projectCode'],
  })
  .refine((m) => m.problemId === undefined || m.projectCode !== undefined, {
    message: 'a problem is named with its project (projectCode)',
    path: ['problemId'],
  })
  .meta({
    id: 'ConveneMeeting',
    example: { kind: 'weekly', heldOn: '2026-12-07', attendees: ['leader-li', 'sec-wang'] },
  });
export type ConveneMeeting = z.infer<typeof ConveneMeeting>;

export const AgendaLineKind = z.enum([
  'carried',
  'red-item',
  'yellow-item',
  'problem-overdue',
  'problem-unowned',
  'start-slipped',
]);
export type AgendaLineKind = z.infer<typeof AgendaLineKind>;

/** A decision of an earlier meeting and where it stands now. */
export type CarriedDecision = {
  meetingId: number;
  no: number;
  kind: MeetingDecisionKind;
  projectCode: string;
  summaryZh: string;
  /** true kept, false broken (its date passed with the thing undone), null not yet due. */
  kept: boolean | null;
  stateZh: string;
};

export type AgendaLine = {
  no: number;
  kind: AgendaLineKind;
  projectCode: string;
  projectName: string;
  itemCode: string | null;
  problemId: string | null;
  department: string | null;
  /** The line as read out: what, who, since when. */
  summaryZh: string;
  /** For a red item: the open escalation a leader's instruction answers. */
  escalationKey: string | null;
  carried: CarriedDecision | null;
};

/** What the next meeting compares against: each project's late starts (倒排工期) on the day. */
export type Standing = Record<string, string[]>;

export type AgendaSource = {
  scope: { projectCode?: string; problemId?: string };
  projects: readonly ReportProject[];
  items: readonly ReportItem[];
  problems: readonly DigestProblem[];
  /** Open red-card escalations by `project/item`: their keys. */
  redCards: ReadonlyMap<string, string>;
  calendar: Calendar;
  now: number;
  previous: { standing: Standing; decisions: readonly CarriedDecision[] } | null;
};

const DONE: ReadonlySet<string> = DONE_STATUSES;

/**
 * The agenda, in the order the meeting takes it: the last meeting's decisions first, then per project
 * (in code order) its red items, yellow and overdue items, problems past their deadline, problems
 * nobody owns, and a target start that began slipping since the last meeting.
 */
export function draftAgenda(source: AgendaSource): { lines: AgendaLine[]; standing: Standing } {
  const { scope, calendar, now } = source;
  const live = source.projects
    .filter((p) => p.status === 'active' && (!scope.projectCode || p.code === scope.projectCode))
    .sort((a, b) => a.code.localeCompare(b.code));
  const lines: Omit<AgendaLine, 'no'>[] = [];
  const blank = { itemCode: null, problemId: null, department: null, escalationKey: null, carried: null };
  for (const d of source.previous?.decisions ?? []) {
    const project = source.projects.find((p) => p.code === d.projectCode);
    lines.push({
      ...blank,
      kind: 'carried',
      projectCode: d.projectCode,
      projectName: project?.name ?? d.projectCode,
      summaryZh: `上次会议决定 ${d.no}：${d.summaryZh}（${d.stateZh}）`,
      carried: d,
    });
  }
  const standing: Standing = {};
  for (const p of live) {
    const items = source.items.filter((i) => i.projectCode === p.code);
    const { lateStarts } = projectStanding(p, items, calendar, now);
    standing[p.code] = lateStarts;
    const onScope = (problemId: string | null) => !scope.problemId || problemId === scope.problemId;
    const base = { ...blank, projectCode: p.code, projectName: p.name };
    if (!scope.problemId) {
      for (const i of items.filter((x) => !DONE.has(x.status) && x.status !== 'withdrawn')) {
        const late = i.dueAt !== null && Date.parse(i.dueAt) < now;
        if (i.rung < RUNG_LEVEL.yellow && !late) continue;
        const overdue = late
          ? `，超期 ${calendar.workingDaysBetween(Date.parse(i.dueAt!), now)} 个工作日`
          : '';
        const card = i.rung >= RUNG_LEVEL.red ? '红牌' : i.rung === RUNG_LEVEL.yellow ? '黄牌' : '超期';
        lines.push({
          ...base,
          kind: i.rung >= RUNG_LEVEL.red ? 'red-item' : 'yellow-item',
          itemCode: i.itemCode,
          department: i.department,
          escalationKey: source.redCards.get(`${p.code}/${i.itemCode}`) ?? null,
          summaryZh: `${p.name} · ${i.nameZh}（${i.departmentName ?? i.department}）${card}：时限 ${i.dueDate ?? '—'}${overdue}`,
        });
      }
    }
    for (const pr of source.problems.filter((x) => x.projectCode === p.code && onScope(x.problemId))) {
      const owner = pr.ownerDepartmentName ?? pr.ownerDepartment ?? pr.ownerPerson;
      const past = Date.parse(pr.deadlineAt) < now;
      if (!past && owner !== null && !scope.problemId) continue;
      lines.push({
        ...base,
        kind: owner === null ? 'problem-unowned' : 'problem-overdue',
        problemId: pr.problemId,
        department: pr.ownerDepartment,
        summaryZh: `${p.name} · 问题 ${pr.problemId}「${pr.title}」：${owner === null ? '尚无责任单位' : `责任单位 ${owner}`}，期限 ${calendar.dateOf(Date.parse(pr.deadlineAt) - 1)}${past ? '，已过期' : ''}`,
      });
    }
    const before = source.previous?.standing[p.code];
    const newlyLate = lateStarts.filter((c) => !(before ?? []).includes(c));
    if (!scope.problemId && newlyLate.length > 0) {
      lines.push({
        ...base,
        kind: 'start-slipped',
        summaryZh: `${p.name} · 开工目标开始延误：${newlyLate.join('、')} 已过最晚开始日仍未受理${before ? '（上次会议时未延误）' : ''}`,
      });
    }
  }
  return { lines: lines.map((l, i) => ({ no: i + 1, ...l })), standing };
}

// --- The minutes ---------------------------------------------------------------------------------------

export const MeetingDecisionKind = z.enum(['assign-problem', 'raise-problem', 'instruction', 'agree-date']);
export type MeetingDecisionKind = z.infer<typeof MeetingDecisionKind>;

const line = z.number().int().min(1).describe('The agenda line it settles');

export const MeetingDecisionInput = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('assign-problem').describe('A problem given to a unit with a deadline (钉住不放)'),
      line,
      problemId: text(32).optional().describe('Default: the line’s problem'),
      ownerDepartment: DepartmentCode,
      ownerPerson: PersonId.optional(),
      deadline: LocalDate,
      solution: text(4000).describe('What the meeting decided is to be done'),
    }),
    z.strictObject({
      kind: z.literal('raise-problem').describe('A problem the meeting pins on the line’s project'),
      line,
      title: text(200),
      description: text(4000),
      ownerDepartment: DepartmentCode,
      deadline: LocalDate,
      blocksItem: ItemCode.optional(),
    }),
    z.strictObject({
      kind: z.literal('instruction').describe('The responsible leader’s instruction (批示) on a red card'),
      line,
      instruction: text(2000),
    }),
    z.strictObject({
      kind: z.literal('agree-date').describe('A date the department undertakes to decide the item by'),
      line,
      itemCode: ItemCode.optional().describe('Default: the line’s item'),
      date: LocalDate,
      note: text(2000).optional(),
    }),
  ])
  .meta({ id: 'MeetingDecisionInput' });
export type MeetingDecisionInput = z.infer<typeof MeetingDecisionInput>;

export const MinutesInput = z
  .strictObject({
    notes: text(8000).optional().describe('What was said, as the minutes record it'),
    decisions: z.array(MeetingDecisionInput).max(200),
  })
  .meta({
    id: 'MinutesInput',
    example: {
      notes: '会议听取了各项目推进情况',
      decisions: [
        {
          kind: 'assign-problem',
          line: 2,
          ownerDepartment: 'ZRZY',
          deadline: '2026-12-11',
          solution: '自然资源局牵头，12月11日前完成用地红线调整',
        },
      ],
    },
  });
export type MinutesInput = z.infer<typeof MinutesInput>;

/** What a kept decision needs to be judged: the facts of its problem or item now. */
export type DecisionFacts = {
  kind: MeetingDecisionKind;
  state: 'applied' | 'failed' | 'recorded';
  dueOn: LocalDate | null;
  problem?: { status: string; resolvedAt: string | null } | null;
  item?: { status: string; finishedAt: string | null } | null;
};

/**
 * Was the decision kept? A problem decision when its problem was resolved by the deadline; an agreed
 * date when the item was decided by it; an instruction when it was delivered and its item has moved
 * on (decided). Null while the date has not come and the thing is not yet done; false once it passed.
 */
export function decisionKept(f: DecisionFacts, calendar: Calendar, now: number): boolean | null {
  if (f.state === 'failed') return false;
  const today = calendar.dateOf(now);
  const doneOn =
    f.kind === 'assign-problem' || f.kind === 'raise-problem'
      ? f.problem && ['resolved', 'verified'].includes(f.problem.status) && f.problem.resolvedAt
        ? calendar.dateOf(Date.parse(f.problem.resolvedAt))
        : null
      : f.item && DONE.has(f.item.status) && f.item.finishedAt
        ? calendar.dateOf(Date.parse(f.item.finishedAt))
        : null;
  if (f.kind === 'instruction') return doneOn !== null ? true : null;
  if (doneOn !== null) return f.dueOn === null || doneOn <= f.dueOn;
  return f.dueOn !== null && today > f.dueOn ? false : null;
}

export function keptZh(kept: boolean | null, state: DecisionFacts['state']): string {
  if (state === 'failed') return '未能落实（被拒绝）';
  return kept === true ? '已落实' : kept === false ? '逾期未落实' : '推进中';
}
