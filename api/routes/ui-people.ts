import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { listDepartments } from '../../db/reference';
import type { App, AppDeps } from '../app';
import { auditContext } from '../audit';
import { isAdministrator } from '../auth/permissions';
import { HandoverIncomplete, HandoverRequest, handOver } from '../handover';
import { ProblemError, validationProblem } from '../http-problem';
import { IDEMPOTENCY_KEY_PATTERN } from '../idempotency';
import { createPerson, NewPerson, PersonDetails, peopleViews, updatePerson } from '../people';
import { page } from '../ui/layout';
import { type PeoplePageData, type PersonForm, peoplePage, personFields } from '../ui/people';
import { sameOrigin, sameToken, type WebSession, WebSessions } from '../web-session';

/**
 * The people page for operators (`/ui/people`): the same rules and audit as the /people routes
 * (api/people.ts, api/handover.ts), through forms. A handover form carries a token of its own that
 * becomes the Temporal update id of its reassignments, so sending the form again (a retry after a
 * failure, a reload) applies none of them twice.
 */

export function registerPeopleUiRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;
  const sessions = new WebSessions(db, deps.config.api.publicUrl);
  const publicUrl = deps.config.api.publicUrl;

  /** The operator's session, or the answer instead: the sign-in form, or 403. */
  const operator = async (c: Context): Promise<WebSession | Response> => {
    const session = await sessions.current(c);
    if (!session) return c.redirect('/ui/login', 303);
    if (!isAdministrator(session.principal)) {
      return c.html(page('无权访问', session, html`<p class="error">人员名录仅对服务室开放。</p>`), 403);
    }
    // The audit trail names the signed-in key (api/audit.ts auditContext reads the principal).
    c.set('principal', session.principal);
    return session;
  };

  /** A posted form from this site, with the session's token; else null. */
  const form = async (c: Context, session: WebSession): Promise<Record<string, string> | null> => {
    const body = await c.req.parseBody();
    if (!sameOrigin(c, publicUrl) || !sameToken(session.csrfToken, body.csrf)) return null;
    return Object.fromEntries(
      Object.entries(body).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v.trim()]] : [])),
    );
  };

  const render = async (
    c: Context,
    session: WebSession,
    over: Partial<PeoplePageData>,
    status: ContentfulStatusCode = 200,
  ) => {
    const [people, departments] = await Promise.all([peopleViews(db), listDepartments(db)]);
    const data: PeoplePageData = {
      people,
      departments,
      form: { mode: 'create' },
      handoverToken: randomUUID(),
      ...over,
    };
    return c.html(peoplePage(session, data), status);
  };

  app.get('/ui/people', async (c) => {
    const session = await operator(c);
    if (session instanceof Response) return session;
    const edit = c.req.query('edit');
    const saved = c.req.query('saved');
    const person = edit ? (await peopleViews(db, edit))[0] : undefined;
    const formOf = (p: NonNullable<typeof person>): PersonForm => ({
      mode: 'update',
      ...Object.fromEntries(personFields.map((k) => [k, p[k] ?? ''])),
    });
    return render(c, session, {
      ...(person ? { form: formOf(person) } : {}),
      ...(saved ? { notice: { kind: 'ok', text: `已保存 ${saved}`, where: 'person' } } : {}),
    });
  });

  app.post('/ui/people', async (c) => {
    const session = await operator(c);
    if (session instanceof Response) return session;
    const fields = await form(c, session);
    if (!fields) return c.text('This form did not come from this site.', 403);
    const mode = fields.mode === 'update' ? 'update' : 'create';
    const typed: PersonForm = { mode, ...Object.fromEntries(personFields.map((k) => [k, fields[k] ?? ''])) };
    // A field left empty is not given (a contact cleared, no department).
    const given = Object.fromEntries(personFields.flatMap((k) => (fields[k] ? [[k, fields[k]]] : [])));
    try {
      if (mode === 'create') await createPerson(db, auditContext(c), parsed(NewPerson, given));
      else {
        const { id, ...details } = given;
        await updatePerson(db, auditContext(c), id ?? '', parsed(PersonDetails, details));
      }
    } catch (err) {
      if (!(err instanceof ProblemError) || err.problem.status >= 500) throw err;
      const text = problemText(err);
      return render(
        c,
        session,
        { form: typed, notice: { kind: 'error', text, where: 'person' } },
        err.problem.status,
      );
    }
    return c.redirect(`/ui/people?saved=${encodeURIComponent(given.id ?? '')}`, 303);
  });

  app.post('/ui/people/handover', async (c) => {
    const session = await operator(c);
    if (session instanceof Response) return session;
    const fields = await form(c, session);
    if (!fields) return c.text('This form did not come from this site.', 403);
    const token = IDEMPOTENCY_KEY_PATTERN.test(fields.token ?? '') ? fields.token! : randomUUID();
    const handoverForm = { person: fields.person, to: fields.to, reason: fields.reason };
    const again = { handoverToken: token, handoverForm };
    try {
      const request = parsed(HandoverRequest, { to: fields.to, reason: fields.reason });
      const updateId = `${session.principal.keyId}:ui-handover-${token}`;
      const done = await handOver(deps, auditContext(c), fields.person ?? '', request, updateId);
      return render(c, session, { handover: done });
    } catch (err) {
      if (err instanceof HandoverIncomplete) {
        const text = '交接未完成：部分项目移交失败，可重试。';
        return render(
          c,
          session,
          { ...again, handover: err.partial, notice: { kind: 'error', text, where: 'handover' } },
          503,
        );
      }
      if (!(err instanceof ProblemError) || err.problem.status >= 500) throw err;
      const text = problemText(err);
      return render(
        c,
        session,
        { ...again, notice: { kind: 'error', text, where: 'handover' } },
        err.problem.status,
      );
    }
  });
}

/** The value by `schema`, or the 422 the API would answer. */
function parsed<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ProblemError(validationProblem(result.error));
  return result.data;
}

/** A refusal as the page shows it: each failing field, or the detail. */
function problemText(err: ProblemError): string {
  const errors = err.problem.errors as { path: string; message: string }[] | undefined;
  if (errors?.length) return errors.map((e) => `${e.path || '表单'}：${e.message}`).join('；');
  return err.problem.detail ?? err.problem.title;
}
