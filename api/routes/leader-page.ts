import type { Context } from 'hono';
import { z } from 'zod';
import { findEscalation } from '../../db/escalations';
import {
  claimLeaderLink,
  findLeaderLink,
  type LeaderLinkRow,
  releaseLeaderLink,
} from '../../db/leader-links';
import { findPeople } from '../../db/people';
import { loadItems, loadProjects } from '../../db/read-model';
import { listDepartments } from '../../db/reference';
import { projectServiceLog } from '../../db/service';
import { LocalDate, makeCalendar } from '../../domain/calendar';
import { projectStanding } from '../../domain/standing';
import { problemStatusZh, stageNameZh } from '../../domain/vocabulary';
import { bodyZh, formatInstantZh } from '../../notify/message';
import type { App, AppDeps } from '../app';
import { recordAudit } from '../audit';
import { clientIp } from '../auth/client-ip';
import type { Principal } from '../auth/principal';
import { answerEscalation } from '../escalation-answers';
import { ProblemError, ProblemType, problem } from '../http-problem';
import { queryProject } from '../temporal';
import {
  answeredPage,
  LEADER_CSS,
  type LeaderPageView,
  type LinkRefusal,
  leaderPage,
  refusalPage,
} from '../ui/leader';
import { sameOrigin } from '../web-session';

/**
 * The page a leader's action link opens (notify/leader-links.ts says how links are made and what
 * proves the opener is the leader): GET shows the project in one screen and the instruction form;
 * POST takes the instruction (批示) and an optional deadline through the same path as
 * POST /escalations/{id}/acknowledge (api/escalation-answers.ts), audited.
 *
 * Opening uses nothing; the answer takes the link by a conditional UPDATE first, so of two taps at once
 * one answers and the other sees "已批示". If the answer then fails (Temporal unreachable, the workflow
 * refuses), the link is given back for another try; the Temporal update id is derived from the link, so
 * a try after an answer that did land is answered from history rather than twice. The audit entry is
 * written after the answer; should that write fail (PostgreSQL gone at that instant), the answer stands,
 * the leader sees an error, and the workflow's history and the inbox row still record who answered.
 *
 * The link is the credential, so there is no cookie and nothing for a forged form to ride on; a post
 * from another origin is refused anyway. Browsers get pages; other clients problem+json. HTML pages,
 * so not in the OpenAPI document (like /ui).
 */

/** 32 random bytes in base64url: what every link carries. */
const Token = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

const AnswerForm = z.strictObject({
  instruction: z.string().trim().min(1, '请填写批示内容').max(4000, '批示不超过 4000 字'),
  deadline: z.union([z.literal(''), LocalDate]).optional(),
});

/** The audit trail's "key" for an answer through a link: the link's id, shortened, never the token. */
const linkPrincipal = (link: LeaderLinkRow): Principal => ({
  keyId: `link-${link.id.slice(0, 12)}`,
  personId: link.personId,
  name: link.personName,
  role: 'leader',
  department: null,
});

const wantsHtml = (c: Context) => (c.req.header('accept') ?? '').includes('text/html');

export function registerLeaderPageRoutes(app: App, deps: AppDeps): void {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };

  app.get('/ui/leader.css', (c) =>
    c.body(LEADER_CSS, 200, {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'public, max-age=3600',
    }),
  );

  /** A link that does not open the form: a clear page for a browser, a problem for anything else. */
  const refuse = (c: Context, r: LinkRefusal) => {
    const status = r.kind === 'unknown' ? 404 : 410;
    if (wantsHtml(c)) return c.html(refusalPage(r), status);
    return problem(c, {
      status,
      type: r.kind === 'unknown' ? ProblemType.notFound : ProblemType.linkGone,
      title: r.kind === 'unknown' ? 'No such link' : 'This link can no longer be used',
      detail: r.kind,
    });
  };

  /** Why this link cannot answer now, or null when it can (its escalation unanswered, its leader current). */
  async function refusalOf(
    link: LeaderLinkRow,
    leaderNow: string,
    answered: boolean,
  ): Promise<LinkRefusal | null> {
    const escalation = await findEscalation(deps.db, link.escalationKey);
    if (link.usedAt || answered || escalation?.acknowledgedAt) {
      return {
        kind: 'used',
        leaderName: link.personName,
        answeredAt: escalation?.acknowledgedAt ? formatInstantZh(escalation.acknowledgedAt) : null,
        instruction: escalation?.instruction ?? null,
      };
    }
    if (link.expired)
      return {
        kind: 'expired',
        leaderName: link.personName,
        expiredAt: formatInstantZh(link.expiresAt.toISOString()),
      };
    if (leaderNow !== link.personId) {
      const [current] = await findPeople(deps.db, [leaderNow]);
      return { kind: 'reassigned', leaderName: link.personName, currentLeader: current?.name ?? leaderNow };
    }
    return null;
  }

  /** The link of the path's token with the project's live state, or the refusal to show. */
  async function open(c: Context) {
    const token = Token.safeParse(c.req.param('token'));
    const link = token.success ? await findLeaderLink(deps.db, token.data) : undefined;
    if (!link) return { refusal: { kind: 'unknown' } as LinkRefusal, link: undefined };
    const code = link.escalationKey.split('/')[0]!;
    const view = await queryProject(temporal, code);
    const answered = view.state.instructions.some((i) => i.escalationKey === link.escalationKey);
    const refusal = await refusalOf(link, view.state.profile.leader, answered);
    return refusal ? { refusal, link: undefined } : { refusal: null, link, view };
  }

  async function pageView(link: LeaderLinkRow, view: Awaited<ReturnType<typeof queryProject>>) {
    const { state, summary } = view;
    const code = state.profile.code;
    const now = Date.now();
    const calendar = makeCalendar(state.calendarYears);
    const [escalation, [row], items, departments, people, log] = await Promise.all([
      findEscalation(deps.db, link.escalationKey),
      loadProjects(deps.db, { projectCode: code }),
      loadItems(deps.db, { projectCode: code }),
      listDepartments(deps.db),
      findPeople(deps.db, [state.profile.secretary]),
      projectServiceLog(deps.db, code),
    ]);
    if (!escalation) throw new Error(`escalation ${link.escalationKey} of a live link is missing`);
    const deptName = new Map(departments.map((d) => [d.code, d.nameZh]));
    const standing = row ? projectStanding(row, items, calendar, now) : null;
    const late = summary.overdueItems.map((itemCode) => {
      const def = state.plan.items.find((i) => i.code === itemCode)!;
      const item = state.items[itemCode]!;
      return {
        name: def.nameZh,
        department: deptName.get(def.department) ?? def.department,
        dueDate: item.dueDate ?? '—',
        workingDaysLate: item.dueAt ? calendar.workingDaysBetween(Date.parse(item.dueAt), now) : 0,
      };
    });
    const problems = Object.values(state.problems)
      .filter((p) => p.status !== 'resolved' && p.status !== 'verified')
      .map((p) => ({
        title: p.title,
        owner: (p.ownerDepartment && deptName.get(p.ownerDepartment)) ?? p.ownerPerson ?? '—',
        deadline: `${formatInstantZh(p.deadlineAt)}（${problemStatusZh[p.status]}）`,
      }));
    const said = log[0];
    return {
      leaderName: link.personName,
      escalation: { ...escalation, body: bodyZh(escalation.body) },
      project: {
        code,
        name: state.profile.name,
        colour: standing?.colour ?? 'green',
        reasons: standing?.reasons ?? [],
        stage: stageNameZh[Math.min(summary.stage, 5)] ?? '',
        secretaryName: people[0]?.name ?? state.profile.secretary,
      },
      late,
      problems,
      secretarySays: said ? { date: said.date, text: said.outcome } : null,
      firedAt: formatInstantZh(escalation.firedAt),
      expiresAt: formatInstantZh(link.expiresAt.toISOString()),
      today: calendar.dateOf(now),
    } satisfies LeaderPageView;
  }

  app.get('/l/:token', async (c) => {
    const opened = await open(c);
    if (!opened.link) return refuse(c, opened.refusal);
    c.header('cache-control', 'no-store');
    return c.html(leaderPage(await pageView(opened.link, opened.view)));
  });

  app.post('/l/:token', async (c) => {
    if (!sameOrigin(c, deps.config.api.publicUrl)) {
      throw new ProblemError({
        status: 403,
        type: ProblemType.forbidden,
        title: 'Forbidden',
        detail: 'this form did not come from this site',
      });
    }
    const opened = await open(c);
    if (!opened.link) return refuse(c, opened.refusal);
    const { link, view } = opened;
    const body = await c.req.parseBody();
    const parsed = AnswerForm.safeParse(body);
    const today = makeCalendar(view.state.calendarYears).dateOf(Date.now());
    const error = !parsed.success
      ? ((parsed.error.issues[0]?.path[0] === 'deadline'
          ? '办结时限应为日期'
          : parsed.error.issues[0]?.message) ?? '表单有误')
      : parsed.data.deadline && parsed.data.deadline < today
        ? '办结时限不能早于今天'
        : null;
    if (error !== null || !parsed.success) {
      const form = {
        instruction: typeof body.instruction === 'string' ? body.instruction : '',
        deadline: typeof body.deadline === 'string' ? body.deadline : '',
        error: error ?? '表单有误',
      };
      return c.html(leaderPage({ ...(await pageView(link, view)), form }), 422);
    }
    const { instruction, deadline } = parsed.data;
    // The deadline travels in the instruction's text, so the workflow's messages stay as they are.
    const text = deadline ? `${instruction}（请于 ${deadline} 前办结）` : instruction;
    if (!(await claimLeaderLink(deps.db, link.id))) {
      const again = await open(c);
      return refuse(c, again.refusal ?? { kind: 'unknown' });
    }
    let answered: Awaited<ReturnType<typeof answerEscalation>>;
    try {
      answered = await answerEscalation(
        { db: deps.db, temporal },
        {
          key: link.escalationKey,
          principal: linkPrincipal(link),
          instruction: text,
          updateId: `leader-link-${link.id}`,
        },
      );
    } catch (err) {
      await releaseLeaderLink(deps.db, link.id);
      throw err;
    }
    const result = { escalation: answered.escalation, instruction: answered.instruction };
    await recordAudit(deps.db, {
      projectCode: answered.escalation.projectCode,
      action: 'escalation.acknowledge',
      subject: link.escalationKey,
      principal: linkPrincipal(link),
      requestId: (c.get('requestId') as string | undefined) ?? 'none',
      ip: clientIp(c),
      userAgent: c.req.header('user-agent') ?? null,
      body: { instruction, deadline: deadline || null, via: 'leader-link' },
      result,
    });
    c.header('cache-control', 'no-store');
    return c.html(
      answeredPage({
        projectName: view.state.profile.name,
        instruction: answered.instruction.text,
        at: formatInstantZh(answered.instruction.at),
        leaderName: link.personName,
      }),
    );
  });
}
