import { type CalendarYear, syntheticYear } from '../../domain/calendar';
import { shippedCalendarYears } from '../../domain/calendar-data';
import type { Plan, PlanItem } from '../../domain/plan';
import type { NewProject, ProjectProfile } from '../../domain/project';

/**
 * Factories for project fixtures. Workflow tests run on the time-skipping server, which starts at the real
 * current time; they first skip to a fixed instant in 2035 so that the hand-computed dates below hold on
 * any day the suite runs.
 */

/** Monday 2035-06-04 10:00 China Standard Time. */
export const ANCHOR = Date.parse('2035-06-04T10:00:00+08:00');

/**
 * 2035 with a hand-made holiday: Thu 06-14 and Fri 06-15 off, Sat 06-16 a make-up workday (调休).
 */
export function testCalendarYears(): CalendarYear[] {
  return [
    ...shippedCalendarYears,
    syntheticYear(2035, { off: ['2035-06-14', '2035-06-15'], work: ['2035-06-16'] }),
    syntheticYear(2036, { off: ['2036-01-01'] }),
  ];
}

export function planItem(code: string, over: Partial<PlanItem> = {}): PlanItem {
  return {
    code,
    nameZh: `事项${code}`,
    nameEn: `Item ${code}`,
    department: 'FGW',
    stage: 1,
    lane: 'stage',
    kind: 'promised',
    legalLimit: null,
    committedLimit: { days: 8, dayType: 'working', estimate: false },
    prerequisites: [],
    earlyStart: false,
    commitment: false,
    acceptWithGaps: false,
    ...over,
  };
}

export function smallPlan(items: PlanItem[]): Plan {
  return { catalogVersion: 'test', templateId: 'test', category: 'government', items };
}

export function profile(code: string, over: Partial<ProjectProfile> = {}): ProjectProfile {
  return {
    code,
    name: `测试项目 ${code}`,
    category: 'government',
    secretary: 'sec-wang',
    leader: 'leader-li',
    ...over,
  };
}

export function newProject(code: string, plan: Plan, over: Partial<ProjectProfile> = {}): NewProject {
  return { profile: profile(code, over), plan, calendarYears: testCalendarYears() };
}
