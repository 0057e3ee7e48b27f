import type { Calendar, LocalDate } from './calendar';
import type { ReportItem, ReportProject } from './reports';
import { DONE_STATUSES } from './vocabulary';

/** The annual approval plan (年度审批计划): which items are planned in a year, and how far they are. */

const DONE: ReadonlySet<string> = DONE_STATUSES;

export type AnnualLine = ReportItem & {
  projectName: string;
  done: boolean;
  /** Not done and its planned finish is before today. */
  behindPlan: boolean;
};

export type AnnualDepartment = {
  department: string;
  nameZh: string | null;
  planned: number;
  done: number;
  open: number;
  behindPlan: number;
};

/** Items planned to start or finish in `year`, per project (by code) and per department. */
export function annualPlan(
  year: number,
  projects: readonly ReportProject[],
  items: readonly ReportItem[],
  calendar: Calendar,
  now: number,
): { projects: (ReportProject & { items: AnnualLine[] })[]; departments: AnnualDepartment[] } {
  const inYear = (d: LocalDate | null) => d?.startsWith(`${year}-`) ?? false;
  const today = calendar.dateOf(now);
  const lines: AnnualLine[] = items
    .filter((i) => inYear(i.plannedStart) || inYear(i.plannedFinish))
    .map((i) => {
      const done = DONE.has(i.status);
      return {
        ...i,
        projectName: projects.find((p) => p.code === i.projectCode)?.name ?? i.projectCode,
        done,
        behindPlan: !done && i.plannedFinish !== null && i.plannedFinish < today,
      };
    })
    .sort(
      (a, b) =>
        a.projectCode.localeCompare(b.projectCode) ||
        (a.plannedStart ?? '').localeCompare(b.plannedStart ?? '') ||
        a.itemCode.localeCompare(b.itemCode),
    );
  const byDepartment = new Map<string, AnnualDepartment>();
  for (const l of lines) {
    const d = byDepartment.get(l.department) ?? {
      department: l.department,
      nameZh: l.departmentName,
      planned: 0,
      done: 0,
      open: 0,
      behindPlan: 0,
    };
    d.planned++;
    if (l.done) d.done++;
    else d.open++;
    if (l.behindPlan) d.behindPlan++;
    byDepartment.set(l.department, d);
  }
  return {
    projects: [...projects]
      .sort((a, b) => a.code.localeCompare(b.code))
      .map((p) => ({ ...p, items: lines.filter((l) => l.projectCode === p.code) }))
      .filter((p) => p.items.length > 0),
    departments: [...byDepartment.values()].sort((a, b) => a.department.localeCompare(b.department)),
  };
}
