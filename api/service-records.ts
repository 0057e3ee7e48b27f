import type { Context } from 'hono';
import type { z } from 'zod';
import type { Db } from '../db/connect';
import { loadItems } from '../db/read-model';
import { findReturnVisit, insertReturnVisit, insertServiceLogEntry } from '../db/service';
import { chinaDateOf } from '../domain/calendar';
import { stageClosures } from '../domain/service-report';
import { projectAccess } from './access';
import type { AppDeps } from './app';
import { auditContext, recordAudit } from './audit';
import { actorOf, canActOnProject, forbidUnless } from './auth/permissions';
import { conflict, invalid } from './http-problem';
import type { ReturnVisitInput, ServiceLogInput } from './routes/service';

/**
 * Recording the service log (服务日志) and return visits (回访), however they arrive: POST
 * /projects/{code}/service-log and /return-visits (api/routes/service.ts) and the project page's forms
 * (api/routes/ui-project-actions.ts). Who may (403), the dates (422), the stage's close (409), the row and
 * its audit entry in one transaction.
 */

type ServiceLogBody = z.infer<typeof ServiceLogInput>;
type ReturnVisitBody = z.infer<typeof ReturnVisitInput>;

const todayInChina = () => chinaDateOf(Date.now());

/** Each stage's items and close, from the read model. */
export async function stagesOf(db: Db, code: string) {
  return stageClosures(await loadItems(db, { projectCode: code }));
}

/** The caller, when they are the project's secretary or an operator; else a 403 saying who may `what`. */
async function secretaryOrOperator(c: Context, deps: AppDeps, code: string, what: string) {
  const principal = c.get('principal');
  const access = await projectAccess(deps, code);
  forbidUnless(
    canActOnProject(principal, access),
    `only the secretary of project ${code} or an operator ${what}`,
  );
  return principal;
}

export async function recordServiceLog(c: Context, deps: AppDeps, code: string, body: ServiceLogBody) {
  const { db } = deps;
  const principal = await secretaryOrOperator(c, deps, code, 'keeps its service log');
  const today = todayInChina();
  if (body.date > today) throw invalid('date', `${body.date} is in the future (today is ${today})`);
  const entry = await db.transaction().execute(async (trx) => {
    const view = await insertServiceLogEntry(trx, {
      projectCode: code,
      date: body.date,
      contactType: body.contactType,
      participants: body.participants,
      outcome: body.outcome,
      recordedBy: actorOf(principal).id ?? `key-${principal.keyId}`,
    });
    // In the same transaction: the entry exists with its audit row or not at all (a retry after a
    // failure then writes it once).
    await recordAudit(trx, {
      ...auditContext(c),
      projectCode: code,
      action: 'service.log',
      subject: String(view.id),
      body,
      result: view,
    });
    return view;
  });
  return entry;
}

export async function recordReturnVisit(c: Context, deps: AppDeps, code: string, body: ReturnVisitBody) {
  const { db } = deps;
  const principal = await secretaryOrOperator(c, deps, code, 'records its return visits');
  const closure = (await stagesOf(db, code))[body.stage - 1]!;
  if (closure.items === 0) {
    throw conflict(`stage ${body.stage} of project ${code} has no items: there is nothing to visit after`);
  }
  if (closure.closedOn === null) {
    throw conflict(
      `stage ${body.stage} of project ${code} has not closed: ${closure.open.join(', ')} still open`,
    );
  }
  const today = todayInChina();
  const date = body.date ?? today;
  if (date > today) throw invalid('date', `${date} is in the future (today is ${today})`);
  if (date < closure.closedOn) {
    throw invalid('date', `a return visit follows the stage's close on ${closure.closedOn}, not ${date}`);
  }
  const visit = await db.transaction().execute(async (trx) => {
    const view = await insertReturnVisit(trx, {
      projectCode: code,
      stage: body.stage,
      date,
      satisfaction: body.satisfaction,
      comment: body.comment ?? null,
      stageClosedOn: closure.closedOn!,
      recordedBy: actorOf(principal).id ?? `key-${principal.keyId}`,
    });
    if (!view) {
      const earlier = await findReturnVisit(trx, code, body.stage);
      if (!earlier) throw new Error(`the return visit after stage ${body.stage} of ${code} vanished`);
      throw conflict(
        `the return visit after stage ${body.stage} of project ${code} was recorded on ${earlier.date} by ${earlier.recordedBy}; one per stage`,
      );
    }
    await recordAudit(trx, {
      ...auditContext(c),
      projectCode: code,
      action: 'service.returnVisit',
      subject: `stage-${body.stage}`,
      body,
      result: view,
    });
    return view;
  });
  return visit;
}
