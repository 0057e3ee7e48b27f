import type { TestProject } from 'vitest/node';
import { startTestServers } from './servers';

/**
 * vitest globalSetup of the `integration` project: one throw-away PostgreSQL (migrated) and one
 * headless Temporal dev server for all its test files, on free ports; stopped in teardown.
 * Tests read them with `inject('databaseUrl')` and `inject('temporalAddress')`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const servers = await startTestServers();
  project.provide('databaseUrl', servers.databaseUrl);
  project.provide('temporalAddress', servers.temporalAddress);
  console.log(
    `integration servers up in ${Date.now() - started} ms: PostgreSQL ${servers.databaseUrl}, Temporal ${servers.temporalAddress}`,
  );
  return () => servers.stop();
}
