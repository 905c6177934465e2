// Unit-level pricing (issue 14): bundle matching against a unit-by-unit reference, and how set
// prices, bundles and bogos share a plan's units.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateWithCaps } from '../../src/pricing/allocate.js';
import { pricePlan, type PlanDiscount, type PricingCart } from '../../src/pricing/plan.js';
import { chooseUnits, matchBundle, type BundleLine } from '../../src/pricing/units.js';

const cartOf = (lines: [unitPrice: number, quantity: number, cannabis?: boolean][]): PricingCart => ({
  unitPrice: lines.map((l) => l[0]),
  quantity: lines.map((l) => l[1]),
  cannabis: lines.map((l) => l[2] !== false),
  lineSubtotal: lines.map((l) => l[0] * l[1]),
  subtotal: lines.reduce((s, l) => s + l[0] * l[1], 0),
});
const policy = { minimumUnitPrice: 100, maxDiscountBps: 10000 };
const rule = (id: string, action: PlanDiscount['action'], eligible: number[], extra: Partial<PlanDiscount> = {}): PlanDiscount => ({
  id,
  key: 0,
  type: action.type,
  priority: 0,
  sortValue: action.type === 'price' ? -action.price : 0,
  action,
  eligible,
  ...extra,
});

/** Groups formed one at a time over units expanded one by one (the contract, without batching). */
function referenceBundle(lines: readonly BundleLine[], quantity: number, price: number, maxApplications: number | null) {
  const units = lines.flatMap((l, k) => (l.unitPrice > 0 ? Array.from({ length: l.available }, () => k) : []));
  units.sort((a, b) => lines[b].unitPrice - lines[a].unitPrice || a - b);
  const amounts = lines.map(() => 0);
  const consumed = lines.map(() => 0);
  const room = lines.map((l) => Math.max(0, l.headroom));
  let groups = 0;
  for (let g = 0; (g + 1) * quantity <= units.length && groups < (maxApplications ?? Infinity); g++) {
    const members = units.slice(g * quantity, (g + 1) * quantity);
    const sum = members.reduce((s, k) => s + lines[k].unitPrice, 0);
    if (sum <= price) break;
    const ks = [...new Set(members)];
    const count = ks.map((k) => members.filter((m) => m === k).length);
    const caps = ks.map((k, j) => Math.min(count[j] * (lines[k].unitPrice - lines[k].unitFloor), room[k]));
    const discount = Math.min(sum - price, caps.reduce((s, c) => s + c, 0));
    const split = discount > 0 ? allocateWithCaps(discount, ks.map((k, j) => count[j] * lines[k].unitPrice), caps).amounts : ks.map(() => 0);
    ks.forEach((k, j) => {
      amounts[k] += split[j];
      room[k] -= split[j];
      consumed[k] += count[j];
    });
    groups++;
  }
  return { groups, amounts, consumed };
}

const bundleLine: fc.Arbitrary<BundleLine> = fc
  .record({ unitPrice: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constantFrom(0, 100, 500, 1000)), available: fc.integer({ min: 0, max: 8 }), floor: fc.integer({ min: 0, max: 300 }), spent: fc.integer({ min: 0, max: 2000 }) })
  .map(({ unitPrice, available, floor, spent }) => {
    const unitFloor = Math.min(unitPrice, floor);
    return { unitPrice, available, unitFloor, headroom: Math.max(0, available * (unitPrice - unitFloor) - spent) };
  });

describe('matchBundle', () => {
  it('equals the unit-by-unit reference (groups, amounts, consumed units) on random lines, floors and headrooms', () => {
    fc.assert(
      fc.property(fc.array(bundleLine, { maxLength: 6 }), fc.integer({ min: 2, max: 4 }), fc.integer({ min: 0, max: 6000 }), fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }), (lines, q, p, max) => {
        expect(matchBundle(lines, q, p, max)).toEqual(referenceBundle(lines, q, p, max));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('chooseUnits', () => {
  it('takes the most expensive units, equal prices from the earlier line, none priced 0 or at or below `above`', () => {
    const lines = [
      { unitPrice: 800, available: 1 },
      { unitPrice: 0, available: 5 },
      { unitPrice: 1200, available: 1 },
      { unitPrice: 800, available: 3 },
      { unitPrice: 500, available: 2 },
    ];
    expect(chooseUnits(lines, 4)).toEqual([1, 0, 1, 2, 0]);
    expect(chooseUnits(lines, null)).toEqual([1, 0, 1, 3, 2]);
    expect(chooseUnits(lines, null, 500)).toEqual([1, 0, 1, 3, 0]);
  });
});

describe('units shared inside a plan', () => {
  it('a set price skips the units a bundle took, and a later set price the units an earlier one set', () => {
    // One line of 4 x $10.00; floor $1.00. Bundle "3 for $24" takes 3 units (saving $6.00); "$7" sets the 4th ($3.00);
    // "$8" finds nothing left to set.
    const cart = cartOf([[1000, 4]]);
    const r = pricePlan(
      cart,
      [
        rule('b', { type: 'bundle', quantity: 3, price: 2400, maxApplications: null, maxDiscount: null }, [0]),
        rule('p7', { type: 'price', price: 700, maxUnits: null, maxDiscount: null }, [0]),
        rule('p8', { type: 'price', price: 800, maxUnits: null, maxDiscount: null }, [0]),
      ],
      policy,
    );
    expect(r.entries.map((e) => [e.discount.id, e.amount])).toEqual([
      ['b', 600],
      ['p7', 300],
      ['p8', 0],
    ]);
  });
  it('a set price after a bogo prices only the units the bogo did not use; fixed per unit counts every unit, within the headroom', () => {
    // 3 x $10.00: buy 1 get 1 free uses 2 units ($9.00 off: the free unit keeps its $1.00 floor); $6 sets the third ($4.00);
    // $5 off each unit then only has the headroom left: 3000 - 900 - 400 - 300 (floor) = 1400.
    const cart = cartOf([[1000, 3]]);
    const r = pricePlan(
      cart,
      [
        rule('g', { type: 'bogo', buy: 1, get: 1, percentOffBps: 10000, maxApplications: null, maxDiscount: null, rewardAppliesTo: null }, [0]),
        rule('p', { type: 'price', price: 600, maxUnits: null, maxDiscount: null }, [0]),
        { ...rule('f', { type: 'fixed', amount: 500, perUnit: true, maxDiscount: null }, [0]), sortValue: 500 },
      ],
      policy,
    );
    expect(r.entries.map((e) => [e.discount.id, e.amount])).toEqual([
      ['g', 900],
      ['p', 400],
      ['f', 1400],
    ]);
  });
  it('maxDiscount on a bundle is spread over its lines by largest remainder', () => {
    // Group: 2 x $30.00 + $20.00 = $80.00 for $50.00: saving $30.00 split 60 : 20 = 22.50 / 7.50 -> 2250 / 750; capped at $10.00: 750 / 250.
    const cart = cartOf([[3000, 2, false], [2000, 1, false]]);
    const r = pricePlan(cart, [rule('b', { type: 'bundle', quantity: 3, price: 5000, maxApplications: null, maxDiscount: 1000 }, [0, 1])], policy);
    expect(r.entries[0]).toMatchObject({ amount: 1000, amounts: [750, 250] });
  });
});
