// openStore: the one entry point that turns a database location into a migrated LedgerStore.
// A path (or a `sqlite:` / `file:` URL) opens SQLite; `postgres://` URLs are the later
// PostgreSQL issue and are refused with a clear message until then.

import { fileURLToPath } from 'node:url';
import { openSqlite, DEFAULT_BUSY_TIMEOUT_MS } from './dialects/sqlite.js';
import { classifySqliteError } from './dialects/sqlite.js';
import { KyselyLedgerStore } from './kysely-store.js';
import { StoreUnavailableError, type LedgerStore } from './types.js';

export { DEFAULT_BUSY_TIMEOUT_MS };

export interface OpenStoreOptions {
  /** A file path, `:memory:`, `sqlite:PATH`, `file:` URL, or (later) `postgres://...`. */
  url?: string;
  /** A file path (the same as `url` without a scheme). */
  path?: string;
  /** How long a write waits for the database's write lock before StoreUnavailableError (default 5000 ms). */
  busyTimeoutMs?: number;
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
  if (location.dialect === 'postgres') throw new Error('openStore: PostgreSQL is not supported yet (issue 10); use a SQLite file path');
  let store: KyselyLedgerStore;
  try {
    store = new KyselyLedgerStore(openSqlite({ path: location.path, busyTimeoutMs: options.busyTimeoutMs }), { groupCommit: options.groupCommit });
  } catch (error) {
    if (classifySqliteError(error) === 'unavailable')
      throw new StoreUnavailableError(`cannot open ${location.path}: ${(error as Error).message}`, { cause: error });
    throw error;
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
