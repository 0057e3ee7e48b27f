import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { isAdministrator } from '../auth/permissions';
import type { Principal } from '../auth/principal';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export const roleZh: Record<string, string> = {
  department: '审批部门',
  secretary: '项目秘书',
  leader: '责任领导',
  operator: '服务室',
  admin: '管理员',
};

/**
 * The dashboard's style sheet, served as /ui/app.css: the pages carry no inline style or script, so the
 * Content-Security-Policy can refuse both (api/security-headers.ts).
 */
export const DASHBOARD_CSS = `  body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 0; color: #1f2933; background: #f5f7fa; }
  header { background: #0b6e4f; color: #fff; padding: 10px 24px; display: flex; justify-content: space-between; align-items: center; }
  header a { color: #fff; margin-left: 16px; text-decoration: none; }
  main { padding: 20px 24px; }
  h1 { font-size: 22px; margin: 0 0 12px; }
  h2 { font-size: 17px; margin: 24px 0 8px; }
  table { border-collapse: collapse; background: #fff; width: 100%; }
  th, td { border: 1px solid #d9e2ec; padding: 6px 8px; text-align: left; font-size: 14px; }
  th { background: #e4e7eb; }
  .colour { display: inline-block; width: 14px; height: 14px; border-radius: 7px; vertical-align: middle; margin-right: 4px; }
  .green { background: #2f9e44; } .yellow { background: #f0b400; } .red { background: #d62728; }
  .muted { color: #7b8794; }
  .kpis { display: flex; flex-wrap: wrap; gap: 16px; margin-bottom: 16px; }
  .kpi { background: #fff; border: 1px solid #d9e2ec; padding: 10px 16px; min-width: 120px; }
  .kpi b { display: block; font-size: 22px; }
  .kpi small { display: block; color: #52606d; font-size: 12px; }
  form.login { background: #fff; padding: 24px; max-width: 520px; border: 1px solid #d9e2ec; }
  form.login input { width: 100%; padding: 8px; margin: 8px 0 16px; font-family: monospace; }
  .error { color: #d62728; }
  .warning { background: #fff4e5; border: 1px solid #f0a202; padding: 8px 12px; margin-bottom: 16px; }
  .notice { background: #eef4fb; border: 1px solid #7aa7d9; padding: 8px 12px; margin-bottom: 16px; }
  .provisional { color: #b54708; font-size: 12px; margin-left: 4px; }
  form.panel { background: #fff; border: 1px solid #d9e2ec; padding: 16px; max-width: 640px; }
  form.panel label { display: block; margin: 10px 0 4px; font-size: 14px; }
  form.panel input, form.panel select, form.panel textarea { width: 100%; padding: 6px; box-sizing: border-box; font: inherit; }
  form.panel button { margin-top: 14px; padding: 6px 20px; }
  div.panel { background: #fff; border: 1px solid #d9e2ec; padding: 8px 12px; margin-bottom: 16px; }
  .ok { color: #2f9e44; }
  form.logout { display: inline; margin-left: 16px; }
  p.login-oidc { max-width: 520px; margin-top: 16px; }
  p.login-oidc a { display: block; text-align: center; padding: 10px; background: #fff; border: 1px solid #1f4e79; color: #1f4e79; text-decoration: none; }
  tr.decisions td { background: #fafbfc; }
  form.decision { display: inline-block; vertical-align: top; background: #fff; border: 1px solid #d9e2ec; padding: 6px 8px; margin: 2px 6px 2px 0; width: 230px; }
  form.decision label { display: block; font-size: 12px; color: #52606d; }
  form.decision input, form.decision textarea { width: 100%; box-sizing: border-box; font: inherit; margin: 2px 0 4px; }
  form.decision .refusal { font-size: 13px; margin: 4px 0 0; }
  article.bulletin { background: #fff; border: 1px solid #d9e2ec; padding: 16px 24px; max-width: 1100px; }
  article.bulletin h1 { text-align: center; font-size: 24px; }
  article.bulletin h2 { font-family: "Noto Sans CJK SC", "SimHei", sans-serif; }
  article.bulletin p { line-height: 1.8; }
  p.downloads a { margin-right: 16px; }
  @media print { header, p.downloads { display: none; } body { background: #fff; } main { padding: 0; } article.bulletin { border: none; } }
  form.logout button { background: none; border: 1px solid #fff; color: #fff; cursor: pointer; padding: 2px 8px; font: inherit; }
`;

/** Who is signed in, and the token their forms send back. */
export type PageSession = { principal: Principal; csrfToken: string };

/** The page frame of the dashboard: server-rendered, no script, no build step. */
export function page(title: string, session: PageSession | null, body: Html) {
  const principal = session?.principal ?? null;
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Greenlane 重大项目帮办代办</title>
<link rel="stylesheet" href="/ui/app.css">
</head>
<body>
<header>
  <div><b>Greenlane</b> 重大项目帮办代办 · 挂图作战</div>
  <nav>${
    principal
      ? html`<span>${principal.name}（${roleZh[principal.role] ?? principal.role}）</span><a href="/ui">项目总览</a>${
          principal.department ? html`<a href="/ui/departments/${principal.department}">本部门</a>` : ''
        }${principal.role === 'department' ? '' : html`<a href="/ui/meetings">协调会</a>`}${
          isAdministrator(principal) || principal.role === 'leader'
            ? html`<a href="/ui/reports/bulletin" id="nav-bulletin">督查通报</a>`
            : ''
        }${
          principal.role !== 'secretary'
            ? html`<a href="/ui/reports/assessment" id="nav-assessment">季度考核</a>`
            : ''
        }${
          isAdministrator(principal) ? html`<a href="/ui/people">人员名录</a>` : ''
        }<form class="logout" method="post" action="/ui/logout"><input type="hidden" name="csrf" value="${session?.csrfToken}"><button type="submit">退出</button></form>`
      : ''
  }</nav>
</header>
<main>
${body}
</main>
</body>
</html>`;
}

/**
 * What `/` shows someone not signed in: where to sign in, the API's documentation and its health, and
 * how leaders answer from their messages. Signed in, `/` is the board.
 */
export function landingPage() {
  return page(
    '首页',
    null,
    html`<div class="panel" id="landing">
<h1>Greenlane 重大项目帮办代办</h1>
<p>挂图作战：项目总览（红黄绿灯）、各项目甘特图、部门审批队列与人员名录。</p>
<ul id="start">
  <li><a href="/ui/login">登录挂图作战</a>（使用服务室发放的 API 密钥）</li>
  <li><a href="/docs">接口文档</a>（OpenAPI：<a href="/openapi.json">/openapi.json</a>）</li>
  <li><a href="/healthz">运行状态</a></li>
</ul>
<p class="muted">责任领导收到督办消息后，点消息中的「批示」即可在手机上查看项目并批示，无需密钥。</p>
</div>`,
  );
}
