// An in-memory OutboxStore that follows the contract of src/events/types.ts (the store contract
// suite checks the real one against the same rules): due pending deliveries whose lease is absent
// or lapsed, only when every earlier delivery of the same (url, transaction) is delivered or
// failed, ordered by next attempt then id; recordAttempt clears the lease, and an attempt under a
// lease that was since replaced changes nothing unless it delivered.

import type { AttemptRecord, ClaimedDelivery, DeliveryStatus, EventType, OutboxStore } from '../../src/events/types.js';

export interface FakeDelivery {
  id: string;
  eventId: string;
  eventType: EventType;
  transactionId: string;
  url: string;
  seq: number;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  leaseUntil: string | null;
  createdAt: string;
  expiresAt: string;
  bodyText: string;
  secretEnv: string;
  secretEnvPrevious: string | null;
  log: AttemptRecord[];
}

export class FakeOutbox implements OutboxStore {
  readonly deliveries: FakeDelivery[] = [];
  claims = 0;
  failNextClaim: Error | null = null;

  add(d: Partial<FakeDelivery> & { id: string; transactionId: string; createdAt: string }): FakeDelivery {
    const full: FakeDelivery = {
      eventId: `evt_${d.id}`,
      eventType: 'redemption.committed',
      url: 'http://receiver.test/hook',
      seq: this.deliveries.filter((x) => x.transactionId === d.transactionId && x.url === (d.url ?? 'http://receiver.test/hook')).length,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: d.createdAt,
      leaseUntil: null,
      expiresAt: new Date(Date.parse(d.createdAt) + 3 * 86_400_000).toISOString(),
      bodyText: JSON.stringify({ id: `evt_${d.id}` }),
      secretEnv: 'HOOK_SECRET',
      secretEnvPrevious: null,
      log: [],
      ...d,
    };
    this.deliveries.push(full);
    return full;
  }

  get(id: string): FakeDelivery {
    return this.deliveries.find((d) => d.id === id)!;
  }

  async claimDeliveries({ now, leaseMs, limit }: { now: string; leaseMs: number; limit: number }): Promise<ClaimedDelivery[]> {
    this.claims++;
    if (this.failNextClaim) {
      const e = this.failNextClaim;
      this.failNextClaim = null;
      throw e;
    }
    const leaseUntil = new Date(Date.parse(now) + leaseMs).toISOString();
    const due = this.deliveries
      .filter((d) => d.status === 'pending' && d.nextAttemptAt <= now && (d.leaseUntil === null || d.leaseUntil <= now))
      .filter((d) => !this.deliveries.some((p) => p.transactionId === d.transactionId && p.url === d.url && p.seq < d.seq && p.status === 'pending'))
      .sort((a, b) => (a.nextAttemptAt < b.nextAttemptAt ? -1 : a.nextAttemptAt > b.nextAttemptAt ? 1 : a.id < b.id ? -1 : 1))
      .slice(0, limit);
    return due.map((d) => {
      d.leaseUntil = leaseUntil;
      return {
        deliveryId: d.id,
        eventId: d.eventId,
        eventType: d.eventType,
        transactionId: d.transactionId,
        url: d.url,
        secretEnv: d.secretEnv,
        secretEnvPrevious: d.secretEnvPrevious,
        bodyText: d.bodyText,
        attempts: d.attempts,
        createdAt: d.createdAt,
        expiresAt: d.expiresAt,
        leaseUntil,
      };
    });
  }

  async recordAttempt(id: string, a: AttemptRecord): Promise<void> {
    const d = this.get(id);
    d.log.push(a);
    const stale = a.leaseUntil !== undefined && d.leaseUntil !== a.leaseUntil;
    if (stale && a.outcome !== 'delivered') return;
    if (d.status !== 'pending') return;
    d.attempts++;
    d.leaseUntil = null;
    if (a.outcome === 'delivered') d.status = 'delivered';
    else if (a.outcome === 'failed') d.status = 'failed';
    else d.nextAttemptAt = a.nextAttemptAt!;
  }
}

/** A manual clock with timers that fire only when advanced. */
export class FakeClock {
  t: number;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #id = 0;
  constructor(start: number) {
    this.t = start;
  }
  now = (): number => this.t;
  timers = {
    setTimeout: (fn: () => void, ms: number): unknown => {
      const id = ++this.#id;
      this.#timers.push({ at: this.t + ms, fn, id });
      return id;
    },
    clearTimeout: (h: unknown): void => {
      this.#timers = this.#timers.filter((x) => x.id !== h);
    },
  };
  get pending(): number {
    return this.#timers.length;
  }
  /** Moves the clock forward, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.#timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
