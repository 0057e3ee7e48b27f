import type { Kysely } from 'kysely';
import { insertEscalations, recordInstruction } from '../db/escalations';
import { writeReadModel } from '../db/read-model';
import type { DB } from '../db/schema';
import { enqueueNotifications } from '../notify/recipients';
import type { WorkerActivities } from './contract';
import { createDigestActivities } from './digests';
import type { ProjectStates } from './project-states';

export type ActivityDeps = {
  db: Kysely<DB>;
  projectStates?: ProjectStates;
  /** The dashboard's address (PUBLIC_URL), for the digests' links. */
  publicUrl?: string;
};

/** The worker's activities, bound to their dependencies (one composition root: worker.ts). */
export function createActivities({ db, projectStates, publicUrl }: ActivityDeps): WorkerActivities {
  return {
    async recordProgress(record) {
      // The project row first: escalations and items reference it.
      return db.transaction().execute(async (trx) => {
        await writeReadModel(trx, record);
        const { profile } = record.project;
        const inserted = await insertEscalations(trx, profile.code, record.escalations);
        // The outbox rows for the channels beyond the inbox, in the same transaction: an escalation is
        // stored with its notifications or not at all (notify/dispatcher.ts sends them).
        if (inserted > 0) await enqueueNotifications(trx, profile, record.escalations);
        return { escalationsInserted: inserted };
      });
    },
    async deliverInstruction(input) {
      await recordInstruction(db, input);
    },
    // The morning and weekly digests (workflows/digest.ts).
    ...createDigestActivities({ db, projectStates, publicUrl }),
  };
}
