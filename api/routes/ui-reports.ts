import type { Context } from 'hono';
import { html } from 'hono/html';
import {
  latestFullMonth,
  latestFullQuarter,
  Month,
  monthNav,
  Quarter,
  quarterNav,
} from '../../domain/periods';
import type { App, AppDeps } from '../app';
import { assessmentFile, assessmentFor, bulletinFile, loadBulletin } from '../bulletin-service';
import { assessmentBody, bulletinBody } from '../ui/bulletin';
import { page } from '../ui/layout';
import { type WebSession, WebSessions } from '../web-session';
import { mayReadAssessment, mayReadBulletin } from './bulletin';

/**
 * The bulletin and the assessment in the dashboard: /ui/reports/bulletin?month=YYYY-MM (default the
 * last full month) and /ui/reports/assessment?quarter=YYYYQn (default the last full quarter), with their
 * downloads through the signed-in session (the API itself takes keys, not the dashboard's cookie). The
 * same readers and the same rules as GET /reports/bulletin and /reports/assessment (api/routes/bulletin.ts).
 */

export const BULLETIN_PAGE = '/ui/reports/bulletin';
export const ASSESSMENT_PAGE = '/ui/reports/assessment';

export function registerReportUiRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;
  const sessions = new WebSessions(db, deps.config.api.publicUrl);

  /** The session allowed to read, or the answer instead: the sign-in form, 403 or 422. */
  const reader = async (
    c: Context,
    may: (s: WebSession) => boolean,
    what: string,
  ): Promise<WebSession | Response> => {
    const session = await sessions.current(c);
    if (!session) return c.redirect('/ui/login', 303);
    if (!may(session)) {
      return c.html(page('无权访问', session, html`<p class="error">${what}不对您的角色开放。</p>`), 403);
    }
    return session;
  };
  const refused = (c: Context, session: WebSession, text: string) =>
    c.html(page('参数有误', session, html`<p class="error" id="bad-period">${text}</p>`), 422);

  const bulletinMonth = (c: Context) => c.req.query('month') ?? latestFullMonth(Date.now());
  const quarterOf = (c: Context) => c.req.query('quarter') ?? latestFullQuarter(Date.now());

  app.get(BULLETIN_PAGE, async (c) => {
    const session = await reader(c, (s) => mayReadBulletin(s.principal), '督查通报');
    if (session instanceof Response) return session;
    const month = bulletinMonth(c);
    if (!Month.safeParse(month).success) return refused(c, session, '月份格式应为 YYYY-MM（2000–2099）。');
    const now = Date.now();
    const b = await loadBulletin(db, month, now);
    const links = [
      { label: '下载 Word（公文格式）', href: `${BULLETIN_PAGE}.docx?month=${month}` },
      { label: '下载 PDF', href: `${BULLETIN_PAGE}.pdf?month=${month}` },
    ];
    return c.html(page('督查通报', session, bulletinBody(b, links, monthNav(month, now))));
  });

  for (const format of ['docx', 'pdf'] as const) {
    app.get(`${BULLETIN_PAGE}.${format}`, async (c) => {
      const session = await reader(c, (s) => mayReadBulletin(s.principal), '督查通报');
      if (session instanceof Response) return session;
      const month = bulletinMonth(c);
      if (!Month.safeParse(month).success) return refused(c, session, '月份格式应为 YYYY-MM（2000–2099）。');
      return bulletinFile(c, await loadBulletin(db, month, Date.now()), format);
    });
  }

  for (const kind of ['', '.docx', '.csv'] as const) {
    app.get(`${ASSESSMENT_PAGE}${kind}`, async (c) => {
      const session = await reader(c, (s) => mayReadAssessment(s.principal), '季度考核');
      if (session instanceof Response) return session;
      const quarter = quarterOf(c);
      if (!Quarter.safeParse(quarter).success) {
        return refused(c, session, '季度格式应为 YYYYQn（如 2026Q4）。');
      }
      const now = Date.now();
      const a = await assessmentFor(db, session.principal, quarter, now);
      if (kind !== '')
        return assessmentFile(c, a, kind === '.csv' ? 'csv' : 'docx', new Date(now).toISOString());
      const links = [
        { label: '下载 Word（公文格式）', href: `${ASSESSMENT_PAGE}.docx?quarter=${quarter}` },
        { label: '下载 CSV', href: `${ASSESSMENT_PAGE}.csv?quarter=${quarter}` },
      ];
      const body = assessmentBody(a, new Date(now).toISOString(), links, quarterNav(quarter, now));
      return c.html(page('季度考核', session, body));
    });
  }
}
