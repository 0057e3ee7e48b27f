import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ServiceLogEntry } from '../../db/service';
import type { Urging } from '../../db/urgings';
import type { ProblemState } from '../../domain/project';
import { problemStatusZh } from '../../domain/vocabulary';
import type { AmendmentPreview } from '../plan-amend';

/**
 * The secretary's forms on a project's page (/ui/projects/{code}): raise and follow up problems (钉住不放),
 * urge a department (催办), keep the service log and return visits, tailor the plan after a preview.
 * Like the queue's forms (api/ui/queue.ts), each carries the session's CSRF token and a token of its own,
 * made when the page was drawn, that becomes its Idempotency-Key: sent twice, it acts once. A refused
 * form comes back alone with the refusal beside it and what was typed (`refusedPage`).
 */

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const formKinds = ['raise', 'assign', 'plan', 'resolve', 'urge', 'log', 'visit', 'amend'] as const;
export type FormKind = (typeof formKinds)[number];

export type Option = { value: string; label: string };

export type ActionsData = {
  code: string;
  csrf: string;
  /** Secretary of the project or operator: every form. */
  acts: boolean;
  /** May raise problems (the leader too). */
  raises: boolean;
  problems: ProblemState[];
  openItems: Option[];
  planItems: Option[];
  /** Items the plan may lose (none held by a department). */
  waivable: Option[];
  /** Catalog items the plan lacks. */
  addable: Option[];
  departments: Option[];
  urgings: Urging[];
  serviceLog: ServiceLogEntry[];
  today: string;
  /** Person id → name. */
  name: (id: string) => string;
  /** A fresh token per form. */
  token: () => string;
};

const v = (f: Record<string, string>, k: string) => f[k] ?? '';

function select(name: string, options: Option[], chosen: string, blank?: string, required = false) {
  return html`<select name="${name}" ${required ? 'required' : ''}>${blank !== undefined ? html`<option value="">${blank}</option>` : ''}${options.map(
    (o) => html`<option value="${o.value}" ${o.value === chosen ? 'selected' : ''}>${o.label}</option>`,
  )}</select>`;
}

/** One form: hidden csrf and token, the fields, the button, and a refusal beside it when there is one. */
export function actionForm(
  d: Pick<ActionsData, 'code' | 'csrf'>,
  a: { kind: FormKind; token: string; path: string; cls?: string; id?: string },
  fields: Html,
  button: string,
  refusal?: string,
) {
  return html`<form class="${a.cls ?? 'decision'}" method="post" action="/ui/projects/${d.code}/${a.path}" data-form="${a.kind}" ${a.id ? html`id="${a.id}"` : ''}>
<input type="hidden" name="csrf" value="${d.csrf}">
<input type="hidden" name="token" value="${a.token}">
${fields}
<button type="submit">${button}</button>
${refusal ? html`<p class="error refusal" role="alert">${refusal}</p>` : ''}
</form>`;
}

export const raiseFields = (d: ActionsData, f: Record<string, string> = {}) =>
  html`<label>问题<input name="title" maxlength="200" required value="${v(f, 'title')}"></label>
<label>情况说明<textarea name="description" rows="2" maxlength="4000" required>${v(f, 'description')}</textarea></label>
<label>责任单位（可选）${select('ownerDepartment', d.departments, v(f, 'ownerDepartment'), '—')}</label>
<label>解决时限（可选，默认当日）<input type="date" name="deadline" value="${v(f, 'deadline')}"></label>
<label>阻塞事项（可选）${select('blocksItem', d.planItems, v(f, 'blocksItem'), '—')}</label>`;

export const problemFields: Record<
  'assign' | 'plan' | 'resolve',
  (d: ActionsData, id: string, f?: Record<string, string>) => Html
> = {
  assign: (d, id, f = {}) =>
    html`<input type="hidden" name="problem" value="${id}"><input type="hidden" name="action" value="assign"><label>责任单位${select('ownerDepartment', d.departments, v(f, 'ownerDepartment'), undefined, true)}</label>`,
  plan: (_d, id, f = {}) =>
    html`<input type="hidden" name="problem" value="${id}"><input type="hidden" name="action" value="plan"><label>进展与解决方案<textarea name="solution" rows="2" maxlength="4000" required>${v(f, 'solution')}</textarea></label>
<label>新时限（可选）<input type="date" name="deadline" value="${v(f, 'deadline')}"></label>`,
  resolve: (_d, id, f = {}) =>
    html`<input type="hidden" name="problem" value="${id}"><input type="hidden" name="action" value="resolve"><label>解决情况<textarea name="resolution" rows="2" maxlength="4000" required>${v(f, 'resolution')}</textarea></label>`,
};
const problemButton = { assign: '分派', plan: '记录进展', resolve: '标记已解决' } as const;

export const urgeFields = (item: string, f: Record<string, string> = {}) =>
  html`<input type="hidden" name="item" value="${item}"><label>催办留言（可选）<input name="note" maxlength="500" value="${v(f, 'note')}"></label>`;

export const logFields = (d: ActionsData, f: Record<string, string> = {}) =>
  html`<label>日期<input type="date" name="date" required value="${v(f, 'date') || d.today}"></label>
<label>方式${select(
    'contactType',
    [
      { value: 'phone', label: '电话' },
      { value: 'visit', label: '走访' },
      { value: 'meeting', label: '会议' },
    ],
    v(f, 'contactType'),
  )}</label>
<label>参加人员（每行一人，含单位）<textarea name="participants" rows="2" required>${v(f, 'participants')}</textarea></label>
<label>结果<textarea name="outcome" rows="2" maxlength="4000" required>${v(f, 'outcome')}</textarea></label>`;

export const visitFields = (f: Record<string, string> = {}) =>
  html`<label>阶段${select(
    'stage',
    [
      { value: '1', label: '阶段1 立项用地规划许可' },
      { value: '2', label: '阶段2 工程建设许可' },
      { value: '3', label: '阶段3 施工许可' },
      { value: '4', label: '阶段4 竣工验收' },
    ],
    v(f, 'stage'),
  )}</label>
<label>满意度（1–5）<input type="number" name="satisfaction" min="1" max="5" required value="${v(f, 'satisfaction')}"></label>
<label>意见（可选）<input name="comment" maxlength="2000" value="${v(f, 'comment')}"></label>`;

/** The tailoring form (first step: its button asks for the preview). */
export const amendFields = (d: ActionsData, f: Record<string, string> = {}) =>
  html`<label>免办或撤销事项${select('waive', d.waivable, v(f, 'waive'), '—')}</label>
<label>新增事项${select('add', d.addable, v(f, 'add'), '—')}</label>
<label>新增事项的前置事项（可选，事项代码以逗号分隔）<input name="addPrerequisites" value="${v(f, 'addPrerequisites')}"></label>
<label>调整理由<textarea name="reason" rows="2" maxlength="2000" required>${v(f, 'reason')}</textarea></label>`;

export function actionsSection(d: ActionsData): Html {
  if (!d.raises && !d.acts) return html``;
  const open = d.problems.filter((p) => p.status !== 'resolved' && p.status !== 'verified');
  return html`<section id="secretary-actions">
<h2>办理（项目秘书）</h2>
<h3>提出问题</h3>
${actionForm(d, { kind: 'raise', token: d.token(), path: 'problems', cls: 'panel', id: 'raise-form' }, raiseFields(d), '提出问题')}
${
  d.acts && open.length > 0
    ? html`<h3>跟进问题</h3><table id="problem-actions"><tbody>${open.map(
        (p) =>
          html`<tr data-problem="${p.id}"><td>${p.id} ${p.title}<br><span class="muted">${problemStatusZh[p.status]}</span></td><td>${(
            ['assign', 'plan', 'resolve'] as const
          ).map((k) =>
            actionForm(
              d,
              { kind: k, token: d.token(), path: 'problem-actions' },
              problemFields[k](d, p.id),
              problemButton[k],
            ),
          )}</td></tr>`,
      )}</tbody></table>`
    : ''
}
${d.acts ? actsOnly(d) : ''}
</section>`;
}

function actsOnly(d: ActionsData) {
  return html`<h3>催办</h3>
${
  d.openItems.length === 0
    ? html`<p class="muted">当前没有在办事项。</p>`
    : html`<table id="urge-items"><tbody>${d.openItems.map(
        (i) =>
          html`<tr data-item="${i.value}"><td>${i.label}</td><td>${actionForm(d, { kind: 'urge', token: d.token(), path: 'urgings' }, urgeFields(i.value), '催办')}</td></tr>`,
      )}</tbody></table>`
}
${
  d.urgings.length === 0
    ? ''
    : html`<table id="urgings"><thead><tr><th>日期</th><th>事项</th><th>部门</th><th>留言</th><th>催办人</th></tr></thead><tbody>${d.urgings.map(
        (u) =>
          html`<tr data-urging="${u.id}"><td>${u.workingDay}</td><td>${u.item}</td><td>${u.department}</td><td>${u.note ?? '—'}</td><td>${d.name(u.urgedBy)}</td></tr>`,
      )}</tbody></table>`
}
<h3>服务日志与回访</h3>
${actionForm(d, { kind: 'log', token: d.token(), path: 'service-log', cls: 'panel', id: 'log-form' }, logFields(d), '记录服务日志')}
${actionForm(d, { kind: 'visit', token: d.token(), path: 'return-visits', cls: 'panel', id: 'visit-form' }, visitFields(), '记录回访')}
${
  d.serviceLog.length === 0
    ? ''
    : html`<table id="service-log"><thead><tr><th>日期</th><th>方式</th><th>参加人员</th><th>结果</th><th>记录人</th></tr></thead><tbody>${d.serviceLog.map(
        (e) =>
          html`<tr data-entry="${e.id}"><td>${e.date}</td><td>${contactZh[e.contactType]}</td><td>${e.participants.join('、')}</td><td>${e.outcome}</td><td>${d.name(e.recordedBy)}</td></tr>`,
      )}</tbody></table>`
}
<h3>调整计划（先预览，再确认）</h3>
${actionForm(d, { kind: 'amend', token: d.token(), path: 'plan-preview', cls: 'panel', id: 'amend-form' }, amendFields(d), '预览调整')}`;
}

export const contactZh: Record<string, string> = { phone: '电话', visit: '走访', meeting: '会议' };

/** The preview of a tailoring and the form that applies it (the same fields, hidden, and a new token). */
export function previewBody(
  d: Pick<ActionsData, 'code' | 'csrf'>,
  p: AmendmentPreview,
  fields: Record<string, string>,
  token: string,
) {
  const hidden = html`${['waive', 'add', 'addPrerequisites', 'reason'].map(
    (k) => html`<input type="hidden" name="${k}" value="${fields[k] ?? ''}">`,
  )}`;
  return html`<div class="notice" id="plan-preview" data-permit-before="${p.permitBefore ?? ''}" data-permit-after="${p.permitAfter ?? ''}">
<p>计划取得施工许可：<b id="permit-before">${p.permitBefore ?? '—'}</b> → <b id="permit-after">${p.permitAfter ?? '—'}</b></p>
<p>新增：${p.added.join('、') || '无'}；撤销：${p.removed.join('、') || '无'}；随之具备申报条件：${p.opened.join('、') || '无'}</p>
${p.warnings.length ? html`<p class="warning">${p.warnings.join('；')}</p>` : ''}
<table id="preview-items"><thead><tr><th>事项</th><th>计划办结（调整前）</th><th>计划办结（调整后）</th></tr></thead><tbody>${p.shifted.map(
    (s) =>
      html`<tr data-item="${s.code}"><td>${s.nameZh}（${s.code}）</td><td>${s.before ?? '—'}</td><td>${s.after ?? '—'}</td></tr>`,
  )}</tbody></table></div>
${actionForm(d, { kind: 'amend', token, path: 'plan', cls: 'panel', id: 'amend-confirm' }, hidden, '确认调整')}
<p><a href="/ui/projects/${d.code}">取消，返回项目页</a></p>`;
}
