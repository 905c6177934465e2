// The webhook dispatcher: a loop over an OutboxStore (src/events/types.ts). Each turn claims up to
// the free concurrency of due deliveries (the store's short transaction sets their lease), then
// sends each one with no database lock held (src/events/send.ts), decides on the outcome
// (src/events/retry.ts) and records the attempt. A finished send starts the next turn at once (the
// next delivery of the same transaction may now be claimable); an idle loop polls every
// `pollMs`. The clock, the timer and the random source are injected; so are the sender and the
// resolver for tests.
//
// Leases: a delivery is leased for `leaseMs`, which must exceed the send timeout, so a delivery is
// never claimed again while its send can still be running. A dispatcher that dies mid-send leaves
// the lease to lapse: another one (or this one after a restart) redelivers with the same id.
// stop() stops claiming and waits for the sends in flight (each ends within the timeout); what is
// not recorded by then is left to its lease.

import type { AllowList, Resolver } from './guard.js';
import { decide, DEFAULT_RETRY, type RetryPolicy, type SendResult } from './retry.js';
import { DEFAULT_TIMEOUT_MS, send as httpSend, type Outgoing, type SendOptions } from './send.js';
import type { AttemptRecord, ClaimedDelivery, OutboxStore } from './types.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface DispatcherLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface DispatcherOptions {
  outbox: OutboxStore;
  /** Where the secrets named by a delivery (secretEnv, secretEnvPrevious) are read, at each attempt. */
  env: Readonly<Record<string, string | undefined>>;
  allow: AllowList;
  /** ms since the epoch. */
  now: () => number;
  /** [0, 1), for the retry jitter (default Math.random). */
  random?: () => number;
  timers?: Timers;
  /** How long a claim holds a delivery (default 60 s; must exceed timeoutMs). */
  leaseMs?: number;
  /** One attempt's timeout (default 10 s). */
  timeoutMs?: number;
  /** How often an idle dispatcher looks for due deliveries (default 1 s). */
  pollMs?: number;
  /** Sends in flight at most (default 8). */
  concurrency?: number;
  retry?: RetryPolicy;
  resolver?: Resolver;
  /** The sender (default src/events/send.ts); tests inject one. */
  send?: (out: Outgoing, options: SendOptions) => Promise<SendResult>;
  logger?: DispatcherLogger;
  /** Called after each recorded attempt (metrics). */
  onAttempt?: (delivery: ClaimedDelivery, attempt: AttemptRecord) => void;
}

export const DISPATCHER_DEFAULTS = { leaseMs: 60_000, timeoutMs: DEFAULT_TIMEOUT_MS, pollMs: 1_000, concurrency: 8 } as const;

export class DispatcherConfigError extends Error {}

/** Checks lease, timeout, poll interval and concurrency; throws DispatcherConfigError. */
export function checkDispatcherTimes(o: { leaseMs: number; timeoutMs: number; pollMs: number; concurrency: number }): void {
  for (const [name, v] of Object.entries(o)) if (!Number.isInteger(v) || v < 1) throw new DispatcherConfigError(`webhooks: ${name} must be a positive integer, not ${v}`);
  if (o.leaseMs <= o.timeoutMs)
    throw new DispatcherConfigError(`webhooks: the lease (${o.leaseMs} ms) must be longer than the send timeout (${o.timeoutMs} ms), or a delivery could be claimed again while it is being sent`);
}

export class Dispatcher {
  readonly #o: Required<Omit<DispatcherOptions, 'resolver' | 'logger' | 'onAttempt'>> & Pick<DispatcherOptions, 'resolver' | 'logger' | 'onAttempt'>;
  readonly #inflight = new Map<string, Promise<void>>();
  #timer: unknown = null;
  #running = false;
  #stopping = false;
  #turn: Promise<void> | null = null;
  #again = false;
  #idle: (() => void)[] = [];

  constructor(options: DispatcherOptions) {
    this.#o = {
      random: Math.random,
      timers: REAL_TIMERS,
      leaseMs: DISPATCHER_DEFAULTS.leaseMs,
      timeoutMs: DISPATCHER_DEFAULTS.timeoutMs,
      pollMs: DISPATCHER_DEFAULTS.pollMs,
      concurrency: DISPATCHER_DEFAULTS.concurrency,
      retry: DEFAULT_RETRY,
      send: httpSend,
      // An option given as undefined keeps its default.
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as DispatcherOptions),
    };
    const { leaseMs, timeoutMs, pollMs, concurrency } = this.#o;
    checkDispatcherTimes({ leaseMs, timeoutMs, pollMs, concurrency });
  }

  /** Deliveries being sent now. */
  get inFlight(): number {
    return this.#inflight.size;
  }

  start(): void {
    if (this.#running || this.#stopping) return;
    this.#running = true;
    this.wake();
  }

  /** Looks for due deliveries now (after a redemption commits, say) instead of at the next poll. */
  wake(): void {
    if (!this.#running || this.#stopping) return;
    if (this.#turn) {
      this.#again = true;
      return;
    }
    this.#cancelTimer();
    this.#turn = this.#runTurn().finally(() => {
      this.#turn = null;
      if (this.#again) {
        this.#again = false;
        this.wake();
      } else this.#schedule(this.#o.pollMs);
      this.#notifyIdle();
    });
  }

  /** Stops claiming; resolves when the sends in flight have been recorded (each ends within the timeout). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#running = false;
    this.#cancelTimer();
    if (this.#turn) await this.#turn.catch(() => undefined);
    await Promise.allSettled([...this.#inflight.values()]);
  }

  /** Resolves when no turn is running and nothing is in flight (tests). */
  async settled(): Promise<void> {
    for (;;) {
      if (this.#turn) await this.#turn.catch(() => undefined);
      if (this.#inflight.size) await Promise.allSettled([...this.#inflight.values()]);
      if (!this.#turn && !this.#inflight.size) return;
    }
  }

  #schedule(ms: number): void {
    if (!this.#running || this.#stopping) return;
    this.#cancelTimer();
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = null;
      this.wake();
    }, ms);
  }

  #cancelTimer(): void {
    if (this.#timer !== null) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #notifyIdle(): void {
    if (this.#turn || this.#inflight.size) return;
    for (const r of this.#idle.splice(0)) r();
  }

  async #runTurn(): Promise<void> {
    const free = this.#o.concurrency - this.#inflight.size;
    if (free <= 0) return;
    let claimed: ClaimedDelivery[];
    try {
      claimed = await this.#o.outbox.claimDeliveries({ now: new Date(this.#o.now()).toISOString(), leaseMs: this.#o.leaseMs, limit: free });
    } catch (err) {
      this.#o.logger?.error('webhook claim failed', { error: (err as Error).message });
      return;
    }
    for (const d of claimed) {
      if (this.#inflight.has(d.deliveryId)) continue; // cannot happen while leases exceed the timeout; never send twice at once
      const p = this.#deliver(d).finally(() => {
        this.#inflight.delete(d.deliveryId);
        // The next delivery of this (url, transaction) may be claimable now, and a slot is free.
        this.wake();
        this.#notifyIdle();
      });
      this.#inflight.set(d.deliveryId, p);
    }
    // A full batch: there may be more due right away.
    if (claimed.length === free && claimed.length > 0) this.#again = true;
  }

  async #deliver(d: ClaimedDelivery): Promise<void> {
    const o = this.#o;
    const startedMs = o.now();
    const expiresAtMs = Date.parse(d.expiresAt);
    let attempt: AttemptRecord;
    if (startedMs >= expiresAtMs) {
      // A pos.reward.* delivery whose window closed while it waited (the receiver was down, or an
      // earlier delivery of the transaction held it back): not sent, it is useless now.
      attempt = { at: new Date(startedMs).toISOString(), statusCode: null, durationMs: 0, error: `expired at ${d.expiresAt} before it could be sent`, outcome: 'failed', nextAttemptAt: null, leaseUntil: d.leaseUntil };
    } else {
      const secrets: string[] = [];
      let missing: string | null = null;
      for (const name of [d.secretEnv, d.secretEnvPrevious]) {
        if (name === null) continue;
        const value = o.env[name];
        if (value === undefined || value === '') missing ??= `the environment variable ${name} (the webhook secret) is not set`;
        else secrets.push(value);
      }
      let result: SendResult;
      if (missing) result = { statusCode: null, durationMs: 0, error: missing, retryAfterMs: null };
      else {
        try {
          result = await o.send({ url: d.url, eventId: d.eventId, bodyText: d.bodyText, secrets }, { timeoutMs: o.timeoutMs, allow: o.allow, resolver: o.resolver, now: o.now });
        } catch (err) {
          result = { statusCode: null, durationMs: Math.max(0, o.now() - startedMs), error: (err as Error).message, retryAfterMs: null };
        }
      }
      const decision = decide(result, { attemptsMade: d.attempts + 1, startedMs, expiresAtMs, random: o.random, policy: o.retry });
      attempt = { at: new Date(startedMs).toISOString(), statusCode: result.statusCode, durationMs: result.durationMs, ...decision, leaseUntil: d.leaseUntil };
    }
    try {
      await o.outbox.recordAttempt(d.deliveryId, attempt);
    } catch (err) {
      // The lease lapses and the delivery is sent again with the same id: a duplicate, never a loss.
      o.logger?.error('webhook attempt not recorded', { deliveryId: d.deliveryId, eventId: d.eventId, error: (err as Error).message });
      return;
    }
    o.onAttempt?.(d, attempt);
    const fields = { eventId: d.eventId, type: d.eventType, url: d.url, attempt: d.attempts + 1, statusCode: attempt.statusCode, durationMs: attempt.durationMs, outcome: attempt.outcome };
    if (attempt.outcome === 'delivered') o.logger?.info('webhook delivered', fields);
    else if (attempt.outcome === 'retry') o.logger?.warn('webhook attempt failed', { ...fields, error: attempt.error, nextAttemptAt: attempt.nextAttemptAt });
    else o.logger?.error('webhook delivery failed', { ...fields, error: attempt.error });
  }
}
