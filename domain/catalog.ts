import { z } from 'zod';

/**
 * The approval menu (点菜单): departments, approval items and project templates, as versioned data.
 * Shapes only; the shipped data lives in catalog-data.ts and templates.ts.
 */

export const DepartmentCode = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{1,15}$/, 'a department code is 2–16 upper-case letters, digits or _');
export type DepartmentCode = z.infer<typeof DepartmentCode>;

export const ItemCode = z
  .string()
  .regex(
    /^[A-Z][A-Z0-9-]{0,31}$/,
    'an item code is 1–32 upper-case letters, digits or -, starting with a letter',
  );
export type ItemCode = z.infer<typeof ItemCode>;

export const Department = z.object({
  code: DepartmentCode,
  nameZh: z.string().min(1),
  nameEn: z.string().min(1),
});
export type Department = z.infer<typeof Department>;

/** Working days (工作日, Administrative Licensing Law art. 82) or calendar days (日), per item. */
export const DayType = z.enum(['working', 'calendar']);
export type DayType = z.infer<typeof DayType>;

export const TimeLimit = z.object({
  days: z.number().int().min(0).max(400),
  dayType: DayType,
  /** True where the number is our estimate of local practice, not a published figure. */
  estimate: z.boolean().default(false),
});
export type TimeLimit = z.infer<typeof TimeLimit>;

/** 1 立项用地规划许可, 2 工程建设许可, 3 施工许可, 4 竣工验收. */
export const Stage = z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);
export type Stage = z.infer<typeof Stage>;

/** Where an item runs: inside its stage, alongside the stages (并联, must finish before `stage`), or a utility. */
export const Lane = z.enum(['stage', 'parallel', 'utility']);
export type Lane = z.infer<typeof Lane>;

/** 即办件 (done the same day) or 承诺件 (done within a promised number of days). */
export const ItemKind = z.enum(['immediate', 'promised']);
export type ItemKind = z.infer<typeof ItemKind>;

export const ProjectCategory = z.enum(['government', 'social']);
export type ProjectCategory = z.infer<typeof ProjectCategory>;

/**
 * What kind of time an item takes, for the reform's headline figure, approval time (审批用时): the working
 * days departments hold accepted applications. Only `approval` counts; the others are on the project's
 * path (elapsed time) but are not the government's approval time:
 * - approval: an administrative licence or review decided by a department (部门审批);
 * - technical: an intermediary or technical review, evaluation or survey (中介服务 / 技术审查);
 * - notice: a statutory public notice or listing period (公示 / 挂牌);
 * - owner: the owner's own work, procurement or self-acceptance (建设单位自办);
 * - utility: a utility connection (市政公用服务).
 * Inside an approval item, the time before acceptance (受理), returns for correction (补正) and the
 * periods of Licensing Law Art. 45 (expert review, hearings, inspection, public notice) do not count.
 */
export const TimeKind = z.enum(['approval', 'technical', 'notice', 'owner', 'utility']);
export type TimeKind = z.infer<typeof TimeKind>;

export const ApprovalItem = z.object({
  code: ItemCode,
  /** The item's row number in the published catalog of approval items it was taken from. */
  ref: z.number().int().positive(),
  nameZh: z.string().min(1),
  nameEn: z.string().min(1),
  department: DepartmentCode,
  stage: Stage,
  lane: Lane,
  kind: ItemKind,
  /** The statutory ceiling (法定时限); null where no law fixes one. */
  legalLimit: TimeLimit.nullable(),
  /** The promise the city makes (承诺时限); deadlines and escalation run on this one. */
  committedLimit: TimeLimit,
  /** Typical hard prerequisites; a template may set its own. */
  prerequisites: z.array(ItemCode).default([]),
  /** 提前介入: may be pre-reviewed before its prerequisites finish, but not approved. */
  earlyStart: z.boolean().default(false),
  /** 告知承诺: may be approved on the applicant's written commitment. */
  commitment: z.boolean().default(false),
  /** 容缺受理: may be accepted with non-core materials missing. */
  acceptWithGaps: z.boolean().default(false),
  /** Whether its time is the government's approval time; see `TimeKind`. */
  timeKind: TimeKind.default('approval'),
  appliesTo: z.array(ProjectCategory).min(1),
  note: z.string().optional(),
});
export type ApprovalItem = z.infer<typeof ApprovalItem>;

/** One item of a template: the catalog item, with the template's own prerequisites and limit where given. */
export const TemplateItem = z.object({
  code: ItemCode,
  prerequisites: z.array(ItemCode).optional(),
  committedLimit: TimeLimit.optional(),
});
export type TemplateItem = z.infer<typeof TemplateItem>;

export const Template = z.object({
  id: z.string().regex(/^[a-z][a-z0-9-]{1,47}$/),
  nameZh: z.string().min(1),
  nameEn: z.string().min(1),
  category: ProjectCategory,
  items: z.array(TemplateItem).min(1),
});
export type Template = z.infer<typeof Template>;

/**
 * The city's promise for a project's whole approval time (审批用时, working days, approval items only),
 * per project category.
 */
export const ApprovalTimeCommitment = z.object({
  government: z.number().int().min(1).max(400),
  social: z.number().int().min(1).max(400),
  /** Where the figures come from, for the pages and reports. */
  basis: z.string().min(1),
});
export type ApprovalTimeCommitment = z.infer<typeof ApprovalTimeCommitment>;

export const Catalog = z.object({
  version: z.string().min(1),
  approvalTimeCommitment: ApprovalTimeCommitment,
  departments: z.array(Department).min(1),
  items: z.array(ApprovalItem).min(1),
  templates: z.array(Template),
});
export type Catalog = z.infer<typeof Catalog>;
