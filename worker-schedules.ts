import { isDeepStrictEqual } from 'node:util';
import {
  type CalendarSpec,
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleDescription,
  type ScheduleOptions,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import { type DigestKind, digestTimes } from './domain/digest';

/**
 * The Temporal Schedules of the programme's rhythm (节奏), visible and pausable in the Temporal UI:
 *
 * | id                           | fires (Asia/Shanghai)  | runs                                                  |
 * | ---------------------------- | ---------------------- | ----------------------------------------------------- |
 * | `digest-secretaries-morning` | every day 08:30        | digestWorkflow secretaries-morning (skips days off)    |
 * | `digest-leaders-weekly`      | Monday 09:00           | digestWorkflow leaders-weekly (a holiday Monday waits) |
 *
 * The morning schedule fires on every day, weekends included, because a make-up Saturday (调休上班) is a
 * working day: the workflow asks the calendar, which a cron expression cannot know.
 *
 * `ensureSchedules` is idempotent and safe with several workers starting at once: it creates what is
 * missing (a concurrent create loses with ScheduleAlreadyRunning and is treated as "exists"), and updates
 * a schedule only when its spec, action or policies differ from these, keeping its paused state and note
 * (an operator's pause in the UI survives a worker restart). A second call changes nothing. The paused
 * state kept is the one the schedule describes: a pause sent in the moment before a drifted schedule is
 * put back, and not yet taken in by the schedule, can be lost; the operator pauses again.
 */

const SCHEDULE_TIME_ZONE = 'Asia/Shanghai';

export const digestScheduleIds: Readonly<Record<DigestKind, string>> = {
  'secretaries-morning': 'digest-secretaries-morning',
  'leaders-weekly': 'digest-leaders-weekly',
};

const comments: Record<DigestKind, string> = {
  'secretaries-morning':
    '每日督办：每天 08:30（北京时间）发给项目秘书；非工作日由工作流按日历跳过，调休上班日照常',
  'leaders-weekly': '每周督办：每周一 09:00（北京时间）发给责任领导；周一放假则顺延到本周第一个工作日',
};

/** A late digest is still useful for a while, not the next day: missed actions older than this are dropped. */
const catchupWindowMs: Record<DigestKind, number> = {
  'secretaries-morning': 3 * 3_600_000,
  'leaders-weekly': 24 * 3_600_000,
};

// Written in the form the server describes a spec back (every field a list of full ranges), so a
// schedule as created compares equal to its description.
const range = <T>(start: T, end: T = start) => [{ start, end, step: 1 }];

function calendarFor(kind: DigestKind): CalendarSpec {
  const { hour, minute, weekly } = digestTimes[kind];
  return {
    second: range(0),
    minute: range(minute),
    hour: range(hour),
    dayOfMonth: range(1, 31),
    month: range('JANUARY' as const, 'DECEMBER' as const),
    year: [],
    dayOfWeek: weekly ? range('MONDAY' as const) : range('SUNDAY' as const, 'SATURDAY' as const),
    comment: comments[kind],
  };
}

/** The schedules as they should be, starting digest runs on `taskQueue`. */
function digestSchedules(taskQueue: string): ScheduleOptions[] {
  return (Object.keys(digestScheduleIds) as DigestKind[]).map((kind) => ({
    scheduleId: digestScheduleIds[kind],
    spec: { calendars: [calendarFor(kind)], timezone: SCHEDULE_TIME_ZONE },
    action: {
      type: 'startWorkflow',
      workflowType: 'digestWorkflow',
      // The server appends the nominal time: digest-secretaries-morning-2026-11-23T00:30:00Z.
      workflowId: digestScheduleIds[kind],
      taskQueue,
      args: [{ kind }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: catchupWindowMs[kind] },
  }));
}

/** What a schedule does, in a form both a description and our options reduce to. */
function essence(s: {
  spec: {
    calendars?: readonly unknown[];
    intervals?: readonly unknown[];
    skip?: readonly unknown[];
    timezone?: string;
  };
  action: { workflowType: unknown; workflowId?: string; taskQueue?: unknown; args?: readonly unknown[] };
  policies?: { overlap?: unknown; catchupWindow?: unknown };
}) {
  return {
    calendars: s.spec.calendars ?? [],
    intervals: s.spec.intervals ?? [],
    skip: s.spec.skip ?? [],
    timezone: s.spec.timezone ?? '',
    workflowType: s.action.workflowType,
    workflowId: s.action.workflowId,
    taskQueue: s.action.taskQueue,
    args: s.action.args ?? [],
    overlap: s.policies?.overlap ?? ScheduleOverlapPolicy.SKIP,
    catchupWindow: s.policies?.catchupWindow,
  };
}

/** True when the schedule as described does what `wanted` says (spec, action and policies). */
function scheduleMatches(described: ScheduleDescription, wanted: ScheduleOptions): boolean {
  // JSON round trip: the description's ranges and args are plain data, ours may carry `as const` types.
  const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
  return isDeepStrictEqual(plain(essence(described)), plain(essence(wanted)));
}

type EnsureResult = { created: string[]; updated: string[]; unchanged: string[] };

/** Creates the digest schedules, or brings existing ones up to date; changes nothing when they are. */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<EnsureResult> {
  const result: EnsureResult = { created: [], updated: [], unchanged: [] };
  for (const wanted of digestSchedules(taskQueue)) {
    try {
      await client.schedule.create(wanted);
      result.created.push(wanted.scheduleId);
      continue;
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    }
    const handle = client.schedule.getHandle(wanted.scheduleId);
    if (scheduleMatches(await handle.describe(), wanted)) {
      result.unchanged.push(wanted.scheduleId);
      continue;
    }
    const { scheduleId: _, ...options } = wanted;
    await handle.update((previous) => ({
      ...options,
      state: {
        paused: previous.state.paused,
        ...(previous.state.note ? { note: previous.state.note } : {}),
        ...(previous.state.remainingActions !== undefined
          ? { remainingActions: previous.state.remainingActions }
          : {}),
      },
    }));
    result.updated.push(wanted.scheduleId);
  }
  return result;
}

/** The outcome of ensureSchedules, as the worker logs it at start. */
export function describeEnsured(result: EnsureResult): string {
  const say = (what: string, ids: string[]) => (ids.length ? `${what} ${ids.join(', ')}` : null);
  const parts = [
    say('created', result.created),
    say('updated', result.updated),
    say('unchanged', result.unchanged),
  ];
  return `digest schedules: ${parts.filter(Boolean).join('; ')}`;
}
