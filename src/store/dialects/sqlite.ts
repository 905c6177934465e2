// SQLite through better-sqlite3: the file's settings (WAL, synchronous=FULL, busy timeout,
// foreign keys), write transactions that take the write lock when they begin (BEGIN IMMEDIATE:
// a deferred transaction that reads first and writes later fails at once with SQLITE_BUSY when
// another connection wrote meanwhile, instead of waiting), transactional migrations (SQLite DDL
// is transactional, so several processes opening one new file migrate it once), and the mapping
// of SQLite error codes.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
  type SqliteStatement,
} from 'kysely';
import type { DialectHandle, ErrorClass } from '../dialect.js';
import type { Database } from '../schema.js';

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface SqliteOptions {
  /** File path, or ':memory:' (tests only: nothing is durable). */
  path: string;
  /** How long a write waits for another connection's write lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number;
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class LedgerSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** Opens (creating when missing, with its parent directory) the SQLite file. */
export function openSqlite(options: SqliteOptions): DialectHandle {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new RangeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  const memory = options.path === ':memory:';
  const file = memory ? options.path : resolve(options.path);
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  const db = new Kysely<Database>({ dialect: new LedgerSqliteDialect({ database: cachingStatements(connect(file, busyTimeoutMs)) }) });
  let closed: Promise<void> | null = null;
  return {
    name: 'sqlite',
    db,
    classify: classifySqliteError,
    // One connection, one writer at a time, an fsync per commit: sharing commits is the way up.
    groupCommit: true,
    close: () => (closed ??= db.destroy()),
  };
}

function connect(file: string, busyTimeoutMs: number): BetterSqlite3.Database {
  const raw = new BetterSqlite3(file, { timeout: busyTimeoutMs });
  try {
    applyPragmas(raw, busyTimeoutMs);
    return raw;
  } catch (error) {
    raw.close();
    throw error;
  }
}

/** Statements kept prepared, by SQL text (kysely's SQLite driver prepares every query again). */
const STATEMENT_CACHE = 256;

/**
 * The connection as kysely's driver sees it, with its prepared statements reused: preparing costs
 * about as much as running one of the ledger's statements. Safe because the driver runs one query
 * at a time on its single connection and never streams (iterates) a cached statement.
 */
function cachingStatements(raw: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => {
      cache.clear();
      raw.close();
    },
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (stmt) {
        cache.delete(sqlText); // most recently used last
      } else {
        stmt = raw.prepare(sqlText);
        if (cache.size >= STATEMENT_CACHE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sqlText, stmt);
      return stmt as unknown as SqliteStatement;
    },
  };
}

/** The settings every connection to a ledger file uses (the benchmark's baseline uses them too). */
export function applyPragmas(raw: BetterSqlite3.Database, busyTimeoutMs: number): void {
  raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.pragma('foreign_keys = ON');
}

export function classifySqliteError(error: unknown): ErrorClass {
  if (error instanceof TypeError && /database connection is not open/i.test(error.message)) return 'unavailable';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') return 'unique';
  if (/^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|PROTOCOL|NOTADB|CORRUPT)/.test(code)) return 'unavailable';
  return null;
}
