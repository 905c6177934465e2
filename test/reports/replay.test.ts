// The pure replay core on hand-made stored redemptions: commit order enforced, stored requests the
// checks refuse counted apart, a per-customer limit kept for a customer id such as "__proto__",
// the largest changes capped at ten with ties ordered by transaction id, stored `at` winning over
// the request's.

import { describe, expect, it } from 'vitest';
import { compileRuleset } from '../../src/dsl/compile.js';
import { LARGEST_CHANGES, Replay, replayRedemptions, type StoredRedemption } from '../../src/reports/replay.js';

const ruleset = compileRuleset({
  store: { path: 'store.yaml', text: 'store: s\ntimezone: UTC\ncurrency: USD\n' },
  rules: [
    { path: 'once.yaml', text: 'id: once\nname: $1 off once per customer\ntype: fixed\nvalue: 1\nperCustomerLimit: 1\nstackable: true\n' },
    {
      path: 'weekend.yaml',
      text: 'id: weekend\nname: $2 off at weekends\ntype: fixed\nvalue: 2\nstackable: true\nschedule:\n  days: [sat, sun]\n',
    },
  ],
}).ruleset!;
const period = { from: '2026-11-01', to: '2026-12-01' };

const sale = (i: number, customer: string | null, extra: Partial<StoredRedemption> = {}): StoredRedemption => ({
  transactionId: `t${String(i).padStart(3, '0')}`,
  customerId: customer,
  request: { ...(customer === null ? {} : { customer: { id: customer } }), lines: [{ id: 'l1', productId: 'p', category: 'c', unitPrice: 1000, quantity: 1 }] },
  // Wednesday 2026-11-18.
  at: `2026-11-18T10:${String(i % 60).padStart(2, '0')}:00.000Z`,
  committedAt: `2026-11-18T10:${String(i % 60).padStart(2, '0')}:00.${String(i).padStart(3, '0')}Z`,
  given: [],
  ...extra,
});

describe('Replay (pure core)', () => {
  it('counts per-customer uses as it goes, also for a customer id "__proto__"', () => {
    const r = replayRedemptions(ruleset, [sale(1, '__proto__'), sale(2, '__proto__'), sale(3, 'c'), sale(4, null)], {}, period);
    const once = r.discounts.find((d) => d.discountId === 'once')!;
    expect({ usedNow: once.usedNow, givenNow: once.givenNow }).toEqual({ usedNow: 2, givenNow: 200 });
    expect(r.largest.map((c) => c.transactionId)).toEqual(['t001', 't003']);
  });

  it('starts from the given counts', () => {
    const r = replayRedemptions(ruleset, [sale(1, 'c'), sale(2, 'd')], { once: { used: 7, customers: { c: 1 } } }, period);
    expect(r.largest.map((c) => c.transactionId)).toEqual(['t002']);
  });

  it('prices at the stored instant, not the request`s `at`', () => {
    // Saturday in the request, Wednesday stored: no weekend discount.
    const r = replayRedemptions(ruleset, [sale(1, null, { request: { at: '2026-11-21T12:00:00Z', lines: [{ id: 'l1', productId: 'p', category: 'c', unitPrice: 1000, quantity: 1 }] } })], {}, period);
    expect(r.total.givenNow).toBe(0);
    const sat = replayRedemptions(ruleset, [sale(1, null, { at: '2026-11-21T12:00:00.000Z' })], {}, period);
    expect(sat.total.givenNow).toBe(200);
  });

  it('keeps the ten largest changes, ties by transaction id, and counts every change', () => {
    const sales = Array.from({ length: 25 }, (_, i) => sale(25 - i, `c${i}`, { given: i % 2 ? [{ discountId: 'weekend', amount: 50 * i }] : [] }));
    sales.sort((a, b) => (a.committedAt < b.committedAt ? -1 : 1));
    const r = replayRedemptions(ruleset, sales, {}, period);
    expect(r.total.changed).toBe(25);
    expect(r.largest).toHaveLength(LARGEST_CHANGES);
    const sizes = r.largest.map((c) => Math.abs(c.difference));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    // The 13 sales without a weekend amount then all change by +100 (once): the smallest ids first among equals.
    const ties = r.largest.filter((c) => c.difference === 100).map((c) => c.transactionId);
    expect(ties).toEqual([...ties].sort());
  });

  it('refuses redemptions out of commit order', () => {
    const replay = new Replay(ruleset, {}, period);
    replay.add(sale(2, null));
    expect(() => replay.add(sale(1, null))).toThrow(/out of commit order/);
  });

  it('counts stored requests the checks refuse in `skipped`, without pricing them', () => {
    const r = replayRedemptions(ruleset, [sale(1, null, { request: { lines: [] } }), sale(2, null, { request: { lines: 'x' } }), sale(3, null)], {}, period);
    expect(r.transactions).toBe(1);
    expect(r.skipped.count).toBe(2);
    expect(r.skipped.first.map((s) => s.transactionId)).toEqual(['t001', 't002']);
    expect(r.skipped.first[0].message).toMatch(/^\/lines/);
  });
});
