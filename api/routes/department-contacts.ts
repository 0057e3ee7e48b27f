import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { TargetName } from '../../config';
import {
  type Contact,
  departmentRoutes,
  replaceContacts,
  replaceDepartmentRoutes,
  selectContacts,
} from '../../db/contacts';
import { findPeople } from '../../db/people';
import { findDepartment } from '../../db/reference';
import { notificationChannels } from '../../db/schema';
import { DepartmentCode } from '../../domain/catalog';
import { PersonId } from '../../domain/project';
import type { App, AppDeps } from '../app';
import { auditContext, recordAudit } from '../audit';
import { authResponses, requireRole } from '../auth/middleware';
import { requireInDirectory } from '../directory';
import { type FieldError, notFound, ProblemError, ProblemType, problemResponse } from '../http-problem';
import { IdempotencyKeyHeader, idempotent } from '../idempotency';
import { jsonResponse } from '../openapi-shapes';

/**
 * Who answers for a department and where its escalations go, for operators: its head (一把手, told from
 * the yellow card on), its handlers (经办人, told of reminders) and its channels (the group robots and
 * mailboxes named in NOTIFY_CONFIG_FILE). notify/recipients.ts reads them when an escalation fires.
 */

const Route = z.strictObject({
  channel: z.enum(notificationChannels),
  target: TargetName.describe('A target of this channel in the notification configuration'),
});

const ContactsUpdate = z
  .strictObject({
    heads: z.array(PersonId).max(20).describe('一把手: people of this department'),
    handlers: z.array(PersonId).max(50).describe('经办人: people of this department'),
    routes: z.array(Route).max(20).describe("The department's channels, e.g. its DingTalk group robot"),
  })
  .meta({ id: 'DepartmentContactsUpdate' });
type ContactsUpdate = z.infer<typeof ContactsUpdate>;

const DepartmentContacts = z
  .object({
    department: z.string(),
    nameZh: z.string(),
    heads: z.array(z.string()),
    handlers: z.array(z.string()),
    routes: z.array(z.object({ channel: z.enum(notificationChannels), target: z.string() })),
  })
  .meta({ id: 'DepartmentContacts', description: 'Who answers for a department, and its channels' });
type DepartmentContacts = z.infer<typeof DepartmentContacts>;

const DepartmentParam = z.object({ department: DepartmentCode });

const get = createRoute({
  method: 'get',
  path: '/departments/{department}/contacts',
  tags: ['people'],
  summary: "A department's head, handlers and channels (operators)",
  request: { params: DepartmentParam },
  responses: {
    200: jsonResponse(DepartmentContacts, 'The contacts'),
    ...authResponses,
    404: problemResponse('No such department'),
  },
});

const put = createRoute({
  method: 'put',
  path: '/departments/{department}/contacts',
  tags: ['people'],
  summary: "Replace a department's head, handlers and channels (operators); audited",
  request: {
    params: DepartmentParam,
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: ContactsUpdate } } },
  },
  responses: {
    200: jsonResponse(DepartmentContacts, 'Saved'),
    ...authResponses,
    404: problemResponse('No such department'),
    422: problemResponse('A person who is not a clerk of this department, or a target not configured'),
  },
});

export function registerDepartmentContactRoutes(app: App, deps: AppDeps): void {
  const { db } = deps;
  const path = '/departments/:department/contacts';
  // Authorization before idempotency: a refused request must not become the key's stored answer.
  app.use(path, requireRole('operator'), idempotent(db));

  const view = async (department: string): Promise<DepartmentContacts> => {
    const found = await findDepartment(db, department);
    if (!found) {
      throw notFound(`no department ${department}`);
    }
    const [contacts, routes] = await Promise.all([
      selectContacts(db, { department }),
      departmentRoutes(db, department),
    ]);
    const holding = (duty: Contact['duty']) => contacts.filter((c) => c.duty === duty).map((c) => c.personId);
    return { department, nameZh: found.nameZh, heads: holding('head'), handlers: holding('handler'), routes };
  };

  app.openapi(get, async (c) => c.json(await view(c.req.valid('param').department), 200));

  app.openapi(put, async (c) => {
    const { department } = c.req.valid('param');
    const body = c.req.valid('json');
    await view(department); // 404 for an unknown department
    await requireValidContacts(deps, department, body);
    const contacts: Contact[] = [
      ...body.heads.map((personId) => ({ department, duty: 'head' as const, personId })),
      ...body.handlers.map((personId) => ({ department, duty: 'handler' as const, personId })),
    ];
    const who = auditContext(c);
    await db.transaction().execute(async (tx) => {
      await replaceContacts(tx, department, contacts);
      await replaceDepartmentRoutes(tx, department, body.routes);
      await recordAudit(tx, {
        ...who,
        projectCode: null,
        action: 'department.contacts',
        subject: department,
        body,
        result: null,
      });
    });
    const saved = await view(department);
    return c.json(saved, 200);
  });
}

/**
 * 422 unless every head and handler is a clerk of this department (escalations name them as its own)
 * and every route names a target the notification configuration has (else every message to it fails).
 */
async function requireValidContacts(deps: AppDeps, department: string, body: ContactsUpdate): Promise<void> {
  const named = [
    ...body.heads.map((person, i) => ({ field: `heads.${i}`, person })),
    ...body.handlers.map((person, i) => ({ field: `handlers.${i}`, person })),
  ];
  await requireInDirectory(
    deps.db,
    named.map((n) => ({ ...n, role: 'department' as const })),
  );
  const departmentOf = new Map(
    (
      await findPeople(
        deps.db,
        named.map((n) => n.person),
      )
    ).map((p) => [p.id, p.department]),
  );
  const targets = deps.config.notify.targets;
  const errors: FieldError[] = [
    ...named
      .filter((n) => departmentOf.get(n.person) !== department)
      .map((n) => ({
        in: 'body' as const,
        path: n.field,
        message: `${n.person} is a clerk of ${departmentOf.get(n.person)}, not of ${department}`,
        code: 'not_in_department',
      })),
    ...body.routes.flatMap((r, i) =>
      targets[r.channel]?.[r.target] === undefined
        ? [
            {
              in: 'body' as const,
              path: `routes.${i}.target`,
              message: `no ${r.channel} target ${r.target} in the notification configuration (NOTIFY_CONFIG_FILE)`,
              code: 'unknown_target',
            },
          ]
        : [],
    ),
  ];
  if (errors.length === 0) return;
  throw new ProblemError({
    status: 422,
    type: ProblemType.validation,
    title: 'The request is not valid',
    detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    errors,
  });
}
