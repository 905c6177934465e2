// The ledger's tables as kysely sees them. Every row carries its store id. Money is integer minor
// units; instants are ISO 8601 UTC text and dates are YYYY-MM-DD text (the same in every dialect);
// flags are integers 0/1 (SQLite has no boolean). Counts and money may come back from a driver as
// strings (PostgreSQL bigint): readers convert with Number().

import type { ColumnType } from 'kysely';

/** A bigint column: written as a number, read as whatever the driver returns. */
type Int = ColumnType<number | string, number, number>;
/** A bigint column with a default (0): may be left out of an insert. */
type IntDefault = ColumnType<number | string, number | undefined, number>;

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
  /** Minor units this redemption added to the discount's `given` (its applied amount; 0 without a budget), given back by a void. */
  took_budget: IntDefault;
  /** The funding vendor of this discount (`applied[].funding.vendor`), null when unfunded (0002_reports). */
  funding_vendor: string | null;
  /** The vendor's share of `amount` to bill back, minor units (0 when unfunded). */
  funding_amount: ColumnType<number | string, number | undefined, number>;
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
  /** Minor units given so far by a discount with a budget (0 otherwise). */
  given: IntDefault;
}

export interface CustomerUsageTable {
  store: string;
  customer_id: string;
  discount_id: string;
  used: Int;
}

/** An event of the transactional outbox (migration 0006_outbox), written with its ledger change. */
export interface EventsTable {
  id: string;
  store: string;
  transaction_id: string;
  /** Order of the event within its transaction (commit events first, then the void's). */
  seq: number;
  type: string;
  created_at: string;
  ruleset_version: string;
  /** The body exactly as sent (JSON text). */
  body: string;
  /** Summary of its deliveries: pending while any is pending, else failed when any failed, else delivered. */
  status: 'pending' | 'delivered' | 'failed';
}

/** One subscription's delivery of an event. */
export interface DeliveriesTable {
  id: string;
  event_id: string;
  /** Copied from the event: the order key (store, transaction_id, url, seq) and the metrics label. */
  store: string;
  transaction_id: string;
  seq: number;
  event_type: string;
  url: string;
  secret_env: string;
  secret_env_previous: string | null;
  status: 'pending' | 'delivered' | 'failed';
  /** Attempts since the delivery was last made pending (the retry schedule counts these). */
  attempts: number;
  created_at: string;
  expires_at: string;
  next_attempt_at: string;
  lease_until: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
}

/** One attempt of a delivery, as the dispatcher recorded it. */
export interface AttemptsTable {
  delivery_id: string;
  /** 1, 2, ... over the delivery's life. */
  number: number;
  at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  outcome: 'delivered' | 'retry' | 'failed';
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
  events: EventsTable;
  deliveries: DeliveriesTable;
  attempts: AttemptsTable;
  code_attempts: CodeAttemptsTable;
  service_leases: ServiceLeasesTable;
}

export const TABLES = ['redemptions', 'redemption_discounts', 'redemption_allocations', 'usage', 'customer_usage', 'events', 'deliveries', 'attempts'] as const;

/** Tables outside the ledger: telemetry and coordination (evaluate may write these, never the ledger's). */
export const OPERATIONAL_TABLES = ['code_attempts', 'service_leases'] as const;
