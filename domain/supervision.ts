import { acceptanceSubjects } from './acceptance';
import type { Calendar, Pause as CalendarPause } from './calendar';
import { pointsFor, type Rung, rungLabelZh } from './ladder';
import {
  type EscalationEvent,
  type ItemState,
  isDone,
  itemDef,
  type ProblemState,
  type ProjectState,
  RECENT_ESCALATIONS,
} from './project';

/**
 * Deadlines and the escalation ladder (督办). Everything here is derived from the state, the calendar
 * and the time given, so the workflow can recompute it at any moment (e.g. when a new year's calendar
 * is published) and arm exactly one timer: the earliest rung still to fire.
 */

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

function isClosed(p: ProblemState): boolean {
  return p.status === 'resolved' || p.status === 'verified';
}

/** The clock's pauses: returns for correction, and any problem blocking the item while it is open. */
export function effectivePauses(state: ProjectState, item: ItemState): CalendarPause[] {
  const pauses: CalendarPause[] = item.pauses.map((p) => ({
    from: ms(p.from),
    to: p.to === null ? null : ms(p.to),
  }));
  if (!item.clockStart) return pauses;
  const start = ms(item.clockStart);
  for (const p of Object.values(state.problems)) {
    if (p.blocksItem !== item.code) continue;
    const end = p.resolvedAt ? ms(p.resolvedAt) : null;
    if (end !== null && end <= start) continue;
    pauses.push({ from: Math.max(start, ms(p.raisedAt)), to: end });
  }
  return pauses;
}

/** Recompute an item's deadline from its clock start, promised limit and pauses. */
export function refreshItemDeadline(state: ProjectState, code: string, calendar: Calendar): void {
  const item = state.items[code]!;
  const def = itemDef(state, code)!;
  if (!item.clockStart || item.preReview) {
    item.dueAt = undefined;
    item.dueDate = undefined;
    item.provisional = false;
    return;
  }
  const due = calendar.deadline(ms(item.clockStart), def.committedLimit, effectivePauses(state, item));
  item.dueAt = due ? iso(due.dueAt) : null;
  item.dueDate = due ? due.dueDate : null;
  item.provisional = due?.provisional ?? false;
}

export function refreshAllDeadlines(state: ProjectState, calendar: Calendar): void {
  for (const code of Object.keys(state.items)) refreshItemDeadline(state, code, calendar);
  for (const p of Object.values(state.problems)) {
    // A problem's deadline is a date the secretary set or the end of the working day it was raised;
    // only the default one depends on the calendar.
    if (p.deadlineProvisional) {
      const due = calendar.deadline(ms(p.raisedAt), { days: 0, dayType: 'working' });
      if (due) {
        p.deadlineAt = iso(due.dueAt);
        p.deadlineProvisional = due.provisional;
      }
    }
  }
}

/** An item whose clock is running (accepted, not paused, not in pre-review). */
function running(item: ItemState): boolean {
  return item.status === 'accepted' && !!item.dueAt && !item.preReview;
}

function rungAt(rung: Rung, deadline: number, calendar: Calendar): number {
  return rung.offsetWorkingDays === 0
    ? deadline
    : calendar.shiftWorkingDays(deadline, rung.offsetWorkingDays).at;
}

export type Subject = {
  kind: 'item' | 'problem';
  /** The ladder it climbs: the policy's (promised time), or the acceptance window's (domain/acceptance.ts). */
  rungs: readonly Rung[];
  /** Part of the escalation key, so two ladders of one item never share keys. */
  keyKind: string;
  id: string;
  round: number;
  /** When the clock started; a rung whose instant is not after it is passed over silently. */
  start: number;
  deadline: number;
  firedLevel: number;
  department?: string;
  ownDelay: boolean;
  label: string;
  setFired: (level: number) => void;
  /** What a fired rung says after the project and the subject; the promised-time wording by default. */
  body?: (rungLabel: string, points: number) => string;
  /** What the rung does beyond telling people (the acceptance window's end: deemed accepted). */
  onFired?: (rung: Rung) => void;
};

function subjects(state: ProjectState, calendar: Calendar): Subject[] {
  const out: Subject[] = [];
  // A suspended (缓建), cancelled or closed project escalates nothing.
  if (state.lifecycle && state.lifecycle.phase !== 'active') return out;
  for (const item of Object.values(state.items)) {
    if (!running(item)) continue;
    const def = itemDef(state, item.code)!;
    out.push({
      kind: 'item',
      rungs: state.policy.rungs,
      keyKind: 'item',
      id: item.code,
      round: item.round,
      start: ms(item.clockStart!),
      deadline: ms(item.dueAt!),
      firedLevel: item.rungLevel,
      department: def.department,
      // While accepted and not paused, the file is in the department's hands.
      ownDelay: true,
      label: def.nameZh,
      setFired: (level) => {
        item.rungLevel = level;
      },
    });
  }
  for (const p of Object.values(state.problems)) {
    if (isClosed(p)) continue;
    out.push({
      kind: 'problem',
      rungs: state.policy.rungs,
      keyKind: 'problem',
      id: p.id,
      round: p.round,
      start: ms(p.raisedAt),
      deadline: ms(p.deadlineAt),
      firedLevel: p.rungLevel,
      department: p.ownerDepartment,
      ownDelay: false,
      label: `问题「${p.title}」`,
      setFired: (level) => {
        p.rungLevel = level;
      },
    });
  }
  if (state.acceptanceClock) out.push(...acceptanceSubjects(state, calendar));
  return out;
}

/** The earliest instant at which a rung is still to fire, or null when nothing is pending. */
export function nextEscalationAt(state: ProjectState, calendar: Calendar): number | null {
  let next: number | null = null;
  for (const s of subjects(state, calendar)) {
    const rung = s.rungs.find((r) => r.level > s.firedLevel);
    if (!rung) continue;
    const at = rungAt(rung, s.deadline, calendar);
    if (next === null || at < next) next = at;
  }
  return next;
}

/** Fire every rung whose instant has come (in order), deduct points, and alert the leader at the threshold. */
export function fireDueEscalations(state: ProjectState, now: number, calendar: Calendar): EscalationEvent[] {
  const events: EscalationEvent[] = [];
  let advanced = false;
  const { code, name } = state.profile;
  for (const s of subjects(state, calendar)) {
    for (const rung of s.rungs) {
      if (rung.level <= s.firedLevel) continue;
      const at = rungAt(rung, s.deadline, calendar);
      if (at > now) break;
      s.firedLevel = rung.level;
      s.setFired(rung.level);
      s.onFired?.(rung);
      advanced = true;
      // A reminder due before the clock even started (a same-day problem, a one-day item) tells no one.
      if (at <= s.start) continue;
      const points = s.department ? pointsFor(rung, s.ownDelay, state.policy) : 0;
      const label = rungLabelZh[rung.name];
      events.push({
        key: `${code}/${s.keyKind}/${s.id}/${s.round}/${rung.name}`,
        subjectKind: s.kind,
        subjectId: s.id,
        rung: rung.name,
        level: rung.level,
        department: s.department,
        notify: rung.notify,
        dueAt: iso(s.deadline),
        rungAt: iso(at),
        firedAt: iso(now),
        points,
        title: `【${label}】${name} · ${s.label}`,
        body: `${name}（${code}）的${s.label}${
          s.body
            ? s.body(label, points)
            : `承诺时限为 ${iso(s.deadline)}，已触发${label}${s.department ? `，责任单位 ${s.department}` : ''}${
                points > 0 ? `，扣 ${points} 分` : ''
              }。`
        }`,
      });
      if (s.department && points > 0) events.push(...deduct(state, s.department, points, now));
    }
  }
  for (const e of events) record(state, e);
  if (advanced) state.revision += 1;
  return events;
}

function deduct(state: ProjectState, department: string, points: number, now: number): EscalationEvent[] {
  state.scores[department] ??= { points: 0, alerted: false };
  const score = state.scores[department];
  score.points += points;
  if (score.alerted || score.points < state.policy.alertThreshold) return [];
  score.alerted = true;
  const { code, name } = state.profile;
  return [
    {
      key: `${code}/score/${department}/${state.policy.alertThreshold}`,
      subjectKind: 'score',
      subjectId: department,
      rung: 'score-alert',
      level: state.policy.rungs.at(-1)!.level,
      department,
      notify: ['leader'],
      rungAt: iso(now),
      firedAt: iso(now),
      points: 0,
      title: `【扣分预警】${name} · ${department} 累计扣 ${score.points} 分`,
      body: `${department} 在${name}（${code}）中累计扣 ${score.points} 分，已达 ${state.policy.alertThreshold} 分预警线，请责任领导关注。`,
    },
  ];
}

function record(state: ProjectState, e: EscalationEvent): void {
  state.escalationCount += 1;
  state.recentEscalations.push(e);
  if (state.recentEscalations.length > RECENT_ESCALATIONS) state.recentEscalations.shift();
}

export type ProjectSummary = {
  stage: number;
  openItems: string[];
  overdueItems: string[];
  blockedItems: string[];
  escalationLevel: number;
  done: boolean;
};

/** What operators filter on: current stage (5 = all done), open and overdue items, highest rung. */
export function summarize(state: ProjectState, now: number): ProjectSummary {
  const openItems: string[] = [];
  const overdueItems: string[] = [];
  const blockedItems = new Set<string>();
  let stage = 5;
  let escalationLevel = 0;
  for (const def of state.plan.items) {
    const item = state.items[def.code]!;
    if (isDone(item)) continue;
    if (def.lane === 'stage') stage = Math.min(stage, def.stage);
    if (item.status !== 'waiting') openItems.push(def.code);
    if (running(item) && ms(item.dueAt!) < now) overdueItems.push(def.code);
    escalationLevel = Math.max(escalationLevel, item.rungLevel);
  }
  for (const p of Object.values(state.problems)) {
    if (isClosed(p)) continue;
    escalationLevel = Math.max(escalationLevel, p.rungLevel);
    if (p.blocksItem) blockedItems.add(p.blocksItem);
  }
  const openProblems = Object.values(state.problems).some((p) => p.status !== 'verified');
  return {
    stage,
    openItems,
    overdueItems,
    blockedItems: [...blockedItems],
    escalationLevel,
    done: Object.values(state.items).every(isDone) && !openProblems,
  };
}
