// The pure side of the discount report: rounding half up at its boundaries (exact for large
// amounts), the ranking's total order, the period from optional dates (calendar checks, month and
// year ends, leap days, the 366-day bound), and zero-filled days.

import { describe, expect, it } from 'vitest';
import { addDays, buildDiscountReport, divHalfUp, isReportDate, resolvePeriod, shareBpsOf, type DiscountReportAggregates } from '../../src/reports/discount-report.js';
import { formatBps } from '../../src/reports/render.js';

const empty: DiscountReportAggregates = { discounts: [], discountVoids: [], days: [], dayDiscounts: [], dayVoids: [], vendorDiscounts: [], vendors: [], totals: { transactions: 0, discounted: 0, gross: 0, given: 0, voids: 0 } };
const ctx = { store: 's', timezone: 'UTC', currency: 'USD', minorDigits: 2, discounts: [] };

describe('rounding', () => {
  it('rounds half up, exactly', () => {
    expect([divHalfUp(5, 2), divHalfUp(7, 3), divHalfUp(8, 3), divHalfUp(1, 2), divHalfUp(1, 3), divHalfUp(0, 7)]).toEqual([3, 2, 3, 1, 0, 0]);
    // 1 of 20000 is 0.5 bp -> 1; 1 of 20001 is just under -> 0.
    expect([shareBpsOf(1, 20000), shareBpsOf(1, 20001), shareBpsOf(3, 7), shareBpsOf(0, 5), shareBpsOf(5, 0)]).toEqual([1, 0, 4286, 0, null]);
    // Beyond 2^53 / 10000 the products still round exactly.
    expect(shareBpsOf(4_503_599_627_370_495, 9_007_199_254_740_991)).toBe(5000);
    expect(divHalfUp(9_007_199_254_740_991, 2)).toBe(4_503_599_627_370_496);
    expect([formatBps(901), formatBps(5), formatBps(10000), formatBps(null)]).toEqual(['9.01%', '0.05%', '100.00%', '-']);
  });
});

describe('the report', () => {
  it('ranks by uses, then amount given, then id, and derives the ratios', () => {
    const agg: DiscountReportAggregates = {
      ...empty,
      discounts: [
        { discountId: 'b', used: 2, given: 301, gross: 1000, allDiscounts: 400 },
        { discountId: 'a', used: 2, given: 301, gross: 2000, allDiscounts: 301 },
        { discountId: 'c', used: 3, given: 10, gross: 100, allDiscounts: 10 },
        { discountId: 'B', used: 2, given: 302, gross: 900, allDiscounts: 302 },
      ],
      discountVoids: [{ discountId: 'gone', voids: 2 }],
    };
    const r = buildDiscountReport({ ...ctx, discounts: [{ id: 'a', name: 'A' }, { id: 'z', name: 'Z' }] }, { from: '2026-11-01', to: '2026-11-03' }, agg);
    expect(r.discounts.map((d) => [d.rank, d.discountId, d.name])).toEqual([
      [1, 'c', null],
      [2, 'B', null],
      [3, 'a', 'A'],
      [4, 'b', null],
      [5, 'gone', null],
      [6, 'z', 'Z'],
    ]);
    expect(r.discounts[3]).toMatchObject({ netSales: 600, shareBps: 3010, averageDiscount: 151 });
    expect(r.discounts[4]).toMatchObject({ voids: 2, timesUsed: 0, averageDiscount: null, shareBps: null });
    expect(r.days.map((d) => d.date)).toEqual(['2026-11-01', '2026-11-02']);
    expect(r.days[0]).toEqual({ date: '2026-11-01', transactions: 0, discountedTransactions: 0, discountGiven: 0, grossSales: 0, netSales: 0, voids: 0, discounts: [] });
    // The same aggregates in another order give the same bytes.
    const shuffled = { ...agg, discounts: [...agg.discounts].reverse() };
    expect(JSON.stringify(buildDiscountReport({ ...ctx, discounts: [{ id: 'z', name: 'Z' }, { id: 'a', name: 'A' }] }, { from: '2026-11-01', to: '2026-11-03' }, shuffled))).toBe(JSON.stringify(r));
  });
});

describe('the period', () => {
  it('checks calendar dates', () => {
    expect(['2028-02-29', '2026-12-31', '2026-01-01'].every(isReportDate)).toBe(true);
    expect(['2026-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-1-01', '0999-01-01', '2026-11-01T00:00', ' 2026-11-01'].some(isReportDate)).toBe(false);
    expect([addDays('2026-12-31', 1), addDays('2028-03-01', -1), addDays('2026-11-30', -30)]).toEqual(['2027-01-01', '2028-02-29', '2026-10-31']);
  });
  it('defaults and bounds', () => {
    expect(resolvePeriod({}, '2026-12-31')).toEqual({ ok: true, period: { from: '2026-12-02', to: '2027-01-01' } });
    expect(resolvePeriod({ from: '2026-12-30' }, '2026-12-31')).toEqual({ ok: true, period: { from: '2026-12-30', to: '2027-01-01' } });
    expect(resolvePeriod({ to: '2026-03-01' }, '2026-12-31')).toEqual({ ok: true, period: { from: '2026-01-30', to: '2026-03-01' } });
    expect(resolvePeriod({ from: '2027-01-01' }, '2026-12-31')).toMatchObject({ ok: false, problems: [{ param: 'from' }] });
    expect(resolvePeriod({ from: '2028-01-01', to: '2029-01-01' }, 'x')).toEqual({ ok: true, period: { from: '2028-01-01', to: '2029-01-01' } });
    expect(resolvePeriod({ from: '2028-01-01', to: '2029-01-02' }, 'x')).toMatchObject({ ok: false, problems: [{ param: 'to', message: 'the period 2028-01-01 to 2029-01-02 is 367 days; at most 366' }] });
    expect(resolvePeriod({ from: 'a', to: 'b' }, 'x')).toMatchObject({ ok: false, problems: [{ param: 'from' }, { param: 'to' }] });
  });
});
