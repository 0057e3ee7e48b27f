import type { Context } from 'hono';
import { z } from 'zod';
import { enqueueMessages, loadDirectory } from '../db/notifications';
import { findUrging, insertUrging, type Urging } from '../db/urgings';
import { makeCalendar } from '../domain/calendar';
import { phaseOf } from '../domain/lifecycle';
import type { EscalationEvent } from '../domain/project';
import { summarize } from '../domain/supervision';
import { urgingDay, urgingId } from '../domain/urgings';
import { planDeliveries } from '../notify/recipients';
import type { AppDeps } from './app';
import { auditContext, recordAudit } from './audit';
import { actorOf, canActOnProject, forbidden } from './auth/permissions';
import { conflict, notFound, ProblemError, ProblemType } from './http-problem';
import { queryProject } from './temporal';

/**
 * Urging a department (催办), however it arrives: POST /projects/{code}/items/{item}/urgings and the
 * project page's form (api/routes/ui-project-actions.ts). The project's secretary or an operator urges
 * the department responsible for an item that is open (not waiting, not done): the urging is recorded,
 * once per item a working day (the id `urging/<project>/<item>/<day>` is the table's key), audited, and
 * its message is put in the outbox for the department's channels in the same transaction, addressed by
 * the escalations' rules (notify/recipients.ts: the department's handler and head, its group robot). The
 * channels render it as they render an escalation, every value through their escaping (notify/escape.ts).
 */

export const UrgeBody = z
  .strictObject({
    note: z.string().trim().min(1).max(500).optional().describe('What the department is asked, in a line'),
  })
  .meta({ id: 'UrgeBody', example: { note: '请于本周内完成审查' } });
export type UrgeBody = z.infer<typeof UrgeBody>;

/** The roles an urging reaches: the department's handler (经办人) and its head (负责人). */
const URGED = ['handler', 'departmentHead'];

export async function urgeDepartment(
  c: Context,
  deps: AppDeps,
  code: string,
  item: string,
  body: UrgeBody,
): Promise<{ urging: Urging; messages: number }> {
  const principal = c.get('principal');
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  // The live state: whether the item is open now, and the project's own calendar.
  const { state } = await queryProject(temporal, code);
  if (!canActOnProject(principal, state.profile)) {
    throw forbidden(`only the secretary of project ${code} or an operator urges its departments`);
  }
  const def = state.plan.items.find((i) => i.code === item);
  if (!def) {
    throw notFound(`item ${item} is not in the plan of project ${code}`, 'No such item');
  }
  const now = Date.now();
  const phase = phaseOf(state);
  if (phase !== 'active') {
    throw conflict(`project ${code} is ${phase}: its departments are not urged`, 'Project not active');
  }
  if (!summarize(state, now).openItems.includes(item)) {
    throw conflict(
      `item ${item} is ${state.items[item]!.status}: only an open item (ready, with its department or returned) is urged`,
      'Item not open',
    );
  }
  const workingDay = urgingDay(makeCalendar(state.calendarYears), now);
  const id = urgingId(code, item, workingDay);
  const actor = actorOf(principal);
  const urgedBy = actor.id ?? `key-${principal.keyId}`;
  const project = {
    code,
    name: state.profile.name,
    secretary: state.profile.secretary,
    leader: state.profile.leader,
  };
  return deps.db.transaction().execute(async (trx) => {
    const urging = await insertUrging(trx, {
      id,
      projectCode: code,
      item,
      department: def.department,
      workingDay,
      note: body.note ?? null,
      urgedBy,
    });
    if (!urging) {
      const earlier = await findUrging(trx, id);
      throw new ProblemError({
        status: 409,
        type: ProblemType.alreadyUrged,
        title: 'Already urged today',
        detail: `item ${item} of project ${code} was urged for working day ${workingDay}${earlier ? ` at ${earlier.createdAt} by ${earlier.urgedBy}` : ''}; once per item a working day`,
      });
    }
    const dir = await loadDirectory(trx, project, { departments: [def.department], problemIds: [] });
    const urger = dir.people.get(urgedBy)?.name ?? urgedBy;
    const event: EscalationEvent = {
      key: id,
      subjectKind: 'item',
      subjectId: item,
      rung: 'urging',
      level: 0,
      department: def.department,
      notify: URGED,
      ...(state.items[item]!.dueAt ? { dueAt: state.items[item]!.dueAt } : {}),
      rungAt: urging.createdAt,
      firedAt: urging.createdAt,
      points: 0,
      title: `【催办】${state.profile.name}：${def.nameZh}`,
      body: `${urger} 催办「${def.nameZh}」（${item}），请尽快办理。${body.note ? `留言：${body.note}` : ''}`,
    };
    const messages = await enqueueMessages(
      trx,
      planDeliveries(event, dir).map((d) => ({ escalationId: id, urgingId: id, ...d })),
    );
    await recordAudit(trx, {
      ...auditContext(c),
      projectCode: code,
      action: 'item.urge',
      subject: item,
      body,
      result: { urging, messages },
    });
    return { urging, messages };
  });
}
