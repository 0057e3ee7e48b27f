import type { ColumnType, Generated } from 'kysely';
import type { DateOnly, GeneratedTimestamp, Jsonb, Timestamp } from './schema';

/** The notification and digest tables of the Greenlane database (re-exported by db/schema.ts). */

/** The channels a notification can go out on (the in-app inbox is the escalations table itself). */
export const notificationChannels = ['dingtalk', 'wecom', 'feishu', 'email', 'webhook'] as const;
export type NotificationChannel = (typeof notificationChannels)[number];

export const notificationStatuses = ['pending', 'sending', 'sent', 'failed'] as const;
export type NotificationStatus = (typeof notificationStatuses)[number];

/** A department's head (一把手) or handler (经办人): who its escalations name. */
export interface DepartmentContactsTable {
  department: string;
  duty: 'head' | 'handler';
  person_id: string;
}

/** A channel that reaches a person, a department's group or a project's group; `target` names configuration. */
export interface NotificationRoutesTable {
  owner_kind: 'person' | 'department' | 'project';
  owner_id: string;
  channel: NotificationChannel;
  target: string;
  created_at: GeneratedTimestamp;
}

/**
 * The outbox: one message per (escalation, channel, target), written with the escalation and sent by the
 * dispatcher (notify/dispatcher.ts). `message` is the channel-neutral content, recipients
 * included, as resolved when the escalation fired.
 */
export interface NotificationsTable {
  id: Generated<number>;
  escalation_id: string;
  channel: NotificationChannel;
  target: string;
  message: Jsonb<unknown>;
  status: ColumnType<NotificationStatus, NotificationStatus | undefined, NotificationStatus>;
  attempts: Generated<number>;
  next_attempt_at: GeneratedTimestamp;
  claim_token: string | null;
  claimed_until: Timestamp | null;
  /** The request that carried it (several rows share one when folded into a digest). */
  request_id: number | null;
  /** Why the last attempt failed, with every secret of the target removed. */
  last_error: string | null;
  /** The provider's answer to the request that delivered it. */
  response: ColumnType<unknown, string | null | undefined, string | null>;
  sent_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
  /**
   * Set for a digest's message (then `escalation_id` holds the same digest id: it is the message key);
   * null for an escalation's.
   */
  digest_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Set for an urging's message (migration 2026-12-07T10; `escalation_id` holds the same id). */
  urging_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Generated: `escalation_id` for an escalation's message, null for a digest's or an urging's. */
  escalation_ref: ColumnType<string | null, never, never>;
}

/** Requests made or reserved per target (`channel:target`): the shared memory of the rate limiter. */
export interface NotificationRequestsTable {
  id: Generated<number>;
  target_key: string;
  at: Timestamp;
  messages: number;
}

/** The digests' kinds, and the meeting notice (db/meetings.ts) that shares their inbox and outbox. */
export const digestKinds = ['secretaries-morning', 'leaders-weekly', 'meeting-notice'] as const;
export type DigestKindColumn = (typeof digestKinds)[number];

/**
 * The in-app inbox of the digests (每日督办 for secretaries, 每周督办 for leaders): one row per (kind, day,
 * person), id `digest/<kind>/<day>/<person>`. `content` is the structured digest (domain/digest.ts),
 * `title` and `body` its rendering in Chinese.
 */
export interface DigestsTable {
  id: string;
  kind: DigestKindColumn;
  person_id: string;
  run_date: DateOnly;
  title: string;
  body: string;
  content: Jsonb<unknown>;
  quiet: Generated<boolean>;
  created_at: GeneratedTimestamp;
}

/**
 * A leader's action link (migration 2026-12-07T08): the SHA-256 of the random token an escalation
 * message carries, bound to that escalation and that leader, usable once before `expires_at`.
 */
export interface LeaderLinksTable {
  /** Lower-case hex SHA-256 of the token in the link. */
  id: string;
  escalation_id: string;
  person_id: string;
  created_at: GeneratedTimestamp;
  expires_at: Timestamp;
  /** Set once, when the leader's instruction was taken through the link. */
  used_at: Timestamp | null;
}

/**
 * An urging (催办, migration 2026-12-07T10): the project's secretary or an operator urged the department
 * responsible for an open item. Id `urging/<project>/<item>/<working day>`: once per item a working day.
 */
export interface UrgingsTable {
  id: string;
  project_code: string;
  item_code: string;
  department: string;
  working_day: DateOnly;
  note: string | null;
  urged_by: string;
  created_at: GeneratedTimestamp;
}
