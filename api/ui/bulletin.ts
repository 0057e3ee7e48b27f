import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { type Assessment, COMPONENTS, componentZh } from '../../domain/assessment';
import type { Bulletin } from '../../domain/bulletin';
import {
  assessmentCells,
  assessmentHeaders,
  assessmentRulesZh,
  assessmentTitle,
  bulletinSummaryZh,
  bulletinTitle,
  cardCells,
  cardHeaders,
  cstDateTime,
  departmentCells,
  departmentHeaders,
  namedLineZh,
  problemCells,
  problemHeaders,
} from '../bulletin-documents';
import { htmlToPdf } from '../pdf';
import { DASHBOARD_CSS, page } from './layout';

/**
 * The bulletin's and the assessment's pages (/ui/reports/…): the same words as the Word documents
 * (api/bulletin-documents.ts), as HTML. No inline style or script (the pages' CSP); the PDF is this
 * page printed by Chromium (api/pdf.ts).
 */

type Cells = (string | number | null)[];

function table(id: string, headers: string[], rows: Cells[]) {
  return html`<table id="${id}">
<thead><tr>${headers.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((v) => html`<td>${v === null ? '—' : v}</td>`)}</tr>`)}</tbody>
</table>`;
}

/** Links to the other forms of the page (downloads through the signed-in dashboard). */
export type Downloads = { label: string; href: string }[];

const downloads = (links: Downloads) =>
  links.length
    ? html`<p class="downloads" id="downloads">${links.map((l) => html`<a href="${l.href}">${l.label}</a> `)}</p>`
    : '';

export function bulletinBody(
  b: Bulletin,
  links: Downloads,
  nav: { previous: string; next: string | null } | null,
): HtmlEscapedString | Promise<HtmlEscapedString> {
  const t = b.totals;
  const cards = [...b.redCards, ...b.interviews];
  return html`<article class="bulletin" id="bulletin" data-month="${b.month}">
<h1>${bulletinTitle(b)}</h1>
<p class="muted">重大项目帮办代办服务室 · 数据截至 ${cstDateTime(b.asOf)}（北京时间）${
    nav
      ? html` · <a href="?month=${nav.previous}">上月</a>${nav.next ? html` <a href="?month=${nav.next}">下月</a>` : ''}`
      : ''
  }</p>
${downloads(links)}
<div class="kpis" id="totals">
  <div class="kpi"><b>${t.handled}</b><small>办结事项</small></div>
  <div class="kpi"><b>${t.onTimeRate === null ? '—' : `${Math.round(t.onTimeRate * 10_000) / 100}%`}</b><small>按时办结率</small></div>
  <div class="kpi"><b>${t.overdue}</b><small>超期事项</small></div>
  <div class="kpi"><b>${t.redCards}</b><small>红牌督办</small></div>
  <div class="kpi"><b>${t.interviews}</b><small>约谈通知</small></div>
  <div class="kpi"><b>${t.problemsSolved} / ${t.problemsOpen}</b><small>问题已解决 / 未解决</small></div>
</div>
<h2>一、总体情况</h2>
<p id="summary">${bulletinSummaryZh(b)}</p>
<h2>二、部门办理情况及排名</h2>
${table('departments', departmentHeaders, b.departments.map(departmentCells))}
<h2>三、红牌督办和约谈情况</h2>
${cards.length ? table('cards', cardHeaders, cards.map(cardCells)) : html`<p id="cards">本月无红牌督办和约谈。</p>`}
<h2>四、问题解决情况</h2>
<p>本月解决问题 ${b.problems.solved.length} 个。</p>
${b.problems.solved.length ? table('problems-solved', problemHeaders, b.problems.solved.map(problemCells)) : ''}
<p>尚未解决问题 ${b.problems.open.length} 个。</p>
${b.problems.open.length ? table('problems-open', problemHeaders, b.problems.open.map(problemCells)) : ''}
<h2>五、点名通报</h2>
<p class="notice" id="rule">通报规则：${b.rule.textZh}</p>
${
  b.named.length
    ? html`<ul id="named">${b.named.map((n) => html`<li>${namedLineZh(n)}</li>`)}</ul>`
    : html`<p id="named">本月无部门达到点名通报条件。</p>`
}
</article>`;
}

export function assessmentBody(
  a: Assessment,
  asOf: string,
  links: Downloads,
  nav: { previous: string; next: string | null },
): HtmlEscapedString | Promise<HtmlEscapedString> {
  const weights = COMPONENTS.map((k) => `${componentZh[k]} ${a.rules.weights[k]}`).join(' · ');
  return html`<article class="bulletin" id="assessment" data-quarter="${a.quarter}">
<h1>${assessmentTitle(a)}</h1>
<p class="muted">数据截至 ${cstDateTime(asOf)}（北京时间） · 权重：${weights} ·
<a href="?quarter=${nav.previous}">上一季度</a>${nav.next ? html` <a href="?quarter=${nav.next}">下一季度</a>` : ''}</p>
${downloads(links)}
<h2>一、考核细则</h2>
<div class="notice" id="rules">${assessmentRulesZh(a).map((l) => html`<p>${l}</p>`)}</div>
<h2>二、考核结果及排名</h2>
${table('scores', assessmentHeaders, a.departments.map(assessmentCells))}
<p class="muted">各分项为实得分；「不计」为本季度无可计数据，得分按其余各项折算为百分制。右侧各列为计分依据（件数、次数）。</p>
</article>`;
}

/** The bulletin page as a PDF: the page without the dashboard's navigation, printed by Chromium. */
export async function bulletinPdf(b: Bulletin): Promise<Buffer> {
  const document = await page(bulletinTitle(b), null, bulletinBody(b, [], null));
  return htmlToPdf(document.toString(), DASHBOARD_CSS);
}
