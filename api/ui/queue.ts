import { html } from 'hono/html';
import { QUEUE_LIMIT, type QueueItem } from '../../db/project-lists';
import type { Department } from '../../domain/catalog';
import type { DepartmentDecision, Refusal } from '../../domain/decisions';
import { departmentDecisionZh, itemStatusLabelZh } from '../../domain/vocabulary';
import { type PageSession, page } from './layout';

/**
 * A department's queue (审批队列), with a form for each decision the workflow allows on each item now
 * (受理, 补正, 办结, 不予许可, 告知承诺). Every form carries the session's CSRF token and a token of its
 * own, made when the page was rendered, that becomes the Temporal update id: sent twice, it applies once.
 */

/** One item's forms: the decisions it takes now, each with its form token. */
export type ItemForms = { action: DepartmentDecision; token: string }[];

/** The outcome shown at the top of the page, or beside one form. */
export type QueueNotice =
  | {
      kind: 'decided';
      project: string;
      projectName: string;
      item: OpenedItem;
      action: DepartmentDecision;
      opened: OpenedItem[];
    }
  | {
      kind: 'refused';
      project: string;
      item: string;
      action: DepartmentDecision;
      text: string;
      /** What the clerk had typed, given back. */
      fields: Record<string, string>;
    };

export type OpenedItem = { code: string; nameZh: string; department: string };

export type QueuePageData = {
  department: string;
  dept: Department | undefined;
  /** The queue, or the project's part of it (`project`), most urgent first: the figures at the top count it all. */
  items: QueueItem[];
  /** Which page of it is drawn, 1-based, and that page's items (`queuePageItems`). */
  pageNo: number;
  shown: QueueItem[];
  /** Set when the queue is narrowed to one project's items (`?project=`). */
  project?: string;
  points: number;
  /** `${project}/${item}` → its forms; absent when the workflow could not be asked. */
  forms: Map<string, ItemForms>;
  /** A clerk of the department (operators see the queue, and decide nothing). */
  clerk: boolean;
  notice?: QueueNotice;
  now: number;
};

export const formKey = (project: string, item: string) => `${project}/${item}`;

/**
 * Items drawn on one page of a queue. A clerk's forms follow each project's live state, one workflow
 * query per project on the page: a page bounds them however long the queue grows.
 */
export const QUEUE_PAGE_SIZE = 50;

/** The pages of a queue of `count` items (at least one, empty or not). */
export const queuePages = (count: number) => Math.max(1, Math.ceil(count / QUEUE_PAGE_SIZE));

/** The items of page `pageNo` (1-based; past the last page, the last). */
export function queuePageItems<T>(items: readonly T[], pageNo: number): { pageNo: number; shown: T[] } {
  const last = queuePages(items.length);
  const at = Math.min(Math.max(1, pageNo), last);
  return { pageNo: at, shown: items.slice((at - 1) * QUEUE_PAGE_SIZE, at * QUEUE_PAGE_SIZE) };
}

function pager(d: QueuePageData, where: 'top' | 'bottom') {
  const pages = queuePages(d.items.length);
  if (pages === 1) return '';
  const only = d.project ? `&project=${encodeURIComponent(d.project)}` : '';
  const link = (n: number, label: string) =>
    n < 1 || n > pages
      ? html`<span class="muted">${label}</span>`
      : html`<a href="/ui/departments/${d.department}?page=${n}${only}" data-page="${n}">${label}</a>`;
  const from = (d.pageNo - 1) * QUEUE_PAGE_SIZE + 1;
  const to = Math.min(d.pageNo * QUEUE_PAGE_SIZE, d.items.length);
  return html`<nav class="pager" data-pager="${where}">${link(d.pageNo - 1, '上一页')} 第 ${d.pageNo} / ${pages} 页（第 ${from}–${to} 项，共 ${d.items.length} 项，按时限先后） ${link(d.pageNo + 1, '下一页')}</nav>`;
}

/** A refusal, in Chinese, for the decision the clerk tried. */
export function refusalZh(r: Refusal, action: DepartmentDecision): string {
  const what = departmentDecisionZh[action];
  switch (r.kind) {
    case 'notInPlan':
      return '该事项已不在项目计划中。';
    case 'notTheirs':
      return `该事项不由本部门办理，不能${what}。`;
    case 'waitingForPrerequisites':
      return `该事项尚在等待前置事项（${r.prerequisites.join('、')}）。`;
    case 'wrongStatus':
      return `该事项当前为「${itemStatusLabelZh(r.status)}」，不能${what}（仅在${r.allowed
        .map(itemStatusLabelZh)
        .join('或')}时可${what}）。请以本页最新状态为准。`;
    case 'noAcceptWithGaps':
      return '该事项不适用容缺受理。';
    case 'noClockRunning':
    case 'clockAlreadyStopped':
    case 'clockNotStopped':
      return '该事项的计时状态不允许此操作。';
    case 'noCommitment':
      return '该事项不适用告知承诺制。';
    case 'inPreReview':
      return `该事项处于预审，前置事项（${r.prerequisites.join('、')}）办结前不能${what}。`;
    case 'blockedByProblems':
      return `该事项被问题 ${r.problems.join('、')} 阻塞，问题解决前不能${what}。`;
  }
}

/** What the workflow holds that stops a decision it offered when the page was drawn, or a generic word. */
export const refusedWithoutReasonZh = '工作流未接受该决定（项目状态已变化），请按本页最新状态重新办理。';

const fieldsOf: Record<DepartmentDecision, (v: Record<string, string>) => ReturnType<typeof html>> = {
  accept: (v) =>
    html`<label>受理编号或说明（可选）<input name="note" maxlength="2000" value="${v.note ?? ''}"></label>`,
  return: (v) =>
    html`<label>需补正的材料（每行一项）<textarea name="missing" rows="2" required>${v.missing ?? ''}</textarea></label>`,
  approve: (v) =>
    html`<label>批准文号<input name="documentNo" maxlength="100" required value="${v.documentNo ?? ''}"></label>`,
  reject: (v) =>
    html`<label>法律依据与理由<textarea name="reason" rows="2" required>${v.reason ?? ''}</textarea></label>`,
  approveOnCommitment: (v) =>
    html`<label>承诺书编号（可选）<input name="commitmentRef" maxlength="100" value="${v.commitmentRef ?? ''}"></label>`,
};

function decisionForm(
  d: QueuePageData,
  csrf: string,
  row: QueueItem,
  form: ItemForms[number],
  notice: QueueNotice | undefined,
) {
  const here =
    notice?.kind === 'refused' &&
    notice.project === row.projectCode &&
    notice.item === row.item &&
    notice.action === form.action
      ? notice
      : undefined;
  return html`<form class="decision" method="post" action="/ui/departments/${d.department}/decisions" data-action="${form.action}">
<input type="hidden" name="csrf" value="${csrf}">
<input type="hidden" name="token" value="${form.token}">
<input type="hidden" name="project" value="${row.projectCode}">
<input type="hidden" name="item" value="${row.item}">
<input type="hidden" name="action" value="${form.action}">
<input type="hidden" name="page" value="${d.pageNo}">
${d.project ? html`<input type="hidden" name="viewProject" value="${d.project}">` : ''}
${fieldsOf[form.action](here?.fields ?? {})}
<button type="submit">${departmentDecisionZh[form.action]}</button>
${here ? html`<p class="error refusal" role="alert">${here.text}</p>` : ''}
</form>`;
}

function decidedBanner(d: QueuePageData) {
  const n = d.notice;
  if (n?.kind !== 'decided') return '';
  const opened =
    n.opened.length === 0
      ? '本次办理没有使其他事项具备申报条件。'
      : html`随之具备申报条件的事项：<ul id="opened">${n.opened.map(
          (o) => html`<li data-item="${o.code}">${o.nameZh}（${o.code}，${o.department}）</li>`,
        )}</ul>`;
  return html`<div class="notice" id="decision-result" data-project="${n.project}" data-item="${n.item.code}" data-action="${n.action}">
已对「${n.projectName}」（${n.project}）的${n.item.nameZh}作出「${departmentDecisionZh[n.action]}」决定。${opened}</div>`;
}

export function queuePage(session: PageSession, d: QueuePageData, refusal?: QueueNotice) {
  const name = d.dept?.nameZh ?? d.department;
  const notice = refusal ?? d.notice;
  const overdue = d.items.filter((i) => i.dueAt && Date.parse(i.dueAt) < d.now).length;
  return page(
    `${name} 审批队列`,
    session,
    html`<h1>${name} · 审批队列</h1>
${
  d.project
    ? html`<p id="queue-project">仅显示项目 ${d.project} 的事项。<a href="/ui/departments/${d.department}">显示全部</a></p>`
    : ''
}
<div class="kpis">
  <div class="kpi">在办<b id="kpi-queue">${d.items.length}</b></div>
  <div class="kpi">超期<b id="kpi-overdue">${overdue}</b></div>
  <div class="kpi">累计扣分<b id="kpi-points">${d.points}</b></div>
</div>
${d.items.length >= QUEUE_LIMIT ? html`<p class="muted" id="queue-capped">只列出时限最近的 ${QUEUE_LIMIT} 项。</p>` : ''}
${decidedBanner(d)}
${
  notice?.kind === 'refused' &&
  !d.shown.some((i) => i.projectCode === notice.project && i.item === notice.item)
    ? html`<p class="error refusal" role="alert" id="refusal">${notice.project} ${notice.item}：${notice.text}</p>`
    : ''
}
${pager(d, 'top')}
<table id="queue"><thead><tr><th>项目</th><th>项目代码</th><th>事项</th><th>状态</th><th>承诺时限（北京时间，当日 24:00 前）</th><th>督办级别</th><th>补正次数</th></tr></thead><tbody>
${d.shown.map((i) => {
  const forms = d.forms.get(formKey(i.projectCode, i.item));
  return html`<tr data-item="${i.item}" data-project="${i.projectCode}"><td><a href="/ui/projects/${i.projectCode}">${i.projectName}</a></td><td>${i.projectCode}</td><td>${i.nameZh}</td><td>${itemStatusLabelZh(i.status)}</td><td class="due">${i.dueDate ?? (i.acceptByDate ? html`<span class="accept-by" title="申请材料收到后 5 个工作日内受理或一次性告知补正">受理 ${i.acceptByDate}</span>` : '—')}${i.provisional ? html`<span class="provisional" title="节假日安排尚未公布，时限为暂定">暂定</span>` : ''}</td><td>${i.rung}</td><td>${i.returns}</td></tr>
<tr class="decisions" data-decisions="${i.projectCode}/${i.item}"><td colspan="7">${
    // Refused, and the item no longer offers that form: the reason stands beside the ones it offers.
    notice?.kind === 'refused' &&
    notice.project === i.projectCode &&
    notice.item === i.item &&
    !forms?.some((f) => f.action === notice.action)
      ? html`<p class="error refusal" role="alert" data-action="${notice.action}">${departmentDecisionZh[notice.action]}：${notice.text}</p>`
      : ''
  }${
    !d.clerk
      ? html`<span class="muted">由本部门经办人办理。</span>`
      : forms === undefined
        ? html`<span class="muted">暂时无法读取项目状态，请稍后刷新再办理。</span>`
        : forms.length === 0
          ? html`<span class="muted">当前无可办理的决定（等待申报人补正或前置事项）。</span>`
          : forms.map((f) => decisionForm(d, session.csrfToken, i, f, notice))
  }</td></tr>`;
})}
</tbody></table>
${pager(d, 'bottom')}`,
  );
}
