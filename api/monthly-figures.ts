import type { Db } from '../db/connect';
import { loadItems, loadScores } from '../db/read-model';
import { listDepartments } from '../db/reference';
import { loadReturnVisits, loadServiceContacts } from '../db/service';
import { urgingsByDepartment } from '../db/urgings';
import { monthBounds } from '../domain/periods';
import { type DepartmentMonth, departmentMonthly } from '../domain/reports';
import { type ServiceMonth, serviceMonth } from '../domain/service-report';

/**
 * The monthly report's figures (月度通报), loaded and computed once for every reader: the report itself
 * (GET /reports/departments/monthly), the supervision bulletin and its documents (api/routes/bulletin.ts).
 * Rules: domain/reports.ts `departmentMonthly`, domain/service-report.ts `serviceMonth`.
 */

/** Every department's row of the month, ranked among all, as of `now` for the current month. */
export async function monthlyDepartmentRows(db: Db, month: string, now: number): Promise<DepartmentMonth[]> {
  const bounds = monthBounds(month);
  const [items, scores, departments, urgings] = await Promise.all([
    loadItems(db, { activeBetween: bounds }),
    loadScores(db),
    listDepartments(db),
    // The urgings (催办) of the month so far.
    urgingsByDepartment(db, { from: bounds.from, to: Math.min(bounds.to, now) }),
  ]);
  return departmentMonthly({ month, items, scores, departments, now, urgings });
}

/** The month's service-log contacts and return visits, over every project. */
export async function monthlyService(db: Db, month: string): Promise<ServiceMonth> {
  const [contacts, visits] = await Promise.all([loadServiceContacts(db, month), loadReturnVisits(db, month)]);
  return serviceMonth(month, contacts, visits);
}
