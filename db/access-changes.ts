import pg from 'pg';

/**
 * Hears PostgreSQL announce that a project's authorization facts changed: its secretary or leader, or
 * the items (and so the departments) of its plan. The announcements come from triggers on the read
 * model (migration 2026-12-04T05), `NOTIFY greenlane_access, '<project code>'`, sent when the change
 * commits; and that a key or a person changed (`greenlane_principals`, migration 2026-12-07T13). One
 * connection per process; lost connections are re-made with backoff.
 */

export const ACCESS_CHANNEL = 'greenlane_access';
/**
 * A key was revoked, changed or deleted, or a person changed or deleted (migration 2026-12-07T13);
 * heard on the same connection.
 */
const PRINCIPALS_CHANNEL = 'greenlane_principals';

export type AccessChangeHandlers = {
  /** The facts of project `code` changed. */
  changed(code: string): void;
  /** Who some key stands for changed (PRINCIPALS_CHANNEL). */
  principalsChanged?(): void;
  /** Listening (true) or not (false). Announcements made while not listening are lost. */
  live(listening: boolean): void;
  /** A connection attempt or a live connection failed (default: a warning on the console). */
  failed?(err: Error): void;
};

export type AccessListener = { stop(): Promise<void> };

export function listenForAccessChanges(databaseUrl: string, on: AccessChangeHandlers): AccessListener {
  let stopped = false;
  let client: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let delayMs = 250;
  const failed = on.failed ?? ((err: Error) => console.warn(`access listener: ${err.message}`));

  const lost = (c: pg.Client, err?: Error) => {
    if (client !== c) return; // already handled (pg reports one loss as 'error' and 'end')
    client = null;
    on.live(false);
    if (err) failed(err);
    c.end().catch(() => {});
    schedule();
  };

  const schedule = () => {
    if (stopped || retry) return;
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, delayMs);
    retry.unref();
    delayMs = Math.min(delayMs * 2, 10_000);
  };

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({
      connectionString: databaseUrl,
      application_name: 'greenlane-access-listener',
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c));
    c.on('notification', (n) => {
      if (n.channel === ACCESS_CHANNEL && n.payload) on.changed(n.payload);
      else if (n.channel === PRINCIPALS_CHANNEL) on.principalsChanged?.();
    });
    client = c;
    try {
      await c.connect();
      await c.query(`LISTEN ${ACCESS_CHANNEL}; LISTEN ${PRINCIPALS_CHANNEL}`);
    } catch (err) {
      lost(c, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (stopped || client !== c) return;
    delayMs = 250;
    on.live(true);
  };

  void connect();
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = null;
      on.live(false);
      await c?.end().catch(() => {});
    },
  };
}
