// PostgreSQL through a `pg` Pool: the connection settings (pool size, how long a statement waits
// for a lock or the pool for a connection, transactions that begin READ COMMITTED whatever the
// server's default), listeners that keep a dropped connection from crashing the process (the pool
// then replaces it: the service recovers when the database is back, without a restart), and the
// mapping of PostgreSQL error codes and driver errors.
//
// Why READ COMMITTED: every limit is taken by one conditional statement
// (INSERT ... ON CONFLICT DO UPDATE ... WHERE used < limit). Under READ COMMITTED PostgreSQL
// waits for a concurrent writer of that row and then evaluates the WHERE against the row as that
// writer committed it, so two instances can never both take the last use; the store re-prices
// when the statement took nothing. A second redeem of one transaction id waits on the primary key
// until the first commits or rolls back, then fails with a unique violation and replays. Stricter
// levels add nothing to these guarantees and turn ordinary contention into serialization failures
// (REPEATABLE READ fails an ON CONFLICT update of a row changed since the snapshot).

import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, PostgresDriver, type DatabaseConnection, type Driver, type PostgresDialectConfig } from 'kysely';
import type { DialectHandle, ErrorClass } from '../dialect.js';
import type { Database } from '../schema.js';

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_PG_TIMEOUT_MS = 5000;
/** A statement never runs longer than this (a runaway query must not hold a pooled connection). */
const STATEMENT_TIMEOUT_MS = 30_000;
/** A session idle inside a transaction this long (a stalled instance) is ended, releasing its locks. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database?...` (libpq URL; `sslmode` and the like are understood by pg). */
  url: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /**
   * How long a statement waits for a row lock (lock_timeout) and a request for a pooled
   * connection, before StoreUnavailableError (default 5000 ms).
   */
  busyTimeoutMs?: number;
  /** Called with errors of idle or dropped connections (the pool discards them); default: ignored. */
  onConnectionError?: (error: Error) => void;
}

class ReadCommittedPostgresDriver extends PostgresDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('start transaction isolation level read committed read write'));
  }
}

class LedgerPostgresDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;
  constructor(config: PostgresDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ReadCommittedPostgresDriver(this.#config);
  }
}

/** Creates the pool (connections are made on first use) and the Kysely instance over it. */
export function openPostgres(options: PostgresOptions): DialectHandle {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new RangeError(`poolSize must be a positive integer, got ${poolSize}`);
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_PG_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new RangeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  const onError = options.onConnectionError ?? (() => undefined);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: poolSize,
    // 0 would mean "wait forever" to pg: a request waits at least 1 ms.
    connectionTimeoutMillis: Math.max(1, busyTimeoutMs),
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    lock_timeout: Math.max(1, busyTimeoutMs), // 0 would mean "wait forever" to PostgreSQL too
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    application_name: 'discounts',
  });
  // An idle connection the server closed (restart, failover) is reported on the pool; one in use
  // on the client itself. Without listeners Node treats either as an uncaught error and exits.
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', onError));
  const db = new Kysely<Database>({ dialect: new LedgerPostgresDialect({ pool }) });
  let closed: Promise<void> | null = null;
  return {
    name: 'postgres',
    db,
    classify: classifyPostgresError,
    // A pool commits in parallel; sharing one commit would only serialise the redemptions.
    groupCommit: false,
    // Two dispatchers claiming at once take different deliveries instead of waiting for each other.
    skipLocked: true,
    close: () => (closed ??= db.destroy()),
  };
}

/** SQLSTATE classes and codes that mean the database cannot serve now (not a bug of ours). */
const UNAVAILABLE_SQLSTATE = [
  /^08/, // connection exception
  /^53/, // insufficient resources (too many connections, disk full, out of memory)
  /^57P0[1-5]$/, // admin/crash shutdown, cannot connect now, database dropped, idle session timeout
  /^55P03$/, // lock_not_available: waited past lock_timeout
  /^57014$/, // query_canceled: statement_timeout
  /^25P03$/, // idle_in_transaction_session_timeout
  /^25006$/, // read_only_sql_transaction: connected to a standby (during a failover)
  /^58/, // system error (I/O)
  /^28/, // invalid authorization (password changed, role dropped)
  /^3D000$/, // the database does not exist (dropped or not yet created)
];
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|has already been destroyed|connection has been discarded|Cannot use a pool after calling end|Client was closed/i;

export function classifyPostgresError(error: unknown): ErrorClass {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code === '23505') return 'unique';
    if (code === '40001' || code === '40P01') return 'retry';
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_SQLSTATE.some((re) => re.test(code))) return 'unavailable';
    if (UNAVAILABLE_ERRNO.has(code)) return 'unavailable';
  }
  // A refused connection to "localhost" tries ::1 and 127.0.0.1: Node reports an AggregateError.
  if (error instanceof AggregateError && error.errors.some((e) => classifyPostgresError(e) === 'unavailable')) return 'unavailable';
  if (error instanceof Error && UNAVAILABLE_MESSAGE.test(error.message)) return 'unavailable';
  return null;
}

/** The URL without its password (for logs and messages). */
export function redactPostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (/pass/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}
