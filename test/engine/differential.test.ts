// Differential tests: the condition closures compiled by src/engine/conditions.ts against the
// reference, the real json-rules-engine.
//
// 1. Random condition trees (all/any/not up to depth 3; leaves over the user facts cart, customer
//    and time, every operator the schema allows, every path shape the schema allows) on random
//    facts (missing properties, null, arrays, numeric and non-numeric strings, nested objects).
// 2. The demo rules in rules/: every compiled top-level eligibility check, on random carts, times,
//    customers and usage counts, decided by the closures and by json-rules-engine (runWithEngine),
//    and the reason evaluate() reports against the first check the engine fails.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Engine } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import type { CartLine, EngineCondition, EvaluateRequest, Usage } from '../../src/domain/types.js';
import { ELIGIBILITY_REASONS } from '../../src/domain/types.js';
import { dayOfWeek, formatDate, parseDateTime, previousDay, toEpoch, wallTimeAt } from '../../src/domain/time.js';
import { compileRuleset, OPERATORS, type CompiledRuleset } from '../../src/dsl/compile.js';
import { validators } from '../../src/dsl/schemas.js';
import { compileCondition, runWithEngine, type Facts } from '../../src/engine/conditions.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { prepareRuleset, type MatchSets, type PreparedRuleset, type Selector } from '../../src/engine/prepare.js';
import { bogoApplications } from '../../src/pricing/bogo.js';
import { bogoCartCounts, type PricingCart } from '../../src/pricing/plan.js';

// ---------------------------------------------------------------------------
// Reference: one fresh json-rules-engine per decision.

async function engineDecides(tree: EngineCondition, facts: Facts): Promise<boolean> {
  const engine = new Engine([], { allowUndefinedFacts: false });
  engine.addRule({ name: 'r', priority: 1, conditions: { all: [structuredClone(tree)] } as any, event: { type: 'eligible' } });
  const { results } = await engine.run(structuredClone(facts) as Record<string, unknown>);
  return results.length === 1;
}

// ---------------------------------------------------------------------------
// Generators for part 1

const FACT_NAMES = ['cart', 'customer', 'time'] as const;
/** Every shape the rule schema's path pattern allows, over keys the fact generator uses. */
const PATHS = [
  undefined,
  '$',
  '$.subtotal',
  '$.tier',
  '$.categories',
  '$.missing',
  '$.a',
  '$.a.b',
  '$.a.b.c',
  '$[0]',
  '$[1]',
  '$.a[0]',
  '$.categories[0]',
  '$.categories[1]',
  '$.categories.length',
  '$.tier.length',
  '$.tier[0]',
  '$.a.length',
  '$.length',
  '$.a.b[0]',
] as const;

const scalar: fc.Arbitrary<string | number | boolean | null> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1.5, 15, 15.5, 1000, -0.5) },
  { weight: 4, arbitrary: fc.constantFrom('15', '15abc', '', 'gold', 'GOLD', 'silver', 'flower', 'edibles', 'a', 'g', 'abc', '0', ' 3', 'true', 'null') },
  { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
  { weight: 2, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constant(null) },
);

const leaf: fc.Arbitrary<EngineCondition> = fc
  .record({
    fact: fc.constantFrom(...FACT_NAMES),
    path: fc.constantFrom(...PATHS),
    operator: fc.constantFrom(...OPERATORS),
    single: scalar,
    list: fc.array(scalar, { maxLength: 4 }),
  })
  .map(({ fact, path, operator, single, list }) => {
    const value = operator === 'in' || operator === 'notIn' ? list : single;
    const c: EngineCondition = { fact, operator, value };
    if (path !== undefined) c.path = path;
    return c;
  });

function tree(depth: number): fc.Arbitrary<EngineCondition> {
  if (depth === 0) return leaf;
  const sub = tree(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 1, maxLength: 3 }).map((all) => ({ all })) },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 1, maxLength: 3 }).map((any) => ({ any })) },
    { weight: 1, arbitrary: sub.map((not) => ({ not })) },
  );
}
const conditionTree = tree(3);

/** JSON values as a request's customer attributes (or a fact) could hold them. */
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'tier', 'subtotal', 'categories', 'length', '0'), tie('value'), { maxKeys: 3 }),
    },
  ),
})).value;

/** A fact value: mostly an object with some of the keys the paths use, sometimes anything. */
const factValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        subtotal: fc.oneof(fc.integer({ min: -5, max: 40 }), scalar),
        tier: fc.oneof(fc.constantFrom('gold', 'GOLD', 'silver', '', 'g', 'abc', '15'), scalar),
        categories: fc.oneof(fc.array(fc.constantFrom('flower', 'edibles', 'a', 'g', '', 15, null), { maxLength: 4 }), json),
        a: json,
        missing: json,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.array(json, { maxLength: 3 }) },
  { weight: 1, arbitrary: scalar },
);

const facts: fc.Arbitrary<Facts> = fc.record({ cart: factValue, customer: factValue, time: factValue });

describe('compiled conditions vs json-rules-engine', () => {
  it('generated trees are what the rule schema and the compiler accept', () => {
    fc.assert(
      fc.property(conditionTree, (c) => {
        const doc = { id: 'x', name: 'x', type: 'percentage', value: 10, conditions: c };
        expect(validators.rule(doc), JSON.stringify(validators.rule.errors)).toBe(true);
        const { diagnostics } = compileRuleset({ store: null, rules: [{ path: 'x.json', text: JSON.stringify(doc) }] });
        expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('decide the same on random trees and facts', async () => {
    await fc.assert(
      fc.asyncProperty(conditionTree, facts, async (c, f) => {
        const expected = await engineDecides(c, f);
        expect(compileCondition(c)(structuredClone(f))).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('decide the same on every operator and path over a fixed set of interesting facts', async () => {
    // An exhaustive sweep of leaf shapes, so no operator/path/value combination depends on luck.
    const factSets: Facts[] = [
      { cart: { subtotal: 15, categories: ['flower', 'edibles'] }, customer: { tier: 'gold', a: { b: 'x' } }, time: { a: 'abc' } },
      { cart: { subtotal: '15', categories: [] }, customer: {}, time: null },
      { cart: { subtotal: 'abc', categories: 'flower' }, customer: { tier: null, a: [1, 2] }, time: [3, 'x'] },
      { cart: [15, 'gold'], customer: 'gold', time: 15 },
      { cart: { a: { b: { c: 0 } } }, customer: { a: { b: ['g'] } }, time: { a: { b: 'gold' } } },
    ];
    const values: unknown[] = [null, true, false, 0, 15, 16, '15', 'gold', 'g', 'flower', 2, 3, 'x', 1];
    const mismatches: string[] = [];
    let checked = 0;
    for (const f of factSets)
      for (const fact of FACT_NAMES)
        for (const path of PATHS)
          for (const operator of OPERATORS)
            for (const v of values) {
              const value = operator === 'in' || operator === 'notIn' ? [v, 'other'] : v;
              const c: EngineCondition = path === undefined ? { fact, operator, value } : { fact, path, operator, value };
              const expected = await engineDecides(c, f);
              const actual = compileCondition(c)(f);
              checked++;
              if (actual !== expected) mismatches.push(`${JSON.stringify(c)} on ${JSON.stringify(f)}: engine ${expected}, compiled ${actual}`);
            }
    expect(checked).toBe(factSets.length * FACT_NAMES.length * PATHS.length * OPERATORS.length * values.length);
    expect(mismatches.slice(0, 10), `${mismatches.length} of ${checked} leaves disagree`).toEqual([]);
  });

  it('string-valued intermediate path segments resolve as json-rules-engine (JSONPath) does', async () => {
    // JSONPath-plus follows own properties of any truthy value, so $.tier.length and $.tier[0]
    // reach into a string.
    const f: Facts = { cart: {}, customer: { tier: 'gold' }, time: {} };
    for (const c of [
      { fact: 'customer', path: '$.tier.length', operator: 'equal', value: 4 },
      { fact: 'customer', path: '$.tier[0]', operator: 'equal', value: 'g' },
    ] satisfies EngineCondition[]) {
      expect(await engineDecides(c, f)).toBe(true);
      expect(compileCondition(c)(f), JSON.stringify(c)).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------
// Part 2: the demo rules.

const RULES_DIR = join(import.meta.dirname, '../../rules');

function loadDemo(): { compiled: CompiledRuleset; prepared: PreparedRuleset } {
  const names = readdirSync(RULES_DIR).filter((n) => /\.(ya?ml|json)$/i.test(n) && n !== 'store.yaml');
  const { ruleset, diagnostics } = compileRuleset({
    store: { path: join(RULES_DIR, 'store.yaml'), text: readFileSync(join(RULES_DIR, 'store.yaml'), 'utf8') },
    rules: names.map((n) => ({ path: join(RULES_DIR, n), text: readFileSync(join(RULES_DIR, n), 'utf8') })),
  });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return { compiled: ruleset!, prepared: prepareRuleset(ruleset!) };
}

/**
 * The facts evaluate() builds (src/engine/evaluate.ts buildFacts, which is not exported),
 * reconstructed here in the same shape from the exported building blocks.
 */
function factsFor(rs: PreparedRuleset, req: EvaluateRequest, now: number, usage: Usage): Facts {
  const tz = rs.compiled.policy.timezone;
  const epochMs = req.at !== undefined ? toEpoch(parseDateTime(req.at)!, tz) : now;
  const wall = wallTimeAt(epochMs, tz);
  const dow = dayOfWeek(wall);
  const customer = req.customer;
  const customerId = typeof customer?.id === 'string' && customer.id !== '' ? customer.id : null;
  const tier = typeof customer?.tier === 'string' ? customer.tier.trim().toLowerCase() : null;
  const cart: PricingCart = {
    unitPrice: req.lines.map((l) => l.unitPrice),
    quantity: req.lines.map((l) => l.quantity),
    cannabis: req.lines.map((l) => l.cannabis !== false),
    lineSubtotal: req.lines.map((l) => l.unitPrice * l.quantity),
    subtotal: req.lines.reduce((s, l) => s + l.unitPrice * l.quantity, 0),
  };
  // The selector rule, restated: a listed product, or every attribute list present matched; less
  // exclude and the store's never-discounted lines.
  const anyOf = (m: MatchSets, l: CartLine) =>
    m.products.has(l.productId) || m.categories.has(l.category) || (l.brand !== undefined && m.brands.has(l.brand)) || (l.vendor !== undefined && m.vendors.has(l.vendor)) || (l.tags ?? []).some((t) => m.tags.has(t));
  const never = rs.neverDiscount;
  const selects = (sel: Selector | null, l: CartLine) => {
    if (never && anyOf(never, l)) return false;
    if (!sel) return true;
    const attrs = (['categories', 'brands', 'vendors', 'tags'] as const).filter((k) => sel[k].size > 0);
    const value = { categories: [l.category], brands: l.brand === undefined ? [] : [l.brand], vendors: l.vendor === undefined ? [] : [l.vendor], tags: l.tags ?? [] };
    const base = sel.products.has(l.productId) || (attrs.length > 0 && attrs.every((k) => value[k].some((v) => sel[k].has(v)))) || (attrs.length === 0 && sel.products.size === 0);
    return base && !(sel.exclude && anyOf(sel.exclude, l));
  };
  const linesFor = (sel: Selector | null) => req.lines.flatMap((l, i) => (selects(sel, l) ? [i] : []));
  const selectsIgnoringNever = (sel: Selector | null, l: CartLine) => {
    if (!sel) return true;
    const attrs = (['categories', 'brands', 'vendors', 'tags'] as const).filter((k) => sel[k].size > 0);
    const value = { categories: [l.category], brands: l.brand === undefined ? [] : [l.brand], vendors: l.vendor === undefined ? [] : [l.vendor], tags: l.tags ?? [] };
    const base = sel.products.has(l.productId) || (attrs.length > 0 && attrs.every((k) => value[k].some((v) => sel[k].has(v)))) || (attrs.length === 0 && sel.products.size === 0);
    return base && !(sel.exclude && anyOf(sel.exclude, l));
  };
  const countNever = rs.compiled.policy.neverDiscount?.countTowardMinimum === true;
  const purchaseSubtotal = req.lines.reduce((s, l) => s + (countNever || !never || !anyOf(never, l) ? l.unitPrice * l.quantity : 0), 0);
  return {
    cart: {
      subtotal: cart.subtotal,
      itemCount: req.lines.reduce((s, l) => s + l.quantity, 0),
      lineCount: req.lines.length,
      categories: [...new Set(req.lines.map((l) => l.category))].sort(),
      productIds: [...new Set(req.lines.map((l) => l.productId))].sort(),
      brands: [...new Set(req.lines.flatMap((l) => (l.brand === undefined ? [] : [l.brand])))].sort(),
      vendors: [...new Set(req.lines.flatMap((l) => (l.vendor === undefined ? [] : [l.vendor])))].sort(),
      tags: [...new Set(req.lines.flatMap((l) => l.tags ?? []))].sort(),
    },
    customer: customer ?? {},
    time: { date: formatDate(wall), dayOfWeek: dow, hour: wall.hour, minute: wall.minute },
    clock: { epochMs, dayOfWeek: dow, previousDayOfWeek: previousDay(dow), minuteOfDay: wall.hour * 60 + wall.minute },
    session: {
      hasCustomer: customer !== undefined,
      hasCustomerId: customerId !== null,
      tier,
      groups: [...new Set((customer?.groups ?? []).map((g) => g.trim().toLowerCase()))].sort(),
      purchaseSubtotal,
    },
    usage: (params: { discountId: string }) => {
      const u = usage[params.discountId];
      return { used: u?.used ?? 0, customerUsed: customerId !== null ? (u?.customers?.[customerId] ?? 0) : 0, given: u?.given ?? 0 };
    },
    items: (params: { discountId: string }) => linesFor(rs.byId.get(params.discountId)!.appliesTo).length,
    bogo: (params: { discountId: string }) => {
      const pd = rs.byId.get(params.discountId)!;
      const a = pd.discount.action;
      if (a.type !== 'bogo') return 0;
      return bogoApplications(
        bogoCartCounts(cart, linesFor(pd.appliesTo), linesFor(pd.rewardAppliesTo), a.percentOffBps, rs.compiled.policy.minimumUnitPrice, a.amountOff ?? null),
        a.buy,
        a.get,
        1,
      );
    },
    // Bundles: the eligible units priced above 0.
    units: (params: { discountId: string }) => linesFor(rs.byId.get(params.discountId)!.appliesTo).reduce((n, i) => n + (req.lines[i].unitPrice > 0 ? req.lines[i].quantity : 0), 0),
    // Tiers: units priced above 0 or the subtotal of the eligible lines, never-discounted lines too when they count toward minimums.
    minimum: (params: { discountId: string }) => {
      const pd = rs.byId.get(params.discountId)!;
      const a = pd.discount.action;
      if ((a.type !== 'percentage' && a.type !== 'fixed') || !a.tiers) return 0;
      const sel = pd.appliesTo;
      const counted = req.lines.filter((l) => selects(sel, l) || (countNever && never !== null && anyOf(never, l) && selectsIgnoringNever(sel, l)));
      return a.tiers.kind === 'quantity' ? counted.reduce((n, l) => n + (l.unitPrice > 0 ? l.quantity : 0), 0) : counted.reduce((n, l) => n + l.unitPrice * l.quantity, 0);
    },
  };
}

const pad = (n: number) => String(n).padStart(2, '0');
const demoCategories = ['flower', 'edibles', 'pre-rolls', 'vapes', 'gear', 'gift-cards'];

const demoLine = (i: number): fc.Arbitrary<CartLine> =>
  fc
    .record({
      productId: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5', 'exit-bag'),
      category: fc.constantFrom(...demoCategories),
      brand: fc.option(fc.constantFrom('stiiizy', 'kiva'), { nil: undefined }),
      tags: fc.option(fc.subarray(['sale-shelf', 'indica', 'mix-match']), { nil: undefined }),
      unitPrice: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 100000 })),
      quantity: fc.integer({ min: 1, max: 5 }),
      cannabis: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map((l) => {
      const line: CartLine = { id: `l${i}`, productId: l.productId, category: l.category, unitPrice: l.unitPrice, quantity: l.quantity };
      if (l.cannabis !== undefined) line.cannabis = l.cannabis;
      if (l.brand !== undefined) line.brand = l.brand;
      if (l.tags !== undefined) line.tags = l.tags;
      return line;
    });

const demoRequest: fc.Arbitrary<{ req: EvaluateRequest; now: number; usage: Usage }> = fc
  .record({
    n: fc.integer({ min: 1, max: 8 }),
    lines: fc.array(fc.integer(), { minLength: 8, maxLength: 8 }),
    // Wall-clock `at` around the happy-hour schedule start (2026-01-01) or the caller's clock.
    at: fc.option(
      fc.record({
        y: fc.constantFrom(2025, 2026),
        m: fc.integer({ min: 1, max: 12 }),
        d: fc.integer({ min: 1, max: 28 }),
        h: fc.constantFrom(0, 1, 12, 15, 16, 17, 18, 23),
        min: fc.constantFrom(0, 1, 30, 59),
      }),
      { nil: undefined },
    ),
    now: fc.integer({ min: Date.UTC(2025, 6, 1), max: Date.UTC(2026, 6, 1) }),
    customer: fc.option(
      fc.record(
        { id: fc.constantFrom('c1', 'c2'), tier: fc.constantFrom('gold', ' GOLD ', 'silver', 'Gold'), groups: fc.subarray(['Veteran', ' senior', 'medical']) },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
    codes: fc.subarray(['SAVE5', 'save5', 'nope', 'SPENDMORE']),
    usage: fc.record({ used: fc.constantFrom(0, 999, 1000, 5000), c1: fc.constantFrom(0, 1, 2), given: fc.constantFrom(0, 199999, 200000, 250000) }),
  })
  .chain((r) =>
    fc.tuple(...Array.from({ length: r.n }, (_, i) => demoLine(i))).map((lines) => {
      const req: EvaluateRequest = { lines, explain: true };
      if (r.at) req.at = `${r.at.y}-${pad(r.at.m)}-${pad(r.at.d)}T${pad(r.at.h)}:${pad(r.at.min)}`;
      if (r.customer) req.customer = r.customer;
      if (r.codes.length) req.codes = r.codes;
      const usage: Usage = { save5: { used: r.usage.used, customers: { c1: r.usage.c1 } }, 'stiiizy-vendor-day': { given: r.usage.given } };
      return { req, now: r.now, usage };
    }),
  );

describe('demo rules: compiled eligibility vs json-rules-engine', () => {
  const { compiled, prepared } = loadDemo();

  it('every top-level check decides the same, and evaluate() reports the first check the engine fails', async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(demoRequest, async ({ req, now, usage }) => {
        expect(validators.request(req), JSON.stringify(validators.request.errors)).toBe(true);
        const facts = factsFor(prepared, req, now, usage);
        const byEngine = await runWithEngine(
          compiled.discounts.map((d) => d.rule),
          facts,
        );
        const response = evaluate(prepared, req, { now, usage });
        const entered = new Set((req.codes ?? []).map((c) => c.trim().toLowerCase()));
        for (const pd of prepared.discounts) {
          const d = pd.discount;
          const engine = byEngine.get(d.id)!;
          // Check by check: the closures and the engine agree on every named check.
          const failedByClosures = pd.checks.filter((c) => !c.test(facts)).map((c) => c.reason);
          expect(failedByClosures, d.id).toEqual(engine.failed);
          expect(failedByClosures.length === 0, d.id).toBe(engine.passed);
          // And evaluate() reports the engine's first failing check (or treats it as eligible).
          if (d.code !== null && !entered.has(d.code)) continue;
          const expected = engine.passed ? 'eligible' : engine.failed[0];
          const rejection = response.rejected.find(
            (r) => r.discountId === d.id && (ELIGIBILITY_REASONS as readonly string[]).includes(r.reason),
          );
          expect(rejection ? rejection.reason : 'eligible', d.id).toBe(expected);
          seen.set(expected, (seen.get(expected) ?? 0) + 1);
        }
      }),
      { numRuns: 200 },
    );
    // The generator reaches eligibility and every reason the demo rules can give.
    for (const outcome of [
      'eligible',
      'NOT_STARTED',
      'OUTSIDE_SCHEDULE',
      'USAGE_LIMIT_REACHED',
      'BUDGET_EXHAUSTED',
      'CUSTOMER_REQUIRED',
      'TIER_NOT_ELIGIBLE',
      'GROUP_NOT_ELIGIBLE',
      'CUSTOMER_LIMIT_REACHED',
      'MIN_PURCHASE_NOT_MET',
      'NO_ELIGIBLE_ITEMS',
      'QUANTITY_NOT_MET',
    ])
      expect(seen.get(outcome) ?? 0, outcome).toBeGreaterThan(0);
  });
});

describe('prototype property names', () => {
  // Paths and ids that name Object.prototype members must read nothing, never throw.
  it('conditions on $.__proto__, $.constructor, $.toString, $.hasOwnProperty, $.valueOf decide like json-rules-engine', async () => {
    const { compileCondition, runWithEngine } = await import('../../src/engine/conditions.js');
    for (const fact of ['cart', 'customer', 'time']) {
      for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
        for (const operator of ['equal', 'notEqual', 'contains', 'lessThan']) {
          const leaf = { fact, path: `$.${name}`, operator, value: 1 } as const;
          const facts = { cart: { subtotal: 5, categories: ['a'] }, customer: { tier: 'gold' }, time: { hour: 3 } };
          const rule = { name: 'r', priority: 1, conditions: { all: [leaf] }, event: { type: 'eligible' } };
          const expected = (await runWithEngine([rule], facts)).get('r')!.passed;
          expect(compileCondition(leaf)(facts), `${fact} ${name} ${operator}`).toBe(expected);
        }
      }
    }
  });
});
