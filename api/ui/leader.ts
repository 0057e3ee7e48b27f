import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Escalation } from '../../db/escalations';
import { colourLabelZh } from '../../domain/standing';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * The leader's answer page (api/routes/leader-page.ts), made for a phone: one column, large type, the
 * project in one screen and the instruction form under it. Its own small style sheet (/ui/leader.css):
 * no inline style or script, as everywhere (api/security-headers.ts).
 */

export const LEADER_CSS = `body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 0; color: #1f2933; background: #f5f7fa; font-size: 16px; line-height: 1.5; }
header { background: #0b6e4f; color: #fff; padding: 10px 16px; font-size: 15px; }
main { padding: 12px 16px 32px; max-width: 560px; margin: 0 auto; }
h1 { font-size: 20px; margin: 4px 0 8px; }
h2 { font-size: 16px; margin: 16px 0 6px; }
.card { background: #fff; border: 1px solid #d9e2ec; border-radius: 8px; padding: 10px 12px; margin-bottom: 12px; }
.whose { background: #eef4fb; border: 1px solid #7aa7d9; border-radius: 8px; padding: 8px 12px; margin-bottom: 12px; }
.whose b { font-size: 18px; }
.colour { display: inline-block; width: 14px; height: 14px; border-radius: 7px; vertical-align: -1px; margin-right: 6px; }
.green { background: #2f9e44; } .yellow { background: #f0b400; } .red { background: #d62728; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; color: #fff; font-size: 14px; }
.badge.green { background: #2f9e44; } .badge.yellow { background: #b88400; } .badge.red { background: #d62728; }
.muted { color: #52606d; font-size: 14px; }
ul.late { list-style: none; padding: 0; margin: 0; }
ul.late li { border-top: 1px solid #e4e7eb; padding: 6px 0; }
ul.late li:first-child { border-top: none; }
label { display: block; margin: 10px 0 4px; font-weight: bold; }
textarea, input[type=date] { width: 100%; box-sizing: border-box; font: inherit; padding: 8px; border: 1px solid #9aa5b1; border-radius: 6px; }
textarea { min-height: 110px; }
button { width: 100%; margin-top: 14px; padding: 12px; font: inherit; font-size: 17px; color: #fff; background: #0b6e4f; border: none; border-radius: 8px; }
.error { color: #d62728; }
.ok { color: #2f9e44; }
.big { font-size: 40px; line-height: 1; margin: 8px 0; }
`;

/** A phone page: the frame of every page the leader's link opens. */
export function leaderFrame(title: string, body: Html) {
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Greenlane 审批督办</title>
<link rel="stylesheet" href="/ui/leader.css">
</head>
<body>
<header><b>Greenlane</b> 重大项目审批督办 · 领导批示</header>
<main>
${body}
</main>
</body>
</html>`;
}

export type LateItem = { name: string; department: string; dueDate: string; workingDaysLate: number };

/** What the page shows about the project and the escalation; every value here is escaped by `html`. */
export type LeaderPageView = {
  leaderName: string;
  escalation: Escalation;
  project: {
    code: string;
    name: string;
    colour: 'green' | 'yellow' | 'red';
    reasons: string[];
    stage: string;
    secretaryName: string;
  };
  late: LateItem[];
  problems: { title: string; owner: string; deadline: string }[];
  /** The secretary's latest service-log entry: what the secretary says. */
  secretarySays: { date: string; text: string } | null;
  firedAt: string;
  expiresAt: string;
  today: string;
  /** The form as sent back, with what was wrong with it. */
  form?: { instruction: string; deadline: string; error: string };
};

export function leaderPage(v: LeaderPageView) {
  const p = v.project;
  return leaderFrame(
    p.name,
    html`<div class="whose" id="whose">此链接仅供 <b id="leader-name">${v.leaderName}</b>（责任领导）本人使用，一次有效，${v.expiresAt} 前有效。</div>
<h1><span class="colour ${p.colour}" id="colour" data-colour="${p.colour}"></span>${p.name}</h1>
<p class="muted" id="project-people">${p.code} · ${p.stage} · 项目秘书 ${p.secretaryName}</p>
<div class="card" id="escalation">
  <b>${v.escalation.title}</b>
  <p>${v.escalation.body}</p>
  <p class="muted">督办时间 ${v.firedAt}</p>
</div>
<div class="card" id="standing"><span class="badge ${p.colour}">${colourLabelZh[p.colour]}</span> ${p.reasons.length > 0 ? p.reasons.join('；') : '各事项均在时限内'}</div>
<h2>超期事项（${v.late.length}）</h2>
<div class="card">${
      v.late.length === 0
        ? html`<p class="muted">暂无超期事项</p>`
        : html`<ul class="late" id="late">${v.late.map(
            (i) =>
              html`<li><b>${i.name}</b><br><span class="muted">${i.department} · 承诺 ${i.dueDate} 办结 · 已超期 ${i.workingDaysLate} 个工作日</span></li>`,
          )}</ul>`
    }</div>
${
  v.problems.length === 0
    ? ''
    : html`<h2>待解决问题（${v.problems.length}）</h2>
<div class="card"><ul class="late" id="problems">${v.problems.map(
        (q) => html`<li><b>${q.title}</b><br><span class="muted">${q.owner} · 时限 ${q.deadline}</span></li>`,
      )}</ul></div>`
}
<h2>项目秘书说</h2>
<div class="card" id="secretary-says">${
      v.secretarySays
        ? html`${v.secretarySays.text}<br><span class="muted">${v.secretarySays.date}</span>`
        : html`<span class="muted">暂无服务记录</span>`
    }</div>
<form method="post" id="instruction-form">
  <label for="instruction">批示</label>
  ${v.form ? html`<p class="error" id="form-error">${v.form.error}</p>` : ''}
  <textarea id="instruction" name="instruction" maxlength="4000" required placeholder="请输入批示意见">${v.form?.instruction ?? ''}</textarea>
  <label for="deadline">办结时限（可选）</label>
  <input id="deadline" name="deadline" type="date" min="${v.today}" value="${v.form?.deadline ?? ''}">
  <button type="submit">提交批示</button>
</form>`,
  );
}

/** After the answer: what was recorded, and that the secretary has it. */
export function answeredPage(a: {
  projectName: string;
  instruction: string;
  at: string;
  leaderName: string;
}) {
  return leaderFrame(
    '批示已送达',
    html`<div class="card" id="answered">
<p class="big ok">已送达</p>
<p>${a.leaderName}（责任领导）对「${a.projectName}」的批示已记录，并已送达项目秘书。</p>
<p id="answered-text"><b>${a.instruction}</b></p>
<p class="muted">${a.at}</p>
</div>`,
  );
}

/** Why a link no longer opens the form. */
export type LinkRefusal =
  | { kind: 'unknown' }
  | { kind: 'expired'; leaderName: string; expiredAt: string }
  | { kind: 'used'; leaderName: string; answeredAt: string | null; instruction: string | null }
  | { kind: 'reassigned'; leaderName: string; currentLeader: string };

const refusalTitles: Record<LinkRefusal['kind'], string> = {
  unknown: '链接无效',
  expired: '链接已过期',
  used: '此督办已批示',
  reassigned: '链接已失效',
};

export function refusalPage(r: LinkRefusal) {
  const detail =
    r.kind === 'unknown'
      ? html`<p>这不是一个有效的批示链接：可能复制不完整。请从督办消息中重新打开。</p>`
      : r.kind === 'expired'
        ? html`<p>此链接发给 ${r.leaderName}（责任领导），已于 ${r.expiredAt} 过期。</p><p>请在督办消息所在的渠道查收新的督办，或通过项目秘书、服务室批示。</p>`
        : r.kind === 'used'
          ? html`<p>此督办已由 ${r.leaderName}（责任领导）批示${r.answeredAt ? html`（${r.answeredAt}）` : ''}，每条督办只批示一次，此链接不能再用。</p>${
              r.instruction ? html`<p id="earlier-instruction"><b>${r.instruction}</b></p>` : ''
            }`
          : html`<p>此链接发给 ${r.leaderName}，但其已不再是本项目的责任领导（现为 ${r.currentLeader}），链接不能再用。</p>`;
  return leaderFrame(
    refusalTitles[r.kind],
    html`<div class="card" id="refused" data-kind="${r.kind}"><h1>${refusalTitles[r.kind]}</h1>${detail}</div>`,
  );
}
