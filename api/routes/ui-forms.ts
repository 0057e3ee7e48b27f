import type { Context, MiddlewareHandler } from 'hono';
import { html } from 'hono/html';
import type { AppDeps } from '../app';
import { IDEMPOTENCY_KEY_PATTERN, idempotent } from '../idempotency';
import { page } from '../ui/layout';
import { sameOrigin, sameToken, type WebSession, type WebSessions } from '../web-session';

declare module 'hono' {
  interface ContextVariableMap {
    /** The signed-in session a dashboard form was posted in (set by `formPosts`' guard). */
    webSession: WebSession;
  }
}

/** A posted form's text fields, trimmed. */
export type Fields = Record<string, string>;

/**
 * What every form posted from the dashboard goes through before its handler, in this order: signed in
 * (else to the sign-in page); `allowed` (e.g. the caller's own queue) when given; from this site with the
 * session's CSRF token (403); a form token (400), which becomes the request's Idempotency-Key as
 * `<prefix>-<token>` — claimed only after these checks, so a refused post consumes nothing. The session
 * is kept on the context (`session(c)`) and the audit trail names the signed-in key.
 */
export function formPosts(
  deps: AppDeps,
  sessions: WebSessions,
  prefix: string,
  allowed?: (c: Context, session: WebSession) => Response | Promise<Response> | undefined,
) {
  const publicUrl = deps.config.api.publicUrl;
  const guard: MiddlewareHandler = async (c, next) => {
    const session = await sessions.current(c);
    if (!session) return c.redirect('/ui/login', 303);
    const refusal = await allowed?.(c, session);
    if (refusal) return refusal;
    const form = await c.req.parseBody();
    if (!sameOrigin(c, publicUrl) || !sameToken(session.csrfToken, form.csrf)) {
      const text = '此表单已过期或并非来自本站，请刷新页面后重新办理。';
      return c.html(page('表单无效', session, html`<p class="error" id="csrf-refused">${text}</p>`), 403);
    }
    if (typeof form.token !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(`${prefix}-${form.token}`)) {
      const text = '表单缺少办理编号，请刷新页面后重新办理。';
      return c.html(page('表单无效', session, html`<p class="error">${text}</p>`), 400);
    }
    c.set('webSession', session);
    c.set('principal', session.principal);
    return next();
  };
  const keyOf = async (c: Context) => {
    const token = (await c.req.parseBody()).token;
    return typeof token === 'string' ? `${prefix}-${token}` : undefined;
  };
  return {
    /** The checks alone: for a form that changes nothing (a preview). */
    guard,
    /** The checks, then the form token claimed as the Idempotency-Key. */
    guarded: [guard, idempotent(deps.db, { keyOf })] as const,
    session: (c: Context): WebSession => c.get('webSession'),
    fields: async (c: Context): Promise<Fields> =>
      Object.fromEntries(
        Object.entries(await c.req.parseBody()).flatMap(([k, v]) =>
          typeof v === 'string' ? [[k, v.trim()]] : [],
        ),
      ),
  };
}
