// Budgets in pricing: the cap at what is left (budget - usage.given) after maxDiscount and before
// the store cap, spread over the lines; BUDGET_EXHAUSTED when nothing is left; the compile checks,
// the POS check and the POS sheet's words.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleset, formatDiagnostic } from '../../src/dsl/compile.js';
import type { EvaluateRequest, Usage } from '../../src/domain/types.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { prepareRuleset } from '../../src/engine/prepare.js';
import { posSheet } from '../../src/pos/sheet.js';
import { budgetLeft, capToBudget } from '../../src/pricing/budget.js';
import { lineFloors, pricePlan } from '../../src/pricing/plan.js';

const STORE = 'store: s\ntimezone: America/Los_Angeles\ncurrency: USD\nminimumUnitPrice: 0.01\n';
const compile = (rules: [string, string][], store = STORE) =>
  compileRuleset({ store: { path: 'r/store.yaml', text: store }, rules: rules.map(([id, body]) => ({ path: `r/${id}.yaml`, text: `id: ${id}\nname: ${id}\n${body}` })) });
const ruleset = (rules: [string, string][], store = STORE) => {
  const c = compile(rules, store);
  if (!c.ruleset) throw new Error(c.diagnostics.map(formatDiagnostic).join('\n'));
  return prepareRuleset(c.ruleset);
};
const line = (id: string, unitPrice: number, quantity = 1, category = 'flower') => ({ id, productId: `p-${id}`, category, unitPrice, quantity });
const AT = '2026-05-01T12:00:00';
const price = (rs: ReturnType<typeof ruleset>, req: Omit<EvaluateRequest, 'at'>, usage: Usage = {}) => evaluate(rs, { at: AT, ...req }, { now: 0, usage });
const amounts = (r: ReturnType<typeof price>) => r.applied.map((a) => [a.discountId, a.amount, a.allocations.map((x) => `${x.lineId}=${x.amount}`).join(' ')]);

describe('budget: the cap at what is left', () => {
  const rs = ruleset([['vendor', 'type: percentage\nvalue: 20\nappliesTo: { categories: [flower] }\nbudget: 100\nstackable: true\n']]);
  const cart = { lines: [line('a', 3000), line('b', 2000, 2)] };

  it('with nothing given, the discount is priced as without a budget (under 100.00)', () => {
    const r = price(rs, cart);
    expect(amounts(r)).toEqual([['vendor', 1400, 'a=600 b=800']]);
    expect(price(rs, cart, { vendor: { given: 0 } })).toEqual(r);
  });

  it('a budget with 1 cent left gives 1 cent, on the line with the largest share (ties: the earlier line)', () => {
    const r = price(rs, cart, { vendor: { given: 9999 } });
    expect(amounts(r)).toEqual([['vendor', 1, 'b=1']]);
    expect(r.total).toBe(6999);
    // Equal shares: the earlier line.
    const even = price(rs, { lines: [line('a', 2000), line('b', 2000)] }, { vendor: { given: 9999 } });
    expect(amounts(even)).toEqual([['vendor', 1, 'a=1']]);
  });

  it('less left than the amount: exactly what is left, in proportion to the lines (largest remainder)', () => {
    const r = price(rs, cart, { vendor: { given: 10000 - 701 } });
    // 701 over 600:800 = 300.43 : 400.57 -> 300 + 401.
    expect(amounts(r)).toEqual([['vendor', 701, 'a=300 b=401']]);
    expect(r.lines.map((l) => l.discount)).toEqual([300, 401]);
  });

  it('exhausted (given = budget, or above a lowered budget): BUDGET_EXHAUSTED naming the budget', () => {
    for (const given of [10000, 12345]) {
      const r = price(rs, { ...cart, explain: true }, { vendor: { given } });
      expect(r.applied).toEqual([]);
      expect(r.rejected).toEqual([{ discountId: 'vendor', code: null, reason: 'BUDGET_EXHAUSTED', message: 'vendor has used up its budget of $100.00' }]);
    }
    // Without explain an automatic discount that failed a check is not listed; a code is.
    expect(price(rs, cart, { vendor: { given: 10000 } }).rejected).toEqual([]);
    const coded = ruleset([['c', 'type: fixed\nvalue: 5\ncode: VEND\nbudget: 50\n']]);
    expect(price(coded, { codes: ['vend'], lines: [line('a', 3000)] }, { c: { given: 5000 } }).rejected).toEqual([
      { discountId: 'c', code: 'vend', reason: 'BUDGET_EXHAUSTED', message: 'c has used up its budget of $50.00' },
    ]);
  });

  it('is checked right after USAGE_LIMIT_REACHED and before the customer checks', () => {
    const both = ruleset([['v', 'type: fixed\nvalue: 5\nusageLimit: 3\nbudget: 10\ncustomer: { tiers: [gold] }\n']]);
    const reason = (usage: Usage) => price(both, { explain: true, lines: [line('a', 3000)] }, usage).rejected[0]?.reason;
    expect(reason({ v: { used: 3, given: 1000 } })).toBe('USAGE_LIMIT_REACHED');
    expect(reason({ v: { used: 2, given: 1000 } })).toBe('BUDGET_EXHAUSTED');
    expect(reason({ v: { used: 2, given: 999 } })).toBe('CUSTOMER_REQUIRED');
  });

  it('after maxDiscount: the smaller of maxDiscount and what is left', () => {
    const capped = ruleset([['v', 'type: percentage\nvalue: 50\nmaxDiscount: 10\nbudget: 100\n']]);
    const c = { lines: [line('a', 3000), line('b', 1000)] };
    expect(amounts(price(capped, c))).toEqual([['v', 1000, 'a=750 b=250']]);
    expect(amounts(price(capped, c, { v: { given: 9000 } }))).toEqual([['v', 1000, 'a=750 b=250']]);
    expect(amounts(price(capped, c, { v: { given: 9500 } }))).toEqual([['v', 500, 'a=375 b=125']]);
    expect(amounts(price(capped, c, { v: { given: 9999 } }))).toEqual([['v', 1, 'a=1']]);
  });

  it('before the store cap: the applied amount is the store-capped one, and a capped discount leaves room to the next', () => {
    const store = `${STORE}maxDiscountPercent: 30\n`;
    const two = ruleset(
      [
        ['a-pct', 'type: percentage\nvalue: 40\nbudget: 100\nstackable: true\n'],
        ['b-fixed', 'type: fixed\nvalue: 5\nstackable: true\n'],
      ],
      store,
    );
    const c = { lines: [line('a', 5000)] };
    // No budget pressure: 2000 + 500 = 2500, the store cap (30% of 5000 = 1500) trims b-fixed to 0, then a-pct to 1500.
    expect(amounts(price(two, c))).toEqual([['a-pct', 1500, 'a=1500']]);
    // 300 left: a-pct gives 300, b-fixed 500 on what remains, under the cap.
    expect(amounts(price(two, c, { 'a-pct': { given: 9700 } }))).toEqual([
      ['a-pct', 300, 'a=300'],
      ['b-fixed', 500, 'a=500'],
    ]);
    // 1200 left: 1200 + 500 = 1700 > 1500: the automatic discount applied last gives way first.
    expect(amounts(price(two, c, { 'a-pct': { given: 8800 } }))).toEqual([
      ['a-pct', 1200, 'a=1200'],
      ['b-fixed', 300, 'a=300'],
    ]);
  });

  it('a bogo and a fixed discount with budgets, floors kept', () => {
    const rs2 = ruleset([
      ['bogo', 'type: bogo\nbogo: { buy: 1, get: 1 }\nbudget: 20\n'],
      ['fix', 'type: fixed\nvalue: 20\nbudget: 20\n'],
    ]);
    const c = { lines: [line('a', 1000, 2)] };
    // bogo: one unit free but a cent (999); fixed: 1999 headroom, 20.00 off capped to the floors (1998).
    expect(amounts(price(rs2, c, { bogo: { given: 1500 } }))).toEqual([['fix', 1998, 'a=1998']]);
    expect(amounts(price(rs2, c, { bogo: { given: 1500 }, fix: { given: 1500 } }))).toEqual([['bogo', 500, 'a=500']]);
  });

  it('reads given only from own properties', () => {
    const proto = ruleset([['constructor', 'type: fixed\nvalue: 5\nbudget: 10\n']]);
    expect(amounts(price(proto, { lines: [line('a', 3000)] }))).toEqual([['constructor', 500, 'a=500']]);
  });
});

describe('budget: pure helpers', () => {
  it('budgetLeft never goes below 0', () => {
    expect([budgetLeft(100, 0), budgetLeft(100, 99), budgetLeft(100, 100), budgetLeft(100, 250)]).toEqual([100, 1, 0, 0]);
  });

  it('capToBudget leaves a fitting entry alone and never gives a line more than it had', () => {
    const entry = { discount: { id: 'x', key: 0, type: 'fixed' as const, priority: 0, sortValue: 0, action: { type: 'fixed' as const, amount: 0, maxDiscount: null } }, amount: 10, lines: [0, 1, 2], amounts: [1, 6, 3] };
    expect(capToBudget(entry, 10)).toBe(entry);
    expect(capToBudget(entry, 11)).toBe(entry);
    expect(capToBudget(entry, 5)).toMatchObject({ amount: 5, amounts: [1, 3, 1] });
    expect(capToBudget(entry, 0)).toMatchObject({ amount: 0, amounts: [0, 0, 0] });
    expect(entry.amounts).toEqual([1, 6, 3]);
  });

  it('pricePlan takes budgetLeft per discount', () => {
    const cart = { unitPrice: [1000, 3000], quantity: [1, 1], cannabis: [false, false], lineSubtotal: [1000, 3000], subtotal: 4000 };
    const policy = { minimumUnitPrice: 0, maxDiscountBps: 10000 };
    const d = { id: 'p', key: 0, type: 'percentage' as const, priority: 0, sortValue: 1000, action: { type: 'percentage' as const, rateBps: 1000, maxDiscount: null }, eligible: [0, 1] };
    expect(pricePlan(cart, [d], policy, lineFloors(cart, policy)).entries[0]).toMatchObject({ amount: 400, amounts: [100, 300] });
    expect(pricePlan(cart, [{ ...d, budgetLeft: 3 }], policy).entries[0]).toMatchObject({ amount: 3, amounts: [1, 2] });
    expect(pricePlan(cart, [{ ...d, budgetLeft: 0 }], policy).total).toBe(0);
  });
});

describe('budget: rule documents', () => {
  it('compiles to minor units and adds the check; rules without a budget compile as before', () => {
    const c = compile([
      ['with', 'type: fixed\nvalue: 2\nbudget: 2000\n'],
      ['without', 'type: fixed\nvalue: 2\n'],
    ]).ruleset!;
    const [withBudget, without] = c.discounts;
    expect(withBudget.budget).toBe(200000);
    expect('budget' in without).toBe(false);
    expect(withBudget.rule.conditions.all).toContainEqual({ name: 'BUDGET_EXHAUSTED', fact: 'usage', params: { discountId: 'with' }, path: '$.given', operator: 'lessThan', value: 200000 });
    expect(without.rule.conditions.all.some((x) => x.name === 'BUDGET_EXHAUSTED')).toBe(false);
    // JPY has no minor digits.
    const jpy = compile([['y', 'type: fixed\nvalue: 200\nbudget: 50000\n']], 'store: s\ntimezone: Asia/Tokyo\ncurrency: JPY\n').ruleset!;
    expect(jpy.discounts[0].budget).toBe(50000);
  });

  it('reports a budget with too many decimals, of 0 or of the wrong type, located', () => {
    const d = compile([
      ['a', 'type: fixed\nvalue: 2\nbudget: 10.005\n'],
      ['b', 'type: percentage\nvalue: 10\nbudget: 0\n'],
      ['c', 'type: bogo\nbogo: { buy: 1, get: 1 }\nbudget: lots\n'],
    ]).diagnostics.map(formatDiagnostic);
    expect(d).toEqual([
      'r/a.yaml:5:1: error rule_schema_error: budget: 10.005 has more decimals than USD allows (2)',
      'r/b.yaml:5:1: error rule_schema_error: budget: must be > 0',
      'r/c.yaml:5:1: error rule_schema_error: budget: must be number',
    ]);
  });

  it('pos_budget_unsupported under mirror and trigger-reward, accepted elsewhere', () => {
    const rule: [string, string] = ['v', 'type: percentage\nvalue: 10\nbudget: 100\npos: { discountId: P-1 }\n'];
    const under = (pos: string) => compile([rule], `${STORE}pos: ${pos}\n`).diagnostics.filter((x) => x.code === 'pos_budget_unsupported').map(formatDiagnostic);
    expect(under('dutchie')).toEqual(['r/v.yaml:5:1: error pos_budget_unsupported: Dutchie POS (pos: dutchie, mirror) applies its own amount for this discount and cannot honour a partly used budget']);
    expect(under('flowhub')).toEqual(['r/v.yaml:5:1: error pos_budget_unsupported: Flowhub (pos: flowhub, trigger-reward) applies its own amount for this discount and cannot honour a partly used budget']);
    for (const pos of ['cova', 'alleaves', 'meadow', 'none']) expect(under(pos), pos).toEqual([]);
  });

  it('the POS sheet says the budget in words', () => {
    const c = compile([
      ['v', 'type: percentage\nvalue: 20\nbudget: 2000\n'],
      ['w', 'type: fixed\nvalue: 2\n'],
    ]).ruleset!;
    expect(posSheet(c).discounts.map((r) => r.value)).toEqual(['20% off; budget $2,000.00', '$2.00 off']);
  });
});

describe('budget: properties', () => {
  // One budgeted discount of each type next to an unbudgeted one, on random carts and random given:
  // the budgeted amount is min(what it gives without a budget, what is left) before the store cap,
  // never more than is left after it, its allocations add up, no line gets more than without the
  // budget, and every line stays at or above its floor.
  const types: [string, string][] = [
    ['pct', 'type: percentage\nvalue: 35\nmaxDiscount: 40\n'],
    ['fix', 'type: fixed\nvalue: 12.34\n'],
    ['bogo', 'type: bogo\nbogo: { buy: 1, get: 1, percentOff: 50 }\n'],
  ];
  const arb = fc.record({
    type: fc.integer({ min: 0, max: types.length - 1 }),
    budget: fc.integer({ min: 1, max: 5000 }),
    given: fc.integer({ min: 0, max: 6000 }),
    capPercent: fc.constantFrom(100, 30, 12.5),
    lines: fc.array(fc.record({ unitPrice: fc.integer({ min: 0, max: 5000 }), quantity: fc.integer({ min: 1, max: 4 }), cannabis: fc.boolean() }), { minLength: 1, maxLength: 5 }),
  });

  it('caps at what is left, keeps allocations exact and floors intact', () => {
    fc.assert(
      fc.property(arb, ({ type, budget, given, capPercent, lines }) => {
        const [id, body] = types[type];
        const store = `${STORE}maxDiscountPercent: ${capPercent}\n`;
        const budgetText = (budget / 100).toFixed(2);
        const other: [string, string] = ['other', 'type: fixed\nvalue: 1\nstackable: true\n'];
        const withBudget = ruleset([[id, `${body}budget: ${budgetText}\nstackable: true\n`], other], store);
        const without = ruleset([[id, `${body}stackable: true\n`], other], store);
        const noCap = ruleset([[id, `${body}budget: ${budgetText}\nstackable: true\n`], other]);
        const noCapWithout = ruleset([[id, `${body}stackable: true\n`], other]);
        const req = { explain: true, lines: lines.map((l, i) => ({ id: `l${i}`, productId: `p${i}`, category: 'x', ...l })) };
        const usage = { [id]: { given } };
        const r = price(withBudget, req, usage);
        const left = Math.max(0, budget - given);
        const applied = r.applied.find((a) => a.discountId === id);
        const amount = applied?.amount ?? 0;
        expect(amount).toBeLessThanOrEqual(left);
        if (left === 0) expect(r.rejected.find((x) => x.discountId === id)?.reason).toBe('BUDGET_EXHAUSTED');
        if (applied) expect(applied.allocations.reduce((s, a) => s + a.amount, 0)).toBe(amount);
        // Without the store cap: exactly min(unbudgeted, left), never more on any line.
        const plain = price(noCapWithout, req).applied.find((a) => a.discountId === id);
        const capped = price(noCap, req, usage).applied.find((a) => a.discountId === id);
        expect(capped?.amount ?? 0).toBe(Math.min(plain?.amount ?? 0, left));
        for (const a of capped?.allocations ?? []) expect(a.amount).toBeLessThanOrEqual(plain!.allocations.find((p) => p.lineId === a.lineId)!.amount);
        // Floors and the store cap hold with the budget as without it.
        r.lines.forEach((l, i) => {
          const floor = lines[i].cannabis ? Math.min(lines[i].unitPrice, 1) * lines[i].quantity : 0;
          expect(l.total).toBeGreaterThanOrEqual(floor);
        });
        // What a capped discount leaves to the others is at most what it gave up.
        expect(r.discountTotal).toBeLessThanOrEqual(price(without, req).discountTotal);
        expect(r.discountTotal).toBeLessThanOrEqual(Math.floor((r.subtotal * capPercent * 100) / 10000));
      }),
      { numRuns: 150 },
    );
  });
});
