import { type Kysely, sql, type Transaction } from 'kysely';
import { type DB, jsonb, type NotificationChannel, type PersonRow } from '../../db/schema';
import type { EscalationEvent } from '../../domain/project';
import type { NotificationMessage, Recipient } from './message';

/**
 * Recipient resolution and the outbox write. An escalation names roles (domain/ladder.ts Recipient):
 * `secretary` and `leader` are the project's; `departmentHead` and `handler` are the responsible
 * department's contacts (department_contacts), except that a problem's handler is the person it was
 * assigned to, when it was. Routes then say which channels reach each of them: a person's own routes,
 * the department's (its group robot, with its notified people mentioned) and the project's (its group,
 * 一项目一群, with everyone mentioned). Several people routed to the same robot share one message.
 */

export type RouteOwner = 'person' | 'department' | 'project';
export type Route = { ownerKind: RouteOwner; ownerId: string; channel: NotificationChannel; target: string };
export type Person = Pick<
  PersonRow,
  'id' | 'name' | 'mobile' | 'email' | 'dingtalk_user_id' | 'wecom_user_id' | 'feishu_open_id'
>;

/** Everything resolution reads, gathered once per recordProgress. */
export type Directory = {
  project: { code: string; name: string; secretary: string; leader: string };
  people: ReadonlyMap<string, Person>;
  contacts: readonly { department: string; duty: 'head' | 'handler'; personId: string }[];
  /** Problem id → the person it is assigned to. */
  problemOwners: ReadonlyMap<string, string>;
  routes: readonly Route[];
  departmentNames: ReadonlyMap<string, string>;
};

export type Delivery = { channel: NotificationChannel; target: string; message: NotificationMessage };

/** Who an escalation reaches, on which channel and target, with what content. Pure. */
export function planDeliveries(event: EscalationEvent, dir: Directory): Delivery[] {
  const dept = event.department;
  // Person id → the roles they hold in this escalation.
  const roles = new Map<string, string[]>();
  const add = (personId: string | undefined, role: string) => {
    if (!personId || !dir.people.has(personId)) return;
    const held = roles.get(personId) ?? [];
    if (!held.includes(role)) held.push(role);
    roles.set(personId, held);
  };
  const contactsOf = (duty: 'head' | 'handler') =>
    dept ? dir.contacts.filter((c) => c.department === dept && c.duty === duty).map((c) => c.personId) : [];
  for (const role of event.notify) {
    if (role === 'secretary') add(dir.project.secretary, role);
    else if (role === 'leader') add(dir.project.leader, role);
    else if (role === 'departmentHead') for (const p of contactsOf('head')) add(p, role);
    else if (role === 'handler') {
      const owner = event.subjectKind === 'problem' ? dir.problemOwners.get(event.subjectId) : undefined;
      for (const p of owner ? [owner] : contactsOf('handler')) add(p, role);
    }
  }
  const departmentPeople = [...roles].filter(
    ([, r]) => r.includes('departmentHead') || r.includes('handler'),
  );
  const tellsDepartment = !!dept && event.notify.some((r) => r === 'departmentHead' || r === 'handler');

  // channel:target → the people it mentions (a group robot with nobody to mention still gets the message).
  const deliveries = new Map<string, { channel: NotificationChannel; target: string; people: Set<string> }>();
  const deliver = (route: Route, people: Iterable<string>) => {
    const key = `${route.channel}:${route.target}`;
    const d = deliveries.get(key) ?? {
      channel: route.channel,
      target: route.target,
      people: new Set<string>(),
    };
    for (const p of people) d.people.add(p);
    deliveries.set(key, d);
  };
  for (const route of dir.routes) {
    if (route.ownerKind === 'person' && roles.has(route.ownerId)) deliver(route, [route.ownerId]);
    else if (route.ownerKind === 'department' && tellsDepartment && route.ownerId === dept) {
      deliver(
        route,
        departmentPeople.map(([id]) => id),
      );
    } else if (route.ownerKind === 'project' && route.ownerId === dir.project.code)
      deliver(route, roles.keys());
  }

  return [...deliveries.values()].map((d) => ({
    channel: d.channel,
    target: d.target,
    message: {
      escalationKey: event.key,
      projectCode: dir.project.code,
      projectName: dir.project.name,
      rung: event.rung,
      level: event.level,
      title: event.title,
      body: event.body,
      subject: { kind: event.subjectKind, id: event.subjectId },
      department: dept ? { code: dept, name: dir.departmentNames.get(dept) ?? dept } : null,
      dueAt: event.dueAt ?? null,
      firedAt: event.firedAt,
      // In the order the escalation names its roles, then by id: stable across retries.
      recipients: [...d.people]
        .sort(
          (a, b) =>
            rank(roles.get(a)!, event.notify) - rank(roles.get(b)!, event.notify) || a.localeCompare(b),
        )
        .map((id) => recipientFor(d.channel, dir.people.get(id)!, roles.get(id)!)),
    },
  }));
}

function rank(held: string[], order: string[]): number {
  return Math.min(...held.map((r) => order.indexOf(r)));
}

/** The person as a channel needs them: only the contact that channel uses. */
export function recipientFor(channel: NotificationChannel, p: Person, roles: string[]): Recipient {
  const r: Recipient = { personId: p.id, name: p.name, roles };
  if (channel === 'dingtalk') {
    if (p.mobile) r.mobile = p.mobile;
    if (p.dingtalk_user_id) r.dingtalkUserId = p.dingtalk_user_id;
  } else if (channel === 'wecom' && p.wecom_user_id) r.wecomUserId = p.wecom_user_id;
  else if (channel === 'feishu' && p.feishu_open_id) r.feishuOpenId = p.feishu_open_id;
  else if (channel === 'email' && p.email) r.email = p.email;
  return r;
}

/**
 * Write the outbox rows for the escalations this transaction inserted (called by recordProgress right
 * after insertEscalations, in its transaction). Two guards keep a retried recordProgress from adding
 * anything: only escalations created in THIS transaction are considered (`created_at` defaults to
 * now(), which PostgreSQL fixes at the transaction's start, so rows an earlier attempt committed differ),
 * and the unique (escalation, channel, target) constraint. Returns the number of rows added.
 */
export async function enqueueNotifications(
  trx: Kysely<DB> | Transaction<DB>,
  project: Directory['project'],
  events: EscalationEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const fresh = await trx
    .selectFrom('escalations')
    .select('id')
    .where(
      'id',
      'in',
      events.map((e) => e.key),
    )
    .where('created_at', '=', sql<Date>`now()`)
    .execute();
  const freshKeys = new Set(fresh.map((r) => r.id));
  const newEvents = events.filter((e) => freshKeys.has(e.key));
  if (newEvents.length === 0) return 0;

  const dir = await loadDirectory(trx, project, newEvents);
  const rows = newEvents.flatMap((e) =>
    planDeliveries(e, dir).map((d) => ({
      escalation_id: e.key,
      channel: d.channel,
      target: d.target,
      message: jsonb(d.message),
    })),
  );
  if (rows.length === 0) return 0;
  const inserted = await trx
    .insertInto('notifications')
    .values(rows)
    .onConflict((oc) => oc.columns(['escalation_id', 'channel', 'target']).doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

async function loadDirectory(
  trx: Kysely<DB> | Transaction<DB>,
  project: Directory['project'],
  events: EscalationEvent[],
): Promise<Directory> {
  const departments = [...new Set(events.flatMap((e) => (e.department ? [e.department] : [])))];
  const problemIds = events.filter((e) => e.subjectKind === 'problem').map((e) => e.subjectId);
  const contacts = departments.length
    ? await trx
        .selectFrom('department_contacts')
        .select(['department', 'duty', 'person_id'])
        .where('department', 'in', departments)
        .execute()
    : [];
  const owners = problemIds.length
    ? await trx
        .selectFrom('problems')
        .select(['problem_id', 'owner_person'])
        .where('project_code', '=', project.code)
        .where('problem_id', 'in', problemIds)
        .where('owner_person', 'is not', null)
        .execute()
    : [];
  const personIds = [
    ...new Set([
      project.secretary,
      project.leader,
      ...contacts.map((c) => c.person_id),
      ...owners.map((o) => o.owner_person!),
    ]),
  ];
  const people = await trx
    .selectFrom('people')
    .select(['id', 'name', 'mobile', 'email', 'dingtalk_user_id', 'wecom_user_id', 'feishu_open_id'])
    .where('id', 'in', personIds)
    .execute();
  const routes = await trx
    .selectFrom('notification_routes')
    .select(['owner_kind', 'owner_id', 'channel', 'target'])
    .where((eb) =>
      eb.or([
        eb.and([eb('owner_kind', '=', 'person'), eb('owner_id', 'in', personIds)]),
        eb.and([eb('owner_kind', '=', 'project'), eb('owner_id', '=', project.code)]),
        ...(departments.length
          ? [eb.and([eb('owner_kind', '=', 'department'), eb('owner_id', 'in', departments)])]
          : []),
      ]),
    )
    .orderBy(['owner_kind', 'owner_id', 'channel', 'target'])
    .execute();
  const names = departments.length
    ? await trx
        .selectFrom('departments')
        .select(['code', 'name_zh'])
        .where('code', 'in', departments)
        .execute()
    : [];
  return {
    project,
    people: new Map(people.map((p) => [p.id, p])),
    contacts: contacts.map((c) => ({ department: c.department, duty: c.duty, personId: c.person_id })),
    problemOwners: new Map(owners.map((o) => [o.problem_id, o.owner_person!])),
    routes: routes.map((r) => ({
      ownerKind: r.owner_kind,
      ownerId: r.owner_id,
      channel: r.channel,
      target: r.target,
    })),
    departmentNames: new Map(names.map((n) => [n.code, n.name_zh])),
  };
}
