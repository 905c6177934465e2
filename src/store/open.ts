// openStore: the one entry point that turns a database location into a migrated LedgerStore.
// A path (or a `sqlite:` / `file:` URL) opens SQLite; a `postgres://` (or `postgresql://`) URL
// opens PostgreSQL through a pool. resolveStoreSetting picks the location from `--db`,
// DISCOUNTS_DB and DATABASE_URL (in that order) and the pool size from DISCOUNTS_DB_POOL.

import { fileURLToPath } from 'node:url';
import { openSqlite, DEFAULT_BUSY_TIMEOUT_MS } from './dialects/sqlite.js';
import { classifySqliteError } from './dialects/sqlite.js';
import { DEFAULT_POOL_SIZE, openPostgres, redactPostgresUrl } from './dialects/postgres.js';
import { KyselyLedgerStore } from './kysely-store.js';
import { StoreUnavailableError, type LedgerStore } from './types.js';

export { DEFAULT_BUSY_TIMEOUT_MS };

export interface OpenStoreOptions {
  /** A file path, `:memory:`, `sqlite:PATH`, `file:` URL, or `postgres://...`. */
  url?: string;
  /** A file path (the same as `url` without a scheme). */
  path?: string;
  /** How long a write waits for the database's write lock before StoreUnavailableError (default 5000 ms). */
  busyTimeoutMs?: number;
  /** PostgreSQL: connections in the pool (default 10, DISCOUNTS_DB_POOL through resolveStoreSetting). */
  poolSize?: number;
  /** Let redemptions share one commit (default: on for SQLite). See KyselyStoreOptions. */
  groupCommit?: boolean;
  /** Run the migrations when opening (default true). */
  migrate?: boolean;
}

export type StoreLocation = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

/** Where a `--db` value points. */
export function parseStoreLocation(value: string): StoreLocation {
  if (/^postgres(ql)?:\/\//i.test(value)) return { dialect: 'postgres', url: value };
  if (/^file:/i.test(value)) return { dialect: 'sqlite', path: fileURLToPath(value) };
  if (/^sqlite:/i.test(value)) return { dialect: 'sqlite', path: value.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '') };
  return { dialect: 'sqlite', path: value };
}

/** Opens the database, runs the migrations, and returns the store. */
export async function openStore(options: OpenStoreOptions): Promise<LedgerStore> {
  const value = options.url ?? options.path;
  if (value === undefined || value === '') throw new TypeError('openStore: give url or path');
  const location = parseStoreLocation(value);
  let store: KyselyLedgerStore;
  const storeOptions = { groupCommit: options.groupCommit };
  if (location.dialect === 'postgres') {
    // Connections are made on first use: an unreachable server shows in the migration below.
    store = new KyselyLedgerStore(openPostgres({ url: location.url, poolSize: options.poolSize, busyTimeoutMs: options.busyTimeoutMs }), storeOptions);
  } else {
    try {
      store = new KyselyLedgerStore(openSqlite({ path: location.path, busyTimeoutMs: options.busyTimeoutMs }), storeOptions);
    } catch (error) {
      if (classifySqliteError(error) === 'unavailable')
        throw new StoreUnavailableError(`cannot open ${location.path}: ${(error as Error).message}`, { cause: error });
      throw error;
    }
  }
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

/** A bad DISCOUNTS_DB_POOL (or similar) value: the caller reports it as a usage error. */
export class StoreConfigError extends Error {}

export interface StoreSetting {
  /** The `--db` value as given (a path or a URL), or null when nothing names a database. */
  value: string | null;
  /** Where it came from, for messages. */
  source: '--db' | 'DISCOUNTS_DB' | 'DATABASE_URL' | null;
  poolSize: number;
  /** DISCOUNTS_DB_BUSY_TIMEOUT_MS (default 5000): see OpenStoreOptions.busyTimeoutMs. */
  busyTimeoutMs: number;
}

/**
 * `--db`, else DISCOUNTS_DB, else DATABASE_URL (empty values count as unset); DISCOUNTS_DB_POOL
 * (default 10) and DISCOUNTS_DB_BUSY_TIMEOUT_MS (default 5000).
 */
export function resolveStoreSetting(flag: string | undefined, env: Record<string, string | undefined>): StoreSetting {
  const set = (v: string | undefined): v is string => v !== undefined && v !== '';
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const text = env[name];
    if (!set(text)) return fallback;
    if (!/^\d{1,7}$/.test(text) || Number(text) < min || Number(text) > max) throw new StoreConfigError(`${name} must be an integer from ${min} to ${max}, not '${text}'`);
    return Number(text);
  };
  const poolSize = int('DISCOUNTS_DB_POOL', DEFAULT_POOL_SIZE, 1, 9999);
  const busyTimeoutMs = int('DISCOUNTS_DB_BUSY_TIMEOUT_MS', DEFAULT_BUSY_TIMEOUT_MS, 1, 600_000);
  const found = (value: string | null, source: StoreSetting['source']): StoreSetting => ({ value, source, poolSize, busyTimeoutMs });
  if (set(flag)) return found(flag, '--db');
  if (set(env.DISCOUNTS_DB)) return found(env.DISCOUNTS_DB, 'DISCOUNTS_DB');
  if (set(env.DATABASE_URL)) return found(env.DATABASE_URL, 'DATABASE_URL');
  return found(null, null);
}

/** The location for logs and messages: a PostgreSQL URL without its password, a path as is. */
export function describeStoreLocation(value: string): string {
  const location = parseStoreLocation(value);
  return location.dialect === 'postgres' ? redactPostgresUrl(location.url) : location.path;
}
