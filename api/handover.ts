import { z } from 'zod';
import { markPersonLeft } from '../db/identities';
import { markKeyRevoked, selectKeys } from '../db/keys';
import { findPerson } from '../db/people';
import { projectsHeldBy } from '../db/project-lists';
import { endPersonSessions } from '../db/sessions';
import { type HandoverRole, handoverReassignment, handoverRoles, refuseHandover } from '../domain/directory';
import type { Reassignment } from '../domain/leadership';
import { PersonId } from '../domain/project';
import { pinProjectAccess } from './access';
import type { AppDeps } from './app';
import { type AuditEntry, recordAudit } from './audit';
import { canManageKey, forbidUnless } from './auth/permissions';
import { requireInDirectory } from './directory';
import {
  conflict,
  invalid,
  ProblemError,
  ProblemType,
  RETRY_AFTER_SECONDS,
  unavailableDependency,
} from './http-problem';
import { noPerson, type Who } from './people';
import { queryProject, reassignProject, runningProjectsNaming } from './temporal';

/**
 * A leaver's handover (离任交接) in one action: every running project that names the person as secretary
 * or leader is reassigned to their successor, through each project's own reassign update (as POST
 * /projects/{code}/assignment does), and then their keys are revoked.
 *
 * Which projects: those the read model and Temporal's visibility store say name the person (either may
 * lag the other by a moment), each then asked of its workflow, the truth: a project that no longer
 * names them is skipped, as is one that has finished.
 *
 * When a reassignment fails (Temporal unreachable, the project's queue full): the others are still
 * done (each project is independent, and each left undone keeps a person who has gone), the keys are
 * not revoked, and the answer is a 503 `handover-incomplete` listing exactly what was reassigned and
 * what failed. 503 releases the Idempotency-Key (api/idempotency.ts), so the same request with the same
 * key finishes the rest: it finds only the projects still naming the person, and Temporal answers an
 * update it already applied from history (same update id). The keys are revoked, the person marked as
 * left (their dashboard sessions ended), and the handover audited, when no project is left; each
 * project's reassignment is in that project's audit trail.
 */

export const HandoverRequest = z
  .strictObject({
    to: PersonId.describe('The successor: a person of the same role (a leader for a leader)'),
    reason: z.string().trim().min(1).max(2000).describe('Why, for the audit trail, e.g. 调任'),
  })
  .meta({ id: 'HandoverRequest' });
export type HandoverRequest = z.infer<typeof HandoverRequest>;

const Reassigned = z.object({
  code: z.string(),
  handed: z.array(z.enum(handoverRoles)).describe('What the person was on the project'),
  secretary: z.string().describe("The project's secretary now"),
  leader: z.string().describe("The project's leader now"),
});
const Skipped = z.object({ code: z.string(), reason: z.string() });
export const HandoverFailure = z.object({
  code: z.string(),
  status: z.number().int().describe('The status the reassignment alone would have answered'),
  detail: z.string(),
});
export type HandoverFailure = z.infer<typeof HandoverFailure>;

export const Handover = z
  .object({
    person: z.string(),
    to: z.string(),
    reassigned: z.array(Reassigned).describe('Projects this request handed over'),
    skipped: z.array(Skipped).describe('Projects found that needed nothing: finished, or no longer theirs'),
    keysRevoked: z.array(z.string()).describe("The person's keys, revoked once every project is handed over"),
  })
  .meta({ id: 'Handover', description: 'What a handover did' });
export type Handover = z.infer<typeof Handover>;

/** A handover that did part of its work: what it did and what failed, for the answer (and the page). */
export class HandoverIncomplete extends ProblemError {
  constructor(readonly partial: Handover & { failed: HandoverFailure[] }) {
    const { failed, reassigned } = partial;
    super(
      {
        status: 503,
        type: ProblemType.handoverIncomplete,
        title: 'The handover is not complete',
        detail: `${reassigned.length} project(s) handed over; ${failed.length} failed (${failed.map((f) => `${f.code}: ${f.detail}`).join('; ')}); the keys stay active until the same request, with the same Idempotency-Key, finishes the rest`,
        ...partial,
      },
      { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } },
    );
  }
}

/**
 * Hands `personId` over to `request.to`; `updateId` is the Temporal update id of every reassignment
 * (the request's, api/idempotency.ts), so a retry of the same request applies none twice.
 */
export async function handOver(
  deps: AppDeps,
  who: Who,
  personId: string,
  request: HandoverRequest,
  updateId: string,
): Promise<Handover> {
  const { db } = deps;
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  const person = await findPerson(db, personId);
  if (!person) throw noPerson(personId);
  const refusal = refuseHandover(person, request.to);
  if (refusal && 'conflict' in refusal) throw conflict(refusal.conflict);
  if (refusal) throw invalid('to', refusal.invalid);
  // refuseHandover lets secretaries and leaders through only; the successor has the same role.
  const role = person.role as HandoverRole;
  await requireInDirectory(db, [{ field: 'to', person: request.to, role }]);
  // Keys carry their person's role (api/auth/people-and-keys.ts createKey): checked before anything is done.
  for (const k of await selectKeys(db, { personId })) {
    forbidUnless(canManageKey(who.principal, k.role), `only an admin may revoke ${k.role} keys`);
  }

  const [fromReadModel, fromTemporal] = await Promise.all([
    projectsHeldBy(db, [personId]),
    runningProjectsNaming(temporal, personId),
  ]);
  const codes = [...new Set([...fromReadModel.map((p) => p.code), ...fromTemporal])].sort();
  const done: Handover = { person: personId, to: request.to, reassigned: [], skipped: [], keysRevoked: [] };
  const failed: HandoverFailure[] = [];
  const entries: AuditEntry[] = [];
  for (const code of codes) {
    const outcome = await handOne(deps, who, code, personId, request.to, updateId);
    if ('skipped' in outcome) done.skipped.push({ code, reason: outcome.skipped });
    else if ('failed' in outcome) failed.push(outcome.failed);
    else {
      const { r, now } = outcome;
      done.reassigned.push({ code, handed: handoverRoles.filter((side) => r[side]), ...now });
      entries.push({
        ...who,
        projectCode: code,
        action: 'project.reassign',
        subject: code,
        body: { ...r, handoverOf: personId, reason: request.reason },
        result: now,
      });
    }
  }

  if (failed.length > 0) {
    await db.transaction().execute(async (tx) => {
      for (const entry of entries) await recordAudit(tx, entry);
    });
    throw new HandoverIncomplete({ ...done, failed });
  }
  return db.transaction().execute(async (tx) => {
    for (const entry of entries) await recordAudit(tx, entry);
    for (const k of await selectKeys(tx, { personId })) {
      await markKeyRevoked(tx, k.id);
      done.keysRevoked.push(k.id);
    }
    // They have left: no more sign-in through the identity provider, and their sessions end now.
    await markPersonLeft(tx, personId);
    await endPersonSessions(tx, personId);
    await recordAudit(tx, {
      ...who,
      projectCode: null,
      action: 'person.handover',
      subject: personId,
      body: request,
      result: done,
    });
    return done;
  });
}

type Outcome =
  | { r: Reassignment; now: { secretary: string; leader: string } }
  | { skipped: string }
  | { failed: HandoverFailure };

/** One project: asked of its workflow whether it names the person, and reassigned if it does. */
async function handOne(
  deps: AppDeps,
  who: Who,
  code: string,
  personId: string,
  to: string,
  updateId: string,
): Promise<Outcome> {
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  try {
    const { profile } = (await queryProject(temporal, code)).state;
    const r = handoverReassignment(profile, personId, to);
    if (!r) return { skipped: `no longer theirs: secretary ${profile.secretary}, leader ${profile.leader}` };
    const now = await reassignProject(temporal, code, { ...r, by: who.principal.keyId }, updateId);
    // The workflow is the truth now; this process keeps its answer until the read model catches up. If
    // asking fails, the cached facts are dropped instead and read afresh (api/access.ts).
    await pinProjectAccess(deps, code).catch(() => deps.accessCache?.changed(code));
    return { r, now };
  } catch (err) {
    const finished =
      err instanceof ProblemError &&
      (err.problem.status === 404 || err.problem.type === ProblemType.projectClosed);
    if (finished) return { skipped: err.problem.detail ?? err.problem.title };
    return { failed: failureOf(code, err, deps.logError) };
  }
}

function failureOf(code: string, err: unknown, log: AppDeps['logError']): HandoverFailure {
  if (err instanceof ProblemError) {
    return { code, status: err.problem.status, detail: err.problem.detail ?? err.problem.title };
  }
  const dependency = unavailableDependency(err);
  if (dependency) return { code, status: 503, detail: `cannot reach ${dependency}` };
  (log ?? console.error)(`handover: reassigning project ${code} failed`, err);
  // Never the error's own text: Temporal's messages can carry hosts and workflow ids.
  return { code, status: 500, detail: 'an unexpected error, logged with this request' };
}
