import { z } from 'zod';
import { ItemCode, type ProjectCategory } from '../../domain/catalog';
import { shippedCatalog } from '../../domain/catalog-data';
import { tailoringOf } from '../../domain/plan';
import { LocalDate, PersonId, ProjectCode } from '../../domain/project';
import type { Schedule } from '../../domain/schedule';
import { committedApprovalDays } from '../../domain/time-kinds';

/**
 * The bodies and answers of the project routes (api/routes/projects.ts), as the OpenAPI document shows
 * them. Bodies and queries are strict: a field the API does not know is a 422 naming it, never dropped.
 */

const catalogItems = new Set(shippedCatalog.items.map((i) => i.code));

/** An item of the shipped catalog, which every plan is made and amended from (GET /catalog lists them). */
export const CatalogItemCode = ItemCode.refine((code) => catalogItems.has(code), {
  error: (iss) => `${String(iss.input)} is not an item of catalog ${shippedCatalog.version}`,
  // A code that is not even well-formed has said so already.
  when: (payload) => payload.issues.length === 0,
});

/** What the caller changes in the template's or the running plan's items; every code is a catalog item. */
export const TailoringBody = tailoringOf(CatalogItemCode).meta({ id: 'Tailoring' });

// The schedule counts working days between these dates and today: centuries away it gave up with a
// RangeError (a 500), and a plan starting in year 0000 could never be written to the read model.
export const PlanningDate = LocalDate.refine((d) => d >= '2000-01-01' && d <= '2099-12-31', {
  error: (iss) => `${JSON.stringify(iss.input)} is outside the planning window 2000-01-01 … 2099-12-31`,
});

/** The gov-building template's prerequisites of the construction permit, one left out: the example's waiver. */
function permitPrerequisitesWithout(waived: string): string[] {
  const template = shippedCatalog.templates.find((t) => t.id === 'gov-building')!;
  const permit = template.items.find((i) => i.code === 'CONSTRUCTION-PERMIT')!;
  return (permit.prerequisites ?? []).filter((p) => p !== waived);
}

export const RegisterProject = z
  .strictObject({
    code: ProjectCode.describe(
      'The online-platform project code (项目代码); the workflow id derives from it',
    ),
    name: z.string().trim().min(1).max(200),
    templateId: z.string().min(1).describe('A template from GET /templates, e.g. gov-building'),
    leader: PersonId.describe('The responsible city leader (包抓领导)'),
    secretary: PersonId.optional().describe(
      'The project secretary; defaults to the caller when a secretary registers',
    ),
    targetStart: PlanningDate.optional().describe(
      'Target start of construction (开工), for the backward schedule',
    ),
    start: PlanningDate.optional().describe('Planning start date; defaults to today (China Standard Time)'),
    tailoring: TailoringBody.optional(),
  })
  .meta({
    id: 'RegisterProject',
    example: {
      code: 'PRJ-2026-018',
      name: '市第一人民医院新院区',
      templateId: 'gov-building',
      leader: 'leader-li',
      targetStart: '2028-06-30',
      // Waiving an item others wait for says what they wait for instead.
      tailoring: {
        waive: ['FLOOD-IMPACT'],
        prerequisites: [
          { code: 'CONSTRUCTION-PERMIT', prerequisites: permitPrerequisitesWithout('FLOOD-IMPACT') },
        ],
      },
    },
  });

export const PlannedApprovalDays = z
  .object({
    counted: z
      .number()
      .int()
      .describe(
        'Planned approval time (审批用时): working days on which an approval item is with its department',
      ),
    elapsed: z.number().int().describe('Working days from the start to the finish of the whole plan'),
    countedToPermit: z.number().int().nullable(),
    elapsedToPermit: z.number().int().nullable(),
    committed: z
      .number()
      .int()
      .describe("The city's commitment for the whole approval time of a project of this category"),
  })
  .meta({ id: 'PlannedApprovalDays' });

export type Registered = z.infer<typeof Registered>;
export const Registered = z.object({
  code: z.string(),
  workflowId: z.string(),
  items: z.number().int(),
  warnings: z.array(z.string()),
  schedule: z.object({
    start: z.string(),
    permitFinish: z.string().nullable(),
    finish: z.string(),
    criticalPath: z.array(z.string()),
    countdown: z.number().int().nullable(),
    targetFeasible: z.boolean().nullable(),
    shortfall: z.string().nullable().optional(),
    approvalDays: PlannedApprovalDays,
    provisional: z
      .boolean()
      .describe(
        'Some date of the schedule lies in, or was counted through, days a holiday notice not yet published may change (a year without a notice, or the last week of December before one)',
      ),
  }),
});

/** A schedule as registration and import answer it: the one the project keeps. */
export function scheduleAnswer(schedule: Schedule, category: ProjectCategory): Registered['schedule'] {
  return {
    start: schedule.start,
    permitFinish: schedule.permitFinish,
    finish: schedule.finish,
    criticalPath: schedule.criticalPath,
    countdown: schedule.countdown,
    targetFeasible: schedule.targetFeasible,
    shortfall: schedule.shortfall ?? null,
    approvalDays: { ...schedule.approvalDays, committed: committedApprovalDays(category) },
    provisional: schedule.provisional,
  };
}

export const ReassignBody = z
  .strictObject({ secretary: PersonId.optional(), leader: PersonId.optional() })
  .refine((b) => b.secretary || b.leader, 'name a new secretary or a new leader');

export const AmendPlanBody = z.strictObject({
  tailoring: TailoringBody,
  reason: z.string().trim().min(1).max(2000),
});

export const ProjectListQuery = z.strictObject({
  category: z.enum(['government', 'social']).optional(),
  stage: z.coerce.number().int().min(1).max(5).optional(),
  leader: PersonId.optional(),
  secretary: PersonId.optional(),
  overdue: z.enum(['true', 'false']).optional().describe('Only projects with overdue items'),
});

export const ProjectRow = z.object({
  code: z.string(),
  name: z.string(),
  category: z.string(),
  templateId: z.string(),
  secretary: z.string(),
  leader: z.string(),
  targetStart: z.string().nullable(),
  stage: z.number().int(),
  status: z.string(),
  overdueItems: z.number().int(),
  escalationLevel: z.number().int(),
  updatedAt: z.string(),
});
