import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { findPeople } from '../../db/people';
import { listDepartments } from '../../db/reference';
import { projectServiceLog } from '../../db/service';
import { projectUrgings } from '../../db/urgings';
import { dueDateOf, makeCalendar } from '../../domain/calendar';
import { shippedCatalog } from '../../domain/catalog-data';
import type { ProjectState } from '../../domain/project';
import { summarize } from '../../domain/supervision';
import { isHeld, problemStatusZh } from '../../domain/vocabulary';
import type { App, AppDeps } from '../app';
import { canActOnProject, canRaiseProblem } from '../auth/permissions';
import { ProblemError, ProblemType } from '../http-problem';
import { applyPlanAmendmentAs, previewPlanAmendment } from '../plan-amend';
import { actOnProblemAs, raiseProblem } from '../problem-actions';
import { recordReturnVisit, recordServiceLog } from '../service-records';
import { queryProject } from '../temporal';
import { page } from '../ui/layout';
import {
  type ActionsData,
  actionForm,
  actionsSection,
  amendFields,
  type FormKind,
  logFields,
  previewBody,
  problemFields,
  raiseFields,
  urgeFields,
  visitFields,
} from '../ui/project-forms';
import { UrgeBody, urgeDepartment } from '../urge';
import { type WebSession, WebSessions } from '../web-session';
import { ProblemActionBody, RaiseProblem } from './problems';
import { AmendPlanBody } from './project-bodies';
import { ReturnVisitInput, ServiceLogInput } from './service';
import { type Fields, formPosts } from './ui-forms';

/**
 * The secretary's forms on a project's page (/ui/projects/{code}, drawn by api/routes/ui.ts, which asks
 * `projectActions` for the section and the banner). Each form posts here and goes through the same
 * function as its API route (api/problem-actions.ts, api/urge.ts, api/service-records.ts,
 * api/plan-amend.ts): who may, the workflow's rules, the audit. As on the queue page (ui-queue.ts): the
 * session's CSRF token, the form's own token as its Idempotency-Key, post/redirect/get to the project page
 * with a banner saying what changed; a refusal comes back in Chinese beside the form, what was typed kept.
 * The plan is tailored in two steps: a preview (nothing changes) and the confirming post.
 */

type Notice = HtmlEscapedString | Promise<HtmlEscapedString>;

export function registerProjectActionUiRoutes(app: App, deps: AppDeps): void {
  const sessions = new WebSessions(deps.db, deps.config.api.publicUrl);
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };

  const forms = formPosts(deps, sessions, 'ui-project');
  const fieldsOf = forms.fields;

  /** A refused form, alone, with what was typed and the reason beside it. */
  const refused = async (
    c: Context,
    kind: FormKind,
    f: Fields,
    text: string,
    status: ContentfulStatusCode,
  ) => {
    const session = forms.session(c);
    const code = c.req.param('code')!;
    const d = { code, csrf: session.csrfToken };
    const data = await actionsData(deps, code, session, (await queryProject(temporal, code)).state);
    const token = randomUUID();
    const [path, fields, button] = ((): [string, Notice, string] => {
      switch (kind) {
        case 'raise':
          return ['problems', raiseFields(data, f), '提出问题'];
        case 'assign':
        case 'plan':
        case 'resolve':
          return ['problem-actions', problemFields[kind](data, f.problem ?? '', f), '重新提交'];
        case 'urge':
          return ['urgings', urgeFields(f.item ?? '', f), '催办'];
        case 'log':
          return ['service-log', logFields(data, f), '记录服务日志'];
        case 'visit':
          return ['return-visits', visitFields(f), '记录回访'];
        case 'amend':
          return ['plan-preview', amendFields(data, f), '预览调整'];
      }
    })();
    const form = actionForm(d, { kind, token, path, cls: 'panel', id: 'refused-form' }, fields, button, text);
    const back = html`<p><a href="/ui/projects/${code}">返回项目页</a></p>`;
    return c.html(page('未能办理', session, html`<h1>未能办理</h1>${form}${back}`), status);
  };

  /** Runs the action; a refusal (4xx) comes back beside its form, anything else is thrown. */
  const attempt = async (c: Context, kind: FormKind, f: Fields, act: () => Promise<string>) => {
    try {
      return c.redirect(await act(), 303);
    } catch (err) {
      if (!(err instanceof ProblemError) || err.problem.status >= 500) throw err;
      return refused(c, kind, f, explain(err, kind), err.problem.status as ContentfulStatusCode);
    }
  };
  const invalidForm = (c: Context, kind: FormKind, f: Fields) =>
    refused(c, kind, f, '请完整、正确填写本表单后再提交。', 422);
  const done = (code: string, query: Record<string, string>) =>
    `/ui/projects/${code}?${new URLSearchParams(query)}#secretary-actions`;
  const given = (f: Fields, ...keys: string[]) =>
    Object.fromEntries(keys.flatMap((k) => (f[k] ? [[k, f[k]]] : [])));
  const { guarded } = forms;

  app.post('/ui/projects/:code/problems', ...guarded, async (c) => {
    const code = c.req.param('code');
    const f = await fieldsOf(c);
    const body = RaiseProblem.safeParse(
      given(f, 'title', 'description', 'ownerDepartment', 'deadline', 'blocksItem'),
    );
    if (!body.success) return invalidForm(c, 'raise', f);
    const { action: _implied, ...raise } = body.data;
    return attempt(c, 'raise', f, async () => {
      const r = await raiseProblem(c, deps, code, raise);
      return done(code, { done: 'raise', problem: r.problem.id });
    });
  });

  app.post('/ui/projects/:code/problem-actions', ...guarded, async (c) => {
    const code = c.req.param('code');
    const f = await fieldsOf(c);
    const kind = f.action === 'assign' || f.action === 'plan' || f.action === 'resolve' ? f.action : null;
    if (!kind) {
      return c.html(page('表单无效', forms.session(c), html`<p class="error">未知的操作。</p>`), 422);
    }
    const body = ProblemActionBody.safeParse({
      action: kind,
      ...given(f, 'ownerDepartment', 'solution', 'deadline', 'resolution'),
    });
    if (!body.success || !f.problem) return invalidForm(c, kind, f);
    return attempt(c, kind, f, async () => {
      await actOnProblemAs(c, deps, code, f.problem!, body.data);
      return done(code, { done: kind, problem: f.problem! });
    });
  });

  app.post('/ui/projects/:code/urgings', ...guarded, async (c) => {
    const code = c.req.param('code');
    const f = await fieldsOf(c);
    const body = UrgeBody.safeParse(given(f, 'note'));
    if (!body.success || !f.item) return invalidForm(c, 'urge', f);
    return attempt(c, 'urge', f, async () => {
      const r = await urgeDepartment(c, deps, code, f.item!, body.data);
      return done(code, { done: 'urge', item: r.urging.item, messages: String(r.messages) });
    });
  });

  app.post('/ui/projects/:code/service-log', ...guarded, async (c) => {
    const code = c.req.param('code');
    const f = await fieldsOf(c);
    const participants = (f.participants ?? '')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
    const body = ServiceLogInput.safeParse({ ...given(f, 'date', 'contactType', 'outcome'), participants });
    if (!body.success) return invalidForm(c, 'log', f);
    return attempt(c, 'log', f, async () => {
      const e = await recordServiceLog(c, deps, code, body.data);
      return done(code, { done: 'log', entry: String(e.id) });
    });
  });

  app.post('/ui/projects/:code/return-visits', ...guarded, async (c) => {
    const code = c.req.param('code');
    const f = await fieldsOf(c);
    const body = ReturnVisitInput.safeParse({
      stage: Number(f.stage),
      satisfaction: Number(f.satisfaction),
      ...given(f, 'comment'),
    });
    if (!body.success) return invalidForm(c, 'visit', f);
    return attempt(c, 'visit', f, async () => {
      await recordReturnVisit(c, deps, code, body.data);
      return done(code, { done: 'visit', stage: String(body.data.stage) });
    });
  });

  /** The form's tailoring as the API's body. */
  const amendBody = (f: Fields) =>
    AmendPlanBody.safeParse({
      tailoring: {
        ...(f.waive ? { waive: [f.waive] } : {}),
        ...(f.add
          ? {
              add: [
                {
                  code: f.add,
                  ...(f.addPrerequisites
                    ? { prerequisites: f.addPrerequisites.split(/[,，\s]+/).filter(Boolean) }
                    : {}),
                },
              ],
            }
          : {}),
      },
      reason: f.reason,
    });

  // The preview changes nothing: no key is claimed, the form is only checked.
  app.post('/ui/projects/:code/plan-preview', forms.guard, async (c) => {
    const code = c.req.param('code');
    const session = forms.session(c);
    const f = await fieldsOf(c);
    const body = amendBody(f);
    if (!body.success || (!f.waive && !f.add)) return invalidForm(c, 'amend', f);
    try {
      const preview = await previewPlanAmendment(c, deps, code, body.data);
      const d = { code, csrf: session.csrfToken };
      return c.html(
        page(
          '预览计划调整',
          session,
          html`<h1>预览计划调整 <span class="muted">${code}</span></h1>${previewBody(d, preview, f, randomUUID())}`,
        ),
      );
    } catch (err) {
      if (!(err instanceof ProblemError) || err.problem.status >= 500) throw err;
      return refused(c, 'amend', f, explain(err, 'amend'), err.problem.status as ContentfulStatusCode);
    }
  });

  app.post('/ui/projects/:code/plan', ...guarded, async (c) => {
    const code = c.req.param('code');
    const f = await fieldsOf(c);
    const body = amendBody(f);
    if (!body.success) return invalidForm(c, 'amend', f);
    const before = (await queryProject(temporal, code)).state.baseline.permitFinish ?? '';
    return attempt(c, 'amend', f, async () => {
      const r = await applyPlanAmendmentAs(c, deps, code, body.data);
      return done(code, { done: 'amend', added: r.added.join(','), removed: r.removed.join(','), before });
    });
  });
}

/** What the page's forms need: the live state's items and problems, the record's urgings and log. */
async function actionsData(
  deps: AppDeps,
  code: string,
  session: WebSession,
  state: ProjectState,
): Promise<ActionsData> {
  const now = Date.now();
  const [departments, urgings, serviceLog] = await Promise.all([
    listDepartments(deps.db),
    projectUrgings(deps.db, code),
    projectServiceLog(deps.db, code, {}),
  ]);
  const names = new Map(
    (
      await findPeople(deps.db, [
        ...new Set([...urgings.map((u) => u.urgedBy), ...serviceLog.map((e) => e.recordedBy)]),
      ])
    ).map((p) => [p.id, p.name]),
  );
  const label = (code: string) => {
    const def = state.plan.items.find((i) => i.code === code);
    return def ? `${def.nameZh}（${code}，${def.department}）` : code;
  };
  const inPlan = new Set(state.plan.items.map((i) => i.code));
  const catalog = shippedCatalog.version === state.plan.catalogVersion ? shippedCatalog.items : [];
  return {
    code,
    csrf: session.csrfToken,
    acts: canActOnProject(session.principal, state.profile),
    raises: canRaiseProblem(
      session.principal,
      state.profile,
      state.plan.items.map((i) => i.department),
    ),
    problems: Object.values(state.problems),
    openItems: summarize(state, now).openItems.map((c) => ({ value: c, label: label(c) })),
    planItems: state.plan.items.map((i) => ({ value: i.code, label: label(i.code) })),
    waivable: state.plan.items
      .filter((i) => !isHeld(state.items[i.code]!.status))
      .map((i) => ({ value: i.code, label: label(i.code) })),
    addable: catalog
      .filter((i) => !inPlan.has(i.code))
      .map((i) => ({ value: i.code, label: `${i.nameZh}（${i.code}，${i.department}）` })),
    departments: departments.map((d) => ({ value: d.code, label: `${d.nameZh}（${d.code}）` })),
    urgings,
    serviceLog: serviceLog.slice(0, 20),
    today: makeCalendar(state.calendarYears).dateOf(now),
    name: (id) => names.get(id) ?? id,
    token: () => randomUUID(),
  };
}

/** For the project page (api/routes/ui.ts): the banner of what a form just changed, and the forms. */
export async function projectActions(deps: AppDeps, c: Context, session: WebSession, state: ProjectState) {
  const departments = state.plan.items.map((i) => i.department);
  // Readers who get no forms (a leader may only raise; departments and others none) cost no queries.
  if (
    !canActOnProject(session.principal, state.profile) &&
    !canRaiseProblem(session.principal, state.profile, departments)
  ) {
    return { banner: banner(c.req.query(), state), section: html`` };
  }
  const data = await actionsData(deps, state.profile.code, session, state);
  return { banner: banner(c.req.query(), state), section: actionsSection(data) };
}

/** What the form just did, from the project's live state (the page after post/redirect/get). */
function banner(q: Record<string, string>, state: ProjectState): Notice | '' {
  const p = q.problem ? state.problems[q.problem] : undefined;
  const item = (code: string) => state.plan.items.find((i) => i.code === code);
  const text = ((): string | null => {
    switch (q.done) {
      case 'raise':
      case 'assign':
      case 'plan':
      case 'resolve': {
        if (!p) return null;
        const verb = {
          raise: '已提出问题',
          assign: '已分派问题',
          plan: '已记录问题进展',
          resolve: '已标记问题解决',
        }[q.done];
        return `${verb} ${p.id}「${p.title}」：当前${problemStatusZh[p.status]}，责任单位 ${p.ownerDepartment ?? '未定'}，时限 ${p.deadlineAt ? dueDateOf(p.deadlineAt) : '—'}。`;
      }
      case 'urge': {
        const def = item(q.item ?? '');
        return def
          ? `已催办 ${def.department} 办理「${def.nameZh}」，${Number(q.messages) > 0 ? `已向该部门的通知渠道发出 ${q.messages} 条消息。` : '该部门未配置通知渠道，催办仅作记录。'}`
          : null;
      }
      case 'log':
        return `已记录服务日志（第 ${q.entry} 条）。`;
      case 'visit':
        return `已记录阶段${q.stage}的回访。`;
      case 'amend':
        return `计划已调整：新增 ${q.added || '无'}，撤销 ${q.removed || '无'}；计划取得施工许可 ${q.before || '—'} → ${state.baseline.permitFinish ?? '—'}。`;
      default:
        return null;
    }
  })();
  return text ? html`<p class="notice" id="action-result" data-done="${q.done}">${text}</p>` : '';
}

/** A refusal in Chinese from its problem type, never from its words. */
function explain(err: ProblemError, kind: FormKind): string {
  switch (err.problem.type) {
    case ProblemType.forbidden:
      return kind === 'raise'
        ? '您不能在本项目提出此问题（阻塞他部门事项须由项目秘书办理）。'
        : '您不是本项目的秘书，不能办理此事项。';
    case ProblemType.notFound:
      return '该项目、事项或问题不存在，请刷新项目页。';
    case ProblemType.alreadyUrged:
      return '该事项本工作日已催办过：每个事项每个工作日只催办一次。';
    case ProblemType.projectClosed:
      return '该项目已结束，不再办理。';
    case ProblemType.conflict:
      return kind === 'urge'
        ? '该事项当前不在办理中（等待前置事项或已办结），或项目已缓建、撤销或关闭，无需催办。'
        : kind === 'visit'
          ? '该阶段尚未全部办结，或其回访已经记录。'
          : '项目状态已变化，请按项目页最新状态重新办理。';
    case ProblemType.invalidTransition:
      return kind === 'amend'
        ? '工作流不接受该调整（涉及的事项已由部门受理或办结），请按最新计划重新选择。'
        : '工作流未接受该操作（问题状态已变化，或时限早于今天），请按项目页最新状态重新办理。';
    default:
      return kind === 'amend'
        ? '调整后的计划不成立（如前置事项不在计划中），请检查后重新预览。'
        : '填写内容不符合要求，请检查后重新提交。';
  }
}
