import type { Context } from 'hono';
import { html, raw } from 'hono/html';
import { findPeople } from '../../db/people';
import { loadRecord } from '../../db/performance';
import { loadItems, loadProjects } from '../../db/read-model';
import { loadCalendar } from '../../db/reference';
import { stateApprovalTime } from '../../domain/approval-time';
import { dueDateOf, makeCalendar, missingNextYearNotice } from '../../domain/calendar';
import { forecastBrief, forecastFromRecord, forecastLineZh } from '../../domain/forecast';
import { projectPhaseZh } from '../../domain/lifecycle';
import { colourLabelZh, projectStanding, targetShortZh } from '../../domain/standing';
import { problemStatusZh, projectStatusZh } from '../../domain/vocabulary';
import type { App, AppDeps } from '../app';
import { principalForKey } from '../auth/middleware';
import { OidcSignIn } from '../auth/oidc';
import { canReadProject, isAdministrator } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { BoardForecasts } from '../forecasts';
import { ProblemError } from '../http-problem';
import { queryProject } from '../temporal';
import { forecastSvg } from '../ui/forecast-chart';
import { blockedMark, type GanttRow, ganttSvg } from '../ui/gantt';
import { DASHBOARD_CSS, landingPage, page } from '../ui/layout';
import { sameOrigin, sameToken, type WebSession, WebSessions } from '../web-session';
import { registerOidcUiRoutes } from './ui-oidc';
import { projectActions } from './ui-project-actions';

/**
 * The battle-map dashboard (挂图作战), server-rendered: the projects board, a project's Gantt, a
 * department's queue and score (its page and decision forms: api/routes/ui-queue.ts). Signed in with the
 * same API keys (kept in an HttpOnly cookie for /ui).
 * HTML pages, so they are not part of the OpenAPI document.
 */

const order = { red: 0, yellow: 1, green: 2 } as const;

export function registerUiRoutes(app: App, deps: AppDeps): void {
  // 1,000 samples a project keep the board quick; the project page draws 5,000.
  const boardForecasts = new BoardForecasts(deps, 1000);
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  const sessions = new WebSessions(deps.db, deps.config.api.publicUrl);
  const publicUrl = deps.config.api.publicUrl;
  // The organisation's identity provider, when configured: offered next to the key form.
  const oidc = deps.config.oidc ? new OidcSignIn(deps.db, deps.config.oidc, publicUrl) : null;
  if (oidc) registerOidcUiRoutes(app, oidc, sessions);

  // A newcomer at http://host/ sees where to start; someone signed in goes to the board.
  app.get('/', async (c) => ((await sessions.current(c)) ? c.redirect('/ui', 303) : c.html(landingPage())));
  app.get('/ui/app.css', (c) =>
    c.body(DASHBOARD_CSS, 200, {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'public, max-age=3600',
    }),
  );
  const loginForm = (csrf: string, error?: string) => loginPage(csrf, oidc !== null, error);
  app.get('/ui/login', (c) => c.html(loginForm(sessions.loginToken(c), c.req.query('error'))));
  app.post('/ui/login', async (c) => {
    const form = await c.req.parseBody();
    // Login CSRF: a form from another site carries neither our Origin nor the token of our cookie.
    if (!sameOrigin(c, publicUrl) || !sessions.loginTokenValid(c, form.csrf)) {
      return c.html(loginForm(sessions.loginToken(c), 'csrf'), 403);
    }
    const key = typeof form.key === 'string' ? form.key.trim() : '';
    let principal: Principal;
    try {
      principal = await principalForKey(deps.db, key);
    } catch (err) {
      if (err instanceof ProblemError) return c.redirect('/ui/login?error=key', 303);
      throw err;
    }
    await sessions.start(c, { keyId: principal.keyId });
    return c.redirect('/ui', 303);
  });
  app.post('/ui/logout', async (c) => {
    const form = await c.req.parseBody();
    const session = await sessions.current(c);
    if (session && (!sameOrigin(c, publicUrl) || !sameToken(session.csrfToken, form.csrf))) {
      return c.text('This sign-out form did not come from this site.', 403);
    }
    const idToken = await sessions.end(c);
    // Signed in through the provider: signed out there too (RP-initiated logout), then back here.
    const atProvider = idToken && oidc ? await oidc.logoutUrl(idToken) : null;
    return c.redirect(atProvider?.href ?? '/ui/login', 303);
  });

  /** People by name, their id in the tooltip (an id the directory does not know shows as it is). */
  const peopleNames = async (ids: string[]) => {
    const names = new Map((await findPeople(deps.db, [...new Set(ids)])).map((p) => [p.id, p.name]));
    return (id: string) => {
      const name = names.get(id);
      return name ? html`<span class="person" title="${id}">${name}</span>` : id;
    };
  };

  /** The signed-in caller and their form token, or null (then the page redirects to the login form). */
  const who = (c: Context): Promise<WebSession | null> => sessions.current(c);

  app.get('/ui', async (c) => {
    const session = await who(c);
    if (!session) return c.redirect('/ui/login', 303);
    const { principal } = session;
    if (principal.role === 'department') return c.redirect(`/ui/departments/${principal.department}`, 303);
    const scope =
      principal.role === 'secretary'
        ? { secretary: principal.personId ?? '' }
        : principal.role === 'leader'
          ? { leader: principal.personId ?? '' }
          : {};
    const [projects, items, calendar] = await Promise.all([
      loadProjects(deps.db, scope),
      loadItems(deps.db, scope),
      loadCalendar(deps.db),
    ]);
    const now = Date.now();
    const byProject = new Map<string, typeof items>();
    for (const i of items) byProject.set(i.projectCode, [...(byProject.get(i.projectCode) ?? []), i]);
    // Suspended, cancelled and closed projects are listed apart: their colour would mean nothing.
    const apart = projects.filter((p) => p.status !== 'active' && p.status !== 'completed');
    const coloured = projects
      .filter((p) => p.status === 'active' || p.status === 'completed')
      .map((p) => ({ ...p, ...projectStanding(p, byProject.get(p.code) ?? [], calendar, now) }))
      .sort(
        (a, b) =>
          order[a.colour] - order[b.colour] ||
          b.overdueItems - a.overdueItems ||
          a.code.localeCompare(b.code),
      );
    const countdown = (p: (typeof coloured)[number]) =>
      p.countdown === null
        ? '—'
        : p.countdown >= 0
          ? `${p.countdown} 个工作日`
          : `已过 ${-p.countdown} 个工作日`;
    const count = (colour: string) => coloured.filter((r) => r.colour === colour).length;
    const forecasts = await boardForecasts.forecasts(
      coloured.filter((p) => p.status === 'active').map((p) => p.code),
    );
    const forecastCell = (code: string) => {
      const f = forecasts.get(code);
      const b = f ? forecastBrief(f) : null;
      if (!b?.p80) return html`<td class="forecast">—</td>`;
      const pct = b.probabilityOnTarget === null ? '' : `${Math.round(b.probabilityOnTarget * 100)}%`;
      return html`<td class="forecast" data-p80="${b.p80}" data-probability="${b.probabilityOnTarget ?? ''}" title="${forecastLineZh(b)}">${b.p80}${pct ? html`<br><span class="muted">达成 ${pct}</span>` : ''}</td>`;
    };
    const ui = deps.config.temporal.uiUrl;
    const ns = deps.config.temporal.namespace;
    const person = await peopleNames(projects.flatMap((p) => [p.leader, p.secretary]));
    const missing = isAdministrator(principal) ? missingNextYearNotice(calendar, now) : null;
    return c.html(
      page(
        '项目总览',
        session,
        html`<h1>重大项目挂图作战 · 项目总览</h1>
${
  missing === null
    ? ''
    : html`<p class="warning" id="calendar-warning">尚未载入 ${missing} 年节假日安排（国务院办公厅通知）：截止日期在 ${missing - 1} 年 12 月 25 日及以后的，均为暂定。通知发布后，请以 PUT /calendars/${missing} 载入（holiday-cn 格式），各在办项目的时限将自动重算。</p>`
}
<div class="kpis">
  <div class="kpi">在库项目<b id="kpi-total">${coloured.length}</b></div>
  <div class="kpi"><span class="colour green"></span>绿灯<b id="kpi-green">${count('green')}</b></div>
  <div class="kpi"><span class="colour yellow"></span>黄灯<b id="kpi-yellow">${count('yellow')}</b></div>
  <div class="kpi"><span class="colour red"></span>红灯<b id="kpi-red">${count('red')}</b></div>
</div>
<table id="board">
<thead><tr><th>状态</th><th>项目</th><th>阶段</th><th>开工倒计时</th><th>P80 开工</th><th>超期事项</th><th>督办级别</th><th>责任领导</th><th>项目秘书</th><th>Temporal</th></tr></thead>
<tbody>
${coloured.map(
  (r) => html`<tr data-project="${r.code}" data-colour="${r.colour}" title="${r.reasons.join('；')}">
  <td><span class="colour ${r.colour}"></span>${colourLabelZh[r.colour]}</td>
  <td><a href="/ui/projects/${r.code}">${r.name}</a><br><span class="muted">${r.code}</span></td>
  <td>${r.stage >= 5 ? '已完成' : `阶段${r.stage}`}</td>
  <td>${countdown(r)}${
    r.targetShortBy === null
      ? ''
      : html`<br><span class="muted target-short" title="${targetShortZh(r.targetShortBy)}">计划缺口 ${r.targetShortBy} 个工作日</span>`
  }</td>
  ${forecastCell(r.code)}
  <td class="overdue">${r.overdueItems}</td>
  <td>${r.escalationLevel}</td>
  <td>${person(r.leader)}</td>
  <td>${person(r.secretary)}</td>
  <td><a href="${ui}/namespaces/${ns}/workflows/project-${r.code}">工作流</a></td>
</tr>`,
)}
</tbody>
</table>
${
  apart.length === 0
    ? ''
    : html`<h2>缓建、撤销与关闭的项目</h2>
<table id="board-apart">
<thead><tr><th>状态</th><th>项目</th><th>阶段</th><th>责任领导</th><th>项目秘书</th></tr></thead>
<tbody>
${apart.map(
  (r) => html`<tr data-project="${r.code}" data-status="${r.status}">
  <td>${projectStatusZh[r.status] ?? r.status}</td>
  <td><a href="/ui/projects/${r.code}">${r.name}</a><br><span class="muted">${r.code}</span></td>
  <td>${r.stage >= 5 ? '已完成' : `阶段${r.stage}`}</td>
  <td>${person(r.leader)}</td>
  <td>${person(r.secretary)}</td>
</tr>`,
)}
</tbody>
</table>`
}`,
      ),
    );
  });

  app.get('/ui/projects/:code', async (c) => {
    const session = await who(c);
    if (!session) return c.redirect('/ui/login', 303);
    const { principal } = session;
    const code = c.req.param('code');
    const view = await queryProject(temporal, code);
    const { state, summary } = view;
    if (!canReadProject(principal, state.profile))
      return c.html(page('无权访问', session, html`<p class="error">这不是您负责的项目。</p>`), 403);
    const calendar = makeCalendar(state.calendarYears);
    const today = calendar.dateOf(Date.now());
    const date = (iso?: string | null) => (iso ? calendar.dateOf(Date.parse(iso)) : null);
    const rows: GanttRow[] = state.plan.items.map((def) => {
      const item = state.items[def.code]!;
      const planned = state.baseline?.items[def.code];
      return {
        code: def.code,
        nameZh: def.nameZh,
        stage: def.stage,
        department: def.department,
        status: item.status,
        plannedStart: planned?.plannedStart ?? null,
        plannedFinish: planned?.plannedFinish ?? null,
        actualStart: date(item.acceptedAt ?? item.submittedAt),
        actualFinish: date(item.finishedAt),
        dueDate: item.dueDate ?? null,
        critical: planned?.critical ?? false,
        blocked: summary.blockedItems.includes(def.code),
      };
    });
    const [projectRow] = await loadProjects(deps.db, { projectCode: code });
    const standing = projectRow
      ? projectStanding(projectRow, await loadItems(deps.db, { projectCode: code }), calendar, Date.now())
      : null;
    const colour = standing?.colour ?? 'green';
    const approval = stateApprovalTime(state, calendar, Date.now());
    const provisionalItems = state.plan.items
      .filter((i) => state.items[i.code]!.provisional && state.items[i.code]!.dueAt)
      .map((i) => `${i.nameZh}（${state.items[i.code]!.dueDate}）`);
    const problems = Object.values(state.problems);
    const forecast =
      state.lifecycle && state.lifecycle.phase !== 'active'
        ? null
        : forecastFromRecord(await loadRecord(deps.db), state, { now: Date.now() }).forecast;
    const person = await peopleNames([state.profile.leader, state.profile.secretary]);
    const actions = await projectActions(deps, c, session, state); // the secretary's forms: ui-project-actions.ts
    const ui = `${deps.config.temporal.uiUrl}/namespaces/${deps.config.temporal.namespace}/workflows/project-${code}`;
    return c.html(
      page(
        state.profile.name,
        session,
        html`<h1><span class="colour ${colour}" id="colour" data-colour="${colour}"></span>${state.profile.name} <span class="muted">${code}</span></h1>
<div class="kpis">
  <div class="kpi">当前阶段<b id="kpi-stage">${summary.stage >= 5 ? '已完成' : `阶段${summary.stage}`}</b></div>
  <div class="kpi">在办事项<b id="kpi-open">${summary.openItems.length}</b></div>
  <div class="kpi">超期事项<b id="kpi-overdue">${summary.overdueItems.length}</b></div>
  <div class="kpi">受阻事项<b id="kpi-blocked">${summary.blockedItems.length}</b></div>
  <div class="kpi">目标开工<b>${state.profile.targetStart ?? '—'}</b></div>
  <div class="kpi">计划取得施工许可<b>${state.baseline?.permitFinish ?? '—'}</b></div>
  <div class="kpi" title="部门受理至办结、扣除补正与专家评审等法定不计时段的工作日，并联事项同日只计一次">审批用时（工作日）<b id="kpi-counted">${approval.countedDays}</b><small>承诺 ${approval.committedDays} · 计划 ${approval.planned?.counted ?? '—'}</small></div>
  <div class="kpi" title="自登记起的工作日，含建设单位自办、中介技术审查、公示等">历时（工作日）<b id="kpi-elapsed">${approval.elapsedDays}</b><small>计划 ${approval.planned?.elapsed ?? '—'}</small></div>
  ${
    approval.toPermit
      ? html`<div class="kpi">取得施工许可<b id="kpi-permit">${approval.toPermit.date}</b><small>审批用时 ${approval.toPermit.countedDays} · 历时 ${approval.toPermit.elapsedDays}</small></div>`
      : ''
  }
</div>
${actions.banner}
<p id="project-people">责任领导 ${person(state.profile.leader)} · 项目秘书 ${person(state.profile.secretary)} · 规则版本 <span id="rules-edition">${state.rulesEdition ?? '出厂'}</span> · <a href="${ui}">在 Temporal UI 中查看工作流</a></p>
${
  state.lifecycle && state.lifecycle.phase !== 'active'
    ? html`<p class="notice" id="phase" data-phase="${state.lifecycle.phase}">${projectPhaseZh[state.lifecycle.phase]}（自 ${calendar.dateOf(Date.parse(state.lifecycle.since))}）${
        state.lifecycle.events.at(-1)?.reason ? `：${state.lifecycle.events.at(-1)!.reason}` : ''
      }</p>`
    : ''
}
${
  standing?.targetShortBy == null
    ? ''
    : html`<p class="notice" id="target-infeasible">${targetShortZh(standing.targetShortBy)}（按计划最早 ${state.baseline?.permitFinish ?? '—'} 取得施工许可）。此为计划本身的缺口，不计入亮灯。</p>`
}
${
  provisionalItems.length > 0
    ? html`<p class="warning" id="provisional-items">以下事项的承诺时限为暂定（涉及尚未公布节假日安排的日期）：${provisionalItems.join('、')}</p>`
    : ''
}
<h2>审批事项甘特图（灰：计划，彩：实际；红框：关键路径；${raw(`<svg class="legend-mark" width="14" height="14" viewBox="0 0 14 14">${blockedMark(7, 7)}</svg>`)} 受阻）</h2>
${ganttSvg(rows, today)}
<h2>施工许可预测（依据各部门历史办理记录，蒙特卡洛 ${forecast?.samples ?? 0} 次）</h2>
${
  forecast?.permit
    ? html`<p id="forecast-summary">P50 ${forecast.permit.p50} · P80 ${forecast.permit.p80} · P95 ${forecast.permit.p95}；${forecastLineZh(forecastBrief(forecast))}</p>
${forecastSvg(forecast)}`
    : html`<p class="muted">项目已缓建、撤销或关闭，或计划中无施工许可，不作预测。</p>`
}
<h2>问题清单（钉住不放）</h2>
${
  problems.length === 0
    ? html`<p class="muted">暂无问题</p>`
    : html`<table id="problems"><thead><tr><th>编号</th><th>问题</th><th>责任单位</th><th>时限</th><th>状态</th><th>阻塞事项</th></tr></thead><tbody>
${problems.map((p) => html`<tr><td>${p.id}</td><td>${p.title}</td><td>${p.ownerDepartment ?? p.ownerPerson ?? '—'}</td><td>${dueDateOf(p.deadlineAt)}${p.deadlineProvisional ? html`<span class="provisional" title="节假日安排尚未公布，时限为暂定">暂定</span>` : ''}</td><td>${problemStatusZh[p.status]}</td><td>${p.blocksItem ?? '—'}</td></tr>`)}
</tbody></table>`
}
${actions.section}`,
      ),
    );
  });
}

const loginErrors: Record<string, string> = {
  key: '密钥无效或已吊销。',
  csrf: '登录表单已过期或并非来自本站，请重新登录。',
};

function loginPage(csrf: string, oidc: boolean, error?: string) {
  const message = error ? (loginErrors[error] ?? loginErrors.key) : undefined;
  return page(
    '登录',
    null,
    html`<form class="login" method="post" action="/ui/login">
<h1>登录挂图作战</h1>
<p>请输入您的 API 密钥（与接口使用同一密钥）。</p>
${message ? html`<p class="error">${message}</p>` : ''}
<input type="hidden" name="csrf" value="${csrf}">
<label for="key">API 密钥</label>
<input id="key" name="key" type="password" autocomplete="off" placeholder="gl_…">
<button type="submit">登录</button>
</form>${
      oidc
        ? html`<p class="login-oidc"><a id="oidc-login" class="button" href="/ui/login/oidc">使用统一身份认证登录</a></p>`
        : ''
    }`,
  );
}
