import type { TimeKind } from './catalog';
import type { DepartmentDecision } from './decisions';
import type { ItemStatus, ProblemStatus } from './project';

/**
 * The programme's words, once: which item statuses mean what, their Chinese labels, the stages'
 * names. The workflow, the reports, the digests, the queue and the pages all read them from here.
 */

/** The item whose issue allows construction to start (开工). */
export const CONSTRUCTION_PERMIT = 'CONSTRUCTION-PERMIT';

/** The reason of the pause a suspension (缓建) puts on an item's clocks (domain/lifecycle.ts). */
export const PROJECT_SUSPENDED = 'projectSuspended';

/** The completion acceptance (联合验收): once it is done, a project may be closed with other items left open. */
export const COMPLETION_ACCEPTANCE = 'JOINT-ACCEPTANCE';

/**
 * A project's status in the read model: active or suspended (缓建) while it lives; completed (every item
 * done), cancelled (撤销) or closed (关闭 after completion acceptance) once its workflow has ended.
 */
export const projectStatusZh: Readonly<Record<string, string>> = {
  active: '推进中',
  suspended: '缓建',
  completed: '已完成',
  cancelled: '已撤销',
  closed: '已关闭',
};

/** Still followed: digests, leader lists and the board's colours are about these. */
export function isLiveProject(status: string): boolean {
  return status === 'active' || status === 'suspended';
}

/** A read-model status, not a workflow one: the item was taken out of the plan by an amendment (已取消). */
export const WITHDRAWN = 'withdrawn';
export const withdrawnZh = '已取消';

/** Finished for good: approved, approved on commitment, or waived (免办). */
export const DONE_STATUSES: ReadonlySet<ItemStatus> = new Set(['approved', 'approvedOnCommitment', 'waived']);

/** A department's decision on the application: approved (either way) or rejected. */
export const DECIDED_STATUSES: ReadonlySet<ItemStatus> = new Set([
  'approved',
  'approvedOnCommitment',
  'rejected',
]);

/** In a department's hands (its queue): submitted, accepted, or returned for correction (补正). */
export const AT_DEPARTMENT_STATUSES: readonly ItemStatus[] = ['submitted', 'accepted', 'returned'];

/** The promised-time clock runs only while the department has accepted the application. */
export const ON_CLOCK_STATUSES: ReadonlySet<ItemStatus> = new Set(['accepted']);

/**
 * Held by a department or finished: such an item keeps the terms it is measured against, so a plan
 * amendment may neither remove it nor change its limit, department or prerequisites.
 */
export function isHeld(status: ItemStatus): boolean {
  return DONE_STATUSES.has(status) || status === 'accepted' || status === 'returned';
}

export const CLOSED_PROBLEM_STATUSES: ReadonlySet<ProblemStatus> = new Set(['resolved', 'verified']);

export const itemStatusZh: Readonly<Record<ItemStatus, string>> = {
  waiting: '待前置',
  ready: '可申报',
  submitted: '已申报',
  accepted: '已受理',
  returned: '补正中',
  approved: '已办结',
  approvedOnCommitment: '告知承诺办结',
  rejected: '不予许可',
  waived: '免办',
};

/** An item status as the read model holds it (withdrawn included), in Chinese; unknown ones as they are. */
export function itemStatusLabelZh(status: string): string {
  if (status === WITHDRAWN) return withdrawnZh;
  return (itemStatusZh as Record<string, string>)[status] ?? status;
}

export const timeKindZh: Readonly<Record<TimeKind, string>> = {
  approval: '部门审批',
  technical: '技术审查/中介服务',
  notice: '公示/挂牌期',
  owner: '建设单位自办',
  utility: '市政公用服务',
};

export const problemStatusZh: Readonly<Record<ProblemStatus, string>> = {
  open: '待认领',
  assigned: '已交办',
  planned: '已定方案',
  resolved: '已解决',
  verified: '已销号',
};

/** Stage 1–4 of the approval path, and 5 for a project whose path is complete. */
export const stageNameZh: readonly string[] = [
  '',
  '立项用地规划许可',
  '工程建设许可',
  '施工许可',
  '竣工验收',
  '已完成',
];

/** The department's decisions as a queue page names them. */
export const departmentDecisionZh: Readonly<Record<DepartmentDecision, string>> = {
  accept: '受理',
  return: '补正',
  approve: '办结',
  reject: '不予许可',
  approveOnCommitment: '告知承诺',
};
