import type { Context } from 'hono';
import {
  decisionSubjects,
  findMeeting,
  insertMeeting,
  listMeetings,
  type Meeting,
  type MeetingDecision,
  openRedCards,
  previousMeeting,
  recordMinutes,
} from '../db/meetings';
import { loadItems, loadOpenProblems, loadProjects } from '../db/read-model';
import { loadCalendar } from '../db/reference';
import type { Calendar } from '../domain/calendar';
import {
  type CarriedDecision,
  type ConveneMeeting,
  decisionKept,
  draftAgenda,
  keptZh,
  type MinutesInput,
} from '../domain/meetings';
import { projectAccess } from './access';
import type { AppDeps } from './app';
import { auditContext, recordAudit } from './audit';
import { actorOf, canActOnProject, forbidden } from './auth/permissions';
import type { Principal } from './auth/principal';
import { requireInDirectory } from './directory';
import { conflict, notFound } from './http-problem';
import { applyDecision } from './meeting-decisions';
import { noticeAttendees } from './meeting-notices';

/**
 * Coordination meetings (domain/meetings.ts), one path for the API (api/routes/meetings.ts) and the
 * dashboard (api/routes/ui-meetings.ts): convene one (its agenda drafted from the record, its attendees
 * notified), read it, record its minutes (each decision becoming the project's action). Operators
 * convene weekly meetings and any special one; a secretary convenes special meetings on their own
 * projects and records their minutes. Secretaries and leaders read weekly meetings and the special
 * meetings of their projects (and any they attend); departments read none (their part reaches them as
 * the actions it became). `c` carries the signed-in principal and what the audit trail records.
 */

const who = (p: Principal) => actorOf(p).id ?? `key-${p.keyId}`;

export function meetingsService(deps: AppDeps) {
  const { db } = deps;
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };

  /** The projects a secretary or leader answers for; undefined: all (operators). */
  const projectsOf = async (p: Principal): Promise<string[] | undefined> => {
    if (p.role === 'operator' || p.role === 'admin') return undefined;
    if (p.role === 'department') throw forbidden('departments take part in meetings through their actions');
    const scope = p.role === 'secretary' ? { secretary: p.personId ?? '' } : { leader: p.personId ?? '' };
    return (await loadProjects(db, scope)).map((x) => x.code);
  };
  /** `mine`: the caller's projects, as projectsOf gave them. */
  const readable = (
    p: Principal,
    mine: string[] | undefined,
    m: Pick<Meeting, 'projectCode' | 'attendees'>,
  ) =>
    mine === undefined ||
    m.projectCode === null ||
    mine.includes(m.projectCode) ||
    (p.personId !== undefined && p.personId !== null && m.attendees.includes(p.personId));

  /** The meeting with each decision's standing now. */
  const withKept = async (m: Meeting, calendar: Calendar, now: number) => {
    const subjects = await decisionSubjects(db, m.decisions);
    return {
      ...m,
      decisions: m.decisions.map((d) => {
        const kept = keptOf(d, subjects, calendar, now);
        return { ...d, kept, keptZh: keptZh(kept, d.state) };
      }),
    };
  };

  /** Convene: the meeting as stored, with how many notices and messages went out. */
  const convene = async (c: Context, body: ConveneMeeting) => {
    const principal: Principal = c.get('principal');
    if (body.kind === 'weekly' && principal.role !== 'operator' && principal.role !== 'admin') {
      throw forbidden('the weekly coordination meeting is convened by the service centre (an operator)');
    }
    if (body.projectCode !== undefined) {
      const access = await projectAccess(deps, body.projectCode);
      if (!canActOnProject(principal, access)) {
        throw forbidden(`only the secretary of project ${body.projectCode} or an operator convenes on it`);
      }
    }
    await requireInDirectory(
      db,
      body.attendees.map((person, i) => ({ field: `attendees.${i}`, person })),
    );

    const now = Date.now();
    const scopeCodes = body.projectCode ? [body.projectCode] : undefined;
    const [calendar, projects, items, previous] = await Promise.all([
      loadCalendar(db),
      loadProjects(db, body.projectCode ? { projectCode: body.projectCode } : {}),
      loadItems(db, body.projectCode ? { projectCode: body.projectCode } : {}),
      previousMeeting(db, { kind: body.kind, projectCode: body.projectCode ?? null, heldOn: body.heldOn }),
    ]);
    const codes = scopeCodes ?? projects.map((p) => p.code);
    const [problems, redCards] = await Promise.all([loadOpenProblems(db, codes), openRedCards(db, codes)]);
    if (body.problemId && !problems.some((p) => p.problemId === body.problemId)) {
      throw notFound(`project ${body.projectCode} has no open problem ${body.problemId}`);
    }
    const carried = previous ? (await withKept(previous, calendar, now)).decisions : [];
    const { lines, standing } = draftAgenda({
      scope: { projectCode: body.projectCode, problemId: body.problemId },
      projects,
      items,
      problems,
      redCards,
      calendar,
      now,
      previous: previous
        ? {
            standing: previous.standing,
            decisions: carried.map(
              (d): CarriedDecision => ({
                meetingId: previous.id,
                no: d.no,
                kind: d.kind,
                projectCode: d.projectCode,
                summaryZh: summaryOf(d),
                kept: d.kept,
                stateZh: d.keptZh,
              }),
            ),
          }
        : null,
    });
    const title =
      body.title ??
      `${body.kind === 'weekly' ? '每周碰头会' : `专题协调会（${projects[0]?.name ?? body.projectCode}）`} ${body.heldOn}`;
    const meeting = await db.transaction().execute(async (trx) => {
      const fields = {
        kind: body.kind,
        title,
        heldOn: body.heldOn,
        projectCode: body.projectCode ?? null,
        problemId: body.problemId ?? null,
        convenedBy: who(principal),
        attendees: body.attendees,
        agenda: lines,
        standing,
        previousId: previous?.id ?? null,
      };
      const id = await insertMeeting(trx, fields);
      const notified = await noticeAttendees(trx, { id, ...fields }, now);
      const created = (await findMeeting(trx, id))!;
      await recordAudit(trx, {
        ...auditContext(c),
        projectCode: body.projectCode ?? null,
        action: 'meeting.convene',
        subject: String(id),
        body,
        result: { id, agendaLines: lines.length, ...notified },
      });
      return { ...created, notified };
    });
    return meeting;
  };

  const list = async (principal: Principal, limit: number) =>
    listMeetings(db, { projects: await projectsOf(principal), limit });

  /** A meeting the principal may read, each decision with whether it was kept; 404 otherwise. */
  const read = async (principal: Principal, id: number) => {
    const mine = await projectsOf(principal); // departments: 403 whether or not the meeting exists
    const m = await findMeeting(db, id);
    if (!m || !readable(principal, mine, m)) throw notFound(`no meeting ${id}`);
    return withKept(m, await loadCalendar(db), Date.now());
  };

  /** Whether the principal records this meeting's minutes: an operator, or the secretary of its project. */
  const mayMinute = async (principal: Principal, m: Pick<Meeting, 'projectCode'>) =>
    principal.role === 'operator' ||
    principal.role === 'admin' ||
    (m.projectCode !== null && canActOnProject(principal, await projectAccess(deps, m.projectCode)));

  /** Record the minutes, once; each decision applied first (its own Update id), then all stored. */
  const minute = async (c: Context, id: number, body: MinutesInput) => {
    const principal: Principal = c.get('principal');
    const mine = await projectsOf(principal); // departments: 403 whether or not the meeting exists
    const m = await findMeeting(db, id);
    if (!m || !readable(principal, mine, m)) throw notFound(`no meeting ${id}`);
    if (!(await mayMinute(principal, m)))
      throw forbidden(`the minutes of meeting ${id} are recorded by its convener or an operator`);
    if (m.minutedAt) throw minutedAlready(id, m.minutedAt);
    const decisions: MeetingDecision[] = [];
    for (const [i, d] of body.decisions.entries()) {
      const line = m.agenda.find((l) => l.no === d.line);
      decisions.push(await applyDecision({ db, temporal }, id, i + 1, d, line, principal));
    }
    await db.transaction().execute(async (trx) => {
      const recorded = await recordMinutes(trx, id, {
        by: who(principal),
        notes: body.notes ?? null,
        decisions,
      });
      if (!recorded) throw minutedAlready(id, 'meanwhile');
      await recordAudit(trx, {
        ...auditContext(c),
        projectCode: m.projectCode,
        action: 'meeting.minutes',
        subject: String(id),
        body,
        result: decisions.map((d) => ({ no: d.no, kind: d.kind, state: d.state })),
      });
    });
    const done = (await findMeeting(db, id))!;
    return withKept(done, await loadCalendar(db), Date.now());
  };

  return { convene, list, read, minute, mayMinute };
}

const minutedAlready = (id: number, at: string) =>
  conflict(
    `the minutes of meeting ${id} were recorded ${at}; a meeting is minuted once`,
    'Minutes already recorded',
  );

type Subjects = Awaited<ReturnType<typeof decisionSubjects>>;

function keptOf(d: MeetingDecision, s: Subjects, calendar: Calendar, now: number): boolean | null {
  return decisionKept(
    {
      kind: d.kind,
      state: d.state,
      dueOn: d.dueOn,
      problem: d.problemId ? (s.problems.get(`${d.projectCode}/${d.problemId}`) ?? null) : null,
      item: d.itemCode ? (s.items.get(`${d.projectCode}/${d.itemCode}`) ?? null) : null,
    },
    calendar,
    now,
  );
}

/** One line for the next agenda: what was decided, on what. */
export function summaryOf(d: MeetingDecision): string {
  const p = d.payload as Record<string, string | undefined>;
  const on = `${d.projectCode}${d.problemId ? ` 问题 ${d.problemId}` : d.itemCode ? ` ${d.itemCode}` : ''}`;
  switch (d.kind) {
    case 'assign-problem':
      return `${on} 交 ${p.ownerDepartment} 于 ${p.deadline} 前解决：${p.solution}`;
    case 'raise-problem':
      return `${on} 钉住问题「${p.title}」，交 ${p.ownerDepartment} 于 ${p.deadline} 前解决`;
    case 'instruction':
      return `${on} 领导批示：${p.instruction}`;
    case 'agree-date':
      return `${on} 部门承诺 ${p.date} 前办结${p.note ? `（${p.note}）` : ''}`;
  }
}
