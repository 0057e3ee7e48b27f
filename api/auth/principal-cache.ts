import type { KeyWithPerson } from '../../db/keys';

/**
 * The key rows an API process authenticated with, kept for a short time so a burst of requests with
 * one key reads it once (one statement of three on every decision). Revocation stays
 * immediate:
 *
 * - every process: a trigger announces each change of a key or a person when it commits
 *   (`NOTIFY greenlane_principals`, db/access-changes.ts), and every entry is dropped;
 * - this process: a statement changing `api_keys` or `people` through any of its pools
 *   (db/principal-writes.ts, installed by createDb) drops every entry and keeps the cache closed until
 *   that announcement is heard (or `writeHoldMs` passed: a rolled-back write announces nothing), so no
 *   request in between trusts a row read before the change committed;
 * - the cache answers only while its listener is connected (`setLive`); before that, and from a lost
 *   connection until it is back (when every entry is dropped), each request reads its key afresh;
 * - a lookup that raced with a change does not store what it read (`stamp` before reading).
 *
 * What is kept is the row (hash, revocation, last use, the person's name), so principalForKey checks
 * it exactly as it checks a row just read. `ttlMs` only bounds a missed announcement.
 */
export class PrincipalCache {
  private readonly entries = new Map<string, { row: KeyWithPerson; until: number }>();
  private version = 0;
  private live = false;
  private closedUntil = 0;

  constructor(
    private readonly ttlMs = 30_000,
    private readonly maxEntries = 10_000,
    private readonly writeHoldMs = 10_000,
  ) {}

  get(id: string): KeyWithPerson | undefined {
    if (!this.live || Date.now() < this.closedUntil) return undefined;
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.until < Date.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.row;
  }

  /** The version to pass to `set` for a row read from now on. */
  stamp(): number {
    return this.version;
  }

  /** Keeps a row read at `stamp`, unless something changed since (or the cache is closed). */
  set(id: string, row: KeyWithPerson, stamp: number): void {
    if (!this.live || stamp !== this.version || Date.now() < this.closedUntil) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, { row, until: Date.now() + this.ttlMs });
  }

  /** This process recorded a use of the key (last_used_at): the kept row says so too. */
  used(id: string, at: Date): void {
    const entry = this.entries.get(id);
    if (entry) entry.row = { ...entry.row, last_used_at: at };
  }

  /** A change of some key or person was announced: drop everything, open again. */
  changed(): void {
    this.clear();
    this.closedUntil = 0;
  }

  /** This process is writing keys or people: drop everything, closed until the announcement. */
  writing(): void {
    this.clear();
    this.closedUntil = Date.now() + this.writeHoldMs;
  }

  /** The listener is connected (true) or lost (false); either way nothing kept before is trusted. */
  setLive(live: boolean): void {
    this.clear();
    this.live = live;
  }

  private clear(): void {
    this.version += 1;
    this.entries.clear();
  }
}
