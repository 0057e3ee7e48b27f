import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { html } from 'hono/html';
import { ConveneMeeting, MinutesInput } from '../../domain/meetings';
import type { App, AppDeps } from '../app';
import { ProblemError } from '../http-problem';
import { meetingsService } from '../meetings';
import { page } from '../ui/layout';
import { meetingPage, meetingsListPage } from '../ui/meetings';
import { type WebSession, WebSessions } from '../web-session';
import { formPosts } from './ui-forms';

/**
 * The meetings on the dashboard: `/ui/meetings` lists them and convenes one, `/ui/meetings/:id` shows
 * the agenda, takes the minutes and shows what each decision became. The forms go through the same
 * service as the API (api/meetings.ts); each carries the session's CSRF token and its own token, which
 * is its Idempotency-Key, so a double submit convenes once and acts once.
 */

export function registerMeetingsUiRoutes(app: App, deps: AppDeps): void {
  const sessions = new WebSessions(deps.db, deps.config.api.publicUrl);
  const meetings = meetingsService(deps);

  const refusal = (err: unknown): string => {
    if (err instanceof ProblemError && err.problem.status < 500)
      return err.problem.detail ?? err.problem.title;
    throw err;
  };
  const convenes = (s: WebSession) => ['operator', 'admin', 'secretary'].includes(s.principal.role);

  const list = async (c: Context, session: WebSession, error?: string) => {
    const rows = await meetings.list(session.principal, 100);
    const weekly = session.principal.role !== 'secretary';
    const data = { meetings: rows, canConvene: convenes(session), weekly, token: randomUUID() };
    return c.html(meetingsListPage(session, error ? { ...data, error } : data), error ? 422 : 200);
  };
  const show = async (c: Context, session: WebSession, id: number, error?: string) => {
    const meeting = await meetings.read(session.principal, id);
    const mayMinute = await meetings.mayMinute(session.principal, meeting);
    const data = { meeting, mayMinute, token: randomUUID() };
    return c.html(meetingPage(session, error ? { ...data, error } : data), error ? 422 : 200);
  };
  const idOf = (c: Context) => {
    const id = Number(c.req.param('id'));
    return Number.isInteger(id) && id > 0 && id < 2_147_483_648 ? id : null;
  };
  const signedIn = async (c: Context, then: (s: WebSession) => Promise<Response>) => {
    const session = await sessions.current(c);
    if (!session) return c.redirect('/ui/login', 303);
    if (session.principal.role === 'department') {
      return c.html(page('协调会', session, html`<p class="error">部门通过督办事项参与协调会。</p>`), 403);
    }
    try {
      return await then(session);
    } catch (err) {
      return c.html(page('协调会', session, html`<p class="error">${refusal(err)}</p>`), 404);
    }
  };

  app.get('/ui/meetings', (c) => signedIn(c, (s) => list(c, s)));
  app.get('/ui/meetings/:id', (c) =>
    signedIn(c, async (s) => {
      const id = idOf(c);
      return id === null ? c.notFound() : show(c, s, id);
    }),
  );

  const forms = formPosts(deps, sessions, 'ui-meeting');
  const fieldsOf = forms.fields;

  app.post('/ui/meetings', ...forms.guarded, async (c) => {
    const session = forms.session(c);
    const f = await fieldsOf(c);
    const body = ConveneMeeting.safeParse({
      kind: f.kind,
      heldOn: f.heldOn,
      ...(f.projectCode ? { projectCode: f.projectCode } : {}),
      attendees: (f.attendees ?? '').split(/[,，\s]+/).filter((a) => a !== ''),
    });
    if (!body.success)
      return list(c, session, `请检查表单：${body.error.issues.map((i) => i.message).join('；')}`);
    try {
      const meeting = await meetings.convene(c, body.data);
      return c.redirect(`/ui/meetings/${meeting.id}`, 303);
    } catch (err) {
      return list(c, session, refusal(err));
    }
  });

  app.post('/ui/meetings/:id/minutes', ...forms.guarded, async (c) => {
    const session = forms.session(c);
    const id = idOf(c);
    if (id === null) return c.notFound();
    const f = await fieldsOf(c);
    const decisions = Object.keys(f)
      .filter((k) => k.startsWith('kind-') && f[k] !== '')
      .map((k) => decisionOf(Number(k.slice(5)), f));
    const body = MinutesInput.safeParse({ ...(f.notes ? { notes: f.notes } : {}), decisions });
    if (!body.success) {
      return show(c, session, id, `请补全所选决定的责任单位、日期和内容（${body.error.issues.length} 处）。`);
    }
    try {
      await meetings.minute(c, id, body.data);
      return c.redirect(`/ui/meetings/${id}`, 303);
    } catch (err) {
      return show(c, session, id, refusal(err));
    }
  });
}

/** One row of the minutes form as the decision it names (MinutesInput validates it). */
function decisionOf(line: number, f: Record<string, string>): Record<string, unknown> {
  const kind = f[`kind-${line}`];
  const department = f[`department-${line}`] || undefined;
  const date = f[`date-${line}`] || undefined;
  const text = f[`text-${line}`] || undefined;
  switch (kind) {
    case 'assign-problem':
      return { kind, line, ownerDepartment: department, deadline: date, solution: text };
    case 'raise-problem':
      return {
        kind,
        line,
        ownerDepartment: department,
        deadline: date,
        title: text?.slice(0, 60),
        description: text,
      };
    case 'instruction':
      return { kind, line, instruction: text };
    default:
      return { kind, line, date, ...(text ? { note: text } : {}) };
  }
}
