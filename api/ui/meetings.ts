import { html } from 'hono/html';
import type { Meeting } from '../../db/meetings';
import type { AgendaLine, MeetingDecisionKind } from '../../domain/meetings';
import type { WebSession } from '../web-session';
import { page } from './layout';

/**
 * The meetings pages (api/routes/ui-meetings.ts): the list with the form that convenes one, and a
 * meeting's page with its agenda, the minutes form (one row per agenda line) and, once minuted, its
 * decisions with what became of each and whether it was kept.
 */

type Listed = Pick<Meeting, 'id' | 'kind' | 'title' | 'heldOn' | 'projectCode' | 'minutedAt'>;
type Shown = Omit<Meeting, 'decisions'> & {
  decisions: (Meeting['decisions'][number] & { keptZh: string; kept: boolean | null })[];
};

const kindZh = { weekly: '每周碰头会', special: '专题协调会' } as const;
const lineKindZh: Record<AgendaLine['kind'], string> = {
  carried: '上次决定',
  'red-item': '红牌事项',
  'yellow-item': '黄牌/超期事项',
  'problem-overdue': '问题逾期',
  'problem-unowned': '问题无人认领',
  'start-slipped': '开工延误',
};
const decisionZh: Record<MeetingDecisionKind, string> = {
  'assign-problem': '交办问题（责任单位、期限）',
  'raise-problem': '钉住新问题（责任单位、期限）',
  instruction: '领导批示（红牌）',
  'agree-date': '部门承诺办结日期',
};
const stateZh = { applied: '已执行', failed: '未执行', recorded: '已记录' } as const;

export function meetingsListPage(
  session: WebSession,
  data: { meetings: Listed[]; canConvene: boolean; weekly: boolean; token: string; error?: string },
) {
  return page(
    '协调会',
    session,
    html`<h1>协调会（每周碰头会 · 专题协调会）</h1>
${data.error ? html`<p class="error" id="meeting-error">${data.error}</p>` : ''}
${
  data.canConvene
    ? html`<form class="panel" id="convene" method="post" action="/ui/meetings">
<input type="hidden" name="csrf" value="${session.csrfToken}"><input type="hidden" name="token" value="${data.token}">
<label>会议类型 <select name="kind">${data.weekly ? html`<option value="weekly">每周碰头会</option>` : ''}<option value="special">专题协调会</option></select></label>
<label>会议日期 <input type="date" name="heldOn" required></label>
<label>项目编号（专题会） <input name="projectCode"></label>
<label>参会人员（人员编号，逗号分隔） <input name="attendees"></label>
<button type="submit">召集会议并生成议程</button>
</form>`
    : ''
}
<table id="meetings"><thead><tr><th>日期</th><th>会议</th><th>类型</th><th>纪要</th></tr></thead><tbody>
${data.meetings.map(
  (m) =>
    html`<tr data-meeting="${m.id}"><td>${m.heldOn}</td><td><a href="/ui/meetings/${m.id}">${m.title}</a></td><td>${kindZh[m.kind]}</td><td>${m.minutedAt ? '已形成纪要' : '待形成纪要'}</td></tr>`,
)}
</tbody></table>`,
  );
}

export function meetingPage(
  session: WebSession,
  data: { meeting: Shown; mayMinute: boolean; token: string; error?: string },
) {
  const m = data.meeting;
  const open = m.minutedAt === null;
  return page(
    m.title,
    session,
    html`<h1>${m.title}</h1>
<p>${kindZh[m.kind]} · ${m.heldOn}${m.projectCode ? html` · <a href="/ui/projects/${m.projectCode}">${m.projectCode}</a>` : ''} · 参会 ${m.attendees.length} 人</p>
${data.error ? html`<p class="error" id="minutes-error">${data.error}</p>` : ''}
<h2>议程（${m.agenda.length} 项）</h2>
<table id="agenda"><thead><tr><th>序号</th><th>类别</th><th>内容</th></tr></thead><tbody>
${m.agenda.map(
  (l) =>
    html`<tr data-line="${l.no}" data-kind="${l.kind}"><td>${l.no}</td><td>${lineKindZh[l.kind]}</td><td>${l.summaryZh}</td></tr>`,
)}
</tbody></table>
${open && data.mayMinute ? minutesForm(session, m, data.token) : ''}
${
  open
    ? ''
    : html`<h2>会议纪要</h2>${m.notes ? html`<p id="minutes-notes">${m.notes}</p>` : ''}
<table id="decisions"><thead><tr><th>决定</th><th>议程</th><th>类别</th><th>执行</th><th>落实情况</th><th>说明</th></tr></thead><tbody>
${m.decisions.map(
  (d) =>
    html`<tr data-decision="${d.no}" data-state="${d.state}" data-kept="${String(d.kept)}"><td>${d.no}</td><td>${d.line ?? '—'}</td><td>${decisionZh[d.kind]}</td><td>${stateZh[d.state]}</td><td>${d.keptZh}</td><td>${outcomeZh(d)}</td></tr>`,
)}
</tbody></table>`
}`,
  );
}

function outcomeZh(d: Meeting['decisions'][number]): string {
  const o = d.outcome as { detail?: string } | null;
  if (d.state === 'failed') return o?.detail ?? '';
  return [d.problemId ? `问题 ${d.problemId}` : '', d.itemCode ?? '', d.dueOn ? `期限 ${d.dueOn}` : '']
    .filter((s) => s !== '')
    .join(' · ');
}

function minutesForm(session: WebSession, m: Meeting, token: string) {
  const lines = m.agenda.filter((l) => l.kind !== 'carried');
  return html`<h2>形成会议纪要</h2>
<form class="panel" id="minutes" method="post" action="/ui/meetings/${m.id}/minutes">
<input type="hidden" name="csrf" value="${session.csrfToken}"><input type="hidden" name="token" value="${token}">
<label>会议记录 <textarea name="notes" rows="3"></textarea></label>
<table><thead><tr><th>议程</th><th>决定</th><th>责任单位</th><th>期限/日期</th><th>内容（措施、批示或说明）</th></tr></thead><tbody>
${lines.map(
  (l) => html`<tr><td>${l.no}</td><td><select name="kind-${l.no}"><option value="">不作决定</option>${(
    Object.keys(decisionZh) as MeetingDecisionKind[]
  ).map((k) => html`<option value="${k}">${decisionZh[k]}</option>`)}</select></td>
<td><input name="department-${l.no}" size="6" placeholder="ZRZY"></td><td><input type="date" name="date-${l.no}"></td><td><input name="text-${l.no}" size="40"></td></tr>`,
)}
</tbody></table>
<button type="submit">提交纪要（决定将转为项目的督办事项）</button>
</form>`;
}
