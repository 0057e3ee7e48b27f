import { html } from 'hono/html';
import type { Department } from '../../domain/catalog';
import { dutyZh } from '../../domain/directory';
import { Role } from '../auth/principal';
import type { Handover, HandoverFailure } from '../handover';
import type { Person } from '../people';
import { type PageSession, page, roleZh } from './layout';

/**
 * The people page (人员名录) for operators: the directory with each person's role, department, duties,
 * channels, keys and projects; the form that adds or edits a person; and a leaver's handover (离任交接)
 * with what it did. Server-rendered like the other pages; every form carries the session's CSRF token.
 */

/** What a person form holds: the fields as typed (kept when the form is shown again with an error). */
export type PersonForm = Partial<Record<(typeof personFields)[number], string>> & {
  mode: 'create' | 'update';
};
export const personFields = [
  'id',
  'name',
  'role',
  'department',
  'mobile',
  'email',
  'dingtalkUserId',
  'wecomUserId',
  'feishuOpenId',
] as const;

const channelFields = [
  ['mobile', '手机'],
  ['email', '邮箱'],
  ['dingtalkUserId', '钉钉'],
  ['wecomUserId', '企业微信'],
  ['feishuOpenId', '飞书'],
] as const;

const sideZh = { secretary: '项目秘书', leader: '责任领导' } as const;

export type PeoplePageData = {
  people: Person[];
  departments: Department[];
  form: PersonForm;
  /** A token for the handover form: the Temporal update id of its reassignments, kept on a retry. */
  handoverToken: string;
  handoverForm?: { person?: string; to?: string; reason?: string };
  notice?: { kind: 'ok' | 'error'; text: string; where: 'person' | 'handover' };
  handover?: Handover & { failed?: HandoverFailure[] };
};

export function peoplePage(session: PageSession, d: PeoplePageData) {
  const departmentName = new Map(d.departments.map((x) => [x.code, x.nameZh]));
  const dept = (code: string | null) => (code ? `${departmentName.get(code) ?? code}（${code}）` : '—');
  const notice = (where: 'person' | 'handover') =>
    d.notice?.where === where
      ? html`<p class="${d.notice.kind === 'ok' ? 'ok' : 'error'}" id="${where}-notice">${d.notice.text}</p>`
      : '';
  const f = d.form;
  const handable = d.people.filter((p) => p.role === 'secretary' || p.role === 'leader');
  const hf = d.handoverForm ?? {};
  return page(
    '人员名录',
    session,
    html`<h1>人员名录</h1>
<table id="people">
<thead><tr><th>编号</th><th>姓名</th><th>角色</th><th>部门</th><th>职责</th>${channelFields.map(([, label]) => html`<th>${label}</th>`)}<th>有效密钥</th><th>在办项目</th><th></th></tr></thead>
<tbody>
${d.people.map(
  (p) => html`<tr data-person="${p.id}" data-role="${p.role}" data-department="${p.department ?? ''}">
  <td>${p.id}</td><td>${p.name}</td><td>${roleZh[p.role] ?? p.role}</td><td>${dept(p.department)}</td>
  <td>${p.duties.map((x) => `${departmentName.get(x.department) ?? x.department}${dutyZh[x.duty]}`).join('、') || '—'}</td>
  ${channelFields.map(([field]) => html`<td>${p[field] ?? '—'}</td>`)}
  <td class="keys">${p.activeKeys.length}</td>
  <td class="projects">${p.projects.map((x) => `${x.code}（${x.as.map((s) => sideZh[s]).join('、')}）`).join('；') || '—'}</td>
  <td><a href="/ui/people?edit=${encodeURIComponent(p.id)}#person-form">修改</a></td>
</tr>`,
)}
</tbody>
</table>

<h2>${f.mode === 'update' ? `修改人员 ${f.id ?? ''}` : '新增人员'}</h2>
${notice('person')}
<form class="panel" id="person-form" method="post" action="/ui/people">
<input type="hidden" name="csrf" value="${session.csrfToken}">
<input type="hidden" name="mode" value="${f.mode}">
<label for="person-id">编号（如 sec-wang，保存后不可更改）</label>
<input id="person-id" name="id" value="${f.id ?? ''}" ${f.mode === 'update' ? 'readonly' : ''} required>
<label for="person-name">姓名</label>
<input id="person-name" name="name" value="${f.name ?? ''}" required>
<label for="person-role">角色</label>
<select id="person-role" name="role">${Role.options.map(
      (r) => html`<option value="${r}" ${f.role === r ? 'selected' : ''}>${roleZh[r] ?? r}</option>`,
    )}</select>
<label for="person-department">部门（审批部门人员必填；改部门即调动，原部门密钥吊销、职责解除）</label>
<select id="person-department" name="department"><option value="">—</option>${d.departments.map(
      (x) =>
        html`<option value="${x.code}" ${f.department === x.code ? 'selected' : ''}>${x.nameZh}（${x.code}）</option>`,
    )}</select>
${channelFields.map(
  ([field, label]) => html`<label for="person-${field}">${label}</label>
<input id="person-${field}" name="${field}" value="${f[field] ?? ''}">`,
)}
<button type="submit">保存</button>
</form>

<h2>离任交接（在办项目移交继任者，吊销原密钥）</h2>
${notice('handover')}
${d.handover ? handoverResult(d.handover) : ''}
<form class="panel" id="handover-form" method="post" action="/ui/people/handover">
<input type="hidden" name="csrf" value="${session.csrfToken}">
<input type="hidden" name="token" value="${d.handoverToken}">
<label for="handover-person">离任人员</label>
<select id="handover-person" name="person">${handable.map(
      (p) =>
        html`<option value="${p.id}" ${hf.person === p.id ? 'selected' : ''}>${p.name}（${p.id}，${roleZh[p.role]}）</option>`,
    )}</select>
<label for="handover-to">继任者（同一角色）</label>
<select id="handover-to" name="to">${handable.map(
      (p) =>
        html`<option value="${p.id}" ${hf.to === p.id ? 'selected' : ''}>${p.name}（${p.id}，${roleZh[p.role]}）</option>`,
    )}</select>
<label for="handover-reason">原因</label>
<textarea id="handover-reason" name="reason" required>${hf.reason ?? ''}</textarea>
<button type="submit">${d.handover?.failed?.length ? '重试交接' : '交接'}</button>
</form>`,
  );
}

function handoverResult(h: Handover & { failed?: HandoverFailure[] }) {
  const failed = h.failed ?? [];
  return html`<div id="handover-result" class="${failed.length > 0 ? 'warning' : 'panel'}" data-complete="${String(failed.length === 0)}">
<p>${h.person} → ${h.to}：已移交 ${h.reassigned.length} 个项目；${
    failed.length > 0
      ? `${failed.length} 个项目移交失败，密钥暂未吊销，请点“重试交接”完成其余部分。`
      : `已吊销密钥 ${h.keysRevoked.length} 把。`
  }</p>
<table><thead><tr><th>项目</th><th>结果</th><th>项目秘书</th><th>责任领导</th></tr></thead><tbody>
${h.reassigned.map(
  (r) =>
    html`<tr data-project="${r.code}" data-outcome="reassigned"><td>${r.code}</td><td>已移交（${r.handed.map((s) => sideZh[s]).join('、')}）</td><td>${r.secretary}</td><td>${r.leader}</td></tr>`,
)}
${failed.map(
  (x) =>
    html`<tr data-project="${x.code}" data-outcome="failed"><td>${x.code}</td><td class="error">未完成：${x.detail}</td><td>—</td><td>—</td></tr>`,
)}
${h.skipped.map(
  (x) =>
    html`<tr data-project="${x.code}" data-outcome="skipped"><td>${x.code}</td><td class="muted">无需移交：${x.reason}</td><td>—</td><td>—</td></tr>`,
)}
</tbody></table>
${h.keysRevoked.length > 0 ? html`<p id="keys-revoked">已吊销密钥：${h.keysRevoked.join('、')}</p>` : ''}
</div>`;
}
