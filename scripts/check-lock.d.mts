/** Problems of a lock file against its package.json, as sentences; empty when the lock is complete. */
export function lockProblems(manifest: Record<string, unknown>, lock: unknown): string[];
