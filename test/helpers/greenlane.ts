import { createKey, upsertPerson } from '../../api/auth/people-and-keys';
import type { Role } from '../../api/auth/principal';
import { startStack } from '../../scripts/stack';

/**
 * All of Greenlane against the integration tier's real servers: the API served over HTTP on a free port,
 * a worker running the real workflow bundle and the real activities (PostgreSQL), on a task queue of
 * its own so test files never see each other's work, both in this process (scripts/stack.ts). Keys
 * are issued for the people a test names.
 */
export type Greenlane = Awaited<ReturnType<typeof startGreenlane>>;

export async function startGreenlane(opts: {
  databaseUrl: string;
  temporalAddress: string;
  temporalUiUrl?: string;
  /** More configuration (config.ts variables), e.g. NOTIFY_CONFIG_FILE. */
  env?: Record<string, string>;
}) {
  const stack = await startStack({
    name: 'greenlane',
    run: 'in-process',
    servers: { databaseUrl: opts.databaseUrl, temporalAddress: opts.temporalAddress },
    env: { ...(opts.temporalUiUrl ? { TEMPORAL_UI_URL: opts.temporalUiUrl } : {}), ...opts.env },
  });
  const { tag, db, apiUrl: url } = stack;

  /** A person and a key for them; ids get the run's tag so files sharing the database never collide. */
  async function keyFor(role: Role, opts: { person?: string; department?: string } = {}) {
    const personId = opts.person ? `${opts.person}-${tag}` : undefined;
    if (personId) await upsertPerson(db, { id: personId, name: personId, role, department: opts.department });
    const { key } = await createKey(db, {
      role,
      department: opts.department,
      label: `test ${role}`,
      personId,
    });
    return { key, personId };
  }

  let requests = 0;
  /** One HTTP call as a client makes it; every POST and PUT gets a fresh Idempotency-Key unless one is given. */
  async function call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    key: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const h: Record<string, string> = { ...headers };
    if (key) h.authorization = `Bearer ${key}`;
    if (body !== undefined) h['content-type'] = 'application/json';
    if (method !== 'GET' && !('idempotency-key' in h)) h['idempotency-key'] = `t-${tag}-${++requests}`;
    const res = await fetch(url + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read bodies whose shapes the assertions check
    const json: any = text ? JSON.parse(text) : null;
    return { status: res.status, headers: res.headers, body: json };
  }

  const sessions = new Map<string, string>();
  /**
   * The Cookie header of a dashboard session signed in with `key`, as a browser gets it: the sign-in
   * form (its CSRF token and cookie), then the form posted. One session per key for the whole file.
   */
  async function uiCookie(key: string): Promise<string> {
    const known = sessions.get(key);
    if (known) return known;
    const form = await fetch(`${url}/ui/login`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const loginCookie = form.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const res = await fetch(`${url}/ui/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
      body: new URLSearchParams({ key, csrf }).toString(),
    });
    const session = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('greenlane_session='));
    if (!session) throw new Error(`signing in to the dashboard failed: HTTP ${res.status}`);
    sessions.set(key, session);
    return session;
  }

  return {
    url,
    tag,
    uiCookie,
    /** No worker on the task queue for `ms` (a worker restarting, a long pause): the workflows wait. */
    pauseWorker: (ms: number) => stack.worker.pause(ms),
    db,
    client: stack.client,
    config: stack.config,
    keyFor,
    call,
    stop: stack.stop,
  };
}
