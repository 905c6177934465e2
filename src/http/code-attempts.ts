// The code-guessing throttle and its telemetry (docs/abuse.md). Only UNKNOWN_CODE rejections
// count, per API key id and subject (terminalId, else customer id, else the key alone) and per key
// in total, in fixed windows of abuse.codeGuessing.windowMinutes. Attempts are buffered here and
// added to the database in batches (a flush a short while after the first unflushed attempt, and
// on close), so every instance sees the others' through the database; the stored counts are read
// back at most once per cacheMs per counter. A request that carries codes is refused (429
// rate_limited, Retry-After to the window's end) once a counter has reached its limit; a request
// without codes is never looked at. The ledger is not touched: evaluate still writes no usage.
//
// What a check sees of a counter: the stored count as last read, plus this instance's attempts
// flushed since that read, in flight, or still pending. Reads and flushes of one instance run one
// at a time, so a read never races this instance's own flush. Concurrent requests of one key may
// pass the check together before either is counted: the limit may be overshot by those requests'
// codes (this is telemetry, not a ledger limit).

import type { EvaluateRequest, Rejection } from '../domain/types.js';
import type { AbuseSettings } from '../dsl/settings.js';
import { counterId, type AbuseStore, type CodeAttemptRow, type CounterKey } from '../store/abuse.js';
import { StoreUnavailableError } from '../store/types.js';
import { ApiError } from './errors.js';
import type { Logger } from './logger.js';

export interface CodeAttemptOptions {
  store: AbuseStore;
  now: () => number;
  logger: Logger;
  /** How long a stored count read back is used before it is read again (default 2000 ms). */
  cacheMs?: number;
  /** How long after the first unflushed attempt the batch is written (default 1000 ms). */
  flushDelayMs?: number;
}

interface Counter {
  store: string;
  key: CounterKey;
  windowStart: number;
  windowEnd: number;
  /** The stored count as last read, and when (null: never read). */
  stored: number;
  readAt: number | null;
  /** This instance's attempts: flushed since the last read, being flushed, not yet flushed. */
  flushedSinceRead: number;
  inflight: number;
  pending: number;
  firstAt: number;
  lastAt: number;
}

/** The counters a request's unknown codes add to: its subject's, then the key's total. */
export function countersFor(keyId: string, req: Pick<EvaluateRequest, 'terminalId' | 'customer'>): [CounterKey, CounterKey] {
  const customerId = typeof req.customer?.id === 'string' && req.customer.id !== '' ? req.customer.id : null;
  const subject: CounterKey =
    req.terminalId !== undefined && req.terminalId !== ''
      ? { keyId, subjectKind: 'terminal', subject: req.terminalId }
      : customerId !== null
        ? { keyId, subjectKind: 'customer', subject: customerId }
        : { keyId, subjectKind: 'none', subject: '' };
  return [subject, { keyId, subjectKind: 'key', subject: '' }];
}

/** The fixed window containing an instant. */
export function windowOf(ms: number, windowMinutes: number): { start: number; end: number } {
  const size = windowMinutes * 60_000;
  const start = Math.floor(ms / size) * size;
  return { start, end: start + size };
}

export const unknownCodeCount = (rejected: readonly Rejection[]) => rejected.reduce((n, r) => n + (r.reason === 'UNKNOWN_CODE' ? 1 : 0), 0);

export class CodeAttempts {
  readonly #o: Required<CodeAttemptOptions>;
  readonly #counters = new Map<string, Counter>();
  /** Reads and flushes run one at a time. */
  #chain: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(options: CodeAttemptOptions) {
    this.#o = { cacheMs: 2000, flushDelayMs: 1000, ...options };
  }

  /**
   * Throws 429 rate_limited when the request carries codes and one of its counters has reached
   * its limit (with abuse.throttle on). Returns the counters to count its unknown codes in, or
   * null when it carries no codes.
   */
  async check(store: string, keyId: string, req: EvaluateRequest, settings: AbuseSettings): Promise<[CounterKey, CounterKey] | null> {
    if (!req.codes || req.codes.length === 0) return null;
    const keys = countersFor(keyId, req);
    if (!settings.throttle) return keys;
    const now = this.#o.now();
    const { start, end } = windowOf(now, settings.codeGuessing.windowMinutes);
    const [subject, total] = keys.map((k) => this.#counter(store, k, start, end));
    if ([subject, total].some((c) => c.readAt === null || now - c.readAt >= this.#o.cacheMs)) await this.#read(store, start, [subject, total], now);
    const limits: [Counter, number][] = [
      [subject, settings.codeGuessing.perTerminal],
      [total, settings.codeGuessing.perKey],
    ];
    for (const [c, limit] of limits) {
      const attempts = seen(c);
      if (attempts < limit) continue;
      const seconds = Math.max(1, Math.ceil((end - now) / 1000));
      const who = c.key.subjectKind === 'key' ? 'this API key' : c.key.subjectKind === 'none' ? 'this API key (no terminal or customer)' : `this API key and ${c.key.subjectKind} '${c.key.subject}'`;
      throw new ApiError('rate_limited', `too many unknown promo codes from ${who}: ${attempts} in this ${settings.codeGuessing.windowMinutes}-minute window (limit ${limit}); requests with codes are refused for ${seconds} s, requests without codes are not`, {
        details: [{ path: '/codes', message: `retry after ${seconds} s, or send the cart without codes` }],
        headers: { 'Retry-After': String(seconds) },
      });
    }
    return keys;
  }

  /** Counts a priced request's unknown codes (after evaluate or a committed redeem). */
  record(store: string, keys: readonly CounterKey[] | null, rejected: readonly Rejection[], settings: AbuseSettings): void {
    if (!keys || this.#closed) return;
    const n = unknownCodeCount(rejected);
    if (n === 0) return;
    const now = this.#o.now();
    const { start, end } = windowOf(now, settings.codeGuessing.windowMinutes);
    for (const k of keys) {
      const c = this.#counter(store, k, start, end);
      if (c.pending === 0) c.firstAt = now;
      c.pending += n;
      c.lastAt = Math.max(c.lastAt, now);
    }
    this.#schedule();
  }

  /** Writes the pending attempts now (also on close). A failed write keeps them for the next flush. */
  flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    return this.#serial(async () => {
      const batch = [...this.#counters.values()].filter((c) => c.pending > 0);
      if (batch.length === 0) return this.#evict();
      const rows: CodeAttemptRow[] = batch.map((c) => ({
        store: c.store,
        ...c.key,
        windowStart: new Date(c.windowStart).toISOString(),
        attempts: c.pending,
        firstAt: new Date(c.firstAt).toISOString(),
        lastAt: new Date(c.lastAt).toISOString(),
      }));
      const taken = batch.map((c) => c.pending);
      batch.forEach((c, i) => {
        c.inflight += taken[i];
        c.pending = 0;
      });
      try {
        await this.#o.store.addCodeAttempts(rows);
        batch.forEach((c, i) => (c.flushedSinceRead += taken[i]));
      } catch (err) {
        batch.forEach((c, i) => (c.pending += taken[i]));
        this.#o.logger.warn('code attempts not written; kept for the next flush', { counters: rows.length, error: (err as Error).message });
        if (!this.#closed) this.#schedule();
      } finally {
        batch.forEach((c, i) => (c.inflight -= taken[i]));
      }
      this.#evict();
    });
  }

  /** Flushes and stops counting (the service's shutdown). */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  /** Counters held in memory (for tests of eviction). */
  get size(): number {
    return this.#counters.size;
  }

  #counter(store: string, key: CounterKey, windowStart: number, windowEnd: number): Counter {
    const id = `${store}\u0000${windowStart}\u0000${counterId(key)}`;
    let c = this.#counters.get(id);
    if (!c) {
      if (this.#counters.size >= 10_000) this.#evict();
      c = { store, key, windowStart, windowEnd, stored: 0, readAt: null, flushedSinceRead: 0, inflight: 0, pending: 0, firstAt: 0, lastAt: 0 };
      this.#counters.set(id, c);
    }
    return c;
  }

  #read(store: string, windowStart: number, counters: Counter[], now: number): Promise<void> {
    return this.#serial(async () => {
      try {
        const found = await this.#o.store.readCodeAttempts(store, new Date(windowStart).toISOString(), counters.map((c) => c.key));
        for (const c of counters) {
          c.stored = found.get(counterId(c.key)) ?? 0;
          c.flushedSinceRead = 0;
          c.readAt = now;
        }
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        // Fail open: the sale goes on with this instance's own counts; read again after cacheMs.
        for (const c of counters) c.readAt = now;
        this.#o.logger.warn('code attempts unreadable: throttling on this instance\'s counts', { error: err.message });
      }
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, this.#o.flushDelayMs);
    this.#timer.unref?.();
  }

  /** Drops counters of windows that have ended and have nothing left to write. */
  #evict(): void {
    const now = this.#o.now();
    for (const [id, c] of this.#counters) if (c.windowEnd <= now && c.pending === 0 && c.inflight === 0) this.#counters.delete(id);
  }
}

const seen = (c: Counter) => c.stored + c.flushedSinceRead + c.inflight + c.pending;
