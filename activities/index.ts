import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';
import type { GreenlaneActivities } from './contract';
import { insertEscalations, recordInstruction } from './escalations';
import { writeReadModel } from './read-model';

export type ActivityDeps = { db: Kysely<DB> };

/** The worker's activities, bound to their dependencies (one composition root: worker.ts). */
export function createActivities({ db }: ActivityDeps): GreenlaneActivities {
  return {
    async recordProgress(record) {
      // The project row first: escalations and items reference it.
      return db.transaction().execute(async (trx) => {
        await writeReadModel(trx, record);
        const inserted = await insertEscalations(trx, record.project.profile.code, record.escalations);
        return { escalationsInserted: inserted };
      });
    },
    async deliverInstruction(input) {
      await recordInstruction(db, input);
    },
  };
}
