import { describe, expect, it } from 'vitest';
import { applicationOrder, lineFloors, pricePlan, storeCap, type PlanDiscount, type PricingCart } from '../../src/pricing/plan.js';

const cartOf = (lines: [unitPrice: number, quantity: number, cannabis?: boolean][]): PricingCart => ({
  unitPrice: lines.map((l) => l[0]),
  quantity: lines.map((l) => l[1]),
  cannabis: lines.map((l) => l[2] !== false),
  lineSubtotal: lines.map((l) => l[0] * l[1]),
  subtotal: lines.reduce((s, l) => s + l[0] * l[1], 0),
});
const pct = (id: string, bps: number, eligible: number[], maxDiscount: number | null = null, priority = 0): PlanDiscount => ({
  id, key: 0, type: 'percentage', priority, sortValue: bps, action: { type: 'percentage', rateBps: bps, maxDiscount }, eligible,
});
const fixed = (id: string, amount: number, eligible: number[], maxDiscount: number | null = null): PlanDiscount => ({
  id, key: 0, type: 'fixed', priority: 0, sortValue: amount, action: { type: 'fixed', amount, maxDiscount }, eligible,
});
const policy = { minimumUnitPrice: 1, maxDiscountBps: 10000 };

describe('pricePlan', () => {
  it('rounds a percentage half up to the cent (fixed cases, not left to random runs)', () => {
    const one = (price: number, bps: number) => pricePlan(cartOf([[price, 1, false]]), [pct('p', bps, [0])], policy).entries[0].amount;
    expect(one(100, 1250)).toBe(13); // 12.5 -> 13
    expect(one(1235, 5000)).toBe(618); // 617.5 -> 618
    expect(one(1234, 5000)).toBe(617); // exact
    expect(one(1, 4999)).toBe(0); // 0.4999 -> 0
    expect(one(1, 5000)).toBe(1); // 0.5 -> 1
    expect(one(333, 1500)).toBe(50); // 49.95 -> 50
  });
  it('keeps a single cannabis line at its floor (no allocation step on one line)', () => {
    const single = (price: number, qty: number, d: PlanDiscount) => pricePlan(cartOf([[price, qty]]), [d], policy).entries[0].amount;
    expect(single(500, 1, pct('all', 10000, [0]))).toBe(499);
    expect(single(300, 2, fixed('ten', 1000, [0]))).toBe(598);
    expect(single(1, 3, pct('all', 10000, [0]))).toBe(0); // already at the floor
    expect(pricePlan(cartOf([[500, 1, false]]), [pct('all', 10000, [0])], policy).entries[0].amount).toBe(500); // not cannabis: no floor
  });
  it('trims automatic discounts before entered codes when the store cap binds', () => {
    const cart = cartOf([[10000, 1, false]]);
    const code = { ...fixed('code', 500, [0]), isCode: true };
    const r = pricePlan(cart, [pct('auto', 2000, [0]), code], { minimumUnitPrice: 0, maxDiscountBps: 1000 });
    expect(r.entries.map((e) => [e.discount.id, e.amount])).toEqual([
      ['auto', 500],
      ['code', 500],
    ]);
  });
  it('applies discounts in order, each on what the earlier ones left', () => {
    const cart = cartOf([[1000, 1], [3000, 1]]);
    const r = pricePlan(cart, [pct('ten', 1000, [0, 1]), fixed('five', 500, [0, 1])], policy);
    expect(r.entries.map((e) => [e.discount.id, e.amount, e.amounts])).toEqual([
      ['ten', 400, [100, 300]],
      ['five', 500, [125, 375]], // remaining 900 : 2700
    ]);
    expect(r.total).toBe(900);
  });
  it('keeps every cannabis line at its floor', () => {
    const cart = cartOf([[500, 2], [300, 1, false]]);
    expect(lineFloors(cart, policy)).toEqual([2, 0]);
    const r = pricePlan(cart, [pct('all', 10000, [0, 1])], policy);
    expect(r.entries[0].amounts).toEqual([998, 300]);
  });
  it('spreads a maxDiscount cap in proportion to the uncapped allocation', () => {
    const r = pricePlan(cartOf([[1000, 1], [3000, 1]]), [pct('half', 5000, [0, 1], 1000)], policy);
    expect(r.entries[0]).toMatchObject({ amount: 1000, amounts: [250, 750] });
  });
  it('trims the discounts applied last to the store cap, each keeping its proportions', () => {
    const cart = cartOf([[2999, 1], [1001, 2]]);
    const capped = { ...policy, maxDiscountBps: 1250 };
    expect(storeCap(cart.subtotal, capped)).toBe(625);
    const r = pricePlan(cart, [pct('ten', 1000, [0, 1]), fixed('three', 300, [0, 1]), fixed('one', 100, [0, 1])], capped);
    expect(r.entries.map((e) => [e.discount.id, e.amount, e.amounts])).toEqual([
      ['ten', 500, [300, 200]],
      ['three', 125, [75, 50]],
      ['one', 0, [0, 0]], // reached after the cap: never priced, 0
    ]);
    expect(r.total).toBe(625);
  });
  it('orders bogo, percentage, fixed; then priority, value, id', () => {
    const list = [fixed('f', 500, []), pct('p-low', 1000, []), pct('p-high', 2000, []), pct('p-prio', 500, [], null, 5)];
    expect(list.sort(applicationOrder).map((d) => d.id)).toEqual(['p-prio', 'p-high', 'p-low', 'f']);
  });
});
