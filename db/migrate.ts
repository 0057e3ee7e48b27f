import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import { loadConfig } from '../config';
import { createDb } from './connect';
import * as init from './migrations/2026-11-22T01-init';
import * as principals from './migrations/2026-11-22T02-principals';
import * as notifications from './migrations/2026-11-22T03-notifications';
import * as service from './migrations/2026-11-22T04-service';
import * as sessionsAccess from './migrations/2026-12-04T05-sessions-access';
import * as approvalTime from './migrations/2026-12-04T06-approval-time';
import * as ruleEditions from './migrations/2026-12-07T07-rule-editions';
import * as leaderLinks from './migrations/2026-12-07T08-leader-links';
import * as oidcIdentities from './migrations/2026-12-07T09-oidc-identities';
import * as urgings from './migrations/2026-12-07T10-urgings';
import * as assessmentRules from './migrations/2026-12-07T11-assessment-rules';
import * as meetings from './migrations/2026-12-07T12-meetings';
import * as principalChanges from './migrations/2026-12-07T13-principal-changes';
import * as itemAcceptanceDue from './migrations/2026-12-07T14-item-acceptance-due';
import type { DB } from './schema';

/**
 * Every migration, in order. Listed explicitly rather than read from the folder, so migrating works
 * the same under tsx, vitest and any bundler, whatever the file layout at run time. Add new ones at
 * the end with a later date prefix; never edit or reorder one that has shipped.
 */
export const migrations: Readonly<Record<string, Migration>> = {
  '2026-11-22T01-init': init,
  '2026-11-22T02-principals': principals,
  '2026-11-22T03-notifications': notifications,
  '2026-11-22T04-service': service,
  '2026-12-04T05-sessions-access': sessionsAccess,
  '2026-12-04T06-approval-time': approvalTime,
  '2026-12-07T07-rule-editions': ruleEditions,
  '2026-12-07T08-leader-links': leaderLinks,
  '2026-12-07T09-oidc-identities': oidcIdentities,
  '2026-12-07T10-urgings': urgings,
  '2026-12-07T11-assessment-rules': assessmentRules,
  '2026-12-07T12-meetings': meetings,
  '2026-12-07T13-principal-changes': principalChanges,
  '2026-12-07T14-item-acceptance-due': itemAcceptanceDue,
};

/** A Migrator over the explicit list (or, in tests, another); exported for tests that step down and up. */
export function createMigrator(
  db: Kysely<DB>,
  list: Readonly<Record<string, Migration>> = migrations,
): Migrator {
  const provider: MigrationProvider = { getMigrations: async () => ({ ...list }) };
  return new Migrator({ db, provider });
}

/**
 * Brings the database at `databaseUrl` up to the latest migration, printing each one applied.
 * Safe to run from several processes at once: kysely's Migrator holds a PostgreSQL advisory lock
 * (pg_advisory_lock) while it reads the applied list and runs what is pending, and each run is one
 * transaction, so a second process waits, then finds nothing to do.
 * Throws, naming the failing migration, if one fails (its transaction is rolled back).
 * `options.migrations` replaces the list, for tests only.
 */
export async function migrateToLatest(
  databaseUrl: string,
  options: { migrations?: Readonly<Record<string, Migration>> } = {},
): Promise<void> {
  // No statement timeout: waiting for another process's migration lock, or a long DDL, is expected here.
  const db = createDb(databaseUrl, {
    maxConnections: 2,
    statementTimeoutMs: 0,
    applicationName: 'greenlane-migrate',
  });
  try {
    const { error, results } = await createMigrator(db, options.migrations).migrateToLatest();
    if (error) {
      // The pending migrations run in one transaction, so a failure undoes the whole run.
      const failed = results?.find((r) => r.status === 'Error');
      const what = failed ? `migration "${failed.migrationName}" failed` : 'migrating failed';
      throw new Error(`${what} (nothing from this run was applied): ${messageOf(error)}`, { cause: error });
    }
    for (const r of results ?? []) console.log(`migration applied: ${r.migrationName}`);
  } finally {
    await db.destroy();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const runDirectly =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (runDirectly) {
  try {
    await migrateToLatest(loadConfig().databaseUrl);
    process.exit(0);
  } catch (err) {
    console.error(messageOf(err));
    process.exit(1);
  }
}
