import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './schema';

/** Pool and timeout settings; the defaults suit one API or worker process against one PostgreSQL. */
export interface DbOptions {
  /** Connections in the pool. Each process holds at most this many; PostgreSQL's default limit is 100. */
  maxConnections?: number;
  /** Give up on getting a connection after this long, so an outage surfaces as an error, not a hang. */
  connectTimeoutMs?: number;
  /** Server-side cap on any one statement; 0 for none (migrations). */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
}

const INT8_OID = 20;
const DATE_OID = 1082;

/**
 * Type parsers for this pool only (no global pg.types mutation):
 * - bigint → number, refusing values beyond 2^53 rather than silently rounding them;
 * - date → the 'YYYY-MM-DD' text as is, because pg's default turns it into local midnight.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8_OID && format !== 'binary') {
      return (value: string) => {
        const n = Number(value);
        if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} does not fit a JS number`);
        return n;
      };
    }
    if (oid === DATE_OID && format !== 'binary') return (value: string) => value;
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * A kysely instance over a pg Pool. The caller owns it and must `await db.destroy()` on shutdown.
 * Connections are opened lazily, so this never fails for an unreachable server; the first query does.
 */
export function createDb(databaseUrl: string, options: DbOptions = {}): Kysely<DB> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    // A transaction left open by a crashed handler must not hold locks forever.
    idle_in_transaction_session_timeout: 60_000,
    application_name: options.applicationName ?? 'greenlane',
    types,
  });
  // An idle client losing its server (restart, network) emits 'error' on the pool; unhandled, it would
  // crash the process. The pool drops that client and the next query reconnects or fails with 503.
  pool.on('error', (err) => {
    console.warn(`postgres: idle connection lost: ${err.message}`);
  });
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
