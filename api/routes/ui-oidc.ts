import { html } from 'hono/html';
import type { App } from '../app';
import type { OidcRefusal, OidcSignIn } from '../auth/oidc';
import { page } from '../ui/layout';
import type { WebSessions } from '../web-session';

/**
 * Signing in to the dashboard through the organisation's identity provider (api/auth/oidc.ts): the
 * redirect to the provider and its answer, which starts a session like the key form does. Every way it
 * can fail ends on a page saying, in Chinese, what happened and what to do; never a 500 for a refusal.
 * HTML pages without script (the strict CSP), so not part of the OpenAPI document.
 */

const refusals: Record<OidcRefusal, { status: 400 | 403 | 503; title: string; text: string }> = {
  expired: {
    status: 400,
    title: '登录已过期',
    text: '这次统一身份认证登录已过期、已使用过，或不是从本浏览器发起的。请重新登录。',
  },
  invalid: {
    status: 400,
    title: '登录未通过校验',
    text: '统一身份认证平台的应答与本次登录不符（校验未通过），登录未完成。请重新登录；如反复出现，请联系服务中心。',
  },
  provider: {
    status: 400,
    title: '统一身份认证未完成',
    text: '统一身份认证平台未完成登录（例如您取消了授权）。请重新登录。',
  },
  unavailable: {
    status: 503,
    title: '统一身份认证暂时无法连接',
    text: '暂时无法连接统一身份认证平台，请稍后再试，或使用 API 密钥登录。',
  },
  unknown: {
    status: 403,
    title: '账号尚未关联',
    text: '您已通过统一身份认证，但该账号尚未关联到 Greenlane 人员名录中的任何人员。请联系服务中心，将下面的身份标识关联到您的名录记录后再登录。',
  },
  left: {
    status: 403,
    title: '账号已停用',
    text: '该账号关联的人员已离任（已完成交接），不能再登录挂图作战。如有疑问，请联系服务中心。',
  },
};

export function registerOidcUiRoutes(app: App, oidc: OidcSignIn, sessions: WebSessions): void {
  app.get('/ui/login/oidc', async (c) => {
    const to = await oidc.begin(c);
    if (!to) return c.html(refusalPage('unavailable'), refusals.unavailable.status);
    return c.redirect(to.href, 302);
  });

  app.get('/ui/login/oidc/callback', async (c) => {
    const outcome = await oidc.finish(c);
    if ('refused' in outcome) {
      const { refused, issuer, subject } = outcome;
      const identity = refused === 'unknown' && issuer && subject ? { issuer, subject } : undefined;
      return c.html(refusalPage(refused, identity), refusals[refused].status);
    }
    await sessions.start(c, outcome);
    return c.redirect('/ui', 303);
  });
}

function refusalPage(why: OidcRefusal, identity?: { issuer: string; subject: string }) {
  const { title, text } = refusals[why];
  return page(
    title,
    null,
    html`<div class="panel" id="oidc-refused" data-reason="${why}">
<h1>${title}</h1>
<p class="error">${text}</p>
${
  identity
    ? html`<dl id="identity"><dt>身份标识（sub）</dt><dd><code>${identity.subject}</code></dd><dt>认证平台</dt><dd><code>${identity.issuer}</code></dd></dl>`
    : ''
}
<p><a href="/ui/login">返回登录页</a></p>
</div>`,
  );
}
