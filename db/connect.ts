import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { principalWrites } from './principal-writes';
import type { DB } from './schema';

/** What every repository function takes first: the pool, or a transaction the caller holds. */
export type Db = Kysely<DB> | Transaction<DB>;

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
  // A connection can be lost at any moment (PostgreSQL restarting, the network). pg reports it as an
  // 'error' event on the client, and an 'error' event nobody listens to crashes the process. The pool
  // listens only while a client is idle in it; a checked-out client (a transaction between two
  // statements) has no listener but ours. With it, the statement in flight or the next one fails, the
  // caller sees that (a 503, an activity retry), and the pool drops the client when it comes back.
  // pg reports one loss twice (the server's FATAL, then the socket's end): logged once, heard always.
  pool.on('connect', (client) => {
    let reported = false;
    client.on('error', (err) => {
      if (!reported) console.warn(`postgres: connection lost: ${err.message}`);
      reported = true;
    });
  });
  // The pool re-emits an idle client's error; the listener above has logged it already.
  pool.on('error', () => {});
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }), plugins: [principalWrites()] });
}
