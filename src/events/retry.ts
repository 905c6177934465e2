// The retry schedule (pure: the clock and the random source come in as values). After a failed
// attempt the next one comes after about 10 s, 1 min, 10 min, 1 h, then every 6 h, each delay
// jittered by +-20% so deliveries that failed together do not all come back together. A delivery
// is tried until its expiresAt (3 days after the event was created; `expireMinutes` for
// pos.reward.*), then it ends failed. A 2xx is delivered, a 410 Gone stops at once (the receiver
// says the subscription is gone), anything else (3xx, 4xx, 5xx, no response) is retried.
// Retry-After is honoured up to the next step of the schedule: the receiver may ask for a longer
// wait than this step's delay, but not beyond the following step's, so a hostile or mistaken
// header cannot park a delivery until it expires.

import type { AttemptRecord } from './types.js';

export interface RetryPolicy {
  /** The delays after the 1st, 2nd, ... failed attempt; the last one repeats. */
  delaysMs: readonly number[];
  /** Each delay is multiplied by a factor drawn uniformly from [1 - jitter, 1 + jitter). */
  jitter: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  delaysMs: Object.freeze([10_000, 60_000, 600_000, 3_600_000, 6 * 3_600_000]),
  jitter: 0.2,
});

/** How long an event is tried (the store writes expiresAt = createdAt + this, or expireMinutes for pos.reward.*). */
export const EVENT_MAX_AGE_MS = 3 * 24 * 3_600_000;

/** What one attempt got back (src/events/send.ts). */
export interface SendResult {
  /** HTTP status, or null when no response came (refused, timeout, blocked address, bad secret). */
  statusCode: number | null;
  durationMs: number;
  /** Why it failed, or null for a 2xx. */
  error: string | null;
  /** The response's Retry-After as a delay from the attempt's start, when it had a valid one. */
  retryAfterMs: number | null;
}

/** The nominal (unjittered) delay after `attemptsMade` failed attempts (1 = after the first). */
export function nominalDelayMs(attemptsMade: number, policy: RetryPolicy = DEFAULT_RETRY): number {
  const d = policy.delaysMs;
  return d[Math.min(Math.max(attemptsMade, 1), d.length) - 1];
}

/** The jittered delay; `random` returns a number in [0, 1). */
export function backoffMs(attemptsMade: number, random: () => number, policy: RetryPolicy = DEFAULT_RETRY): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(nominalDelayMs(attemptsMade, policy) * (1 - policy.jitter + 2 * policy.jitter * r));
}

/**
 * The outcome of an attempt that started at `startedMs`, the delivery's `attemptsMade`-th
 * (this one included), expiring at `expiresAtMs`.
 */
export function decide(
  result: SendResult,
  input: { attemptsMade: number; startedMs: number; expiresAtMs: number; random: () => number; policy?: RetryPolicy },
): Pick<AttemptRecord, 'outcome' | 'nextAttemptAt' | 'error'> {
  const { statusCode } = result;
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { outcome: 'delivered', nextAttemptAt: null, error: null };
  const error = result.error ?? (statusCode !== null ? `HTTP ${statusCode}` : 'no response');
  if (statusCode === 410) return { outcome: 'failed', nextAttemptAt: null, error: `${error} (410 Gone: not retried)` };
  const policy = input.policy ?? DEFAULT_RETRY;
  let delay = backoffMs(input.attemptsMade, input.random, policy);
  if (result.retryAfterMs !== null && result.retryAfterMs > delay)
    delay = Math.min(result.retryAfterMs, Math.max(delay, nominalDelayMs(input.attemptsMade + 1, policy)));
  const next = input.startedMs + delay;
  if (next >= input.expiresAtMs) return { outcome: 'failed', nextAttemptAt: null, error: `${error} (expired: no attempt left before ${new Date(input.expiresAtMs).toISOString()})` };
  return { outcome: 'retry', nextAttemptAt: new Date(next).toISOString(), error };
}

/**
 * Retry-After as a delay from `nowMs`: delay-seconds or an HTTP date; null when absent or invalid.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return null;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : null;
}

/** A policy from `DISCOUNTS_WEBHOOKS_BACKOFF_MS` (comma-separated delays in ms, the last repeats); null when malformed. */
export function parseBackoff(text: string): RetryPolicy | null {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d{1,10}$/.test(p) || Number(p) === 0)) return null;
  return { delaysMs: parts.map(Number), jitter: DEFAULT_RETRY.jitter };
}
