import type { Calendar } from './calendar';
import type { Rung } from './ladder';
import { type ItemState, itemDef, type ProjectState } from './project';
import { refreshItemDeadline, type Subject } from './supervision';
import { PROJECT_SUSPENDED } from './vocabulary';

/**
 * The acceptance clock (受理时限). A department that receives an application must accept it or say, at
 * once and in one go, what is missing; one that has not told the applicant what is missing within five
 * days is taken to have accepted the application from the day it received it (Administrative Licensing
 * Law, Art. 32: 逾期不告知的，自收到申请材料之日起即为受理). Greenlane counts the five days as working
 * days from the day after submission (or resubmission), reminds the department's handler a working day
 * before, and at the end of the fifth day records the item as accepted on the day it was submitted — its
 * promised-time clock runs from then — and tells the department head and the secretary, at a point's cost.
 *
 * Behind `patched('acceptance-clock')` in the workflow (state.acceptanceClock): projects that began on an
 * earlier build take it on from the first task the new build runs for them.
 */

export const ACCEPTANCE_WINDOW = { days: 5, dayType: 'working' } as const;

export const acceptanceRungs: readonly Rung[] = [
  { name: 'reminder', level: 1, offsetWorkingDays: -1, notify: ['handler', 'secretary'], points: 0 },
  {
    name: 'yellow',
    level: 2,
    offsetWorkingDays: 0,
    notify: ['departmentHead', 'handler', 'secretary'],
    points: 1,
  },
];

/** When the window of an item waiting for acceptance closes, or null when none runs for it. */
export function acceptanceDueAt(item: ItemState, calendar: Calendar): number | null {
  if (item.status !== 'submitted' || !item.submittedAt) return null;
  const from = Date.parse(item.acceptanceFrom ?? item.submittedAt);
  // A suspension (缓建) stops the window as it stops every clock.
  const suspended = item.pauses
    .filter((p) => p.reason === PROJECT_SUSPENDED)
    .map((p) => ({ from: Date.parse(p.from), to: p.to === null ? null : Date.parse(p.to) }));
  return calendar.deadline(from, ACCEPTANCE_WINDOW, suspended)?.dueAt ?? null;
}

/** Items waiting for acceptance, as subjects of the supervision ladder (domain/supervision.ts). */
export function acceptanceSubjects(state: ProjectState, calendar: Calendar): Subject[] {
  const out: Subject[] = [];
  for (const item of Object.values(state.items)) {
    const due = acceptanceDueAt(item, calendar);
    if (due === null) continue;
    const def = itemDef(state, item.code)!;
    const from = Date.parse(item.acceptanceFrom ?? item.submittedAt!);
    out.push({
      kind: 'item',
      rungs: acceptanceRungs,
      keyKind: 'acceptance',
      id: item.code,
      round: item.round,
      start: from,
      deadline: due,
      firedLevel: item.acceptanceRung ?? 0,
      department: def.department,
      ownDelay: false,
      label: `${def.nameZh}（受理）`,
      setFired: (level) => {
        item.acceptanceRung = level;
      },
      body: (rungLabel, points) =>
        rungLabel === '到期提醒'
          ? `申请已于 ${calendar.dateOf(from)} 提交，受理期限（${ACCEPTANCE_WINDOW.days} 个工作日）将于 ${calendar.dateOf(due - 1)} 届满；请受理或一次性告知需补正的材料。`
          : `申请已于 ${calendar.dateOf(from)} 提交，${ACCEPTANCE_WINDOW.days} 个工作日内未受理也未告知补正，依法视为自收到申请之日起受理，承诺时限自该日起算${
              points > 0 ? `，责任单位 ${def.department} 扣 ${points} 分` : ''
            }。`,
      onFired: (rung) => {
        if (rung.level === acceptanceRungs.at(-1)!.level) deemAccepted(state, item, from, calendar);
      },
    });
  }
  return out;
}

/** Accepted by law from the day the application was received (视为受理). */
function deemAccepted(state: ProjectState, item: ItemState, from: number, calendar: Calendar): void {
  const at = new Date(from).toISOString();
  item.status = 'accepted';
  item.acceptedAt = at;
  item.deemedAccepted = true;
  if (!item.preReview) item.clockStart = at;
  refreshItemDeadline(state, item.code, calendar);
}
