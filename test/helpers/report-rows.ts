import { dueDateOf } from '../../domain/calendar';
import type { ReportItem, ReportProject } from '../../domain/reports';

/** Read-model rows as the reports and digests take them, with plain defaults a test overrides. */

export function reportProject(code: string, over: Partial<ReportProject> = {}): ReportProject {
  return {
    code,
    name: `项目${code}`,
    leader: 'leader-li',
    secretary: 'sec-wang',
    targetStart: null,
    stage: 1,
    status: 'active',
    overdueItems: 0,
    escalationLevel: 0,
    ...over,
  };
}

/** An item accepted by 住建局 (ZJ) on 2035-06-01, submitted an hour before (China time 09:00, 10:00). */
export function reportItem(
  projectCode: string,
  itemCode: string,
  over: Partial<ReportItem> = {},
): ReportItem {
  return {
    projectCode,
    itemCode,
    nameZh: `事项${itemCode}`,
    department: 'ZJ',
    departmentName: '住建局',
    stage: 1,
    status: 'accepted',
    plannedStart: null,
    plannedFinish: null,
    latestStart: null,
    submittedAt: '2035-06-01T01:00:00.000Z',
    acceptedAt: '2035-06-01T02:00:00.000Z',
    dueAt: null,
    dueDate: over.dueAt ? dueDateOf(over.dueAt) : null,
    provisional: false,
    finishedAt: null,
    workingDaysUsed: null,
    returns: 0,
    rung: 0,
    timeKind: 'approval',
    clockStart: null,
    pauses: [],
    ...over,
  };
}
