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
