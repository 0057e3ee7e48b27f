import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ApplicationFailure, log, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { DigestActivities, DigestWriteResult } from '../activities/contract';
import { chinaDateOf, type LocalDate } from '../domain/calendar';
import { DigestRunInput, daysToConsider, digestDay, sendInstant } from '../domain/digest';

/**
 * One run of a digest (每日督办 / 每周督办), started by its Temporal Schedule (worker-schedules.ts) or by
 * hand with a date. The schedules fire on every day at 08:30 (secretaries) and on Mondays at 09:00
 * (leaders), China time; this workflow asks the working-day calendar whether to send: the morning digest
 * skips days off and runs on make-up working days (调休上班), the weekly one waits for the first working
 * day of its week when Monday is a holiday. Then one activity writes everyone's digest, idempotently per
 * (kind, day, person), so a retry, a manual re-run or a second schedule action for the same day sends
 * nothing twice.
 */

export type DigestRunResult = {
  kind: DigestRunInput['kind'];
  /** The day the schedule fired for (or the day asked for). */
  scheduledFor: LocalDate;
  /** The day the digest was written for; null when skipped. */
  sentOn: LocalDate | null;
  skipped: string | null;
} & DigestWriteResult;

const { digestCalendar, writeDigests } = proxyActivities<DigestActivities>({
  startToCloseTimeout: '2 minutes',
  // A digest is still worth sending late in the morning, not the next day: after three hours of failures
  // (PostgreSQL down) the run fails, visibly in the UI, and the next day's run starts on its own.
  scheduleToCloseTimeout: '3 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Set by the server on every run a schedule starts: the nominal time it fired for. */
const ScheduledStartTime = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

export async function digestWorkflow(raw: DigestRunInput): Promise<DigestRunResult> {
  const parsed = DigestRunInput.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    throw ApplicationFailure.create({ type: 'Malformed', message: detail, nonRetryable: true });
  }
  const { kind } = parsed.data;
  const info = workflowInfo();
  const scheduledAt =
    info.typedSearchAttributes.get(ScheduledStartTime)?.getTime() ?? info.runStartTime.getTime();
  const scheduledFor = parsed.data.date ?? chinaDateOf(scheduledAt);

  const days = await digestCalendar({ from: scheduledFor, days: daysToConsider(kind, scheduledFor) });
  const day = digestDay(kind, days);
  if (!day.send) {
    log.info('digest skipped', { kind, scheduledFor, reason: day.reason });
    return {
      kind,
      scheduledFor,
      sentOn: null,
      skipped: day.reason,
      people: 0,
      written: 0,
      notifications: 0,
      quiet: 0,
    };
  }
  if (day.deferred) {
    // Monday was a holiday: a durable timer to the first working day's 09:00 (the run shows as running).
    const wait = sendInstant(kind, day.date) - Date.now();
    if (wait > 0) await sleep(wait);
  }
  const { people } = parsed.data;
  const written = await writeDigests({ kind, date: day.date, ...(people ? { people } : {}) });
  return { kind, scheduledFor, sentOn: day.date, skipped: null, ...written };
}
