import type { Db } from '../db/connect';
import { insertDigests } from '../db/digests';
import type { Meeting } from '../db/meetings';
import { enqueueMessages, loadPeople, type OutboxMessage, personRoutes } from '../db/notifications';
import type { NotificationMessage } from '../notify/message';
import { recipientFor } from '../notify/recipients';

/**
 * A meeting's notice to each attendee (会议通知): a row in their in-app inbox beside the digests
 * (`meeting/<id>/<person>`), and a message on each channel that reaches them through the outbox, sent
 * like a digest's. The title and agenda are text: every channel renders them escaped (notify/escape.ts).
 * Written in the caller's transaction, with the meeting.
 */

const AGENDA_LINES_IN_MESSAGE = 8;

export async function noticeAttendees(
  trx: Db,
  meeting: Pick<Meeting, 'id' | 'title' | 'heldOn' | 'attendees' | 'agenda' | 'projectCode'>,
  now: number,
): Promise<{ notices: number; messages: number }> {
  if (meeting.attendees.length === 0) return { notices: 0, messages: 0 };
  const [people, routes] = await Promise.all([
    loadPeople(trx, meeting.attendees),
    personRoutes(trx, meeting.attendees),
  ]);
  const shown = meeting.agenda.slice(0, AGENDA_LINES_IN_MESSAGE).map((l) => `${l.no}. ${l.summaryZh}`);
  const more = meeting.agenda.length - shown.length;
  const title = `会议通知：${meeting.title}`;
  const body = [
    `会议日期：${meeting.heldOn}`,
    `议程 ${meeting.agenda.length} 项${meeting.agenda.length > 0 ? '：' : '。'}`,
    ...shown,
    ...(more > 0 ? [`另有 ${more} 项，见会议页面。`] : []),
  ].join('\n');
  const id = (person: string) => `meeting/${meeting.id}/${person}`;
  const fresh = await insertDigests(
    trx,
    meeting.attendees.map((person) => ({
      id: id(person),
      kind: 'meeting-notice' as const,
      personId: person,
      date: meeting.heldOn,
      title,
      body,
      content: { meetingId: meeting.id },
      quiet: false,
    })),
  );
  const outbox: OutboxMessage[] = [];
  for (const person of people) {
    if (!fresh.has(id(person.id))) continue;
    for (const route of routes.filter((r) => r.ownerId === person.id)) {
      const message: NotificationMessage = {
        escalationKey: id(person.id),
        // The channels link to a project's page: the meeting's, or the first one on its agenda.
        projectCode: meeting.projectCode ?? meeting.agenda[0]?.projectCode ?? '',
        projectName: meeting.title,
        rung: 'meeting',
        level: 0,
        title,
        body,
        subject: { kind: 'meeting', id: String(meeting.id) },
        department: null,
        dueAt: null,
        firedAt: new Date(now).toISOString(),
        recipients: [recipientFor(route.channel, person, ['attendee'])],
      };
      outbox.push({
        escalationId: id(person.id),
        digestId: id(person.id),
        channel: route.channel,
        target: route.target,
        message,
      });
    }
  }
  return { notices: fresh.size, messages: await enqueueMessages(trx, outbox) };
}
