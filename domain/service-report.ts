import { CST_OFFSET_MS, type LocalDate } from './calendar';
import { monthBounds } from './periods';
import { ms, type ReportItem, round } from './reports';
import { DONE_STATUSES } from './vocabulary';

const DONE: ReadonlySet<string> = DONE_STATUSES;

/** The secretaries' service in a month (服务日志与回访): contacts, return visits, stages closed. */

/** One service-log entry (service_log): a contact of the project secretary with the project. */
export type ServiceContact = {
  projectCode: string;
  date: LocalDate;
  contactType: 'phone' | 'visit' | 'meeting';
};
/** One return visit (回访, return_visits) after a stage closed. */
export type ReturnVisit = { projectCode: string; stage: number; date: LocalDate; satisfaction: number };

export type ServiceMonth = {
  /** Contacts dated in the month, by type (电话, 走访, 会议). */
  contacts: { phone: number; visit: number; meeting: number; total: number };
  /** Projects with at least one contact in the month. */
  projectsContacted: number;
  /** Return visits dated in the month, and their mean satisfaction (1–5, 2 decimals; null for none). */
  returnVisits: { count: number; meanSatisfaction: number | null };
};

/** The month's service summary: entries and visits are counted by their own date (CST), not when typed in. */
export function serviceMonth(
  month: string,
  contacts: readonly ServiceContact[],
  visits: readonly ReturnVisit[],
): ServiceMonth {
  monthBounds(month); // throws on a malformed month
  const inMonth = (d: LocalDate) => d.startsWith(`${month}-`);
  const mine = contacts.filter((c) => inMonth(c.date));
  const count = (t: ServiceContact['contactType']) => mine.filter((c) => c.contactType === t).length;
  const seen = visits.filter((v) => inMonth(v.date));
  const sum = seen.reduce((a, v) => a + v.satisfaction, 0);
  return {
    contacts: { phone: count('phone'), visit: count('visit'), meeting: count('meeting'), total: mine.length },
    projectsContacted: new Set(mine.map((c) => c.projectCode)).size,
    returnVisits: { count: seen.length, meanSatisfaction: seen.length ? round(sum / seen.length, 2) : null },
  };
}

export type StageClosure = {
  stage: number;
  /** Items of the stage (every lane: parallel items must finish before their stage is through). */
  items: number;
  /** Items approved, approved on commitment or waived. */
  done: number;
  /** Codes of the items not done yet. */
  open: string[];
  /** The day (CST) its last item finished, once every item is done; null while any is open. */
  closedOn: LocalDate | null;
};

/** Whether each stage 1–4 has closed (every item done), from the read model's items, and when. */
export function stageClosures(
  items: readonly Pick<ReportItem, 'itemCode' | 'stage' | 'status' | 'finishedAt'>[],
): StageClosure[] {
  return [1, 2, 3, 4].map((stage) => {
    const mine = items.filter((i) => i.stage === stage);
    const open = mine
      .filter((i) => !DONE.has(i.status))
      .map((i) => i.itemCode)
      .sort();
    const last = Math.max(...mine.map((i) => (i.finishedAt === null ? 0 : ms(i.finishedAt))));
    const closed = mine.length > 0 && open.length === 0 && last > 0;
    return {
      stage,
      items: mine.length,
      done: mine.length - open.length,
      open,
      closedOn: closed ? new Date(last + CST_OFFSET_MS).toISOString().slice(0, 10) : null,
    };
  });
}
