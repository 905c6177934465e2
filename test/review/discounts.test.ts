// The words of `discounts diff`: every field of a compiled discount and of the store policy, from
// two compiled rulesets (no git, no files).

import { describe, expect, it } from 'vitest';
import { compileRuleset } from '../../src/dsl/compile.js';
import { diffDiscounts, diffPolicy, diffSettings, formatChange } from '../../src/review/discounts.js';

const STORE = 'store: s\ntimezone: America/Los_Angeles\ncurrency: USD\n';

function compile(rules: Record<string, string>, store = STORE) {
  const r = compileRuleset({ store: { path: 'rules/store.yaml', text: store }, storePath: 'rules/store.yaml', rules: Object.entries(rules).map(([id, text]) => ({ path: `rules/${id}.yaml`, text })) });
  if (!r.ruleset) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.ruleset;
}

function changes(before: string, after: string, store = [STORE, STORE]): string[] {
  const b = compile({ x: before }, store[0]);
  const h = compile({ x: after }, store[1]);
  const out = diffDiscounts(b.discounts, h.discounts, { base: { policy: b.policy }, head: { policy: h.policy } });
  return out.flatMap((d) => d.changes.map(formatChange));
}

const BASE = 'id: x\nname: X\ntype: percentage\nvalue: 10\n';

describe('field phrases', () => {
  it('value, type, code, limits, stacking, priority, POS id, funding', () => {
    expect(changes(BASE, BASE.replace('value: 10', 'value: 12.5'))).toEqual(['value: 10% -> 12.5%']);
    expect(changes(BASE, 'id: x\nname: X\ntype: fixed\nvalue: 5\n')).toEqual(['type: percentage -> fixed', 'value: 10% -> $5.00']);
    expect(changes(BASE, BASE + 'code: SAVE\n')).toEqual(['code: none (automatic) -> SAVE']);
    expect(changes(BASE + 'usageLimit: 10\nperCustomerLimit: 1\n', BASE + 'usageLimit: 20\n')).toEqual(['usageLimit: 10 -> 20', 'perCustomerLimit: 1 -> none']);
    expect(changes(BASE, BASE + 'stackable: true\npriority: 5\n')).toEqual(['stackable: no -> yes', 'priority: 0 -> 5']);
    expect(changes(BASE, BASE + 'pos: { discountId: P-1 }\n')).toEqual(['pos.discountId: none -> P-1']);
    expect(changes(BASE + 'funding: { vendor: acme, percent: 50 }\n', BASE + 'funding: { vendor: acme, percent: 40 }\n')).toEqual(['funding: acme 50% -> acme 40%']);
    expect(changes(BASE + 'minPurchase: 20\n', BASE + 'minPurchase: 25.5\nmaxDiscount: 10\n')).toEqual(['minPurchase: $20.00 -> $25.50', 'maxDiscount: none -> $10.00']);
    expect(changes(BASE, BASE.replace('name: X', 'name: Y'))).toEqual(['name: "X" -> "Y"']);
    expect(changes(BASE + 'budget: 2000\n', BASE + 'budget: 2500.5\n')).toEqual(['budget: $2,000.00 -> $2,500.50']);
    expect(changes(BASE + 'maxDiscount: 25\nbudget: 2000\n', BASE)).toEqual(['maxDiscount: $25.00 -> none', 'budget: $2,000.00 -> none']);
  });
  it('selectors: one line per changed list when the shape is the same, else the whole selector', () => {
    const sel = (s: string) => BASE + `appliesTo:\n${s}`;
    expect(changes(sel('  categories: [flower]\n'), sel('  categories: [flower, pre-rolls]\n'))).toEqual(['appliesTo: categories flower -> flower, pre-rolls']);
    expect(changes(sel('  categories: [flower, pre-rolls]\n'), sel('  categories: [pre-rolls, flower]\n'))).toEqual([]);
    expect(changes(sel('  brands: [a]\n  exclude: { tags: [s] }\n'), sel('  brands: [a]\n  exclude: { tags: [s, t] }\n'))).toEqual(['appliesTo: except tags s -> s, t']);
    expect(changes(sel('  categories: [flower]\n'), sel('  categories: [flower]\n  brands: [stiiizy]\n'))).toEqual(['appliesTo: categories flower -> categories flower; brands stiiizy']);
    expect(changes(BASE, sel('  products: [p1]\n'))).toEqual(['appliesTo: all items -> products p1']);
  });
  it('customers', () => {
    expect(changes(BASE, BASE + 'customer: { tiers: [Gold] }\n')).toEqual(['customer.tiers: any -> gold']);
    expect(changes(BASE + 'customer: { groups: [veteran, senior] }\n', BASE + 'customer: { groups: [veteran] }\n')).toEqual(['customer.groups: senior, veteran -> veteran']);
    expect(changes(BASE, BASE + 'customer: { required: true }\n')).toEqual(['customer.required: no -> yes']);
  });
  it('schedules: per part, instants compared so an equivalent date reads as no change', () => {
    const s = (x: string) => BASE + `schedule:\n${x}`;
    expect(changes(s('  end: 2026-12-31\n'), s('  end: 2027-01-31\n'))).toEqual(['schedule: ends 2026-12-31 -> ends 2027-01-31']);
    expect(changes(s('  start: 2026-01-01\n'), s('  start: 2026-01-01T00:00\n'))).toEqual([]);
    expect(changes(BASE, s('  start: 2026-01-01\n  days: [sat, sun]\n  hours: { from: "16:00", to: "18:00" }\n'))).toEqual([
      'schedule: no start -> starts 2026-01-01',
      'schedule: every day -> on sat, sun',
      'schedule: all day -> 16:00-18:00',
    ]);
    expect(changes(s('  days: [mon, tue]\n'), s('  days: [tue, mon]\n'))).toEqual([]);
  });
  it('bogo fields and conditions', () => {
    const bogo = (b: string) => `id: x\nname: X\ntype: bogo\nappliesTo: { categories: [edibles] }\nbogo:\n${b}`;
    expect(changes(bogo('  buy: 2\n  get: 1\n'), bogo('  buy: 3\n  get: 1\n  percentOff: 50\n  maxApplications: 2\n'))).toEqual([
      'value: buy 2 get 1 free -> buy 3 get 1 50% off',
      'bogo.buy: 2 -> 3',
      'bogo.percentOff: 100% -> 50%',
      'bogo.maxApplications: none -> 2',
    ]);
    expect(changes(bogo('  buy: 2\n  get: 1\n'), bogo('  buy: 2\n  get: 1\n  rewardAppliesTo: { categories: [edibles, drinks] }\n'))).toEqual([
      'bogo.rewardAppliesTo: categories edibles -> edibles, drinks',
    ]);
    const cond = (v: number) => BASE + `conditions:\n  all:\n    - { fact: cart, path: $.itemCount, operator: greaterThanInclusive, value: ${v} }\n`;
    expect(changes(BASE, cond(3))).toEqual(['conditions: none -> cart.itemCount greaterThanInclusive 3']);
    expect(changes(cond(3), cond(4))).toEqual(['conditions: cart.itemCount greaterThanInclusive 3 -> cart.itemCount greaterThanInclusive 4']);
  });
});

describe('the pricing types of issue 14', () => {
  it('tiers, per unit, set price, bundle, bogo amountOff', () => {
    const tiers = (v: number) => `id: x\nname: X\ntype: fixed\ntiers:\n  - { minSubtotal: 100, value: 15 }\n  - { minSubtotal: 200, value: ${v} }\n`;
    expect(changes(tiers(40), tiers(45))).toEqual(['value: tiers $100.00+: $15.00, $200.00+: $40.00 -> tiers $100.00+: $15.00, $200.00+: $45.00']);
    expect(changes('id: x\nname: X\ntype: fixed\nvalue: 1\n', 'id: x\nname: X\ntype: fixed\nvalue: 1\nper: unit\nmaxUnits: 4\n')).toEqual(['value: $1.00 -> $1.00 off each (max 4 units)']);
    expect(changes('id: x\nname: X\ntype: price\nvalue: 5\nappliesTo: { categories: [pre-rolls] }\n', 'id: x\nname: X\ntype: price\nvalue: 4.5\nappliesTo: { categories: [pre-rolls] }\n')).toEqual([
      'value: set price $5.00 -> set price $4.50',
    ]);
    const bundle = (q: number) => `id: x\nname: X\ntype: bundle\nbundle: { quantity: ${q}, price: 25 }\nappliesTo: { categories: [edibles] }\n`;
    expect(changes(bundle(3), bundle(4))).toEqual(['value: any 3 for $25.00 -> any 4 for $25.00']);
    const bogo = (b: string) => `id: x\nname: X\ntype: bogo\nappliesTo: { categories: [edibles] }\nbogo: { buy: 2, get: 1${b} }\n`;
    expect(changes(bogo(''), bogo(', amountOff: 3'))).toEqual(['value: buy 2 get 1 free -> buy 2 get 1 $3.00 off', 'bogo.amountOff: none (100% off) -> $3.00']);
  });
});

describe('kinds', () => {
  it('added, removed, renamed (same content under a new id), paused, resumed; the same id in two kinds never', () => {
    const b = compile({ a: 'id: a\nname: A\ntype: percentage\nvalue: 10\n', old: 'id: old\nname: O\ntype: fixed\nvalue: 5\nusageLimit: 9\n', p: 'id: p\nname: P\ntype: percentage\nvalue: 5\n' });
    const h = compile({ n: 'id: n\nname: N\ntype: percentage\nvalue: 15\n', new: 'id: new\nname: O\ntype: fixed\nvalue: 5\nusageLimit: 9\n', p: 'id: p\nname: P\ntype: percentage\nvalue: 6\nenabled: false\n' });
    const out = diffDiscounts(b.discounts, h.discounts, { base: { policy: b.policy }, head: { policy: h.policy } });
    expect(out.map((d) => [d.kind, d.id, d.from])).toEqual([
      ['added', 'n', null],
      ['removed', 'a', null],
      ['renamed', 'new', 'old'],
      ['paused', 'p', null],
    ]);
    expect(out[2].notes[0]).toContain("usage limits of 'new' start again from 0");
    expect(out[3].changes.map(formatChange)).toEqual(['value: 5% -> 6%']);
    const back = diffDiscounts(h.discounts, b.discounts, { base: { policy: h.policy }, head: { policy: b.policy } });
    expect(back.find((d) => d.id === 'p')?.kind).toBe('resumed');
    // A rename that also changes a term is a removal and an addition.
    const h2 = compile({ new: 'id: new\nname: O\ntype: fixed\nvalue: 6\nusageLimit: 9\n' });
    const b2 = compile({ old: 'id: old\nname: O\ntype: fixed\nvalue: 5\nusageLimit: 9\n' });
    expect(diffDiscounts(b2.discounts, h2.discounts, { base: { policy: b2.policy }, head: { policy: h2.policy } }).map((d) => d.kind)).toEqual(['added', 'removed']);
  });
});

describe('store policy and settings', () => {
  it('every policy field', () => {
    const b = compile({}, STORE + 'neverDiscount: { categories: [gift-cards] }\n').policy;
    const h = compile({}, 'store: s2\ntimezone: America/New_York\ncurrency: CAD\ncombine: best-for-store\nminimumUnitPrice: 0.01\nmaxDiscountPercent: 50\npos: dutchie\nneverDiscount: { categories: [gift-cards], products: [exit-bag], countTowardMinimum: true }\n').policy;
    expect(diffPolicy(b, h).map(formatChange)).toEqual([
      'store: s -> s2',
      'timezone: America/Los_Angeles -> America/New_York',
      'currency: USD -> CAD',
      'combine: best-for-customer -> best-for-store',
      'minimumUnitPrice: $0.00 -> CA$0.01',
      'maxDiscountPercent: none (100%) -> 50%',
      'pos: none -> dutchie',
      'neverDiscount.products: none -> exit-bag',
      'neverDiscount.countTowardMinimum: no -> yes',
    ]);
    expect(diffPolicy(b, b)).toEqual([]);
  });
  it('settings compare key by key, whatever keys they grow', () => {
    expect(diffSettings({ editor: { autoReload: false } }, { editor: { autoReload: true }, webhooks: { url: 'x' } }).map(formatChange)).toEqual([
      'editor.autoReload: false -> true',
      'webhooks.url: none -> "x"',
    ]);
  });
});
