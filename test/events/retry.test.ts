import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, decide, DEFAULT_RETRY, EVENT_MAX_AGE_MS, nominalDelayMs, parseBackoff, parseRetryAfter, type SendResult } from '../../src/events/retry.js';

const fail = (statusCode: number | null, retryAfterMs: number | null = null): SendResult => ({ statusCode, durationMs: 5, error: statusCode === null ? 'connect ECONNREFUSED' : null, retryAfterMs });
const t0 = Date.UTC(2026, 11, 2, 0, 0, 0);
const mid = () => 0.5;

describe('the retry schedule', () => {
  it('is about 10 s, 1 min, 10 min, 1 h, then every 6 h', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffMs(n, mid))).toEqual([10_000, 60_000, 600_000, 3_600_000, 21_600_000, 21_600_000, 21_600_000]);
  });

  it('jitters each delay within +-20%, from the injected random source', () => {
    expect(backoffMs(1, () => 0)).toBe(8_000);
    expect(backoffMs(1, () => 0.999999)).toBe(12_000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        const d = backoffMs(n, () => r);
        const nominal = nominalDelayMs(n);
        return d >= nominal * 0.8 && d <= nominal * 1.2;
      }),
    );
  });

  it('retries a 3-day event on its schedule until it expires, then fails', () => {
    const expiresAtMs = t0 + EVENT_MAX_AGE_MS;
    let now = t0;
    const outcomes: string[] = [];
    for (let attempt = 1; attempt < 100; attempt++) {
      const d = decide(fail(503), { attemptsMade: attempt, startedMs: now, expiresAtMs, random: mid });
      outcomes.push(d.outcome);
      if (d.outcome !== 'retry') {
        expect(d.error).toContain('expired');
        break;
      }
      now = Date.parse(d.nextAttemptAt!);
    }
    // 10 s + 1 min + 10 min + 1 h = 1 h 11 min 10 s, then 6-hourly: 11 more fit in 3 days, the 12th does not.
    expect(outcomes.filter((o) => o === 'retry')).toHaveLength(4 + 11);
    expect(outcomes.at(-1)).toBe('failed');
    expect(now).toBeLessThan(expiresAtMs);
  });

  it('gives pos.reward.* (15 minutes) three tries after the first', () => {
    const expiresAtMs = t0 + 15 * 60_000;
    const steps = [1, 2, 3, 4].map((n, i) => decide(fail(null), { attemptsMade: n, startedMs: t0 + [0, 10_000, 70_000, 670_000][i], expiresAtMs, random: mid }).outcome);
    expect(steps).toEqual(['retry', 'retry', 'retry', 'failed']);
  });

  it('2xx is delivered, 410 fails at once, 3xx and 4xx are retried', () => {
    const input = { attemptsMade: 1, startedMs: t0, expiresAtMs: t0 + EVENT_MAX_AGE_MS, random: mid };
    expect(decide({ statusCode: 204, durationMs: 1, error: null, retryAfterMs: null }, input)).toEqual({ outcome: 'delivered', nextAttemptAt: null, error: null });
    expect(decide(fail(410), input)).toMatchObject({ outcome: 'failed', nextAttemptAt: null });
    for (const code of [301, 302, 307, 400, 404, 429, 500]) {
      expect(decide(fail(code), input)).toEqual({ outcome: 'retry', nextAttemptAt: new Date(t0 + 10_000).toISOString(), error: `HTTP ${code}` });
    }
  });

  it('honours Retry-After up to the next step of the schedule, never sooner than the backoff', () => {
    const input = { attemptsMade: 1, startedMs: t0, expiresAtMs: t0 + EVENT_MAX_AGE_MS, random: mid };
    const at = (ms: number | null) => Date.parse(decide(fail(429, ms), input).nextAttemptAt!) - t0;
    expect(at(30_000)).toBe(30_000);
    expect(at(3_600_000)).toBe(60_000);
    expect(at(1_000)).toBe(10_000);
    expect(at(null)).toBe(10_000);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('120', t0)).toBe(120_000);
    expect(parseRetryAfter(new Date(t0 + 90_000).toUTCString(), t0)).toBe(90_000);
    expect(parseRetryAfter('-1', t0)).toBeNull();
    expect(parseRetryAfter('soon', t0)).toBeNull();
    expect(parseRetryAfter(null, t0)).toBeNull();
  });

  it('takes a test or operator schedule from DISCOUNTS_WEBHOOKS_BACKOFF_MS', () => {
    expect(parseBackoff('200, 500,1000')).toEqual({ delaysMs: [200, 500, 1000], jitter: DEFAULT_RETRY.jitter });
    expect(parseBackoff('')).toBeNull();
    expect(parseBackoff('10,x')).toBeNull();
    expect(parseBackoff('0')).toBeNull();
  });
});
