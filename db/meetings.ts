import type { Selectable } from 'kysely';
import type { AgendaLine, MeetingDecisionKind, MeetingKind, Standing } from '../domain/meetings';
import type { Db } from './connect';
import { jsonb, type MeetingDecisionsTable, type MeetingsTable } from './schema';

/**
 * The coordination meetings (domain/meetings.ts): every statement on `meetings` and `meeting_decisions`,
 * and the reads the agenda and the kept decisions need beyond the read model's usual ones.
 */

export type MeetingDecision = {
  no: number;
  line: number | null;
  kind: MeetingDecisionKind;
  projectCode: string;
  itemCode: string | null;
  problemId: string | null;
  dueOn: string | null;
  payload: Record<string, unknown>;
  state: 'applied' | 'failed' | 'recorded';
  /** The action's answer (applied), the refusal's type and detail (failed), or null. */
  outcome: unknown;
};

export type Meeting = {
  id: number;
  kind: MeetingKind;
  title: string;
  heldOn: string;
  projectCode: string | null;
  problemId: string | null;
  convenedBy: string;
  attendees: string[];
  agenda: AgendaLine[];
  standing: Standing;
  previousId: number | null;
  minutedAt: string | null;
  minutedBy: string | null;
  notes: string | null;
  createdAt: string;
  decisions: MeetingDecision[];
};

const meetingOf = (r: Selectable<MeetingsTable>, decisions: MeetingDecision[]): Meeting => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  heldOn: r.held_on,
  projectCode: r.project_code,
  problemId: r.problem_id,
  convenedBy: r.convened_by,
  attendees: r.attendees,
  agenda: r.agenda as AgendaLine[],
  standing: r.standing as Standing,
  previousId: r.previous_id,
  minutedAt: r.minuted_at?.toISOString() ?? null,
  minutedBy: r.minuted_by,
  notes: r.notes,
  createdAt: r.created_at.toISOString(),
  decisions,
});

const decisionOf = (r: Selectable<MeetingDecisionsTable>): MeetingDecision => ({
  no: r.no,
  line: r.line,
  kind: r.kind,
  projectCode: r.project_code,
  itemCode: r.item_code,
  problemId: r.problem_id,
  dueOn: r.due_on,
  payload: r.payload as Record<string, unknown>,
  state: r.state,
  outcome: r.outcome,
});

export async function insertMeeting(
  db: Db,
  m: Omit<Meeting, 'id' | 'minutedAt' | 'minutedBy' | 'notes' | 'createdAt' | 'decisions'>,
): Promise<number> {
  const row = await db
    .insertInto('meetings')
    .values({
      kind: m.kind,
      title: m.title,
      held_on: m.heldOn,
      project_code: m.projectCode,
      problem_id: m.problemId,
      convened_by: m.convenedBy,
      attendees: jsonb(m.attendees),
      agenda: jsonb(m.agenda),
      standing: jsonb(m.standing),
      previous_id: m.previousId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function findMeeting(db: Db, id: number): Promise<Meeting | null> {
  const row = await db.selectFrom('meetings').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  const decisions = await db
    .selectFrom('meeting_decisions')
    .selectAll()
    .where('meeting_id', '=', id)
    .orderBy('no')
    .execute();
  return meetingOf(row, decisions.map(decisionOf));
}

/** The latest minuted meeting of this kind and scope before `heldOn` (or on it, convened earlier). */
export async function previousMeeting(
  db: Db,
  scope: { kind: MeetingKind; projectCode: string | null; heldOn: string },
): Promise<Meeting | null> {
  let q = db
    .selectFrom('meetings')
    .select('id')
    .where('kind', '=', scope.kind)
    .where('minuted_at', 'is not', null)
    .where('held_on', '<=', scope.heldOn);
  q = scope.projectCode === null ? q : q.where('project_code', '=', scope.projectCode);
  const row = await q.orderBy('held_on', 'desc').orderBy('id', 'desc').executeTakeFirst();
  return row ? findMeeting(db, row.id) : null;
}

/** Meetings, newest first; `project` narrows to special meetings on those projects and weekly ones. */
export async function listMeetings(
  db: Db,
  filter: { projects?: readonly string[]; limit: number },
): Promise<Omit<Meeting, 'agenda' | 'standing' | 'decisions'>[]> {
  let q = db.selectFrom('meetings').selectAll();
  if (filter.projects) {
    const codes = filter.projects.length > 0 ? [...filter.projects] : [''];
    q = q.where((eb) => eb.or([eb('project_code', 'is', null), eb('project_code', 'in', codes)]));
  }
  const rows = await q.orderBy('held_on', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map((r) => {
    const { agenda: _a, standing: _s, decisions: _d, ...rest } = meetingOf(r, []);
    return rest;
  });
}

/** The minutes: decisions with what became of each, and the meeting marked minuted, once. */
export async function recordMinutes(
  db: Db,
  id: number,
  minutes: { by: string; notes: string | null; decisions: MeetingDecision[] },
): Promise<boolean> {
  const marked = await db
    .updateTable('meetings')
    .set({ minuted_at: new Date(), minuted_by: minutes.by, notes: minutes.notes })
    .where('id', '=', id)
    .where('minuted_at', 'is', null)
    .executeTakeFirst();
  if (Number(marked.numUpdatedRows) !== 1) return false;
  if (minutes.decisions.length > 0) {
    await db
      .insertInto('meeting_decisions')
      .values(
        minutes.decisions.map((d) => ({
          meeting_id: id,
          no: d.no,
          line: d.line,
          kind: d.kind,
          project_code: d.projectCode,
          item_code: d.itemCode,
          problem_id: d.problemId,
          due_on: d.dueOn,
          payload: jsonb(d.payload),
          state: d.state,
          outcome: d.outcome === null ? null : jsonb(d.outcome),
        })),
      )
      .execute();
  }
  return true;
}

/** Open red cards (and beyond) on items, by `project/item`: the newest unanswered one's key. */
export async function openRedCards(db: Db, codes: readonly string[]): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const rows = await db
    .selectFrom('escalations')
    .select(['id', 'project_code', 'subject_id'])
    .where('project_code', 'in', codes)
    .where('subject_kind', '=', 'item')
    .where('rung', 'in', ['red', 'interview'])
    .where('acknowledged_at', 'is', null)
    .orderBy('fired_at')
    .execute();
  // Later rows overwrite earlier ones: the newest card of each item stands.
  return new Map(rows.map((r) => [`${r.project_code}/${r.subject_id}`, r.id]));
}

/** Problems and items as they are now, for judging whether decisions were kept. */
export async function decisionSubjects(
  db: Db,
  decisions: readonly Pick<MeetingDecision, 'projectCode' | 'itemCode' | 'problemId'>[],
) {
  const codes = [...new Set(decisions.map((d) => d.projectCode))];
  if (codes.length === 0) return { problems: new Map(), items: new Map() };
  const [problems, items] = await Promise.all([
    db
      .selectFrom('problems')
      .select(['project_code', 'problem_id', 'status', 'resolved_at'])
      .where('project_code', 'in', codes)
      .execute(),
    db
      .selectFrom('project_items')
      .select(['project_code', 'item_code', 'status', 'finished_at'])
      .where('project_code', 'in', codes)
      .execute(),
  ]);
  return {
    problems: new Map(
      problems.map((p) => [
        `${p.project_code}/${p.problem_id}`,
        { status: p.status, resolvedAt: p.resolved_at?.toISOString() ?? null },
      ]),
    ),
    items: new Map(
      items.map((i) => [
        `${i.project_code}/${i.item_code}`,
        { status: i.status, finishedAt: i.finished_at?.toISOString() ?? null },
      ]),
    ),
  };
}
