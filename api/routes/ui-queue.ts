import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { departmentQueue } from '../../db/project-lists';
import { departmentPoints } from '../../db/read-model';
import { findDepartment } from '../../db/reference';
import {
  type Decision,
  DecisionBody,
  type DepartmentDecision,
  decisionRefusal,
  departmentDecisions,
  openDepartmentDecisions,
} from '../../domain/decisions';
import { ProjectCode, type ProjectState } from '../../domain/project';
import type { App, AppDeps } from '../app';
import { actorOf, canSeeQueue } from '../auth/permissions';
import { takeDecision } from '../decide';
import { ProblemError, ProblemType } from '../http-problem';
import { awaitReadModel } from '../read-your-writes';
import { queryProject } from '../temporal';
import { page } from '../ui/layout';
import {
  formKey,
  type ItemForms,
  type OpenedItem,
  type QueueNotice,
  queuePage,
  queuePageItems,
  refusalZh,
  refusedWithoutReasonZh,
} from '../ui/queue';
import { type WebSession, WebSessions } from '../web-session';
import { formPosts } from './ui-forms';

/**
 * A department's queue page (`/ui/departments/:department`) and its decision forms. A form posts to
 * `/ui/departments/:department/decisions` and goes through `takeDecision` (api/decide.ts), the same path
 * as POST /projects/{code}/items/{item}/decisions: who may decide, the workflow's update, the audit.
 * The form's own token is its Idempotency-Key (so its Temporal update id): a double submit, a reload or
 * a retry gets the first answer back and the workflow applies the decision once. After a decision the
 * browser is sent back to the queue (post/redirect/get), which says what the decision opened.
 */

/** Live project states asked for at once when a queue page is drawn, and how long each may take. */
const LIVE_QUERIES_AT_ONCE = 10;
const LIVE_QUERY_DEADLINE_MS = 3_000;

/** A queue page's view: `?page=` (absent: the first) and `?project=` (one project's items alone). */
const QueueView = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  project: ProjectCode.optional(),
});
type QueueView = z.infer<typeof QueueView>;
/** The view from a query or a form's fields; an empty value is an absent one. */
const viewOf = (page: string | undefined, project: string | undefined) =>
  QueueView.safeParse({ page: page || undefined, project: project || undefined });

const isDepartmentDecision = (a: unknown): a is DepartmentDecision =>
  departmentDecisions.includes(a as DepartmentDecision);

export function registerQueueUiRoutes(app: App, deps: AppDeps): void {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  const sessions = new WebSessions(deps.db, deps.config.api.publicUrl);

  /**
   * Each project's live state (the forms follow the workflow, not the read model); null if unreachable.
   * Projects in `known` were asked already in this request and are not asked again.
   */
  type LiveStates = Map<string, ProjectState | null>;
  const liveStates = async (codes: string[], known: LiveStates = new Map()): Promise<LiveStates> => {
    const states = new Map(known);
    const asked = codes.filter((code) => !known.has(code));
    // A few queries at a time: a busy department's queue spans many projects, and Temporal serves all.
    for (let i = 0; i < asked.length; i += LIVE_QUERIES_AT_ONCE) {
      const batch = asked.slice(i, i + LIVE_QUERIES_AT_ONCE);
      const answers = await Promise.all(
        batch.map((code) =>
          queryProject(temporal, code, LIVE_QUERY_DEADLINE_MS).then(
            (v) => v.state,
            () => null, // drawn without forms; the page says so
          ),
        ),
      );
      for (const [j, code] of batch.entries()) states.set(code, answers[j]!);
    }
    return states;
  };

  const render = async (
    c: Context,
    session: WebSession,
    department: string,
    {
      notice,
      status = 200,
      view = { page: 1 },
      known,
    }: { notice?: QueueNotice; status?: ContentfulStatusCode; view?: QueueView; known?: LiveStates } = {},
  ) => {
    const [dept, items, points] = await Promise.all([
      findDepartment(deps.db, department),
      departmentQueue(deps.db, department, view.project ? { project: view.project } : {}),
      departmentPoints(deps.db, department),
    ]);
    const clerk = session.principal.role === 'department';
    const { pageNo, shown } = queuePageItems(items, view.page);
    // Forms only for the department's clerks, and for the items on this page: an operator reads the
    // queue without asking each project.
    const states = clerk
      ? await liveStates([...new Set(shown.map((i) => i.projectCode))], known)
      : new Map<string, ProjectState | null>();
    const actor = actorOf(session.principal);
    const forms = new Map<string, ItemForms>();
    for (const i of shown) {
      const state = states.get(i.projectCode);
      if (!state) continue;
      const open = openDepartmentDecisions(state, i.item, actor).filter((d) => d.refusal === null);
      forms.set(
        formKey(i.projectCode, i.item),
        open.map((d) => ({ action: d.action, token: randomUUID() })),
      );
    }
    const data = {
      department,
      dept,
      items,
      pageNo,
      shown,
      ...(view.project ? { project: view.project } : {}),
      points,
      forms,
      clerk,
      now: Date.now(),
    };
    return c.html(queuePage(session, notice ? { ...data, notice } : data), status);
  };

  /** Items of a project by name, from its live state (the code alone when it cannot be asked). */
  const namedItems = (project: string, state: ProjectState | null | undefined, codes: string[]) => {
    const items = codes.map((code): OpenedItem => {
      const def = state?.plan.items.find((i) => i.code === code);
      return { code, nameZh: def?.nameZh ?? code, department: def?.department ?? '' };
    });
    return { projectName: state?.profile.name ?? project, items };
  };

  app.get('/ui/departments/:department', async (c) => {
    const session = await sessions.current(c);
    if (!session) return c.redirect('/ui/login', 303);
    const department = c.req.param('department');
    if (!canSeeQueue(session.principal, department)) return notYourQueue(c, session);
    const view = viewOf(c.req.query('page'), c.req.query('project'));
    if (!view.success) {
      const text = view.error.issues[0]?.path[0] === 'page' ? '页码应为正整数。' : '项目代码格式不正确。';
      return c.html(page('参数有误', session, html`<p class="error" id="bad-view">${text}</p>`), 422);
    }
    // `decided=<project>/<item>/<action>&opened=<codes>`: where the form's post sent the browser.
    const [project, item, action] = (c.req.query('decided') ?? '').split('/');
    if (!project || !item || !isDepartmentDecision(action)) {
      return render(c, session, department, { view: view.data });
    }
    const codes = (c.req.query('opened') ?? '').split(',').filter((s) => s !== '');
    const known = await liveStates([project]);
    const { projectName, items } = namedItems(project, known.get(project), [item, ...codes]);
    const [decided, ...opened] = items;
    const notice = { kind: 'decided', project, projectName, item: decided!, action, opened } as const;
    return render(c, session, department, { notice, view: view.data, known });
  });

  // Signed in, their department's queue, and a form from this site with the session's token.
  const forms = formPosts(deps, sessions, 'ui-decision', (c, session) =>
    canSeeQueue(session.principal, c.req.param('department') ?? '') ? undefined : notYourQueue(c, session),
  );

  app.post('/ui/departments/:department/decisions', ...forms.guarded, async (c) => {
    const department = c.req.param('department');
    const session = forms.session(c);
    const fields = await forms.fields(c);
    const { project = '', item = '', action } = fields;
    if (!isDepartmentDecision(action)) {
      return c.html(page('表单无效', session, html`<p class="error">未知的办理决定。</p>`), 422);
    }
    // Back to the page of the queue the form was on.
    const from = viewOf(fields.page, fields.viewProject);
    const view: QueueView = from.success ? from.data : { page: 1 };
    const refused = (text: string, status: ContentfulStatusCode, known?: LiveStates) =>
      render(c, session, department, {
        notice: { kind: 'refused', project, item, action, text, fields },
        status,
        view,
        ...(known ? { known } : {}),
      });
    const body = DecisionBody.safeParse(bodyOf(action, fields));
    if (!body.success) return refused('请完整填写本表单后再提交。', 422);
    try {
      const result = await takeDecision(c, deps, project, item, body.data);
      // The queue is drawn from the read model: wait (briefly) until it holds this decision.
      await awaitReadModel(deps, project);
      const query = new URLSearchParams({
        decided: `${project}/${item}/${action}`,
        opened: result.opened.join(','),
        page: String(view.page),
        ...(view.project ? { project: view.project } : {}),
      });
      return c.redirect(`/ui/departments/${department}?${query}`, 303);
    } catch (err) {
      if (!(err instanceof ProblemError) || err.problem.status >= 500) throw err;
      const decision = { ...body.data, item, actor: actorOf(session.principal) } as Decision;
      // Refused as the item stands: the project's state now says why, and draws the page after.
      const known =
        err.problem.type === ProblemType.invalidTransition ? await liveStates([project]) : undefined;
      return refused(explain(err, decision, known?.get(project)), err.problem.status, known);
    }
  });

  /** A refusal in Chinese, from what was asked and the state the project is in now, never its words. */
  const explain = (err: ProblemError, decision: Decision, state: ProjectState | null | undefined): string => {
    const action = decision.action as DepartmentDecision;
    switch (err.problem.type) {
      case ProblemType.forbidden:
        return refusalZh({ kind: 'notTheirs', detail: '' }, action);
      case ProblemType.notFound:
        return '该项目或事项不存在。';
      case ProblemType.projectClosed:
        return '该项目已结束，不再办理。';
      case ProblemType.invalidTransition: {
        const refusal = state ? decisionRefusal(state, decision) : null;
        return refusal ? refusalZh(refusal, action) : refusedWithoutReasonZh;
      }
      default:
        return '填写内容不符合要求，请检查后重新提交。';
    }
  };
}

/** The decision a form describes, as the API's body; fields left empty are not given. */
function bodyOf(action: DepartmentDecision, f: Record<string, string>): Record<string, unknown> {
  const given = (k: string) => (f[k] ? { [k]: f[k] } : {});
  switch (action) {
    case 'accept':
      return { action, ...given('note') };
    case 'return':
      return {
        action,
        missing: (f.missing ?? '')
          .split(/\r?\n/)
          .map((s) => s.trim())
          .filter(Boolean),
      };
    case 'approve':
      return { action, ...given('documentNo') };
    case 'reject':
      return { action, ...given('reason') };
    case 'approveOnCommitment':
      return { action, ...given('commitmentRef') };
  }
}

function notYourQueue(c: Context, session: WebSession) {
  return c.html(page('无权访问', session, html`<p class="error">只能查看本部门的队列。</p>`), 403);
}
