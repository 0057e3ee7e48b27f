/**
 * An escalation's two names. The workflow keys each escalation `<project>/<kind>/<subject>/<round>/<rung>`
 * (supervision.ts): its dedupe key, kept in workflow state (instructions), the read model and the
 * outbox, so it never changes for a running project. People and URLs get the same key with `.` for `/`
 * (`PRJ-1.item.EIA.1.red`), which needs no encoding in a path. The two map one to one because no part of
 * a key holds a `.`: project codes, item and department codes, problem ids (P1), rounds, rung names and
 * thresholds are letters, digits, `-` and `_`.
 */

/** The id the API shows and takes in paths, e.g. `PRJ-1.item.EIA.1.red`. */
export function escalationIdOf(key: string): string {
  return key.replaceAll('/', '.');
}

/**
 * The workflow's key of an id from a path. A key itself (URL-encoded, as clients sent it before ids
 * needed no encoding) is taken as it is.
 */
export function escalationKeyOf(id: string): string {
  return id.includes('/') ? id : id.replaceAll('.', '/');
}
