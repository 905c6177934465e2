// Events (issue 15): the contract between the transactional outbox (the store side: events and
// their delivery rows written in the ledger transaction, claimed with leases) and the dispatcher
// (signing, the address guard, sending, retries). Both sides code against these types.

/** The event types the service emits. */
export type EventType = 'redemption.committed' | 'redemption.voided' | 'pos.reward.trigger' | 'pos.reward.reverse';

/** The body as sent: `{id, type, createdAt, store, rulesetVersion, data}` (schemas/event-*.schema.json). */
export interface EventBody<D = unknown> {
  id: string;
  type: EventType;
  /** ISO 8601 instant (UTC, milliseconds). */
  createdAt: string;
  store: string;
  rulesetVersion: string;
  data: D;
}

/** A webhook subscription as the store policy's `webhooks:` gives it (settings, defaults applied). */
export interface WebhookSubscription {
  url: string;
  events: EventType[];
  /** The environment variable holding the `whsec_` secret (never the secret itself). */
  secretEnv: string;
  /** A second secret that also signs during a key rotation. */
  secretEnvPrevious: string | null;
  /** How long a `pos.reward.*` delivery is worth trying (default 15). */
  expireMinutes: number;
}

/** An event to write with a ledger change, with one delivery per subscription that wants its type. */
export interface NewEvent {
  body: EventBody;
  /** The body exactly as stored and sent (JSON text). */
  bodyText: string;
  /** The transaction it is about: deliveries are ordered per (subscription, transaction). */
  transactionId: string;
  deliveries: NewDelivery[];
}

export interface NewDelivery {
  url: string;
  secretEnv: string;
  secretEnvPrevious: string | null;
  /** ISO instant after which the delivery ends `failed` (3 days; `expireMinutes` for pos.reward.*). */
  expiresAt: string;
}

/** A delivery claimed by a dispatcher: leased until `leaseUntil`, sent with no database lock held. */
export interface ClaimedDelivery {
  deliveryId: string;
  eventId: string;
  eventType: EventType;
  transactionId: string;
  url: string;
  secretEnv: string;
  secretEnvPrevious: string | null;
  bodyText: string;
  /** Attempts made before this one. */
  attempts: number;
  createdAt: string;
  expiresAt: string;
  leaseUntil: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One attempt's outcome, as the dispatcher records it. */
export interface AttemptRecord {
  /** ISO instant the attempt started. */
  at: string;
  /** HTTP status, or null when no response came (refused, timeout, blocked address). */
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** delivered: 2xx. retry: try again at nextAttemptAt. failed: 410, expired, or out of attempts. */
  outcome: 'delivered' | 'retry' | 'failed';
  nextAttemptAt: string | null;
  /**
   * The claim's leaseUntil (added with the outbox, optional). When given and the delivery was
   * claimed again since (the lease lapsed), the attempt is recorded but changes neither the state
   * nor the newer claim's lease, unless it delivered.
   */
  leaseUntil?: string;
}

/** The store side the dispatcher needs (implemented over kysely for SQLite and PostgreSQL). */
export interface OutboxStore {
  /**
   * Claims up to `limit` due deliveries (pending, next attempt at or before `now`, lease absent or
   * lapsed) whose earlier deliveries for the same (subscription url, transaction) are all delivered
   * or failed, setting lease_until = now + leaseMs. A short transaction of its own.
   */
  claimDeliveries(options: { now: string; leaseMs: number; limit: number }): Promise<ClaimedDelivery[]>;
  /** Records an attempt and the delivery's new state (clears the lease). */
  recordAttempt(deliveryId: string, attempt: AttemptRecord): Promise<void>;
}

// ---------------------------------------------------------------------------
// Added with the outbox (h/outbox, additive): the outbox's reads for the admin routes, the
// redemption record's `events`, and the store object that bundles them with OutboxStore.

/** An event as the redemption record lists it: its id, type and delivery status. */
export interface RedemptionEvent {
  id: string;
  type: EventType;
  /**
   * pending while any delivery is pending; else failed when any delivery failed; else delivered
   * (every subscription got it).
   */
  status: DeliveryStatus;
}

/** One row of GET /v1/events. */
export interface EventSummary extends RedemptionEvent {
  createdAt: string;
  transactionId: string;
  rulesetVersion: string;
  /** Deliveries by status (one per subscription that wanted the type when the event was written). */
  deliveryCounts: { pending: number; delivered: number; failed: number };
}

export interface AttemptDetail {
  /** 1, 2, ... over the delivery's whole life (a retry continues the numbering). */
  number: number;
  at: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  outcome: AttemptRecord['outcome'];
}

export interface DeliveryDetail {
  id: string;
  url: string;
  status: DeliveryStatus;
  /** Attempts since the delivery was (last) made pending: what the retry schedule counts. */
  attemptCount: number;
  nextAttemptAt: string | null;
  expiresAt: string;
  /** Set while a dispatcher holds the delivery (null otherwise, or when the lease lapsed). */
  leaseUntil: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  attempts: AttemptDetail[];
}

/** GET /v1/events/{id}: the event as sent, its deliveries and their attempts. */
export interface EventDetail extends EventSummary {
  store: string;
  body: EventBody;
  /** In subscription order. */
  deliveries: DeliveryDetail[];
}

export interface EventListQuery {
  store: string;
  status?: DeliveryStatus;
  type?: EventType;
  /** Newest first: the events strictly after this (createdAt, id) position. */
  after?: { createdAt: string; id: string };
  limit: number;
}

export interface EventPage {
  events: EventSummary[];
  /** The position after the last event of this page, or null when there are no more. */
  next: { createdAt: string; id: string } | null;
}

export type RetryOutcome =
  | { kind: 'not_found' }
  /** Nothing failed: the event is pending or delivered (nothing changed). */
  | { kind: 'not_failed'; event: EventDetail }
  | { kind: 'retried'; deliveries: number; event: EventDetail };

/** What /metrics reads from the outbox on scrape (all stores of the database). */
export interface OutboxStats {
  pendingByType: { type: EventType; count: number }[];
  /** created_at of the oldest pending delivery, or null when none is pending. */
  oldestPendingCreatedAt: string | null;
}

/** The store's outbox: the dispatcher's side (OutboxStore) and the admin routes' reads. */
export interface Outbox extends OutboxStore {
  listEvents(query: EventListQuery): Promise<EventPage>;
  getEvent(store: string, id: string): Promise<EventDetail | null>;
  /** Makes every failed delivery of the event pending again, due now, with a fresh expiry window. */
  retryEvent(store: string, id: string, now: string): Promise<RetryOutcome>;
  stats(): Promise<OutboxStats>;
}
