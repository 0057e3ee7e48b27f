import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes, so operators can filter project workflows in the Temporal UI the way a
 * service centre thinks (by leader, by secretary, by stage, overdue first).
 */
export const ProjectCode = defineSearchAttributeKey('ProjectCode', SearchAttributeType.KEYWORD);
export const ProjectCategory = defineSearchAttributeKey('ProjectCategory', SearchAttributeType.KEYWORD);
export const ProjectStage = defineSearchAttributeKey('ProjectStage', SearchAttributeType.INT);
export const ResponsibleLeader = defineSearchAttributeKey('ResponsibleLeader', SearchAttributeType.KEYWORD);
export const Secretary = defineSearchAttributeKey('Secretary', SearchAttributeType.KEYWORD);
export const OverdueItems = defineSearchAttributeKey('OverdueItems', SearchAttributeType.INT);
export const EscalationLevel = defineSearchAttributeKey('EscalationLevel', SearchAttributeType.INT);
export const TargetStartDate = defineSearchAttributeKey('TargetStartDate', SearchAttributeType.DATETIME);

/** Name → type, as `temporal server start-dev --search-attribute Name=Type` and the test server want them. */
export const greenlaneSearchAttributes: Readonly<Record<string, 'Keyword' | 'Int' | 'Datetime'>> = {
  ProjectCode: 'Keyword',
  ProjectCategory: 'Keyword',
  ProjectStage: 'Int',
  ResponsibleLeader: 'Keyword',
  Secretary: 'Keyword',
  OverdueItems: 'Int',
  EscalationLevel: 'Int',
  TargetStartDate: 'Datetime',
};
