import type { TimeKind } from './catalog';
import { rawCatalog } from './catalog-data';

/**
 * Reading an item's time kind and the city's approval-time commitment (domain/catalog.ts `TimeKind`,
 * `ApprovalTimeCommitment`); the figures themselves are in domain/approval-time.ts.
 */

/** An item's time kind; plans made before items carried one read it from the shipped catalog. */
export function timeKindOf(item: { code: string; timeKind?: TimeKind }): TimeKind {
  return item.timeKind ?? catalogKinds.get(item.code) ?? 'approval';
}
// From the catalog as written (an item without a kind is an approval, as validation reads it): the
// workflows need these kinds, not the validated catalog.
const catalogKinds: ReadonlyMap<string, TimeKind> = new Map(
  rawCatalog.items.map((i) => [i.code, i.timeKind ?? 'approval']),
);

/** The city's commitment for a project's whole approval time, in working days. */
export function committedApprovalDays(category: 'government' | 'social'): number {
  return rawCatalog.approvalTimeCommitment[category];
}
