// Property tests (fast-check) for the pricing core.
//
// Part 1 drives the whole pipeline: random rule documents (YAML or JSON text) and a random store
// policy go through compileRuleset, random carts through evaluate(), and every response is checked
// against the invariants of the spec (allocations add up, floors, caps, the store cap,
// determinism under shuffled rule files, index vs full scan, the response schema).
// Part 2 checks the allocation and bogo matching functions directly, against straightforward
// BigInt / unit-by-unit reference implementations.

import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REASONS, type CartLine, type EvaluateRequest, type EvaluateResponse, type ItemMatch, type ItemSelector, type Reason, type Usage } from '../../src/domain/types.js';
import { compileRuleset, type RuleSource } from '../../src/dsl/compile.js';
import { validators } from '../../src/dsl/schemas.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { prepareRuleset, type PreparedRuleset } from '../../src/engine/prepare.js';
import { allocateByBigWeights, allocateByWeights, allocateWithCaps, exactShares } from '../../src/pricing/allocate.js';
import { bogoApplications, bogoCounts, bogoUnitsMissing, matchBogo, type BogoLine } from '../../src/pricing/bogo.js';

// A failing run prints its seed; FC_SEED=<seed> replays it (with FC_PATH for the shrunk case).
fc.configureGlobal({
  ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}),
  ...(process.env.FC_PATH ? { path: process.env.FC_PATH } : {}),
  reporter: (details) => {
    if (details.failed) {
      console.error(`fast-check failure: replay with FC_SEED=${details.seed} FC_PATH=${details.counterexamplePath ?? ''}`);
      throw new Error(fc.defaultReportMessage(details));
    }
  },
});

// ---------------------------------------------------------------------------
// Exact reference arithmetic

/** round-half-up(a * b / d) for non-negative integers, in BigInt. */
const halfUp = (a: number, b: number, d: number): number => Number((2n * BigInt(a) * BigInt(b) + BigInt(d)) / (2n * BigInt(d)));
/** floor(a * b / d) for non-negative integers, in BigInt. */
const floorDiv = (a: number, b: number, d: number): number => Number((BigInt(a) * BigInt(b)) / BigInt(d));
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

// ---------------------------------------------------------------------------
// Generators: store policy, rule documents, carts

const CATEGORIES = ['flower', 'edibles', 'pre-rolls', 'vapes'];
const PRODUCTS = ['p1', 'p2', 'p3', 'p4', 'p5'];

interface StoreSpec {
  neverDiscount: (ItemMatch & { countTowardMinimum?: boolean }) | null;
  minimumUnitPriceMinor: 0 | 1;
  maxDiscountBps: number;
  combine: 'best-for-customer' | 'best-for-store';
  timezone: string;
}

const storeSpec: fc.Arbitrary<StoreSpec> = fc.record({
  neverDiscount: fc.option(
    fc.constantFrom<ItemMatch & { countTowardMinimum?: boolean }>(
      { categories: ['gift-cards'] },
      { products: ['p5'], tags: ['sale-shelf'] },
      { brands: ['raw'], countTowardMinimum: true },
      { vendors: ['v2'], categories: ['gift-cards'], countTowardMinimum: false },
    ),
    { nil: null, freq: 2 },
  ),
  minimumUnitPriceMinor: fc.constantFrom(0 as const, 1 as const),
  maxDiscountBps: fc.oneof(fc.constant(10000), fc.integer({ min: 0, max: 100 }).map((p) => p * 100), fc.integer({ min: 0, max: 10000 })),
  combine: fc.constantFrom('best-for-customer' as const, 'best-for-store' as const),
  timezone: fc.constantFrom('UTC', 'America/Los_Angeles'),
});

function storeText(s: StoreSpec): string {
  const doc: Record<string, unknown> = { store: 'prop-store', timezone: s.timezone, currency: 'USD', combine: s.combine };
  doc.minimumUnitPrice = s.minimumUnitPriceMinor / 100;
  doc.maxDiscountPercent = s.maxDiscountBps / 100;
  if (s.neverDiscount) doc.neverDiscount = s.neverDiscount;
  return stringify(doc);
}

interface RuleSpec {
  type: 'percentage' | 'fixed' | 'bogo' | 'price' | 'bundle';
  /** percentage: rate in basis points (value = bps / 100) */
  bps: number;
  /** fixed: amount in minor units (value = cents / 100); price: the set price */
  cents: number;
  /** fixed only: per: unit */
  perUnit: boolean;
  /** fixed per unit and price: maxUnits */
  maxUnits: number | null;
  /** percentage and fixed: tiers instead of value (min: units or minor units; value: bps or minor units) */
  valueTiers: { kind: 'quantity' | 'subtotal'; tiers: { min: number; value: number }[] } | null;
  bundle: { quantity: number; priceCents: number; maxApplications: number | null };
  code: string | null;
  appliesTo: ItemSelector | null;
  minPurchaseCents: number | null;
  maxDiscountCents: number | null;
  stackable: boolean | null;
  priority: number | null;
  tiers: string[] | null;
  enabled: boolean | null;
  bogo: { buy: number; get: number; percentOffBps: number | null; amountOffCents: number | null; maxApplications: number | null; rewardAppliesTo: ItemSelector | null };
  /** minimum cart.subtotal (minor units) as a `conditions` tree, or null */
  conditionMinSubtotal: number | null;
  schedule: ScheduleSpec | null;
  usageLimit: number | null;
  perCustomerLimit: number | null;
  customerRequired: boolean | null;
  groups: string[] | null;
  funding: { vendor: string; percent: number } | null;
  json: boolean;
}

/** Schedules inside the week of 2026-03-01 (a Sunday), away from any DST change in both time zones. */
interface ScheduleSpec {
  start: string | null;
  end: string | null;
  days: string[] | null;
  hours: { from: string; to: string } | null;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const pad2 = (n: number) => String(n).padStart(2, '0');
const hhmm = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 59)).map(([h, m]) => `${pad2(h)}:${pad2(m)}`);
/** A date (2026-03-01..07) or a wall-clock date-time in it. */
const scheduleTime = fc.tuple(fc.integer({ min: 1, max: 7 }), fc.option(hhmm, { nil: null })).map(([d, t]) => `2026-03-${pad2(d)}${t ? `T${t}` : ''}`);
/** Wall-clock minutes of a schedule bound (a date-only end includes that whole day). */
const wallMinutes = (text: string, end = false): number => {
  const [date, time] = text.split('T');
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time ? time.split(':').map(Number) : [0, 0];
  return Date.UTC(y, mo - 1, d + (end && !time ? 1 : 0), h, mi) / 60000;
};
const scheduleSpec: fc.Arbitrary<ScheduleSpec> = fc
  .record({
    start: fc.option(scheduleTime, { nil: null }),
    end: fc.option(scheduleTime, { nil: null }),
    days: fc.option(fc.subarray(DAY_NAMES, { minLength: 1 }), { nil: null }),
    hours: fc.option(fc.tuple(hhmm, hhmm).filter(([a, b]) => a !== b).map(([from, to]) => ({ from, to })), { nil: null }),
  })
  .filter((x) => x.start === null || x.end === null || wallMinutes(x.end, true) > wallMinutes(x.start));

const BRANDS = ['stiiizy', 'raw', 'kiva'];
const VENDORS = ['v1', 'v2'];
const TAGS = ['indica', 'sativa', 'sale-shelf'];
const itemMatch: fc.Arbitrary<ItemMatch> = fc
  .record(
    {
      categories: fc.subarray([...CATEGORIES, 'gift-cards'], { minLength: 1 }),
      products: fc.subarray(PRODUCTS, { minLength: 1 }),
      brands: fc.subarray(BRANDS, { minLength: 1 }),
      vendors: fc.subarray(VENDORS, { minLength: 1 }),
      tags: fc.subarray(TAGS, { minLength: 1 }),
    },
    { requiredKeys: [] },
  )
  .filter((m) => Object.keys(m).length > 0);
const selector: fc.Arbitrary<ItemSelector> = fc.oneof(
  fc.subarray(CATEGORIES, { minLength: 1 }).map((categories) => ({ categories })),
  fc.subarray(PRODUCTS, { minLength: 1 }).map((products) => ({ products })),
  fc
    .tuple(fc.subarray(CATEGORIES, { minLength: 1 }), fc.subarray(PRODUCTS, { minLength: 1 }))
    .map(([categories, products]) => ({ categories, products })),
  // The selectors of the selectors issue: several attribute lists, exclusions, exclude alone.
  fc.tuple(itemMatch, fc.option(itemMatch, { nil: undefined })).map(([m, exclude]) => (exclude ? { ...m, exclude } : m)),
  itemMatch.map((exclude) => ({ exclude })),
);

/** `arb` with probability `percent`%, null otherwise. */
const sometimes = <T,>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: 100 - percent, arbitrary: fc.constant(null) }, { weight: percent, arbitrary: arb });

/** 1 to 3 strictly increasing minimums with values (values may go down: a warning, not an error). */
const valueTiers = fc
  .tuple(fc.constantFrom('quantity' as const, 'subtotal' as const), fc.array(fc.integer({ min: 1, max: 10000 }), { minLength: 1, maxLength: 3 }))
  .chain(([kind, values]) =>
    fc
      .uniqueArray(kind === 'quantity' ? fc.integer({ min: 1, max: 12 }) : fc.oneof(fc.integer({ min: 1, max: 60 }).map((d) => d * 1000), fc.integer({ min: 1, max: 100000 })), {
        minLength: values.length,
        maxLength: values.length,
      })
      .map((mins) => ({ kind, tiers: [...mins].sort((a, b) => a - b).map((min, i) => ({ min, value: values[i] })) })),
  );

const ruleSpec: fc.Arbitrary<RuleSpec> = fc.record({
  type: fc.constantFrom('percentage' as const, 'fixed' as const, 'bogo' as const, 'price' as const, 'bundle' as const),
  bps: fc.oneof(fc.integer({ min: 1, max: 100 }).map((p) => p * 100), fc.integer({ min: 1, max: 10000 }), fc.constant(10000)),
  cents: fc.oneof(fc.integer({ min: 1, max: 100 }).map((d) => d * 100), fc.integer({ min: 1, max: 50000 })),
  perUnit: fc.boolean(),
  maxUnits: sometimes(fc.integer({ min: 1, max: 6 }), 40),
  valueTiers: sometimes(valueTiers, 30),
  bundle: fc.record({
    quantity: fc.integer({ min: 2, max: 4 }),
    priceCents: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 150000 })),
    maxApplications: sometimes(fc.integer({ min: 1, max: 3 }), 40),
  }),
  code: sometimes(fc.constantFrom('SAVE', 'Promo_1', 'vip-2', 'XYZ'), 35),
  appliesTo: sometimes(selector, 60),
  minPurchaseCents: sometimes(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100000 })), 30),
  maxDiscountCents: sometimes(fc.integer({ min: 1, max: 20000 }), 35),
  stackable: sometimes(fc.boolean(), 80),
  priority: sometimes(fc.integer({ min: -2, max: 2 }), 50),
  tiers: sometimes(fc.subarray(['gold', 'Silver', ' VIP '], { minLength: 1 }), 15),
  enabled: sometimes(fc.constantFrom(true, false, true), 20),
  bogo: fc.record({
    buy: fc.integer({ min: 1, max: 3 }),
    get: fc.integer({ min: 1, max: 2 }),
    percentOffBps: sometimes(fc.oneof(fc.constant(10000), fc.constant(5000), fc.integer({ min: 1, max: 10000 })), 60),
    amountOffCents: sometimes(fc.oneof(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 100000 })), 30),
    maxApplications: sometimes(fc.integer({ min: 1, max: 4 }), 50),
    rewardAppliesTo: sometimes(selector, 30),
  }),
  conditionMinSubtotal: sometimes(fc.integer({ min: 0, max: 200000 }), 20),
  schedule: sometimes(scheduleSpec, 30),
  usageLimit: sometimes(fc.integer({ min: 1, max: 3 }), 20),
  perCustomerLimit: sometimes(fc.integer({ min: 1, max: 2 }), 20),
  customerRequired: sometimes(fc.boolean(), 15),
  groups: sometimes(fc.subarray(['veteran', ' Senior', 'MEDICAL'], { minLength: 1 }), 15),
  funding: sometimes(fc.record({ vendor: fc.constantFrom(...VENDORS), percent: fc.constantFrom(0, 50, 12.5, 33.33, 100) }), 25),
  json: fc.boolean(),
});

/** Rule specs with ids r0..rN and codes made unique per ruleset (suffixed with the index). */
const ruleSpecs: fc.Arbitrary<RuleSpec[]> = fc.oneof({ weight: 1, arbitrary: fc.constant<RuleSpec[]>([]) }, { weight: 12, arbitrary: fc.array(ruleSpec, { minLength: 1, maxLength: 8 }) });

const ruleId = (i: number) => `r${i}`;
const ruleCode = (spec: RuleSpec, i: number) => (spec.code === null ? null : `${spec.code}${i}`);

function ruleDocument(spec: RuleSpec, i: number): Record<string, unknown> {
  const doc: Record<string, unknown> = { id: ruleId(i), name: `Rule ${i}`, type: spec.type };
  const vt = tiersOf(spec);
  if (vt)
    doc.tiers = vt.tiers.map((t) => ({
      [vt.kind === 'quantity' ? 'minQuantity' : 'minSubtotal']: vt.kind === 'quantity' ? t.min : t.min / 100,
      value: spec.type === 'percentage' ? t.value / 100 : t.value / 100,
    }));
  else if (spec.type === 'percentage') doc.value = spec.bps / 100;
  else if (spec.type === 'fixed' || spec.type === 'price') doc.value = spec.cents / 100;
  if (spec.type === 'fixed' && spec.perUnit) doc.per = 'unit';
  if (unitsChosen(spec) && spec.maxUnits !== null) doc.maxUnits = spec.maxUnits;
  if (spec.type === 'bundle') {
    const b: Record<string, unknown> = { quantity: spec.bundle.quantity, price: spec.bundle.priceCents / 100 };
    if (spec.bundle.maxApplications !== null) b.maxApplications = spec.bundle.maxApplications;
    doc.bundle = b;
  }
  const code = ruleCode(spec, i);
  if (code !== null) doc.code = code;
  if (spec.appliesTo) doc.appliesTo = spec.appliesTo;
  if (spec.minPurchaseCents !== null) doc.minPurchase = spec.minPurchaseCents / 100;
  if (spec.maxDiscountCents !== null) doc.maxDiscount = spec.maxDiscountCents / 100;
  if (spec.stackable !== null) doc.stackable = spec.stackable;
  if (spec.priority !== null) doc.priority = spec.priority;
  if (spec.tiers || spec.customerRequired !== null || spec.groups) {
    const c: Record<string, unknown> = {};
    if (spec.customerRequired !== null) c.required = spec.customerRequired;
    if (spec.tiers) c.tiers = spec.tiers;
    if (spec.groups) c.groups = spec.groups;
    doc.customer = c;
  }
  if (spec.schedule) {
    const sc: Record<string, unknown> = {};
    if (spec.schedule.start !== null) sc.start = spec.schedule.start;
    if (spec.schedule.end !== null) sc.end = spec.schedule.end;
    if (spec.schedule.days !== null) sc.days = spec.schedule.days;
    if (spec.schedule.hours !== null) sc.hours = spec.schedule.hours;
    doc.schedule = sc;
  }
  if (spec.usageLimit !== null) doc.usageLimit = spec.usageLimit;
  if (spec.funding) doc.funding = spec.funding;
  if (spec.perCustomerLimit !== null) doc.perCustomerLimit = spec.perCustomerLimit;
  if (spec.enabled !== null) doc.enabled = spec.enabled;
  if (spec.type === 'bogo') {
    const b: Record<string, unknown> = { buy: spec.bogo.buy, get: spec.bogo.get };
    if (spec.bogo.amountOffCents !== null) b.amountOff = spec.bogo.amountOffCents / 100;
    else if (spec.bogo.percentOffBps !== null) b.percentOff = spec.bogo.percentOffBps / 100;
    if (spec.bogo.maxApplications !== null) b.maxApplications = spec.bogo.maxApplications;
    if (spec.bogo.rewardAppliesTo) b.rewardAppliesTo = spec.bogo.rewardAppliesTo;
    doc.bogo = b;
  }
  if (spec.conditionMinSubtotal !== null)
    doc.conditions = { all: [{ fact: 'cart', path: '$.subtotal', operator: 'greaterThanInclusive', value: spec.conditionMinSubtotal }] };
  return doc;
}

/** The tiers a spec uses: only percentage and fixed have them. */
function tiersOf(sp: RuleSpec): RuleSpec['valueTiers'] {
  return sp.type === 'percentage' || sp.type === 'fixed' ? sp.valueTiers : null;
}
/** Whether the spec's type chooses units (maxUnits applies). */
const unitsChosen = (sp: RuleSpec) => sp.type === 'price' || (sp.type === 'fixed' && sp.perUnit);

function ruleSources(specs: readonly RuleSpec[]): RuleSource[] {
  return specs.map((s, i) =>
    s.json
      ? { path: `rules/${ruleId(i)}.json`, text: JSON.stringify(ruleDocument(s, i), null, 2) }
      : { path: `rules/${ruleId(i)}.yaml`, text: stringify(ruleDocument(s, i)) },
  );
}

interface PriceRanges {
  maxUnitPrice: number;
  maxQuantity: number;
}

const line = (i: number, r: PriceRanges): fc.Arbitrary<CartLine> =>
  fc
    .record({
      productId: fc.constantFrom(...PRODUCTS, 'px'),
      category: fc.constantFrom(...CATEGORIES, 'misc', 'gift-cards'),
      brand: fc.option(fc.constantFrom(...BRANDS), { nil: undefined }),
      vendor: fc.option(fc.constantFrom(...VENDORS), { nil: undefined }),
      tags: fc.option(fc.subarray(TAGS), { nil: undefined }),
      // Small prices too, so the minimum unit price floor binds.
      unitPrice: fc.oneof(fc.integer({ min: 0, max: r.maxUnitPrice }), fc.integer({ min: 0, max: 300 })),
      quantity: fc.oneof(fc.integer({ min: 1, max: r.maxQuantity }), fc.integer({ min: 1, max: 3 })),
      cannabis: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map((l) => {
      const out: CartLine = { id: `line-${i}`, productId: l.productId, category: l.category, unitPrice: l.unitPrice, quantity: l.quantity };
      if (l.brand !== undefined) out.brand = l.brand;
      if (l.vendor !== undefined) out.vendor = l.vendor;
      if (l.tags !== undefined) out.tags = l.tags;
      if (l.cannabis !== undefined) out.cannabis = l.cannabis;
      return out;
    });

const lines = (r: PriceRanges) =>
  fc.integer({ min: 1, max: 30 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => line(i, r))));

/** A code as a cashier might type it: any case, surrounding spaces. */
const typed = (code: string) =>
  fc.tuple(fc.boolean(), fc.boolean()).map(([upper, pad]) => (pad ? `  ${upper ? code.toUpperCase() : code.toLowerCase()} ` : upper ? code.toUpperCase() : code));

function request(specs: readonly RuleSpec[], r: PriceRanges): fc.Arbitrary<EvaluateRequest> {
  const codes = specs.map(ruleCode).filter((c): c is string => c !== null);
  const entered = fc.array(fc.oneof(...(codes.length ? [fc.constantFrom(...codes).chain(typed)] : []), fc.constant('NOPE')), { maxLength: 10 });
  return fc
    .record({
      lines: lines(r),
      codes: fc.option(entered, { nil: undefined }),
      customer: fc.option(
        fc.record(
          { id: fc.constantFrom('c1', 'c2'), tier: fc.constantFrom('gold', 'GOLD', ' silver ', 'bronze', 'Vip'), groups: fc.subarray(['Veteran ', 'senior', 'industry']) },
          { requiredKeys: [] },
        ),
        {
        nil: undefined,
      }),
      explain: fc.option(fc.boolean(), { nil: undefined }),
      // Store wall-clock time, or an instant in UTC; absent: NOW.
      at: fc.option(
        fc.tuple(fc.integer({ min: 1, max: 7 }), hhmm, fc.boolean()).map(([d, t, z]) => `2026-03-${pad2(d)}T${t}${z ? 'Z' : ''}`),
        { nil: undefined },
      ),
    })
    .map((x) => {
      const req: EvaluateRequest = { lines: x.lines };
      if (x.at !== undefined) req.at = x.at;
      if (x.codes !== undefined) req.codes = x.codes;
      if (x.customer !== undefined) req.customer = x.customer;
      if (x.explain !== undefined) req.explain = x.explain;
      return req;
    });
}

interface Scenario {
  store: StoreSpec;
  specs: RuleSpec[];
  req: EvaluateRequest;
  usage: Usage;
  /** A permutation of the rule files, for the shuffled compile. */
  order: number[];
}

/** Redemption counts for some of the rules r0..r(n-1). */
const usageArb = (n: number): fc.Arbitrary<Usage> =>
  fc
    .array(
      fc.tuple(
        fc.integer({ min: 0, max: Math.max(0, n - 1) }),
        fc.integer({ min: 0, max: 3 }),
        fc.record({ c1: fc.integer({ min: 0, max: 2 }), c2: fc.integer({ min: 0, max: 2 }) }, { requiredKeys: [] }),
      ),
      { maxLength: n === 0 ? 0 : 6 },
    )
    .map((rows) => Object.fromEntries(rows.map(([i, used, customers]) => [ruleId(i), { used, customers }])));

const scenario = (r: PriceRanges): fc.Arbitrary<Scenario> =>
  fc.tuple(storeSpec, ruleSpecs).chain(([store, specs]) =>
    fc
      .tuple(
        request(specs, r),
        usageArb(specs.length),
        fc.shuffledSubarray(
          specs.map((_, i) => i),
          { minLength: specs.length, maxLength: specs.length },
        ),
      )
      .map(([req, usage, order]) => ({ store, specs, req, usage, order })),
  );

// ---------------------------------------------------------------------------
// The invariants

const NOW = Date.UTC(2026, 2, 4, 18, 30);

function compile(store: StoreSpec, sources: RuleSource[]): PreparedRuleset {
  const { ruleset, diagnostics } = compileRuleset({ store: { path: 'rules/store.yaml', text: storeText(store) }, rules: sources });
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(ruleset).not.toBeNull();
  return prepareRuleset(ruleset!);
}

/** A line matches any list (exclude, neverDiscount). */
const matchAny = (m: ItemMatch, l: CartLine) =>
  !!m.products?.includes(l.productId) ||
  !!m.categories?.includes(l.category) ||
  (l.brand !== undefined && !!m.brands?.includes(l.brand)) ||
  (l.vendor !== undefined && !!m.vendors?.includes(l.vendor)) ||
  (l.tags ?? []).some((t) => m.tags?.includes(t));
/** The selector rule as the spec states it: a listed product, or every attribute list present; less exclude. */
const selectsRaw = (sel: ItemSelector | null, l: CartLine): boolean => {
  if (!sel) return true;
  const attrs = (['categories', 'brands', 'vendors', 'tags'] as const).filter((k) => sel[k]?.length);
  const has = { categories: [l.category], brands: l.brand ? [l.brand] : [], vendors: l.vendor ? [l.vendor] : [], tags: l.tags ?? [] };
  const base = !!sel.products?.includes(l.productId) || (attrs.length > 0 && attrs.every((k) => has[k].some((v) => sel[k]!.includes(v)))) || (attrs.length === 0 && !sel.products?.length);
  return base && !(sel.exclude && matchAny(sel.exclude, l));
};
const neverDiscounted = (s: Scenario, l: CartLine) => !!s.store.neverDiscount && matchAny(s.store.neverDiscount, l);
/** Whether a discount with this selector may touch the line. */
const selects = (s: Scenario, sel: ItemSelector | null, l: CartLine) => !neverDiscounted(s, l) && selectsRaw(sel, l);
/** The store cap's base: the subtotal of the lines the store discounts. */
const capBase = (s: Scenario) => sum(s.req.lines.filter((l) => !neverDiscounted(s, l)).map((l) => l.unitPrice * l.quantity));

const TYPE_RANK = { bogo: 0, bundle: 0, price: 1, percentage: 2, fixed: 3 } as const;

function checkResponse(s: Scenario, res: EvaluateResponse): void {
  const { req, specs, store } = s;
  // The response schema.
  expect(validators.response(res), JSON.stringify(validators.response.errors)).toBe(true);

  // Lines: request order, subtotals, line total = subtotal - discount, never negative, floors.
  expect(res.lines.map((l) => l.id)).toEqual(req.lines.map((l) => l.id));
  const lineSubtotal = req.lines.map((l) => l.unitPrice * l.quantity);
  expect(res.subtotal).toBe(sum(lineSubtotal));
  const allocatedPerLine = new Map<string, number>(req.lines.map((l) => [l.id, 0]));
  for (const a of res.applied) {
    // Each applied discount's allocations: positive, on distinct known lines, summing to its amount.
    expect(a.amount).toBeGreaterThan(0);
    expect(sum(a.allocations.map((x) => x.amount))).toBe(a.amount);
    expect(new Set(a.allocations.map((x) => x.lineId)).size).toBe(a.allocations.length);
    for (const x of a.allocations) {
      expect(x.amount).toBeGreaterThan(0);
      expect(allocatedPerLine.has(x.lineId)).toBe(true);
      allocatedPerLine.set(x.lineId, allocatedPerLine.get(x.lineId)! + x.amount);
    }
  }
  res.lines.forEach((l, i) => {
    const rl = req.lines[i];
    expect(l.subtotal).toBe(lineSubtotal[i]);
    expect(l.discount).toBe(allocatedPerLine.get(l.id));
    expect(l.total).toBe(l.subtotal - l.discount);
    expect(l.total).toBeGreaterThanOrEqual(0);
    const floor = rl.cannabis !== false ? Math.min(store.minimumUnitPriceMinor * rl.quantity, l.subtotal) : 0;
    expect(l.total, `line ${l.id} below its floor ${floor}`).toBeGreaterThanOrEqual(floor);
  });
  // Totals: discountTotal = sum of line discounts = sum of applied amounts; total = subtotal - discountTotal.
  expect(res.discountTotal).toBe(sum(res.lines.map((l) => l.discount)));
  expect(res.discountTotal).toBe(sum(res.applied.map((a) => a.amount)));
  expect(res.total).toBe(res.subtotal - res.discountTotal);
  // The store cap.
  expect(res.discountTotal).toBeLessThanOrEqual(floorDiv(capBase(s), store.maxDiscountBps, 10000));
  // Never-discounted lines get nothing; funding is the vendor's share of each applied amount.
  res.lines.forEach((l, i) => neverDiscounted(s, req.lines[i]) && expect(l.discount, `never-discounted ${l.id}`).toBe(0));
  for (const a of res.applied) {
    const f = specs[Number(a.discountId.slice(1))].funding;
    expect(a.funding).toEqual(f ? { vendor: f.vendor, amount: halfUp(a.amount, Math.round(f.percent * 100), 10000) } : null);
  }

  // Per applied discount: eligibility basics, its own cap, and where its allocations may go.
  const enteredNorm = (req.codes ?? []).map((c) => c.trim().toLowerCase());
  const appliedIds = new Set(res.applied.map((a) => a.discountId));
  expect(appliedIds.size).toBe(res.applied.length);
  for (const a of res.applied) {
    const i = Number(a.discountId.slice(1));
    const spec = specs[i];
    const code = ruleCode(spec, i);
    expect(a.type).toBe(spec.type);
    expect(a.code).toBe(code);
    expect(spec.enabled).not.toBe(false);
    if (code !== null) expect(enteredNorm).toContain(code.toLowerCase());
    if (spec.minPurchaseCents !== null) expect(res.subtotal).toBeGreaterThanOrEqual(spec.minPurchaseCents);
    if (spec.conditionMinSubtotal !== null) expect(res.subtotal).toBeGreaterThanOrEqual(spec.conditionMinSubtotal);
    if (spec.tiers) expect(spec.tiers.map((t) => t.trim().toLowerCase())).toContain(req.customer?.tier?.trim().toLowerCase());
    if (spec.maxDiscountCents !== null) expect(a.amount).toBeLessThanOrEqual(spec.maxDiscountCents);
    const byId = new Map(req.lines.map((l) => [l.id, l]));
    const vt = tiersOf(spec);
    const topValue = vt ? Math.max(...vt.tiers.map((t) => t.value)) : spec.type === 'percentage' ? spec.bps : spec.cents;
    if (spec.type === 'percentage' || spec.type === 'fixed' || spec.type === 'price' || spec.type === 'bundle') {
      for (const x of a.allocations) expect(selects(s, spec.appliesTo, byId.get(x.lineId)!), `${a.discountId} on ${x.lineId}`).toBe(true);
      const eligible = req.lines.filter((l) => selects(s, spec.appliesTo, l));
      const units = sum(eligible.map((l) => (l.unitPrice > 0 ? l.quantity : 0)));
      if (spec.type === 'percentage') {
        const eligibleSubtotal = sum(eligible.map((l) => l.unitPrice * l.quantity));
        expect(a.amount).toBeLessThanOrEqual(halfUp(eligibleSubtotal, topValue, 10000));
      } else if (spec.type === 'fixed' && spec.perUnit) {
        // Never more than the value on each chosen unit.
        expect(a.amount).toBeLessThanOrEqual(topValue * Math.min(units, spec.maxUnits ?? Infinity));
        for (const x of a.allocations) expect(x.amount).toBeLessThanOrEqual(topValue * byId.get(x.lineId)!.quantity);
      } else if (spec.type === 'fixed') expect(a.amount).toBeLessThanOrEqual(topValue);
      else if (spec.type === 'price') {
        // Never below the set price: at most each unit's price above it.
        for (const x of a.allocations) {
          const l = byId.get(x.lineId)!;
          expect(x.amount).toBeLessThanOrEqual(Math.max(0, l.unitPrice - spec.cents) * l.quantity);
        }
      } else {
        // A bundle: at most the groups' prices above the bundle price; a group is at least 2 units.
        const groups = Math.min(Math.floor(units / spec.bundle.quantity), spec.bundle.maxApplications ?? Infinity);
        expect(groups).toBeGreaterThan(0);
        // The most any `groups` groups can save: the most expensive groups x quantity units' prices, less the bundle price each.
        const prices = eligible.flatMap((l) => (l.unitPrice > 0 ? Array.from({ length: Math.min(l.quantity, groups * spec.bundle.quantity) }, () => l.unitPrice) : []));
        prices.sort((x, y) => y - x);
        expect(a.amount).toBeLessThanOrEqual(sum(prices.slice(0, groups * spec.bundle.quantity)) - groups * spec.bundle.priceCents + (groups - 1) * spec.bundle.priceCents);
      }
    } else {
      const rewardSel = spec.bogo.rewardAppliesTo ?? spec.appliesTo;
      for (const x of a.allocations) expect(selects(s, rewardSel, byId.get(x.lineId)!), `${a.discountId} on ${x.lineId}`).toBe(true);
      // Never more than the reward units possible: applications <= units / (buy + get), and <= maxApplications.
      const pct = spec.bogo.percentOffBps ?? 10000;
      const off = (l: CartLine) => (spec.bogo.amountOffCents !== null ? Math.min(spec.bogo.amountOffCents, l.unitPrice) : halfUp(l.unitPrice, pct, 10000));
      const union = req.lines.filter((l) => selects(s, spec.appliesTo, l) || selects(s, rewardSel, l));
      const rewardLines = req.lines.filter((l) => selects(s, rewardSel, l));
      const maxPerUnit = Math.max(0, ...rewardLines.map(off));
      let applications = Math.floor(sum(union.map((l) => l.quantity)) / (spec.bogo.buy + spec.bogo.get));
      if (spec.bogo.maxApplications !== null) applications = Math.min(applications, spec.bogo.maxApplications);
      expect(a.amount).toBeLessThanOrEqual(applications * spec.bogo.get * maxPerUnit);
      for (const x of a.allocations) {
        const l = byId.get(x.lineId)!;
        expect(x.amount).toBeLessThanOrEqual(off(l) * l.quantity);
      }
    }
  }

  // Combination: either stackable discounts together, or one non-stackable discount alone.
  const stackableOf = (id: string) => specs[Number(id.slice(1))].stackable === true;
  if (res.applied.some((a) => !stackableOf(a.discountId))) expect(res.applied.length).toBe(1);
  // Application order: bogo, percentage, fixed; priority desc; value desc; id asc.
  for (let k = 1; k < res.applied.length; k++) {
    const key = (id: string) => {
      const sp = specs[Number(id.slice(1))];
      return [TYPE_RANK[sp.type], -(sp.priority ?? 0), -specValue(sp)] as const;
    };
    const [a, b] = [key(res.applied[k - 1].discountId), key(res.applied[k].discountId)];
    const cmp = a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || (res.applied[k - 1].discountId < res.applied[k].discountId ? -1 : 1);
    expect(cmp).toBeLessThan(0);
  }

  // Rejections: first every entered code that did not apply (entry order, as entered), then
  // automatic discounts (code null) sorted by id; applied discounts are never rejected.
  const codeOwner = new Map(specs.flatMap((sp, i) => (ruleCode(sp, i) ? [[ruleCode(sp, i)!.toLowerCase(), ruleId(i)] as const] : [])));
  const seen = new Set<string>();
  const expectedCodeRejections: string[] = [];
  for (const raw of req.codes ?? []) {
    const norm = raw.trim().toLowerCase();
    const owner = codeOwner.get(norm);
    if (seen.has(norm) || !owner || !appliedIds.has(owner)) expectedCodeRejections.push(raw);
    seen.add(norm);
  }
  const k = expectedCodeRejections.length;
  expect(res.rejected.slice(0, k).map((r) => r.code)).toEqual(expectedCodeRejections);
  const automatic = res.rejected.slice(k);
  for (const r of automatic) expect(r.code).toBeNull();
  const autoIds = automatic.map((r) => r.discountId!);
  expect(autoIds).toEqual([...autoIds].sort());
  for (const r of automatic) expect(appliedIds.has(r.discountId!)).toBe(false);
}

// ---------------------------------------------------------------------------
// A reference model written from the spec: eligibility (the first failing reason, in reason
// order), plan pricing (section 4), the store cap (automatic discounts give way first) and the
// combination rule. It decides everything from the generated rules, the cart, the clock and the
// usage counts, never from the response under test.

interface ModelEntry {
  id: string;
  amount: number;
  /** [line index, amount] in ascending line order, amounts > 0 only */
  allocations: [number, number][];
}

/** The value application order ranks by: the first tier's for a tiered rule, minus the set price for price. */
function specValue(sp: RuleSpec): number {
  const vt = tiersOf(sp);
  if (vt) return vt.tiers[0].value;
  return sp.type === 'percentage' ? sp.bps : sp.type === 'fixed' ? sp.cents : sp.type === 'price' ? -sp.cents : 0;
}
const specOfId = (s: Scenario, id: string) => s.specs[Number(id.slice(1))];

/** Application order inside a plan: bogo, percentage, fixed; priority desc; value desc; id asc. */
function modelOrder(specs: readonly RuleSpec[], ids: string[]): string[] {
  const key = (id: string) => specs[Number(id.slice(1))];
  return [...ids].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return TYPE_RANK[x.type] - TYPE_RANK[y.type] || (y.priority ?? 0) - (x.priority ?? 0) || specValue(y) - specValue(x) || (a < b ? -1 : 1);
  });
}

/** Wall-clock minutes and weekday of the request's instant in the store's time zone (via Intl). */
function modelClock(s: Scenario): { minutes: number; day: string; minuteOfDay: number } {
  let y: number, mo: number, d: number, h: number, mi: number;
  const at = s.req.at;
  if (at !== undefined && !at.endsWith('Z')) {
    [y, mo, d] = at.slice(0, 10).split('-').map(Number);
    [h, mi] = at.slice(11, 16).split(':').map(Number);
  } else {
    const instant = at !== undefined ? Date.parse(at) : NOW;
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: s.store.timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(instant);
    const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
    [y, mo, d, h, mi] = [get('year'), get('month'), get('day'), get('hour'), get('minute')];
  }
  const minutes = Date.UTC(y, mo - 1, d, h, mi) / 60000;
  return { minutes, day: DAY_NAMES[new Date(Date.UTC(y, mo - 1, d)).getUTCDay()], minuteOfDay: h * 60 + mi };
}

const toMinute = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));

/** The bogo reward a unit gets: round-half-up(price x percentOff), at most its price less its floor. */
function modelRewardValue(s: Scenario, sp: RuleSpec, l: CartLine): number {
  const v = sp.bogo.amountOffCents !== null ? sp.bogo.amountOffCents : halfUp(l.unitPrice, sp.bogo.percentOffBps ?? 10000, 10000);
  const unitFloor = l.cannabis !== false ? Math.min(l.unitPrice, s.store.minimumUnitPriceMinor) : 0;
  return Math.min(v, l.unitPrice - unitFloor);
}

/**
 * Bogo matching as the spec states it, on per-line available units: the largest k for which the
 * rewards (cheapest candidates, at most (buy units - k x buy) from the buy set) and then the
 * purchases (most expensive buy units left) can both be filled, found by binary search over k
 * (feasibility is monotone in k).
 */
function modelBogo(s: Scenario, sp: RuleSpec, avail: readonly number[]): { k: number; reward: number[]; consumed: number[] } {
  const rewardSel = sp.bogo.rewardAppliesTo ?? sp.appliesTo;
  const L = s.req.lines;
  const idx = L.map((_, i) => i).filter((i) => L[i].unitPrice > 0 && avail[i] > 0);
  const inBuy = (i: number) => selects(s, sp.appliesTo, L[i]);
  const cand = (i: number) => selects(s, rewardSel, L[i]) && modelRewardValue(s, sp, L[i]) > 0;
  const rewardOrder = idx.filter(cand).sort((a, b) => L[a].unitPrice - L[b].unitPrice || b - a);
  const buyOrder = idx.filter(inBuy).sort((a, b) => L[b].unitPrice - L[a].unitPrice || a - b);
  const buyUnits = sum(buyOrder.map((i) => avail[i]));
  const attempt = (k: number) => {
    const reward = L.map(() => 0);
    const consumed = L.map(() => 0);
    let need = k * sp.bogo.get;
    let fromBuy = buyUnits - k * sp.bogo.buy;
    if (fromBuy < 0) return null;
    for (const i of rewardOrder) {
      let t = Math.min(avail[i], need);
      if (inBuy(i)) t = Math.min(t, fromBuy);
      if (inBuy(i)) fromBuy -= t;
      reward[i] += t;
      consumed[i] += t;
      need -= t;
    }
    if (need > 0) return null;
    need = k * sp.bogo.buy;
    for (const i of buyOrder) {
      const t = Math.min(avail[i] - consumed[i], need);
      consumed[i] += t;
      need -= t;
    }
    return need > 0 ? null : { k, reward, consumed };
  };
  let lo = 0;
  let hi = Math.min(sp.bogo.maxApplications ?? Infinity, Math.floor(sum(idx.map((i) => avail[i])) / (sp.bogo.buy + sp.bogo.get)));
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (attempt(mid)) lo = mid;
    else hi = mid - 1;
  }
  return attempt(lo)!;
}

/** The first failing eligibility check of a candidate discount, or null when eligible. */
/** The subtotal minPurchase counts: never-discounted lines only when they count toward minimums. */
const purchaseSubtotal = (s: Scenario) =>
  sum(s.req.lines.filter((l) => s.store.neverDiscount?.countTowardMinimum === true || !neverDiscounted(s, l)).map((l) => l.unitPrice * l.quantity));

/** What tiers count: the eligible lines' units priced above 0, or their subtotal; never-discounted lines only when they count toward minimums. */
function modelTierCount(s: Scenario, sp: RuleSpec): number {
  const counts = (l: CartLine) => selects(s, sp.appliesTo, l) || (s.store.neverDiscount?.countTowardMinimum === true && selectsRaw(sp.appliesTo, l));
  const lines = s.req.lines.filter(counts);
  return tiersOf(sp)!.kind === 'quantity' ? sum(lines.map((l) => (l.unitPrice > 0 ? l.quantity : 0))) : sum(lines.map((l) => l.unitPrice * l.quantity));
}
/** The eligible units priced above 0 on the untouched cart. */
const modelUnits = (s: Scenario, sp: RuleSpec) => sum(s.req.lines.filter((l) => selects(s, sp.appliesTo, l) && l.unitPrice > 0).map((l) => l.quantity));

/** Unit indices (line order) ranked most expensive first, equal prices the earlier line first, each line repeated `count(i)` times as runs. */
function rankedLines(s: Scenario, lines: number[], count: (i: number) => number): { i: number; n: number }[] {
  const L = s.req.lines;
  return lines
    .filter((i) => L[i].unitPrice > 0 && count(i) > 0)
    .sort((a, b) => L[b].unitPrice - L[a].unitPrice || a - b)
    .map((i) => ({ i, n: count(i) }));
}

/** The most expensive `max` units among the runs: units chosen per line. */
function takeUnits(runs: { i: number; n: number }[], max: number | null, n: number): number[] {
  const chosen = new Array<number>(n).fill(0);
  let left = max ?? Infinity;
  for (const r of runs) {
    const t = Math.min(r.n, left);
    chosen[r.i] += t;
    left -= t;
  }
  return chosen;
}

function modelEligibility(s: Scenario, id: string): Reason | null {
  const sp = specOfId(s, id);
  const { req } = s;
  if (sp.enabled === false) return 'INACTIVE';
  const clock = modelClock(s);
  const sc = sp.schedule;
  if (sc?.start && clock.minutes < wallMinutes(sc.start)) return 'NOT_STARTED';
  if (sc?.end && clock.minutes >= wallMinutes(sc.end, true)) return 'EXPIRED';
  if (sc && (sc.days || sc.hours)) {
    const onDay = (day: string) => !sc.days || sc.days.includes(day);
    const prevDay = DAY_NAMES[(DAY_NAMES.indexOf(clock.day) + 6) % 7];
    let inside: boolean;
    if (!sc.hours) inside = onDay(clock.day);
    else {
      const [from, to] = [toMinute(sc.hours.from), toMinute(sc.hours.to)];
      const m = clock.minuteOfDay;
      inside = from < to ? onDay(clock.day) && m >= from && m < to : (onDay(clock.day) && m >= from) || (onDay(prevDay) && m < to);
    }
    if (!inside) return 'OUTSIDE_SCHEDULE';
  }
  const u = s.usage[id];
  if (sp.usageLimit !== null && (u?.used ?? 0) >= sp.usageLimit) return 'USAGE_LIMIT_REACHED';
  const customer = req.customer;
  if ((sp.customerRequired === true || sp.tiers || sp.groups) && !customer) return 'CUSTOMER_REQUIRED';
  if (sp.perCustomerLimit !== null && !customer?.id) return 'CUSTOMER_REQUIRED';
  if (sp.tiers && !sp.tiers.map((t) => t.trim().toLowerCase()).includes(customer?.tier?.trim().toLowerCase() as string)) return 'TIER_NOT_ELIGIBLE';
  if (sp.groups && !sp.groups.some((g) => (customer?.groups ?? []).some((c) => c.trim().toLowerCase() === g.trim().toLowerCase()))) return 'GROUP_NOT_ELIGIBLE';
  if (sp.perCustomerLimit !== null && (u?.customers?.[customer!.id!] ?? 0) >= sp.perCustomerLimit) return 'CUSTOMER_LIMIT_REACHED';
  const subtotal = sum(req.lines.map((l) => l.unitPrice * l.quantity));
  if (sp.minPurchaseCents !== null && sp.minPurchaseCents > 0 && purchaseSubtotal(s) < sp.minPurchaseCents) return 'MIN_PURCHASE_NOT_MET';
  if (!req.lines.some((l) => selects(s, sp.appliesTo, l))) return 'NO_ELIGIBLE_ITEMS';
  const vt = tiersOf(sp);
  if (vt && modelTierCount(s, sp) < vt.tiers[0].min) return vt.kind === 'quantity' ? 'MIN_QUANTITY_NOT_MET' : 'MIN_PURCHASE_NOT_MET';
  if (sp.type === 'bundle' && modelUnits(s, sp) < sp.bundle.quantity) return 'QUANTITY_NOT_MET';
  if (sp.type === 'bogo' && modelBogo(s, { ...sp, bogo: { ...sp.bogo, maxApplications: 1 } }, req.lines.map((l) => l.quantity)).k === 0) return 'QUANTITY_NOT_MET';
  if (sp.conditionMinSubtotal !== null && subtotal < sp.conditionMinSubtotal) return 'CONDITIONS_NOT_MET';
  return null;
}

function modelPlan(s: Scenario, ids: string[]): { entries: ModelEntry[]; total: number } {
  const { req, store } = s;
  const n = req.lines.length;
  const sub = req.lines.map((l) => l.unitPrice * l.quantity);
  const floor = req.lines.map((l, i) => (l.cannabis !== false ? Math.min(store.minimumUnitPriceMinor * l.quantity, sub[i]) : 0));
  const remaining = sub.slice();
  const consumed = new Array<number>(n).fill(0);
  const entries: { id: string; code: boolean; amount: number; lines: number[]; amounts: number[] }[] = [];
  for (const id of modelOrder(s.specs, ids)) {
    const sp = specOfId(s, id);
    let lines: number[];
    let amounts: number[];
    // A tiered rule prices at the highest tier reached on the untouched cart.
    const vt = tiersOf(sp);
    const tierValue = vt ? vt.tiers.filter((t) => t.min <= modelTierCount(s, sp)).pop()!.value : null;
    const headroom = (i: number) => remaining[i] - floor[i];
    const unitFloor = (i: number) => (req.lines[i].cannabis !== false ? Math.min(req.lines[i].unitPrice, store.minimumUnitPriceMinor) : 0);
    const maxDiscount = (xs: number[]) =>
      sp.maxDiscountCents !== null && sp.maxDiscountCents < sum(xs) ? refAllocate(BigInt(sp.maxDiscountCents), xs.map(BigInt)).map(Number) : xs;
    if ((sp.type === 'fixed' && sp.perUnit) || sp.type === 'price') {
      lines = req.lines.flatMap((l, i) => (selects(s, sp.appliesTo, l) ? [i] : []));
      const L = req.lines;
      if (sp.type === 'price') {
        const runs = rankedLines(s, lines.filter((i) => L[i].unitPrice > sp.cents), (i) => L[i].quantity - consumed[i]);
        const chosen = takeUnits(runs, sp.maxUnits, n);
        lines.forEach((i) => (consumed[i] += chosen[i]));
        amounts = maxDiscount(lines.map((i) => Math.max(0, Math.min(chosen[i] * (L[i].unitPrice - sp.cents), headroom(i)))));
      } else {
        const value = tierValue ?? sp.cents;
        const chosen = takeUnits(rankedLines(s, lines, (i) => L[i].quantity), sp.maxUnits, n);
        amounts = maxDiscount(lines.map((i) => Math.max(0, Math.min(value * chosen[i], headroom(i)))));
      }
    } else if (sp.type === 'bundle') {
      // Groups of Q units formed one at a time from the most expensive available units.
      lines = req.lines.flatMap((l, i) => (selects(s, sp.appliesTo, l) ? [i] : []));
      const L = req.lines;
      const runs = rankedLines(s, lines, (i) => L[i].quantity - consumed[i]);
      const room = new Map(lines.map((i) => [i, Math.max(0, headroom(i))]));
      const got = new Map(lines.map((i) => [i, 0]));
      const Q = sp.bundle.quantity;
      let groups = 0;
      let r = 0;
      while (groups < (sp.bundle.maxApplications ?? Infinity)) {
        const members: { i: number; c: number }[] = [];
        let need = Q;
        for (let q = r; q < runs.length && need > 0; q++) {
          const c = Math.min(runs[q].n, need);
          if (c > 0) members.push({ i: runs[q].i, c });
          need -= c;
        }
        if (need > 0) break;
        const price = sum(members.map((m) => m.c * L[m.i].unitPrice));
        if (price <= sp.bundle.priceCents) break;
        const caps = members.map((m) => Math.min(m.c * (L[m.i].unitPrice - unitFloor(m.i)), room.get(m.i)!));
        const discount = Math.min(price - sp.bundle.priceCents, sum(caps));
        const split = discount > 0 ? refWaterFill(discount, members.map((m) => m.c * L[m.i].unitPrice), caps).amounts : members.map(() => 0);
        members.forEach((m, k) => {
          got.set(m.i, got.get(m.i)! + split[k]);
          room.set(m.i, room.get(m.i)! - split[k]);
          consumed[m.i] += m.c;
          runs.find((x) => x.i === m.i)!.n -= m.c;
        });
        while (r < runs.length && runs[r].n === 0) r++;
        groups++;
      }
      amounts = maxDiscount(lines.map((i) => got.get(i)!));
    } else if (sp.type !== 'bogo') {
      lines = req.lines.flatMap((l, i) => (selects(s, sp.appliesTo, l) ? [i] : []));
      const w = lines.map((i) => remaining[i]);
      const caps = lines.map((i) => remaining[i] - floor[i]);
      const uncapped = sp.type === 'percentage' ? halfUp(sum(w), tierValue ?? sp.bps, 10000) : (tierValue ?? sp.cents);
      const amount = Math.min(uncapped, sum(caps));
      if (amount <= 0) amounts = lines.map(() => 0);
      else {
        const alloc = refWaterFill(amount, w, caps);
        amounts = alloc.amounts;
        // maxDiscount: spread in proportion to the exact uncapped allocation.
        if (sp.maxDiscountCents !== null && sp.maxDiscountCents < amount) amounts = refAllocate(BigInt(sp.maxDiscountCents), alloc.shares).map(Number);
      }
    } else {
      const rewardSel = sp.bogo.rewardAppliesTo ?? sp.appliesTo;
      lines = req.lines.flatMap((l, i) => (selects(s, sp.appliesTo, l) || selects(s, rewardSel, l) ? [i] : []));
      const match = modelBogo(
        s,
        sp,
        req.lines.map((l, i) => l.quantity - consumed[i]),
      );
      req.lines.forEach((_, i) => (consumed[i] += match.consumed[i]));
      amounts = lines.map((i) => (match.reward[i] === 0 ? 0 : Math.min(modelRewardValue(s, sp, req.lines[i]) * match.reward[i], remaining[i] - floor[i])));
      if (sp.maxDiscountCents !== null && sp.maxDiscountCents < sum(amounts))
        amounts = refAllocate(BigInt(sp.maxDiscountCents), amounts.map(BigInt)).map(Number);
    }
    lines.forEach((i, k) => (remaining[i] -= amounts[k]));
    entries.push({ id, code: sp.code !== null, amount: sum(amounts), lines, amounts });
  }
  // The store cap: the excess comes off the automatic discounts first, then the entered codes,
  // the one applied last first, each keeping its lines in proportion to what it had on each.
  let excess = sum(entries.map((e) => e.amount)) - floorDiv(capBase(s), store.maxDiscountBps, 10000);
  for (const e of [...entries.filter((x) => !x.code).reverse(), ...entries.filter((x) => x.code).reverse()]) {
    if (excess <= 0) break;
    if (e.amount === 0) continue;
    const cut = Math.min(excess, e.amount);
    e.amount -= cut;
    e.amounts = e.amount > 0 ? refAllocate(BigInt(e.amount), e.amounts.map(BigInt)).map(Number) : e.amounts.map(() => 0);
    excess -= cut;
  }
  return {
    entries: entries.map((e) => ({
      id: e.id,
      amount: e.amount,
      allocations: e.lines.flatMap((i, k): [number, number][] => (e.amounts[k] > 0 ? [[i, e.amounts[k]]] : [])),
    })),
    total: sum(entries.map((e) => e.amount)),
  };
}

/** The applied part of a response in the model's shape. */
const appliedAsModel = (req: EvaluateRequest, res: EvaluateResponse): ModelEntry[] =>
  res.applied.map((a) => ({
    id: a.discountId,
    amount: a.amount,
    allocations: a.allocations.map((x): [number, number] => [req.lines.findIndex((l) => l.id === x.lineId), x.amount]),
  }));

/**
 * The whole decision from the model: candidates (entered codes, first entry only, and automatic
 * discounts), each one's eligibility, the plans (each eligible non-stackable discount alone, the
 * eligible stackable ones together) priced by the model, the winner the store policy picks (ties
 * broken as the spec says), and the exact reasons and order of the rejections.
 */
function checkPlans(s: Scenario, res: EvaluateResponse): void {
  const { req, specs } = s;
  const codeOwner = new Map(specs.flatMap((sp, i) => (ruleCode(sp, i) ? [[ruleCode(sp, i)!.toLowerCase(), ruleId(i)] as const] : [])));
  const entered: { raw: string; owner: string | null; duplicate: boolean }[] = [];
  const seen = new Set<string>();
  for (const raw of req.codes ?? []) {
    const norm = raw.trim().toLowerCase();
    entered.push({ raw, owner: codeOwner.get(norm) ?? null, duplicate: seen.has(norm) });
    seen.add(norm);
  }
  const candidates = new Set<string>([
    ...entered.filter((e) => e.owner && !e.duplicate).map((e) => e.owner!),
    ...specs.flatMap((sp, i) => (sp.code === null ? [ruleId(i)] : [])),
  ]);
  const reasonOf = new Map<string, Reason | null>([...candidates].map((id) => [id, modelEligibility(s, id)]));
  const eligible = [...candidates].filter((id) => reasonOf.get(id) === null).sort();

  const stackable = eligible.filter((id) => specOfId(s, id).stackable === true);
  const plans: { ids: string[]; stackable: boolean; priority: number; id: string }[] = [];
  if (stackable.length) plans.push({ ids: stackable, stackable: true, priority: 0, id: '' });
  for (const id of eligible) if (specOfId(s, id).stackable !== true) plans.push({ ids: [id], stackable: false, priority: specOfId(s, id).priority ?? 0, id });
  const priced = plans.map((p) => ({ ...p, ...modelPlan(s, p.ids) }));

  const storeFirst = s.store.combine === 'best-for-store';
  let winner: (typeof priced)[number] | null = null;
  for (const p of priced) {
    if (p.total <= 0) continue;
    if (
      !winner ||
      (storeFirst ? p.total < winner.total : p.total > winner.total) ||
      (p.total === winner.total &&
        ((p.stackable && !winner.stackable) || (p.stackable === winner.stackable && (p.priority > winner.priority || (p.priority === winner.priority && p.id < winner.id)))))
    )
      winner = p;
  }
  const winnerEntries = winner ? winner.entries.filter((e) => e.amount > 0) : [];
  expect(appliedAsModel(req, res)).toEqual(winnerEntries);
  expect(res.discountTotal).toBe(winner ? winner.total : 0);

  // Why each candidate that did not apply was left out.
  const leftOut = new Map<string, { reason: Reason; winner?: string[] }>();
  for (const p of priced)
    for (const e of p.entries) {
      if (p === winner && e.amount > 0) continue;
      leftOut.set(e.id, e.amount > 0 && winner ? { reason: 'NOT_COMBINABLE', winner: winnerEntries.map((w) => w.id) } : { reason: 'NO_REMAINING_VALUE' });
    }
  const why = (id: string) => (reasonOf.get(id) ? { reason: reasonOf.get(id)! } : leftOut.get(id));
  const expected: { discountId: string | null; code: string | null; reason: Reason; winner?: string[] }[] = [];
  for (const e of entered) {
    if (e.duplicate) expected.push({ discountId: e.owner, code: e.raw, reason: 'DUPLICATE_CODE' });
    else if (!e.owner) expected.push({ discountId: null, code: e.raw, reason: 'UNKNOWN_CODE' });
    else {
      const w = why(e.owner);
      if (w) expected.push({ discountId: e.owner, code: e.raw, ...w });
    }
  }
  for (const id of [...candidates].sort()) {
    if (specOfId(s, id).code !== null) continue;
    if (reasonOf.get(id) && !req.explain) continue;
    const w = why(id);
    if (w) expected.push({ discountId: id, code: null, ...w });
  }
  expect(
    res.rejected.map((r) => ({ discountId: r.discountId, code: r.code, reason: r.reason, ...(r.winner ? { winner: r.winner } : {}) })),
  ).toEqual(expected);
  for (const r of res.rejected) {
    const rsp = r.discountId ? specOfId(s, r.discountId) : null;
    const minPurchaseFailed = rsp !== null && rsp.minPurchaseCents !== null && rsp.minPurchaseCents > 0 && purchaseSubtotal(s) < rsp.minPurchaseCents;
    if (r.reason === 'MIN_PURCHASE_NOT_MET' && minPurchaseFailed) expect(r.shortfall).toBe(rsp!.minPurchaseCents! - purchaseSubtotal(s));
    else if (r.reason === 'MIN_PURCHASE_NOT_MET' || r.reason === 'MIN_QUANTITY_NOT_MET') expect(r.shortfall).toBe(tiersOf(rsp!)!.tiers[0].min - modelTierCount(s, rsp!));
    // Customer-facing messages never show internal ids (the rules are named "Rule <i>").
    if (r.discountId) expect(r.message).not.toMatch(new RegExp(`\\b${r.discountId}\\b`));
  }
}

function runScenario(s: Scenario): void {
  const sources = ruleSources(s.specs);
  const prepared = compile(s.store, sources);
  expect(validators.request(s.req), JSON.stringify(validators.request.errors)).toBe(true);
  const opts = { now: NOW, usage: s.usage };
  const res = evaluate(prepared, s.req, opts);
  checkResponse(s, res);
  checkPlans(s, res);
  const text = JSON.stringify(res);

  // Determinism: the rule files in another order give a byte-identical response.
  const shuffled = compile(
    s.store,
    s.order.map((i) => sources[i]),
  );
  expect(shuffled.version).toBe(prepared.version);
  expect(JSON.stringify(evaluate(shuffled, s.req, opts))).toBe(text);

  // The rule index decides exactly as the full scan (explain scans everything anyway).
  expect(JSON.stringify(evaluate(prepared, s.req, { ...opts, useIndex: false }))).toBe(text);
  expect(JSON.stringify(evaluate(prepared, s.req, { ...opts, useIndex: true }))).toBe(text);
}

describe('evaluate on random rulesets and carts', () => {
  it('holds every pricing invariant (unitPrice up to 100000, quantity up to 20)', () => {
    fc.assert(
      fc.property(scenario({ maxUnitPrice: 100_000, maxQuantity: 20 }), (s) => runScenario(s)),
      { numRuns: 300 },
    );
  });

  it('holds every pricing invariant at the request schema bounds (BigInt paths)', () => {
    fc.assert(
      fc.property(scenario({ maxUnitPrice: 100_000_000, maxQuantity: 10_000 }), (s) => runScenario(s)),
      { numRuns: 100 },
    );
  });

  it('the generators reach applied discounts of every type, floors, the store cap and every rejection reason', () => {
    // Guards against generators that silently stop exercising the invariants above.
    const seen: Record<string, number> = { percentage: 0, fixed: 0, bogo: 0, price: 0, bundle: 0, perUnit: 0, tiered: 0, amountOff: 0, floorBinds: 0, storeCapBinds: 0, multiApplied: 0, codeTrimmedByCap: 0 };
    // These generators write no budgets: BUDGET_EXHAUSTED and the budget cap have their own property
    // (test/pricing/budget.test.ts) and the ledger's concurrency tests.
    for (const r of REASONS) if (r !== 'BUDGET_EXHAUSTED') seen[r] = 0;
    fc.assert(
      fc.property(scenario({ maxUnitPrice: 100_000, maxQuantity: 20 }), (s) => {
        const prepared = compile(s.store, ruleSources(s.specs));
        const res = evaluate(prepared, { ...s.req, explain: true }, { now: NOW, usage: s.usage });
        for (const a of res.applied) {
          seen[a.type]++;
          const sp = specOfId(s, a.discountId);
          if (sp.type === 'fixed' && sp.perUnit) seen.perUnit++;
          if (tiersOf(sp)) seen.tiered++;
          if (sp.type === 'bogo' && sp.bogo.amountOffCents !== null) seen.amountOff++;
        }
        for (const r of res.rejected) seen[r.reason]++;
        if (res.applied.length > 1) seen.multiApplied++;
        if (res.lines.some((l, i) => s.req.lines[i].cannabis !== false && l.discount > 0 && l.total === Math.min(l.subtotal, s.store.minimumUnitPriceMinor * s.req.lines[i].quantity) && l.total > 0))
          seen.floorBinds++;
        if (res.discountTotal > 0 && res.discountTotal === floorDiv(capBase(s), s.store.maxDiscountBps, 10000)) {
          seen.storeCapBinds++;
          if (res.applied.some((a) => a.code !== null) && res.applied.some((a) => a.code === null)) seen.codeTrimmedByCap++;
        }
      }),
      { numRuns: 1500, seed: 42 },
    );
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(k === 'codeTrimmedByCap' ? 0 : 2);
  });
});

// ---------------------------------------------------------------------------
// Part 2: allocation and bogo matching, directly

/** Largest remainder in BigInt: floors, then one unit each to the largest remainders, ties to the earlier index. */
function refAllocate(amount: bigint, weights: readonly bigint[]): bigint[] {
  const total = weights.reduce((s, w) => s + w, 0n);
  if (amount === 0n) return weights.map(() => 0n);
  const out = weights.map((w) => (amount * w) / total);
  const rems = weights.map((w) => (amount * w) % total);
  let left = amount - out.reduce((s, x) => s + x, 0n);
  const order = weights.map((_, i) => i).sort((a, b) => (rems[a] > rems[b] ? -1 : rems[a] < rems[b] ? 1 : a - b));
  for (let k = 0; left > 0n; k++, left--) out[order[k]] += 1n;
  return out;
}

/**
 * Water-filling with caps in exact BigInt rationals (all over-cap lines capped per round), then
 * largest remainder. Also returns the exact (unrounded) shares over a common denominator.
 */
function refWaterFill(amount: number, weights: readonly number[], caps: readonly number[]): { amounts: number[]; shares: bigint[] } {
  const n = weights.length;
  const capped = weights.map((w) => w === 0);
  let left = BigInt(amount);
  let W = 0n;
  for (;;) {
    left = BigInt(amount);
    W = 0n;
    for (let i = 0; i < n; i++) {
      if (capped[i]) left -= weights[i] > 0 ? BigInt(caps[i]) : 0n;
      else W += BigInt(weights[i]);
    }
    if (W === 0n || left <= 0n) break;
    const over = weights.map((w, i) => !capped[i] && left * BigInt(w) > BigInt(caps[i]) * W);
    if (!over.some(Boolean)) break;
    over.forEach((o, i) => o && (capped[i] = true));
  }
  const amounts = weights.map((w, i) => (capped[i] && w > 0 ? caps[i] : 0));
  const active = weights.map((_, i) => i).filter((i) => !capped[i]);
  if (left > 0n) {
    const split = refAllocate(
      left,
      active.map((i) => BigInt(weights[i])),
    );
    active.forEach((i, k) => (amounts[i] = Number(split[k])));
  }
  const D = W > 0n ? W : 1n;
  const shares = weights.map((w, i) => (capped[i] ? BigInt(amounts[i]) * D : left > 0n ? left * BigInt(w) : 0n));
  return { amounts, shares };
}

const refAllocateWithCaps = (amount: number, weights: readonly number[], caps: readonly number[]) => refWaterFill(amount, weights, caps).amounts;

const weightsArb = (max: number) =>
  fc.array(fc.oneof(fc.integer({ min: 0, max }), fc.constant(0), fc.constant(max)), { minLength: 1, maxLength: 30 }).filter((ws) => ws.some((w) => w > 0));

describe('allocateByWeights', () => {
  it('sums exactly, every share within one unit of its exact share, and matches the BigInt reference', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), weightsArb(1_000_000), (amount, weights) => {
        const out = allocateByWeights(amount, weights);
        expect(sum(out)).toBe(amount);
        const total = BigInt(sum(weights));
        out.forEach((x, i) => {
          const exactFloor = (BigInt(amount) * BigInt(weights[i])) / total;
          expect(BigInt(x) === exactFloor || BigInt(x) === exactFloor + 1n).toBe(true);
          if (weights[i] === 0) expect(x).toBe(0);
        });
        expect(out).toEqual(refAllocate(BigInt(amount), weights.map(BigInt)).map(Number));
      }),
      { numRuns: 300 },
    );
  });

  it('gives tied remainders to the earlier index', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 20 }), (amount, w, n) => {
        const out = allocateByWeights(amount, new Array(n).fill(w));
        const base = Math.floor(amount / n);
        expect(out).toEqual(out.map((_, i) => base + (i < amount % n ? 1 : 0)));
      }),
      { numRuns: 200 },
    );
  });

  it('takes the BigInt path when amount x total weight passes 2^53, and still matches the reference', () => {
    let bigPath = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), weightsArb(10_000_000_000_000), (amount, weights) => {
        if (amount * sum(weights) > Number.MAX_SAFE_INTEGER) bigPath++;
        const out = allocateByWeights(amount, weights);
        expect(sum(out)).toBe(amount);
        expect(out).toEqual(refAllocate(BigInt(amount), weights.map(BigInt)).map(Number));
      }),
      { numRuns: 300 },
    );
    expect(bigPath).toBeGreaterThan(100);
  });

  it('allocateByBigWeights matches the reference on weights far beyond 2^53', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.array(fc.bigInt({ min: 0n, max: 1n << 100n }), { minLength: 1, maxLength: 20 }).filter((ws) => ws.some((w) => w > 0n)),
        (amount, weights) => {
          const out = allocateByBigWeights(amount, weights);
          expect(sum(out)).toBe(amount);
          expect(out).toEqual(refAllocate(BigInt(amount), weights).map(Number));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('allocateWithCaps', () => {
  /** weights (remaining) with caps (headroom) in [0, weight], and amount <= sum of caps. */
  const capped = (max: number) =>
    fc
      .array(
        fc.integer({ min: 0, max }).chain((w) =>
          fc.oneof(fc.constant(w), fc.constant(0), fc.integer({ min: 0, max: w }), fc.constant(Math.max(0, w - 1))).map((c) => [w, c] as const),
        ),
        { minLength: 1, maxLength: 30 },
      )
      .chain((pairs) => {
        const capSum = sum(pairs.map(([w, c]) => (w > 0 ? c : 0)));
        return fc.oneof(fc.integer({ min: 0, max: capSum }), fc.constant(capSum)).map((amount) => ({
          amount,
          weights: pairs.map(([w]) => w),
          caps: pairs.map(([, c]) => c),
        }));
      });

  const check = ({ amount, weights, caps }: { amount: number; weights: number[]; caps: number[] }) => {
    const n = weights.length;
    const alloc = allocateWithCaps(amount, weights, caps);
    const { amounts } = alloc;
    expect(sum(amounts)).toBe(amount);
    amounts.forEach((a, i) => {
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(caps[i]);
      if (weights[i] === 0) expect(a).toBe(0);
    });
    expect(amounts).toEqual(refAllocateWithCaps(amount, weights, caps));
    // The exact shares round back to the same allocation (what a maxDiscount spread relies on).
    const shares = exactShares(alloc, weights);
    if (amount > 0) expect(allocateByBigWeights(amount, shares)).toEqual(amounts);
    // ... and are the reference's exact shares, up to the common denominator.
    const ref = refWaterFill(amount, weights, caps).shares;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(shares[i] * ref[j]).toBe(shares[j] * ref[i]);
  };

  it('sums exactly, respects every cap, and matches the exact water-filling reference', () => {
    fc.assert(fc.property(capped(100_000), check), { numRuns: 300 });
  });

  it('the same with amounts whose products pass 2^53', () => {
    fc.assert(fc.property(capped(5_000_000_000_000), check), { numRuns: 200 });
  });
});

// ---------------------------------------------------------------------------
// matchBogo

/**
 * Brute force over every assignment of each unit to nothing, a purchase or a reward: the largest
 * k (at most maxApplications) with k x get rewards (reward-set units worth a reward) and k x buy
 * purchases (buy-set units), $0 units taking no part; and the least total price of the rewarded
 * units for that k.
 */
function bruteBogo(lines: readonly BogoLine[], buy: number, get: number, maxApplications: number | null): { k: number; minRewardPrice: number } {
  const units: BogoLine[] = lines.flatMap((l) => Array.from({ length: Math.max(0, l.available) }, () => l));
  let best = { k: 0, minRewardPrice: 0 };
  const roles = new Array<number>(units.length).fill(0);
  const visit = (u: number): void => {
    if (u === units.length) {
      let rewards = 0;
      let purchases = 0;
      let price = 0;
      for (let i = 0; i < units.length; i++) {
        if (roles[i] === 1) purchases++;
        if (roles[i] === 2) {
          rewards++;
          price += units[i].unitPrice;
        }
      }
      if (rewards % get !== 0 || purchases * get !== rewards * buy) return;
      const k = rewards / get;
      if (maxApplications !== null && k > maxApplications) return;
      if (k > best.k || (k === best.k && k > 0 && price < best.minRewardPrice)) best = { k, minRewardPrice: price };
      return;
    }
    const unit = units[u];
    roles[u] = 0;
    visit(u + 1);
    if (unit.unitPrice > 0 && unit.inBuySet) {
      roles[u] = 1;
      visit(u + 1);
    }
    if (unit.unitPrice > 0 && unit.inRewardSet && unit.rewardValue > 0) {
      roles[u] = 2;
      visit(u + 1);
    }
    roles[u] = 0;
  };
  visit(0);
  return best;
}

const bogoLine: fc.Arbitrary<BogoLine> = fc
  .record({
    unitPrice: fc.constantFrom(0, 1, 100, 100, 250, 500, 999),
    available: fc.integer({ min: 0, max: 3 }),
    inBuySet: fc.boolean(),
    inRewardSet: fc.boolean(),
    // A unit at its floor (or with a tiny percentOff) is worth no reward.
    zeroReward: fc.boolean(),
  })
  .map(({ zeroReward, ...l }) => ({ ...l, rewardValue: zeroReward || l.unitPrice === 0 ? 0 : l.unitPrice }));
/** Small carts (at most 8 units), overlapping and disjoint sets. */
const bogoCase = fc
  .record({
    lines: fc.array(bogoLine, { minLength: 0, maxLength: 5 }),
    buy: fc.integer({ min: 1, max: 3 }),
    get: fc.integer({ min: 1, max: 2 }),
    maxApplications: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
    disjoint: fc.boolean(),
  })
  .map(({ disjoint, ...c }) => (disjoint ? { ...c, lines: c.lines.map((l) => ({ ...l, inRewardSet: l.inRewardSet && !l.inBuySet })) } : c))
  .filter((c) => sum(c.lines.map((l) => l.available)) <= 8);

describe('matchBogo', () => {
  it('finds the most applications and the cheapest rewards for them (brute force over every assignment, up to 8 units)', () => {
    fc.assert(
      fc.property(bogoCase, ({ lines, buy, get, maxApplications }) => {
        const m = matchBogo(lines, buy, get, maxApplications);
        const brute = bruteBogo(lines, buy, get, maxApplications);
        expect(m.applications).toBe(brute.k);
        expect(sum(m.rewardUnits)).toBe(m.applications * get);
        expect(sum(m.consumed)).toBe(m.applications * (buy + get));
        const rewardPrice = sum(lines.map((l, i) => l.unitPrice * m.rewardUnits[i]));
        expect(rewardPrice).toBe(brute.minRewardPrice);
        lines.forEach((l, i) => {
          expect(m.consumed[i]).toBeLessThanOrEqual(Math.max(0, l.available));
          expect(m.rewardUnits[i]).toBeLessThanOrEqual(m.consumed[i]);
          if (!l.inRewardSet || l.rewardValue === 0) expect(m.rewardUnits[i]).toBe(0);
          if (!l.inBuySet) expect(m.consumed[i]).toBe(m.rewardUnits[i]);
          if (l.unitPrice === 0) expect(m.consumed[i]).toBe(0);
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('the cart-level count of missing units makes exactly one application possible', () => {
    fc.assert(
      fc.property(bogoCase, ({ lines, buy, get }) => {
        const counts = bogoCounts(lines);
        const n = bogoUnitsMissing(counts, buy, get);
        if (bogoApplications(counts, buy, get, 1) > 0) expect(n).toBe(0);
        else expect(n).toBeGreaterThan(0);
        // Adding n units of the right kinds allows one application; n - 1 of any kinds never do,
        // whether the added items can be in both sets or only in one of them.
        const canWith = (extra: number, bothAllowed: boolean) => {
          for (let r = 0; r <= extra; r++)
            for (let b = 0; b <= extra - r; b++) {
              const both = extra - r - b;
              if (!bothAllowed && both > 0) continue;
              if (bogoApplications({ rewardOnly: counts.rewardOnly + r, buyOnly: counts.buyOnly + b, both: counts.both + both }, buy, get, 1) > 0) return true;
            }
          return false;
        };
        for (const bothAllowed of [true, false]) {
          expect(canWith(n, bothAllowed)).toBe(true);
          if (n > 0) expect(canWith(n - 1, bothAllowed)).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('with many units per line, equals the unit-expanded greedy rule (cheapest candidates, capped from the buy set)', () => {
    const manyUnits = fc.record({
      lines: fc.array(
        fc.record({
          unitPrice: fc.constantFrom(0, 100, 100, 250, 500, 999),
          available: fc.integer({ min: 0, max: 60 }),
          inBuySet: fc.boolean(),
          inRewardSet: fc.boolean(),
          rewardValue: fc.constantFrom(0, 50, 50),
        }),
        { minLength: 1, maxLength: 6 },
      ),
      buy: fc.integer({ min: 1, max: 4 }),
      get: fc.integer({ min: 1, max: 3 }),
      maxApplications: fc.option(fc.integer({ min: 1, max: 40 }), { nil: null }),
    });
    fc.assert(
      fc.property(manyUnits, ({ lines, buy, get, maxApplications }) => {
        const m = matchBogo(lines, buy, get, maxApplications);
        // Unit by unit: try k from the largest conceivable down.
        const units = lines.flatMap((l, i) => (l.unitPrice > 0 ? Array.from({ length: l.available }, () => ({ ...l, i })) : []));
        const buyUnits = units.filter((u) => u.inBuySet);
        const cands = units.filter((u) => u.inRewardSet && u.rewardValue > 0).sort((a, b) => a.unitPrice - b.unitPrice || b.i - a.i);
        let k = Math.min(maxApplications ?? Infinity, Math.floor(units.length / (buy + get)));
        for (; k > 0; k--) {
          let cap = buyUnits.length - k * buy;
          if (cap < 0) continue;
          const picked = [];
          for (const u of cands) {
            if (picked.length === k * get) break;
            if (u.inBuySet) {
              if (cap === 0) continue;
              cap--;
            }
            picked.push(u);
          }
          if (picked.length === k * get) break;
        }
        expect(m.applications).toBe(k);
      }),
      { numRuns: 500 },
    );
  });

  it('when the buy set and the reward set are the same lines, applies as often as the units allow', () => {
    fc.assert(
      fc.property(bogoCase, ({ lines, buy, get, maxApplications }) => {
        const same = lines.map((l) => ({ ...l, inRewardSet: l.inBuySet, rewardValue: l.unitPrice }));
        const units = sum(same.filter((l) => l.inBuySet && l.unitPrice > 0).map((l) => l.available));
        const m = matchBogo(same, buy, get, maxApplications);
        expect(m.applications).toBe(Math.min(maxApplications ?? Infinity, Math.floor(units / (buy + get))));
      }),
      { numRuns: 300 },
    );
  });
});
