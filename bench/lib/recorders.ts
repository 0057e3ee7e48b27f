import type { GreenlaneActivities } from '../../activities/contract';
import type { EscalationEvent } from '../../domain/project';
import type { ItemRecord } from '../../domain/records';

/**
 * In-process activities that only remember what the workflow asked for, so a benchmark measures the
 * workflow and its history rather than PostgreSQL. Escalations are deduplicated by key, as the real
 * activity does (a retried call must not count twice); item records are merged as the read model merges
 * them (the workflow sends only the records that changed).
 */
export function recordingActivities() {
  const escalations = new Map<string, EscalationEvent>();
  const calls = { recordProgress: 0, deliverInstruction: 0 };
  let snapshotBytes = 0;
  const items = new Map<string, ItemRecord>();
  const activities: GreenlaneActivities = {
    async recordProgress(record) {
      calls.recordProgress += 1;
      snapshotBytes += Buffer.byteLength(JSON.stringify(record));
      for (const item of record.items) items.set(item.code, item);
      let inserted = 0;
      for (const e of record.escalations) {
        if (escalations.has(e.key)) continue;
        escalations.set(e.key, e);
        inserted += 1;
      }
      return { escalationsInserted: inserted };
    },
    async deliverInstruction() {
      calls.deliverInstruction += 1;
    },
  };
  return {
    activities,
    escalations: () => [...escalations.values()],
    calls: () => ({ ...calls }),
    /** JSON bytes of every read-model snapshot the workflow sent, summed. */
    snapshotBytes: () => snapshotBytes,
    /** The read model's items as the last write left them. */
    items: () => new Map(items),
  };
}
