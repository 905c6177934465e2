// The ledger's tables as kysely sees them. Every row carries its store id. Money is integer minor
// units; instants are ISO 8601 UTC text and dates are YYYY-MM-DD text (the same in every dialect);
// flags are integers 0/1 (SQLite has no boolean). Counts and money may come back from a driver as
// strings (PostgreSQL bigint): readers convert with Number().

import type { ColumnType } from 'kysely';

/** A bigint column: written as a number, read as whatever the driver returns. */
type Int = ColumnType<number | string, number, number>;

export interface RedemptionsTable {
  store: string;
  transaction_id: string;
  ruleset_version: string;
  /** Canonical JSON of the request as received: the idempotency comparison. */
  request_json: string;
  /** The evaluate response as committed (JSON). */
  response_json: string;
  /** The instant priced (ISO 8601, UTC). */
  at_instant: string;
  /** at_instant's date in the store's timezone. */
  local_date: string;
  customer_id: string | null;
  subtotal: Int;
  discount_total: Int;
  total: Int;
  status: 'committed' | 'voided';
  committed_at: string;
  voided_at: string | null;
  void_reason: string | null;
  void_date: string | null;
}

export interface RedemptionDiscountsTable {
  store: string;
  transaction_id: string;
  discount_id: string;
  /** Position in the response's `applied`. */
  position: number;
  code: string | null;
  type: string;
  amount: Int;
  /** 1 when this redemption took one use of the discount's usage limit (released by a void). */
  took_usage: number;
  /** 1 when it took one use of the customer's per-customer limit (released by a void). */
  took_customer_usage: number;
}

export interface RedemptionAllocationsTable {
  store: string;
  transaction_id: string;
  discount_id: string;
  line_id: string;
  amount: Int;
}

export interface UsageTable {
  store: string;
  discount_id: string;
  used: Int;
}

export interface CustomerUsageTable {
  store: string;
  customer_id: string;
  discount_id: string;
  used: Int;
}

/** Code-guessing telemetry (migration 0003_abuse): not part of the ledger. */
export interface CodeAttemptsTable {
  store: string;
  /** An id derived from the API key (never the key). */
  key_id: string;
  /** 'terminal' | 'customer' | 'none' (the key alone) | 'key' (the key's total whatever the terminal). */
  subject_kind: 'terminal' | 'customer' | 'none' | 'key';
  /** The terminal or customer id; '' for 'none' and 'key'. */
  subject: string;
  /** ISO 8601 instant (UTC) the fixed window starts at. */
  window_start: string;
  attempts: Int;
  first_at: string;
  last_at: string;
}

/** The daily cleanup's lease (migration 0004_cleanup): one row per job name. */
export interface ServiceLeasesTable {
  name: string;
  /** The store-local date (YYYY-MM-DD) the lease was last taken for ('' never). */
  run_date: string;
  /** Who took it (host and process), and when (ISO 8601). */
  holder: string;
  taken_at: string;
}

export interface Database {
  redemptions: RedemptionsTable;
  redemption_discounts: RedemptionDiscountsTable;
  redemption_allocations: RedemptionAllocationsTable;
  usage: UsageTable;
  customer_usage: CustomerUsageTable;
  code_attempts: CodeAttemptsTable;
  service_leases: ServiceLeasesTable;
}

export const TABLES = ['redemptions', 'redemption_discounts', 'redemption_allocations', 'usage', 'customer_usage'] as const;

/** Tables outside the ledger: telemetry and coordination (evaluate may write these, never the ledger's). */
export const OPERATIONAL_TABLES = ['code_attempts', 'service_leases'] as const;
