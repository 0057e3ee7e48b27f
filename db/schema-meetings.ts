import type { Generated } from 'kysely';
import type { DateOnly, GeneratedTimestamp, Jsonb, Timestamp } from './schema';

/** The coordination meetings' tables (migration 2026-12-07T12; re-exported by db/schema.ts). */

export const meetingKinds = ['weekly', 'special'] as const;
export const meetingDecisionKinds = ['assign-problem', 'raise-problem', 'instruction', 'agree-date'] as const;
export const meetingDecisionStates = ['applied', 'failed', 'recorded'] as const;

export interface MeetingsTable {
  id: Generated<number>;
  kind: (typeof meetingKinds)[number];
  title: string;
  held_on: DateOnly;
  project_code: string | null;
  problem_id: string | null;
  convened_by: string;
  attendees: Jsonb<string[]>;
  /** domain/meetings.ts AgendaLine[], as drafted. */
  agenda: Jsonb<unknown>;
  /** domain/meetings.ts Standing: what the next meeting compares against. */
  standing: Jsonb<unknown>;
  previous_id: number | null;
  minuted_at: Timestamp | null;
  minuted_by: string | null;
  notes: string | null;
  created_at: GeneratedTimestamp;
}

export interface MeetingDecisionsTable {
  meeting_id: number;
  no: number;
  line: number | null;
  kind: (typeof meetingDecisionKinds)[number];
  project_code: string;
  item_code: string | null;
  problem_id: string | null;
  due_on: DateOnly | null;
  payload: Jsonb<unknown>;
  state: (typeof meetingDecisionStates)[number];
  outcome: Jsonb<unknown> | null;
  created_at: GeneratedTimestamp;
}
