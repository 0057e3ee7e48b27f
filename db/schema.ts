import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/**
 * The PostgreSQL schema as kysely sees it. Temporal is the source of truth for every project; the
 * tables here are read models written by activities, plus reference data that is not workflow state.
 *
 * Column conventions (db/connect.ts installs the matching type parsers):
 * - `timestamptz` → `Date` (inserts accept a `Date` or an ISO string);
 * - `date` → `'YYYY-MM-DD'` string, never a `Date` (a calendar day has no time zone);
 * - `bigint` (`revision`) → `number`: revisions stay far below 2^53, and the parser refuses any that do not;
 * - `jsonb` → the parsed value on select; inserts and updates take `JSON.stringify(value)` (see `jsonb()`),
 *   because pg would turn a top-level JS array into a PostgreSQL array literal, not JSON.
 *
 * Idempotency: every read-model row carries the workflow's `revision`, which only grows. Writers upsert
 * with `on conflict (...) do update ... where <table>.revision < excluded.revision`, so a late, retried or
 * replayed activity never overwrites a newer row. Escalations are keyed by the workflow's dedupe key
 * and inserted with `on conflict (id) do nothing`.
 */

/** `timestamptz`. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** `timestamptz` with a database default. */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** `date`, as an ISO calendar date `YYYY-MM-DD`. */
export type DateOnly = string;
/** `jsonb` holding a `T`: selected as `T`, written as its JSON text. */
export type Jsonb<T> = ColumnType<T, string, string>;

/** Serialises a value for a `jsonb` column. */
export function jsonb<T>(value: T): string {
  return JSON.stringify(value);
}

/** One year of the Chinese working-day calendar, in the public holiday-cn shape: per day, its name and whether it is off. */
export interface HolidayCnYear {
  year: number;
  papers: string[];
  /** `isOffDay: true` is a statutory holiday; `false` a make-up workday (调休上班). */
  days: { name: string; date: DateOnly; isOffDay: boolean }[];
}

export interface DepartmentsTable {
  code: string;
  name_zh: string;
  name_en: string;
}

export interface CalendarYearsTable {
  year: number;
  data: Jsonb<HolidayCnYear>;
  /** Where the data came from: a file name, a URL, or who typed it in. */
  source: string;
  loaded_at: GeneratedTimestamp;
  loaded_by: string;
}

/** Rules editions (domain/rules.ts), as operators published them. */
export interface RuleEditionsTable {
  id: string;
  note: string;
  limits: Jsonb<Record<string, { days: number; dayType: 'working' | 'calendar'; estimate: boolean }>>;
  policy: Jsonb<unknown>;
  withdraw: Jsonb<string[]>;
  add_items: Jsonb<{ code: string; prerequisites?: string[] }[]>;
  published_by: string;
  published_at: GeneratedTimestamp;
}

/** An edition of the quarterly assessment's rules (domain/assessment.ts), migration 2026-12-07T11. */
export interface AssessmentRulesTable {
  version: string;
  /** The first quarter it scores, 'YYYYQn'. */
  effective_from: string;
  rules: Jsonb<unknown>;
  published_by: string;
  published_at: GeneratedTimestamp;
}

export interface ProjectsTable {
  code: string;
  name: string;
  category: string;
  template_id: string;
  secretary: string;
  leader: string;
  target_start: DateOnly | null;
  stage: number;
  status: string;
  overdue_items: Generated<number>;
  escalation_level: Generated<number>;
  revision: number;
  /** The workflow's state as last reported; its shape belongs to the workflow and is parsed by the reader. */
  snapshot: Jsonb<unknown>;
  /** The plan's approval and elapsed working days (domain/schedule.ts `Schedule.approvalDays`). */
  planned_days: Jsonb<PlannedDays> | null;
  /** The city's commitment for the project's whole approval time, in working days. */
  committed_days: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export type PlannedDays = {
  counted: number;
  elapsed: number;
  countedToPermit: number | null;
  elapsedToPermit: number | null;
};

export interface ProjectItemsTable {
  project_code: string;
  item_code: string;
  name_zh: string;
  department: string;
  stage: number;
  lane: string;
  status: string;
  planned_start: DateOnly | null;
  planned_finish: DateOnly | null;
  /** The latest start that still meets the target start of construction (倒排工期). */
  latest_start: DateOnly | null;
  submitted_at: Timestamp | null;
  accepted_at: Timestamp | null;
  due_at: Timestamp | null;
  /** Submitted and not yet accepted: the end of the acceptance window (受理时限); else null. */
  accept_by: Timestamp | null;
  /** True when `due_at` was computed over a year without published calendar data. */
  provisional: Generated<boolean>;
  finished_at: Timestamp | null;
  working_days_used: number | null;
  /** Times returned for correction (补正). */
  returns: Generated<number>;
  /** Escalation rung reached, 0 for none. */
  rung: Generated<number>;
  /** approval | technical | notice | owner | utility: only approval time counts (domain/catalog.ts). */
  time_kind: Generated<string>;
  /** When the promised-time clock started (null in pre-review or before acceptance). */
  clock_start: Timestamp | null;
  /** The clock's pauses as ISO instants; `to` null while one is open. */
  pauses: ColumnType<{ from: string; to: string | null }[], string | undefined, string>;
  revision: number;
}

export interface ProblemsTable {
  project_code: string;
  problem_id: string;
  title: string;
  description: string;
  owner_department: string | null;
  owner_person: string | null;
  blocks_item: string | null;
  status: string;
  deadline_at: Timestamp;
  raised_by: string;
  raised_at: Timestamp;
  resolved_at: Timestamp | null;
  verified_at: Timestamp | null;
  rung: Generated<number>;
  revision: number;
}

export const escalationSubjectKinds = ['item', 'problem', 'score'] as const;
export type EscalationSubjectKind = (typeof escalationSubjectKinds)[number];

export const escalationRungs = ['reminder', 'yellow', 'red', 'interview', 'score-alert'] as const;
export type EscalationRung = (typeof escalationRungs)[number];

export interface EscalationsTable {
  /** The dedupe key the workflow computes for this escalation event. */
  id: string;
  project_code: string;
  subject_kind: EscalationSubjectKind;
  subject_id: string;
  rung: EscalationRung;
  department: string | null;
  recipients: Jsonb<string[]>;
  title: string;
  body: string;
  due_at: Timestamp | null;
  fired_at: Timestamp;
  created_at: GeneratedTimestamp;
  acknowledged_at: Timestamp | null;
  acknowledged_by: string | null;
  /** The leader's instruction (批示), when one was given. */
  instruction: string | null;
}

export interface DepartmentScoresTable {
  department: string;
  project_code: string;
  /** Points lost on this project (positive numbers; the threshold alert is at 20). */
  points: Generated<number>;
  revision: number;
}

/** The roles a person or an API key may have (api/auth/principal.ts `Role` is this list). */
export const principalRoles = ['department', 'secretary', 'leader', 'operator', 'admin'] as const;
export type PrincipalRole = (typeof principalRoles)[number];

/** A person who acts or is notified; the contact ids feed the notification channels. */
export interface PeopleTable {
  /** A readable id, e.g. `sec-wang`; the workflow's `Actor.id`. */
  id: string;
  name: string;
  role: PrincipalRole;
  /** Set for department heads and handlers. */
  department: string | null;
  mobile: string | null;
  email: string | null;
  dingtalk_user_id: string | null;
  wecom_user_id: string | null;
  feishu_open_id: string | null;
  created_at: GeneratedTimestamp;
  /** Set when their handover completed (api/handover.ts): they no longer sign in. */
  left_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** An issued API key: only the SHA-256 of its secret is stored (see api/auth/key-material.ts). */
export interface ApiKeysTable {
  /** The public part of the key, `gl_<id>_<secret>`. */
  id: string;
  person_id: string | null;
  role: PrincipalRole;
  /** Required for, and only for, role `department`. */
  department: string | null;
  label: string;
  /** Lower-case hex SHA-256 of the secret. */
  secret_hash: string;
  created_at: GeneratedTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** Append-only record of accepted actions: who, with which key, when, from where. */
export interface AuditLogTable {
  id: Generated<number>;
  /** Null for actions that concern no project (issuing or revoking keys). */
  project_code: string | null;
  action: string;
  subject: string;
  key_id: string;
  person_id: string | null;
  role: string;
  department: string | null;
  request_id: string;
  ip: string | null;
  user_agent: string | null;
  at: GeneratedTimestamp;
  body: ColumnType<unknown, string | null, string | null>;
  result: ColumnType<unknown, string | null, string | null>;
}

/** The stored first answer to a state-changing request, per (caller's key, Idempotency-Key). */
export interface IdempotencyKeysTable {
  key_id: string;
  idempotency_key: string;
  method: string;
  path: string;
  /** SHA-256 over method, path and the canonical body. */
  body_hash: string;
  /** Names the attempt that holds the key while it runs. */
  owner_token: string;
  /** Null while the first request runs. */
  status: number | null;
  response: ColumnType<StoredResponse | null, string | null, string | null>;
  created_at: GeneratedTimestamp;
  completed_at: Timestamp | null;
}

/** The answer kept for replay: status, the headers worth repeating, the body as text. */
export interface StoredResponse {
  headers: Record<string, string>;
  body: string;
}

import type {
  DepartmentContactsTable,
  DigestsTable,
  LeaderLinksTable,
  NotificationRequestsTable,
  NotificationRoutesTable,
  NotificationsTable,
  UrgingsTable,
} from './schema-notify';

export * from './schema-notify';

import type { MeetingDecisionsTable, MeetingsTable } from './schema-meetings';

export * from './schema-meetings';

export const serviceContactTypes = ['phone', 'visit', 'meeting'] as const;
export type ServiceContactType = (typeof serviceContactTypes)[number];

/** 服务日志: a contact of the project secretary with the project (电话, 走访, 会议). */
export interface ServiceLogTable {
  id: Generated<number>;
  project_code: string;
  date: DateOnly;
  contact_type: ServiceContactType;
  participants: Jsonb<string[]>;
  outcome: string;
  /** The person id of who recorded it, or `key-<id>` for a key that names no person. */
  recorded_by: string;
  created_at: GeneratedTimestamp;
}

/** 回访: the visit after a stage closed, one per project and stage. */
export interface ReturnVisitsTable {
  id: Generated<number>;
  project_code: string;
  stage: number;
  visit_date: DateOnly;
  /** 1 (very dissatisfied) … 5 (very satisfied). */
  satisfaction: number;
  comment: string | null;
  /** The day the stage's last item finished (CST), as the read model said when the visit was recorded. */
  stage_closed_on: DateOnly;
  recorded_by: string;
  created_at: GeneratedTimestamp;
}

import type { OidcIdentitiesTable, OidcLoginsTable, WebSessionsTable } from './schema-sign-in';

export * from './schema-sign-in';

export interface DB {
  departments: DepartmentsTable;
  calendar_years: CalendarYearsTable;
  rule_editions: RuleEditionsTable;
  assessment_rules: AssessmentRulesTable;
  projects: ProjectsTable;
  project_items: ProjectItemsTable;
  problems: ProblemsTable;
  escalations: EscalationsTable;
  department_scores: DepartmentScoresTable;
  people: PeopleTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  idempotency_keys: IdempotencyKeysTable;
  department_contacts: DepartmentContactsTable;
  notification_routes: NotificationRoutesTable;
  notifications: NotificationsTable;
  notification_requests: NotificationRequestsTable;
  digests: DigestsTable;
  service_log: ServiceLogTable;
  return_visits: ReturnVisitsTable;
  web_sessions: WebSessionsTable;
  leader_links: LeaderLinksTable;
  meetings: MeetingsTable;
  meeting_decisions: MeetingDecisionsTable;
  urgings: UrgingsTable;
  oidc_identities: OidcIdentitiesTable;
  oidc_logins: OidcLoginsTable;
}

/** Row types the repositories name. */
export type DepartmentRow = Selectable<DepartmentsTable>;
export type CalendarYearRow = Selectable<CalendarYearsTable>;
export type ProjectRow = Selectable<ProjectsTable>;
export type NewEscalation = Insertable<EscalationsTable>;
export type PersonRow = Selectable<PeopleTable>;
export type NewPerson = Insertable<PeopleTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewAuditLogRow = Insertable<AuditLogTable>;
export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
export type NewNotificationRoute = Insertable<NotificationRoutesTable>;
export type ServiceLogRow = Selectable<ServiceLogTable>;
