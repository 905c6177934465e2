// What the dialect-neutral store needs from a dialect module (src/store/dialects/<name>.ts): a
// Kysely instance whose transactions are write transactions (SQLite: BEGIN IMMEDIATE), and a
// classification of the driver's errors. Everything else is the same SQL for every dialect.

import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * - `unique`: a unique or primary key violation (a concurrent redeem of the same transaction id).
 * - `retry`: a transaction the database aborted and that may succeed when run again (PostgreSQL
 *   serialization failure or deadlock).
 * - `unavailable`: the database cannot be reached, or is busy past its timeout.
 * - null: anything else (a bug: rethrown as is).
 */
export type ErrorClass = 'unique' | 'retry' | 'unavailable' | null;

export interface DialectHandle {
  readonly name: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  classify(error: unknown): ErrorClass;
  /** Whether redemptions share commits by default (see KyselyStoreOptions.groupCommit). */
  readonly groupCommit: boolean;
  /** Whether the outbox's claim may select with FOR UPDATE SKIP LOCKED (PostgreSQL). */
  readonly skipLocked?: boolean;
  /** Closes the connections; idempotent. */
  close(): Promise<void>;
}
