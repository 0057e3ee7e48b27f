import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';
import type { GreenlaneActivities } from './contract';
import { insertEscalations, recordInstruction } from './escalations';
import { writeReadModel } from './read-model';

export type ActivityDeps = { db: Kysely<DB> };

/** The worker's activities, bound to their dependencies (one composition root: worker.ts). */
export function createActivities({ db }: ActivityDeps): GreenlaneActivities {
  return {
    async recordEscalations({ projectCode, events }) {
      return { inserted: await insertEscalations(db, projectCode, events) };
    },
    async syncReadModel(snapshot) {
      await writeReadModel(db, snapshot);
    },
    async deliverInstruction(input) {
      await recordInstruction(db, input);
    },
  };
}
