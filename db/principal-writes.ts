import type { KyselyPlugin, RootOperationNode } from 'kysely';

/**
 * Statements that change who a key stands for, seen in this process before they run: an update or
 * delete of `api_keys` (but recording a key's last use), an insert, update or delete of `people`. createDb installs
 * the plugin on every pool, so an API's principal cache (api/auth/principal-cache.ts) closes before
 * such a change, whichever pool of the process makes it; other processes hear of it when it commits
 * (migration 2026-12-07T13).
 */

const listeners = new Set<() => void>();

/** Calls `fn` before every such statement in this process; returns the function that stops it. */
export function onPrincipalWrite(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function principalWrites(): KyselyPlugin {
  return {
    transformQuery(args): RootOperationNode {
      if (listeners.size > 0 && changesPrincipals(args.node)) for (const fn of listeners) fn();
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

const WATCHED = new Set(['api_keys', 'people']);

/** A statement that changes who a key stands for (see above). */
function changesPrincipals(node: RootOperationNode): boolean {
  if (node.kind === 'RawNode') return rawChangesPrincipals(node.sqlFragments.join(' '));
  let targets: unknown[];
  if (node.kind === 'InsertQueryNode') targets = [node.into];
  else if (node.kind === 'UpdateQueryNode') targets = [node.table];
  else if (node.kind === 'DeleteQueryNode') targets = [...node.from.froms];
  else return false;
  const names = targets.map(tableName);
  if (!names.some((t) => WATCHED.has(t))) return false;
  // A new key changes no principal a process may have kept (only keys that were read are kept).
  if (node.kind === 'InsertQueryNode' && names.every((t) => t === 'api_keys')) return false;
  if (node.kind === 'UpdateQueryNode' && names.every((t) => t === 'api_keys')) {
    const columns = (node.updates ?? []).map(
      (u) => (u.column as { column?: { name?: string } }).column?.name,
    );
    return !columns.every((c) => c === 'last_used_at');
  }
  return true;
}

/** A statement written as SQL text that names a watched table after a writing verb. */
function rawChangesPrincipals(text: string): boolean {
  return /\b(insert\s+into|update|delete\s+from)\s+"?(api_keys|people)\b/i.test(text);
}

/** The table of a TableNode, or of the TableNode an AliasNode names (`api_keys as k`). */
function tableName(node: unknown): string {
  const n = node as { kind?: string; node?: unknown; table?: { identifier?: { name?: string } } };
  if (n?.kind === 'AliasNode') return tableName(n.node);
  return n?.kind === 'TableNode' ? (n.table?.identifier?.name ?? '') : '';
}
