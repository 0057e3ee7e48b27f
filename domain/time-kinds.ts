import type { TimeKind } from './catalog';
import { shippedCatalog } from './catalog-data';

/**
 * Reading an item's time kind and the city's approval-time commitment (domain/catalog.ts `TimeKind`,
 * `ApprovalTimeCommitment`); the figures themselves are in domain/approval-time.ts.
 */

/** An item's time kind; plans made before items carried one read it from the shipped catalog. */
export function timeKindOf(item: { code: string; timeKind?: TimeKind }): TimeKind {
  return item.timeKind ?? catalogKinds.get(item.code) ?? 'approval';
}
const catalogKinds = new Map(shippedCatalog.items.map((i) => [i.code, i.timeKind]));

/** The city's commitment for a project's whole approval time, in working days. */
export function committedApprovalDays(category: 'government' | 'social'): number {
  return shippedCatalog.approvalTimeCommitment[category];
}
