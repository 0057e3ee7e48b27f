import { startServers } from '../../scripts/stack';

/** What the integration project's global setup provides; read it in a test with `inject('databaseUrl')`. */
declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated throw-away PostgreSQL database (or DATABASE_URL when set). */
    databaseUrl: string;
    /** host:port of a headless Temporal dev server with every Greenlane search attribute registered. */
    temporalAddress: string;
  }
}

export type TestServers = {
  databaseUrl: string;
  temporalAddress: string;
  /** Stops both servers (Temporal first) and deletes the throw-away cluster. */
  stop(): Promise<void>;
};

/**
 * A throw-away PostgreSQL cluster in a temp folder and an in-memory, headless Temporal dev server,
 * both on free ports, so parallel runs never collide (scripts/stack.ts startServers). With
 * DATABASE_URL set, that database is used instead of a local cluster (and left running). Migrated.
 */
export function startTestServers(
  env: Record<string, string | undefined> = process.env,
): Promise<TestServers> {
  return startServers({ name: 'test', databaseUrl: env.DATABASE_URL });
}
