import type { Context } from 'hono';
import { type Decision, type DecisionBody, whoMayDecide } from '../domain/decisions';
import { projectAccess } from './access';
import type { AppDeps } from './app';
import { auditWithAnswer } from './audit';
import { actorOf, forbidden } from './auth/permissions';
import { notFound } from './http-problem';
import { itemView } from './routes/project-view';
import { decideItem } from './temporal';

/**
 * One decision on an item, however it arrives: the API's POST /projects/{code}/items/{item}/decisions
 * and the queue page's forms (api/routes/ui-queue.ts). Who may take it (`whoMayDecide`, 403), the
 * workflow's update with the request's update id (its refusal a 409), and the audit entry written with
 * the stored answer. Behind `idempotent` (api/idempotency.ts), which sets the principal's update id.
 */
export async function takeDecision(
  c: Context,
  deps: AppDeps,
  code: string,
  item: string,
  body: DecisionBody,
) {
  const principal = c.get('principal');
  const access = await projectAccess(deps, code);
  const department = access.itemDepartments.get(item);
  if (!department) {
    throw notFound(`item ${item} is not in the plan of project ${code}`, 'No such item');
  }
  const actor = actorOf(principal);
  const refusal = whoMayDecide({ code, secretary: access.secretary }, actor, body.action, {
    code: item,
    department,
  });
  if (refusal) throw forbidden(refusal);
  const decision = { ...body, item, actor } as Decision;
  const temporal = { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue };
  const decided = await decideItem(temporal, code, decision, c.get('updateId'));
  const result = { ...decided, item: itemView(decided.item) };
  auditWithAnswer(c, { projectCode: code, action: `item.${body.action}`, subject: item, body, result });
  return result;
}
