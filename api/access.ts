import { listenForAccessChanges } from '../db/access-changes';
import { projectFacts } from '../db/project-lists';
import type { ProjectStateView } from '../workflows/messages';
import type { AppDeps } from './app';
import type { PrincipalCache } from './auth/principal-cache';
import { queryProject } from './temporal';

/**
 * The facts the authorization matrix in auth.ts needs about one project: its secretary and leader, and
 * the department of each item.
 */
export type ProjectAccess = {
  secretary: string;
  leader: string;
  /** Item code → its responsible department. */
  itemDepartments: Map<string, string>;
};

/**
 * The facts authorization needs, from the read model (fast); from the workflow itself when the read model
 * has not caught up yet (a project registered a moment ago). 404 when the project does not exist.
 */
export async function projectAccess(deps: AppDeps, code: string): Promise<ProjectAccess> {
  const cache = deps.accessCache;
  const cached = cache?.get(code);
  if (cached) return cached;
  const pinned = cache?.pinned(code);
  const stamp = cache?.stamp();
  const { access, revision } = await lookUp(deps, code);
  if (pinned) {
    // The read model has not yet caught up with a change made through this process: the workflow's
    // own answer stands until it has.
    if (revision !== null && revision < pinned.revision) return pinned.access;
    cache?.unpin(code);
  }
  cache?.set(code, access, stamp);
  return access;
}

/**
 * After this process changed who may act on a project (reassignment, plan amendment): the facts from
 * the workflow itself, held until the read model reaches the workflow's revision.
 */
export async function pinProjectAccess(deps: AppDeps, code: string): Promise<void> {
  const view = await queryProject(
    { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue },
    code,
  );
  deps.accessCache?.pin(code, factsOf(view.state), view.state.revision);
}

const factsOf = (state: ProjectStateView['state']): ProjectAccess => ({
  secretary: state.profile.secretary,
  leader: state.profile.leader,
  itemDepartments: new Map(state.plan.items.map((i) => [i.code, i.department])),
});

/** The facts, and the read model's revision they were read at (null when read from the workflow). */
async function lookUp(
  deps: AppDeps,
  code: string,
): Promise<{ access: ProjectAccess; revision: number | null }> {
  const facts = await projectFacts(deps.db, code);
  if (facts && facts.itemDepartments.size > 0) {
    const { secretary, leader, itemDepartments, revision } = facts;
    return { access: { secretary, leader, itemDepartments }, revision };
  }
  const view = await queryProject(
    { client: deps.temporal.client, taskQueue: deps.config.temporal.taskQueue },
    code,
  );
  return { access: factsOf(view.state), revision: null };
}

/**
 * Authorization facts per project, kept in this API process while nothing changes them. They change on
 * reassignment and on plan amendments; PostgreSQL announces each change to every API process (a trigger
 * on the read model, `NOTIFY greenlane_access`, see db/access-changes.ts), and the entry is dropped. So
 * a removed secretary or leader loses access as soon as the read model holds the change — at once in
 * the process that made it (it keeps the workflow's answer) — and never after a minute of grace.
 *
 * The cache answers only while it is `live`: while its listener is connected. Before the listener
 * first connects, and from a lost connection until it is back (when every entry is dropped, since
 * announcements may have been missed), every request reads the facts afresh. A lookup that raced
 * with a change does not store what it read (`stamp` before reading, `set` with the stamp).
 */
export class AccessCache {
  private readonly entries = new Map<string, { access: ProjectAccess; until: number }>();
  /** Bumped by every change heard; a lookup stamped before a change of its project is not stored. */
  private version = 0;
  private readonly changedAt = new Map<string, number>();
  private clearedAt = 0;
  private live = false;
  /** Changes made through this process that the read model has not caught up with yet. */
  private readonly pins = new Map<string, { access: ProjectAccess; revision: number }>();

  constructor(
    /** A safety net only: entries are dropped on change, this bounds a missed announcement. */
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 5_000,
  ) {}

  get(code: string): ProjectAccess | undefined {
    if (!this.live) return undefined;
    const entry = this.entries.get(code);
    if (!entry || entry.until < Date.now()) return undefined;
    return entry.access;
  }

  /** The version to pass to `set` for facts read from now on. */
  stamp(): number {
    return this.version;
  }

  /**
   * Keeps facts read at `stamp` unless a change of this project (or a reset) was heard since. Facts
   * taken from the workflow's own answer (registration, reassignment) are stored without a stamp.
   */
  set(code: string, access: ProjectAccess, stamp?: number): void {
    if (stamp !== undefined && (stamp < this.clearedAt || stamp < (this.changedAt.get(code) ?? -1))) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(code, { access, until: Date.now() + this.ttlMs });
  }

  /** Facts from the workflow at `revision`, answered until the read model reaches it (see projectAccess). */
  pin(code: string, access: ProjectAccess, revision: number): void {
    this.changed(code);
    this.pins.set(code, { access, revision });
  }

  pinned(code: string): { access: ProjectAccess; revision: number } | undefined {
    return this.pins.get(code);
  }

  unpin(code: string): void {
    this.pins.delete(code);
  }

  /** A change of the project's secretary, leader or items was heard (or made here). */
  changed(code: string): void {
    this.version += 1;
    this.entries.delete(code);
    this.changedAt.set(code, this.version);
    if (this.changedAt.size > this.maxEntries * 2) {
      this.changedAt.clear();
      this.clearedAt = this.version;
    }
  }

  /** The listener is connected (true) or lost (false); either way nothing cached before is trusted. */
  setLive(live: boolean): void {
    this.version += 1;
    this.clearedAt = this.version;
    this.entries.clear();
    this.changedAt.clear();
    this.live = live;
  }
}

/**
 * An AccessCache (and a PrincipalCache, when given) kept true by PostgreSQL's announcements, heard on
 * one connection; `stop` before closing the process's pools.
 */
export function liveAccessCache(
  databaseUrl: string,
  principals?: PrincipalCache,
): { cache: AccessCache; stop(): Promise<void> } {
  const cache = new AccessCache();
  const listener = listenForAccessChanges(databaseUrl, {
    changed: (code) => cache.changed(code),
    principalsChanged: () => principals?.changed(),
    live: (listening) => {
      cache.setLive(listening);
      principals?.setLive(listening);
    },
  });
  return { cache, stop: () => listener.stop() };
}
