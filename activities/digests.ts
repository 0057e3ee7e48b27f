import type { Kysely } from 'kysely';
import { type DigestEntry, insertDigests } from '../db/digests';
import {
  enqueueMessages,
  loadPeople,
  type OutboxMessage,
  type Person,
  personRoutes,
} from '../db/notifications';
import { loadRecord } from '../db/performance';
import { loadItems, loadOpenProblems, loadProjects } from '../db/read-model';
import { loadCalendar } from '../db/reference';
import type { DB, NotificationChannel } from '../db/schema';
import {
  addDays,
  type Digest,
  type DigestKind,
  digestId,
  leaderDigest,
  secretaryDigest,
} from '../domain/digest';
import { renderDigest } from '../domain/digest-render';
import {
  type ForecastBrief,
  forecastBrief,
  forecastFromRecord,
  type PerformanceMemo,
} from '../domain/forecast';
import type { ReportProject } from '../domain/reports';
import { isLiveProject } from '../domain/vocabulary';
import type { NotificationMessage } from '../notify/message';
import { recipientFor } from '../notify/recipients';
import type { DigestActivities, DigestWriteResult } from './contract';
import type { ProjectStates } from './project-states';

/**
 * The digests' activities: the calendar the workflow decides the day with, and the run itself — read the
 * read model (the same loaders as the reports, so a digest's figures match the ledgers), build and render
 * each person's digest (domain/digest.ts), store it in the inbox (`digests`) and put its channel messages
 * in the notification outbox, where the dispatcher sends them like any escalation's (paced, retried,
 * visible to operators).
 *
 * Idempotent per (kind, day, person): the inbox row's id is the key, inserted with `on conflict do
 * nothing`, and messages are added only for rows this transaction inserted (their own unique key guards
 * them too). A retried activity, a re-run of the same day or two workers racing add nothing; the first
 * digest written for a day is the one that stays.
 */

export type DigestActivityDeps = {
  db: Kysely<DB>;
  /** Live project states for the leaders' permit forecasts; without it the digest has none. */
  projectStates?: ProjectStates;
  /** Milliseconds since the epoch; tests pass their own. */
  clock?: () => number;
  /** The dashboard's address (PUBLIC_URL), for the digests' links. */
  publicUrl?: string;
};

const roleOf: Record<DigestKind, 'secretary' | 'leader'> = {
  'secretaries-morning': 'secretary',
  'leaders-weekly': 'leader',
};

export function createDigestActivities({
  db,
  clock = Date.now,
  projectStates,
  publicUrl,
}: DigestActivityDeps): DigestActivities {
  return {
    async digestCalendar({ from, days }) {
      const calendar = await loadCalendar(db);
      return Array.from({ length: Math.max(0, Math.min(days, 31)) }, (_, i) => {
        const date = addDays(from, i);
        return { date, working: calendar.isWorkingDay(date) };
      });
    },

    async writeDigests({ kind, date, people: only }): Promise<DigestWriteResult> {
      const now = clock();
      const role = roleOf[kind];
      const [calendar, projects] = await Promise.all([loadCalendar(db), loadProjects(db)]);
      const byPerson = new Map<string, ReportProject[]>();
      for (const p of projects.filter((x) => isLiveProject(x.status))) {
        byPerson.set(p[role], [...(byPerson.get(p[role]) ?? []), p]);
      }
      const personIds = [...byPerson.keys()].filter((id) => !only || only.includes(id)).sort();
      const result: DigestWriteResult = { people: personIds.length, written: 0, notifications: 0, quiet: 0 };
      if (personIds.length === 0) return result;

      const codes = personIds.flatMap((id) => byPerson.get(id)!.map((p) => p.code));
      const [people, routes, problems] = await Promise.all([
        loadPeople(db, personIds),
        personRoutes(db, personIds),
        loadOpenProblems(db, codes),
      ]);
      const personOf = new Map(people.map((p) => [p.id, p]));
      const forecasts =
        kind === 'leaders-weekly' && projectStates
          ? await leaderForecasts(db, projectStates, codes, now)
          : undefined;

      const digests: { entry: DigestEntry; digest: Digest }[] = [];
      // One query per person: a person's items are a few hundred rows at most.
      for (const id of personIds) {
        const mine = byPerson.get(id)!;
        const items = await loadItems(db, role === 'secretary' ? { secretary: id } : { leader: id });
        const mineCodes = new Set(mine.map((p) => p.code));
        const source = {
          person: { id, name: personOf.get(id)?.name ?? id },
          date,
          now,
          calendar,
          projects: mine,
          items,
          problems: problems.filter((p) => mineCodes.has(p.projectCode)),
          forecasts,
          publicUrl,
        };
        const digest = kind === 'secretaries-morning' ? secretaryDigest(source) : leaderDigest(source);
        const { title, text } = renderDigest(digest);
        digests.push({
          digest,
          entry: {
            id: digestId(kind, date, id),
            kind,
            personId: id,
            date,
            title,
            body: text,
            content: digest,
            quiet: digest.quiet,
          },
        });
      }

      return db.transaction().execute(async (trx) => {
        const fresh = await insertDigests(
          trx,
          digests.map((d) => d.entry),
        );
        result.written = fresh.size;
        const outbox: OutboxMessage[] = [];
        for (const d of digests) {
          const { id, personId } = d.entry;
          if (!fresh.has(id)) continue;
          if (d.digest.quiet) {
            result.quiet += 1;
            continue;
          }
          const person = personOf.get(personId) ?? unknownPerson(personId);
          for (const route of routes.filter((r) => r.ownerId === personId)) {
            outbox.push({
              escalationId: id,
              digestId: id,
              channel: route.channel,
              target: route.target,
              message: channelMessage(d, route.channel, person, role, now),
            });
          }
        }
        result.notifications = await enqueueMessages(trx, outbox);
        return result;
      });
    },
  };
}

/**
 * A digest as the outbox carries it: the channel-neutral message every adapter renders (title, body, the
 * facts and a link to a project). A digest spans the person's projects; the link goes to the one it
 * opens with (the most urgent), and the project line names how many there are.
 */
function channelMessage(
  d: { entry: DigestEntry; digest: Digest },
  channel: NotificationChannel,
  person: Person,
  role: 'secretary' | 'leader',
  now: number,
): NotificationMessage {
  const projects =
    d.digest.kind === 'secretaries-morning'
      ? orderedProjects(d.digest.projects, [
          ...d.digest.overdue,
          ...d.digest.dueSoon,
          ...d.digest.problems,
          ...d.digest.lateStarts,
        ])
      : d.digest.projects;
  const first = projects[0]!;
  return {
    escalationKey: d.entry.id,
    projectCode: first.code,
    projectName: projects.length === 1 ? first.name : `${first.name} 等 ${projects.length} 个项目`,
    rung: 'digest',
    level: 0,
    title: d.entry.title,
    body: d.entry.body,
    subject: { kind: 'digest', id: d.digest.kind },
    department: null,
    dueAt: null,
    firedAt: new Date(now).toISOString(),
    recipients: [recipientFor(channel, person, [role])],
  };
}

/** The projects in the order their first line appears (the most urgent first), then the rest by code. */
function orderedProjects<P extends { code: string }>(
  projects: readonly P[],
  lines: { projectCode: string }[],
): P[] {
  const rank = new Map<string, number>();
  lines.forEach((l, i) => {
    if (!rank.has(l.projectCode)) rank.set(l.projectCode, i);
  });
  const at = (p: P) => rank.get(p.code) ?? Number.MAX_SAFE_INTEGER;
  return [...projects].sort((a, b) => at(a) - at(b) || a.code.localeCompare(b.code));
}

const unknownPerson = (id: string): Person => ({
  id,
  name: id,
  mobile: null,
  email: null,
  dingtalk_user_id: null,
  wecom_user_id: null,
  feishu_open_id: null,
});

/** 1,000 samples a project: a weekly line needs the gist, not the page's detail. */
const DIGEST_SAMPLES = 1000;

/** The permit forecasts of the leaders' projects, from one read of the record and their live states. */
async function leaderForecasts(
  db: Kysely<DB>,
  projectStates: ProjectStates,
  codes: readonly string[],
  now: number,
): Promise<Map<string, ForecastBrief>> {
  const [record, states] = await Promise.all([loadRecord(db), projectStates(codes)]);
  const briefs = new Map<string, ForecastBrief>();
  const memo: PerformanceMemo = new Map();
  for (const [code, state] of states) {
    const { forecast } = forecastFromRecord(record, state, { now, samples: DIGEST_SAMPLES, memo });
    if (forecast.permit) briefs.set(code, forecastBrief(forecast));
  }
  return briefs;
}
