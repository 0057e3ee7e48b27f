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
  const calls = { recordEscalations: 0, syncReadModel: 0, deliverInstruction: 0 };
  let snapshotBytes = 0;
  const items = new Map<string, ItemRecord>();
  const activities: GreenlaneActivities = {
    async recordEscalations({ events }) {
      calls.recordEscalations += 1;
      let inserted = 0;
      for (const e of events) {
        if (escalations.has(e.key)) continue;
        escalations.set(e.key, e);
        inserted += 1;
      }
      return { inserted };
    },
    async syncReadModel(snapshot) {
      calls.syncReadModel += 1;
      snapshotBytes += Buffer.byteLength(JSON.stringify(snapshot));
      for (const item of snapshot.items) items.set(item.code, item);
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
