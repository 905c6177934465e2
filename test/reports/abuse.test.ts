// abuseSignals is pure and deterministic: the same rows in any order give byte-identical output;
// sliding windows count "more than" the threshold and report a run once.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ABUSE } from '../../src/dsl/settings.js';
import { abuseSignals, clusters, type AbuseInput, type AbuseSale, type AbuseUse } from '../../src/reports/abuse.js';

const H = 3_600_000;
const T0 = Date.parse('2026-11-10T00:00:00Z');
const at = (h: number) => new Date(T0 + h * H).toISOString();
const use = (tx: string, customerId: string, discountId: string, h: number): AbuseUse => ({ transactionId: tx, customerId, discountId, at: at(h), amount: 100 });
const voided = (tx: string, customerId: string | null, terminalId: string | null, h: number): AbuseSale => ({
  transactionId: tx, customerId, terminalId, at: at(h), status: 'voided', voidedAt: at(h + 0.1), subtotal: 1000, discountTotal: 200,
});

function input(shuffle: <T>(xs: T[]) => T[]): AbuseInput {
  return {
    store: 's', from: at(0), to: at(100), settings: DEFAULT_ABUSE, perCustomerLimited: new Set(['limited']),
    uses: shuffle([use('a1', 'c1', 'd1', 1), use('a2', 'c1', 'd1', 2), use('a3', 'c1', 'd1', 3), use('a4', 'c1', 'd1', 4), use('l1', 'c1', 'limited', 1), use('l2', 'c1', 'limited', 2), use('l3', 'c1', 'limited', 3), use('l4', 'c1', 'limited', 4), use('b1', 'c2', 'd1', 1), use('b2', 'c2', 'd1', 30), use('b3', 'c2', 'd1', 60), use('b4', 'c2', 'd1', 90)]),
    voids: shuffle([voided('v1', 'c3', 'r1', 1), voided('v2', 'c3', 'r1', 2), voided('v3', 'c3', 'r2', 3), voided('v4', 'c3', null, 4), voided('v5', null, 'r1', 5)]),
    heavy: shuffle([{ ...voided('h1', null, null, 5), status: 'committed', voidedAt: null, discountTotal: 501 }, { ...voided('h2', 'c9', null, 6), status: 'committed', voidedAt: null, discountTotal: 500 }]),
    codeAttempts: shuffle([
      { keyId: 'k', subjectKind: 'key', subject: '', windowStart: at(1), attempts: 60, firstAt: at(1), lastAt: at(1.5) },
      { keyId: 'k', subjectKind: 'terminal', subject: 't', windowStart: at(1), attempts: 19, firstAt: at(1), lastAt: at(1.5) },
      { keyId: 'k', subjectKind: 'none', subject: '', windowStart: at(2), attempts: 20, firstAt: at(2), lastAt: at(2.5) },
    ]),
  };
}

describe('abuseSignals', () => {
  it('fires on the crafted rows only, and is the same bytes whatever the input order', () => {
    const a = abuseSignals(input((xs) => xs));
    const b = abuseSignals(input((xs) => [...xs].reverse()));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.signals.map((s) => [s.kind, JSON.stringify(s.subject), s.count])).toEqual([
      ['code_guessing', '{"keyId":"k","counter":"key"}', 60],
      ['code_guessing', '{"keyId":"k","counter":"none"}', 20],
      ['discount_share', '{"transactionId":"h1"}', 5010],
      ['repeat_use', '{"customerId":"c1","discountId":"d1"}', 4],
      ['void_cycling', '{"customerId":"c3"}', 4],
    ]);
  });

  it('clusters: more than N within the window, each item in one run at most', () => {
    const t = [0, 1, 2, 3, 25, 26, 27, 28, 29];
    expect(clusters(t, (x) => x * H, 24 * H, 3).map((r) => r.items)).toEqual([[0, 1, 2, 3], [25, 26, 27, 28, 29]]);
    expect(clusters([0, 1, 2, 24], (x) => x * H, 24 * H, 3)).toEqual([]);
  });
});
