import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createDb } from '../../db/connect';
import { createMigrator, migrateToLatest, migrations } from '../../db/migrate';
import { type DB, jsonb } from '../../db/schema';

// The global setup has already migrated this database.
const databaseUrl = inject('databaseUrl');

const expectedPrimaryKeys: Record<keyof DB, string[]> = {
  departments: ['code'],
  calendar_years: ['year'],
  rule_editions: ['id'],
  projects: ['code'],
  project_items: ['project_code', 'item_code'],
  problems: ['project_code', 'problem_id'],
  escalations: ['id'],
  department_scores: ['department', 'project_code'],
  people: ['id'],
  api_keys: ['id'],
  audit_log: ['id'],
  idempotency_keys: ['key_id', 'idempotency_key'],
  department_contacts: ['department', 'duty', 'person_id'],
  notification_routes: ['owner_kind', 'owner_id', 'channel', 'target'],
  notifications: ['id'],
  notification_requests: ['id'],
  digests: ['id'],
  service_log: ['id'],
  return_visits: ['id'],
  web_sessions: ['id'],
  leader_links: ['id'],
  meetings: ['id'],
  meeting_decisions: ['meeting_id', 'no'],
  urgings: ['id'],
  oidc_identities: ['issuer', 'subject'],
  oidc_logins: ['id'],
  assessment_rules: ['version'],
};
const tables = Object.keys(expectedPrimaryKeys);

async function primaryKeys(db: Kysely<DB>): Promise<Record<string, string[]>> {
  const { rows } = await sql<{ table_name: string; columns: string[] }>`
    select c.relname as table_name,
           array_agg(a.attname::text order by array_position(i.indkey::int2[], a.attnum)) as columns
    from pg_index i
    join pg_class c on c.oid = i.indrelid
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
    join pg_attribute a on a.attrelid = c.oid and a.attnum = any(i.indkey)
    where i.indisprimary
    group by c.relname`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.table_name, r.columns]));
}

async function existingTables(db: Kysely<DB>): Promise<string[]> {
  const all = await db.introspection.getTables();
  return all.map((t) => t.name).filter((name) => tables.includes(name));
}

async function appliedMigrations(db: Kysely<DB>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}

/** A database URL naming another database on the same cluster. */
function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

describe('migrations', () => {
  let db: Kysely<DB>;
  beforeAll(() => {
    db = createDb(databaseUrl);
  });
  afterAll(async () => {
    await db?.destroy();
  });

  it('creates every table with its primary key', async () => {
    expect((await existingTables(db)).sort()).toEqual([...tables].sort());
    const keys = await primaryKeys(db);
    for (const [table, columns] of Object.entries(expectedPrimaryKeys)) {
      expect(keys[table], table).toEqual(columns);
    }
  });

  it('migrating again is a no-op', async () => {
    const before = await appliedMigrations(db);
    expect(before.length).toBeGreaterThan(0);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await migrateToLatest(databaseUrl);
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
    expect(await appliedMigrations(db)).toEqual(before);
  });

  it('reads dates as YYYY-MM-DD, bigint as number, and round-trips jsonb arrays', async () => {
    const code = `MIG-${randomBytes(4).toString('hex')}`;
    await db
      .insertInto('projects')
      .values({
        code,
        name: 'test',
        category: 'government',
        template_id: 't',
        secretary: 's',
        leader: 'l',
        target_start: '2026-12-31',
        stage: 1,
        status: 'active',
        revision: 2 ** 40,
        snapshot: jsonb({ any: 'thing' }),
      })
      .execute();
    await db
      .insertInto('escalations')
      .values({
        id: `${code}:item:A:reminder`,
        project_code: code,
        subject_kind: 'item',
        subject_id: 'A',
        rung: 'reminder',
        recipients: jsonb(['secretary', 'handler']),
        title: 't',
        body: 'b',
        fired_at: new Date('2026-11-23T01:00:00Z'),
      })
      .execute();
    const project = await db
      .selectFrom('projects')
      .selectAll()
      .where('code', '=', code)
      .executeTakeFirstOrThrow();
    expect(project.target_start).toBe('2026-12-31');
    expect(project.revision).toBe(2 ** 40);
    expect(project.snapshot).toEqual({ any: 'thing' });
    expect(project.created_at).toBeInstanceOf(Date);
    const escalation = await db
      .selectFrom('escalations')
      .selectAll()
      .where('project_code', '=', code)
      .executeTakeFirstOrThrow();
    expect(escalation.recipients).toEqual(['secretary', 'handler']);
    expect(escalation.fired_at.toISOString()).toBe('2026-11-23T01:00:00.000Z');
    // Deleting the project takes its read-model rows with it.
    await db.deleteFrom('projects').where('code', '=', code).execute();
    expect(
      await db.selectFrom('escalations').where('project_code', '=', code).select('id').execute(),
    ).toEqual([]);
  });

  it('refuses an unknown escalation rung', async () => {
    const code = `MIG-${randomBytes(4).toString('hex')}`;
    await expect(
      sql`insert into escalations (id, project_code, subject_kind, subject_id, rung, recipients, title, body, fired_at)
          values (${code}, ${code}, 'item', 'A', 'purple', '[]', 't', 'b', now())`.execute(db),
    ).rejects.toThrow(/check constraint|foreign key/);
  });

  describe('on a fresh database', () => {
    const name = `greenlane_migrations_${randomBytes(4).toString('hex')}`;
    const freshUrl = withDatabase(databaseUrl, name);
    let fresh: Kysely<DB> | undefined;

    beforeAll(async () => {
      await sql`create database ${sql.id(name)}`.execute(db);
    });
    afterAll(async () => {
      await fresh?.destroy();
      // pg's pool.end() resolves before its backends have gone; wait for them, so `with (force)` has
      // nothing to kill (killing an idle client makes its pool log a warning).
      for (let i = 0; i < 50; i++) {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity where datname = ${name}`.execute(db);
        if (rows[0]?.n === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await sql`drop database if exists ${sql.id(name)} with (force)`.execute(db);
    });

    it('two concurrent runs apply each migration once', async () => {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await Promise.all([migrateToLatest(freshUrl), migrateToLatest(freshUrl), migrateToLatest(freshUrl)]);
        const applied = log.mock.calls
          .map((args) => String(args[0]))
          .filter((l) => l.startsWith('migration applied'));
        fresh = createDb(freshUrl);
        const names = await appliedMigrations(fresh);
        // Each migration was applied, and announced, by exactly one of the runs.
        expect(applied).toEqual(names.map((n) => `migration applied: ${n}`));
      } finally {
        log.mockRestore();
      }
      expect((await existingTables(fresh)).sort()).toEqual([...tables].sort());
    });

    it('down then up restores every table', async () => {
      fresh ??= createDb(freshUrl);
      const migrator = createMigrator(fresh);
      const names = await appliedMigrations(fresh);
      for (const _ of names) {
        const { error } = await migrator.migrateDown();
        expect(error).toBeUndefined();
      }
      expect(await existingTables(fresh)).toEqual([]);
      expect(await appliedMigrations(fresh)).toEqual([]);

      const { error } = await migrator.migrateToLatest();
      expect(error).toBeUndefined();
      expect(await appliedMigrations(fresh)).toEqual(names);
      expect(await primaryKeys(fresh)).toMatchObject(expectedPrimaryKeys);
    });

    it('a failing migration throws with its name and leaves nothing behind', async () => {
      fresh ??= createDb(freshUrl);
      const broken = '2099-01-01T01-broken';
      const list = {
        ...migrations,
        [broken]: {
          up: async (k: Kysely<unknown>) => {
            await k.schema.createTable('half_done').addColumn('x', 'integer').execute();
            await sql`select * from no_such_table`.execute(k);
          },
        },
      };
      await expect(migrateToLatest(freshUrl, { migrations: list })).rejects.toThrow(broken);
      expect(await appliedMigrations(fresh)).not.toContain(broken);
      expect((await fresh.introspection.getTables()).map((t) => t.name)).not.toContain('half_done');
    });
  });
});
