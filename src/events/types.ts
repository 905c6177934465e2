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
