import type { Kysely, Transaction } from 'kysely';
import { escalationsCreatedNow } from '../db/escalations';
import { type Directory, enqueueMessages, loadDirectory, type Person, type Route } from '../db/notifications';
import type { DB, NotificationChannel } from '../db/schema';
import type { EscalationEvent } from '../domain/project';
import type { NotificationMessage, Recipient } from './message';

/**
 * Recipient resolution and the outbox write. An escalation names roles (domain/ladder.ts Recipient):
 * `secretary` and `leader` are the project's; `departmentHead` and `handler` are the responsible
 * department's contacts (department_contacts), except that a problem's handler is the person it was
 * assigned to, when it was. Routes then say which channels reach each of them: a person's own routes,
 * the department's (its group robot, with its notified people mentioned) and the project's (its group,
 * 一项目一群, with everyone mentioned). Several people routed to the same robot share one message.
 */

// What resolution reads (db/notifications.ts `loadDirectory`, gathered once per recordProgress).
export type { Directory, Person, Route, RouteOwner } from '../db/notifications';

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
  const fresh = await escalationsCreatedNow(
    trx,
    events.map((e) => e.key),
  );
  const newEvents = events.filter((e) => fresh.has(e.key));
  if (newEvents.length === 0) return 0;

  const dir = await loadDirectory(trx, project, {
    departments: [...new Set(newEvents.flatMap((e) => (e.department ? [e.department] : [])))],
    problemIds: newEvents.filter((e) => e.subjectKind === 'problem').map((e) => e.subjectId),
  });
  return enqueueMessages(
    trx,
    newEvents.flatMap((e) => planDeliveries(e, dir).map((d) => ({ escalationId: e.key, ...d }))),
  );
}
