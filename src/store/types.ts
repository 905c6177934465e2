// The ledger's contract: what the HTTP layer (and later reports and replay) asks of the store.
// One interface, implemented once over kysely for every dialect (SQLite now, PostgreSQL later):
// only the connection set-up and a few dialect details live in src/store/dialects/<name>.ts.
//
// Rules every implementation keeps:
// - Reading usage never writes anything.
// - redeem() is one database transaction: idempotency check, usage taken with conditional
//   updates (`used < limit`, per customer likewise, `given + amount <= budget` for a budget;
//   never read-modify-write in JS), the
//   redemption, its applied discounts and their per-line allocations. A refused redemption
//   (conflict, price changed) writes nothing, not even its transaction id.
// - A database that cannot be reached, or is busy past its timeout, is a StoreUnavailableError;
//   nothing half-written is left behind.
// - Every row carries its store id: usage is keyed by (store, discount), transaction ids are
//   unique per store.

import type { EvaluateResponse, Usage } from '../domain/types.js';
import type { NewEvent, Outbox, RedemptionEvent } from '../events/types.js';
import type { AbuseStore } from './abuse.js';
import type { CleanupStore } from './cleanup.js';
import type { StoredRedemption } from '../reports/replay.js';
import type { DiscountReportAggregates, ReportPeriod } from './reports.js';

/** The stored redemption as the API returns it (schemas/redemption-record.schema.json). */
export interface RedemptionRecord extends EvaluateResponse {
  transactionId: string;
  status: 'committed' | 'voided';
  /** ISO 8601 instant (UTC, milliseconds) of the commit. */
  committedAt: string;
  voidedAt?: string;
  voidReason?: string | null;
  /** The void's date in the store's timezone (YYYY-MM-DD). */
  voidDate?: string;
  /** The webhook events of this transaction (issue 15), in delivery order, with their delivery status. */
  events: RedemptionEvent[];
}

/**
 * Builds the events of a ledger change inside its transaction (src/events/build.ts), given the
 * record as it is committed (its `events` not yet set) and its customer.
 */
export type EventsBuilder = (change: { record: RedemptionRecord; customerId: string | null }) => NewEvent[];

export interface DiscountLimit {
  discountId: string;
  usageLimit: number | null;
  perCustomerLimit: number | null;
  /** The discount's budget (minor units); absent or null without one. Its `given` is read and taken in the transaction. */
  budget?: number | null;
}

export interface RedeemInput {
  store: string;
  transactionId: string;
  /** Canonical JSON (sorted keys) of the request body as received: the idempotency comparison. */
  requestCanonical: string;
  /** The instant priced (ISO 8601, UTC) and its date in the store's timezone (YYYY-MM-DD). */
  at: string;
  localDate: string;
  rulesetVersion: string;
  customerId: string | null;
  /** The ruleset's discounts that have a usage or per-customer limit or a budget (their usage is read in the transaction). */
  limits: readonly DiscountLimit[];
  /**
   * Prices the cart with the given usage counts (pure, synchronous: the engine's evaluate). Called
   * inside the transaction with the counts read there, again after a conditional update found a
   * limit used up meanwhile (bounded retries).
   */
  price: (usage: Usage) => EvaluateResponse;
  /** When given, the final total must equal it, else price_changed (nothing written). */
  expectedTotal?: number;
  /** Commit instant (ISO 8601, UTC): the caller's clock. */
  now: string;
  /** The events to write with the redemption (same transaction); none when absent. Not called for a replay. */
  events?: EventsBuilder;
}

export type RedeemOutcome =
  /** Newly committed (HTTP 201). */
  | { kind: 'committed'; record: RedemptionRecord }
  /** The same transaction id with the same canonical request was already stored (HTTP 200, Idempotent-Replay). */
  | { kind: 'replay'; record: RedemptionRecord }
  /** The same transaction id with a different request (HTTP 409 idempotency_conflict). */
  | { kind: 'conflict' }
  /** expectedTotal no longer matches; `evaluation` is the new pricing (HTTP 409 price_changed). */
  | { kind: 'price_changed'; evaluation: EvaluateResponse };

export interface VoidInput {
  store: string;
  transactionId: string;
  reason: string | null;
  /** ISO 8601 instant (UTC) and its store-local date. */
  now: string;
  localDate: string;
  /** The events to write with the void (same transaction); called only by the void that changes the record. */
  events?: EventsBuilder;
}

export interface UsageRow {
  discountId: string;
  used: number;
}

export interface LedgerStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs kysely's Migrator to the latest migration. */
  migrate(): Promise<void>;
  /**
   * Usage of these discounts in this store, with the customer's own counts when customerId is given,
   * and `given` for those of them listed in budgetIds (discounts with a budget).
   */
  readUsage(store: string, discountIds: readonly string[], customerId: string | null, budgetIds?: readonly string[]): Promise<Usage>;
  /** Total uses per discount of a store (for GET /v1/discounts `remaining`). */
  usageTotals(store: string): Promise<UsageRow[]>;
  redeem(input: RedeemInput): Promise<RedeemOutcome>;
  /** The stored transaction's canonical request, when there is one (replay before the clock-skew check). */
  findRequest(store: string, transactionId: string): Promise<{ requestCanonical: string; record: RedemptionRecord } | null>;
  /** Voids once (releasing the usage it took); a second void returns the same record. null when unknown. */
  voidRedemption(input: VoidInput): Promise<RedemptionRecord | null>;
  getRedemption(store: string, transactionId: string): Promise<RedemptionRecord | null>;
  /** The transactional outbox: the dispatcher's claims and attempts, the admin routes' reads. */
  readonly outbox: Outbox;
  /** Abuse telemetry (code attempts) and the ledger reads behind the abuse signals (src/store/abuse.ts). */
  abuse(): AbuseStore;
  /** The cleanup's usage reads and daily lease (src/store/cleanup.ts). */
  cleanup(): CleanupStore;
  /**
   * What-if replay (src/store/replay.ts; reads only): the committed, not voided redemptions whose
   * store-local date is in [from, to), in commit order, a page at a time.
   */
  replayPages(store: string, from: string, to: string, pageSize?: number): AsyncIterable<StoredRedemption[]>;
  /** What-if replay: uses (total, per customer) and amount given of these discounts by redemptions before `from`, not voided. */
  replayStartUsage(store: string, from: string, discountIds: readonly string[]): Promise<Usage>;
  /** The discount report's counts and sums for one store over [from, to) of store-local dates, in one snapshot (src/store/reports.ts). */
  discountReport(store: string, period: ReportPeriod): Promise<DiscountReportAggregates>;
  /** Resolves when the database answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The database is unreachable or busy past its timeout (HTTP 503 unavailable). */
export class StoreUnavailableError extends Error {
  readonly code = 'unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
