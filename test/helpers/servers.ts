import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../../scripts/postgres';
import { startTemporalDevServer } from '../../scripts/temporal';
import { projectRoot } from '../../scripts/toolchain';

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
 * both on free ports, so parallel runs never collide. With DATABASE_URL set, that database is used
 * instead of a local cluster (and left running). Migrated with db/migrate.ts when it exists.
 */
export async function startTestServers(
  env: Record<string, string | undefined> = process.env,
): Promise<TestServers> {
  // Both start at once (about a second each); if one fails, the other is stopped before rethrowing.
  const [pgResult, temporalResult] = await Promise.allSettled([
    env.DATABASE_URL
      ? Promise.resolve(undefined)
      : mkdtemp(join(tmpdir(), 'greenlane-pg-')).then((dataDir) => startPostgres({ dataDir, keep: false })),
    startTemporalDevServer({ headless: true }),
  ]);
  if (pgResult.status === 'rejected' || temporalResult.status === 'rejected') {
    if (pgResult.status === 'fulfilled') await pgResult.value?.stop();
    if (temporalResult.status === 'fulfilled') await temporalResult.value.stop();
    throw pgResult.status === 'rejected' ? pgResult.reason : (temporalResult as PromiseRejectedResult).reason;
  }
  const postgres = pgResult.value;
  const temporal = temporalResult.value;
  const databaseUrl = env.DATABASE_URL ?? postgres!.url;
  const stop = async () => {
    await temporal.stop();
    await postgres?.stop();
  };
  try {
    await migrate(databaseUrl);
  } catch (error) {
    await stop();
    throw error;
  }
  return { databaseUrl, temporalAddress: temporal.address, stop };
}

async function migrate(databaseUrl: string): Promise<void> {
  const path = join(projectRoot, 'db', 'migrate.ts');
  if (!existsSync(path)) return;
  const { migrateToLatest } = (await import(path)) as { migrateToLatest(url: string): Promise<void> };
  await migrateToLatest(databaseUrl);
}
