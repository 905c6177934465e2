// Evaluate a cart against a prepared ruleset: facts, codes, candidates (through the rule index),
// eligibility with the first failing reason, plans, the winning plan, and the response with a
// reason for everything that did not apply. Synchronous and pure: the clock and the usage counts
// come in as arguments.

import { formatMoney, mulDivHalfUp } from '../domain/money.js';
import { dayOfWeek, formatDate, parseDateTime, previousDay, toEpoch, wallTimeAt } from '../domain/time.js';
import type {
  AppliedDiscount,
  CompiledDiscount,
  EligibilityReason,
  EvaluateRequest,
  EvaluateResponse,
  Rejection,
  Usage,
} from '../domain/types.js';
import { normalizeCode } from '../dsl/compile.js';
import { bogoApplications, bogoUnitsMissing } from '../pricing/bogo.js';
import { bogoCartCounts, lineFloors, pricePlan, type PlanDiscount, type PricingCart } from '../pricing/plan.js';
import type { Facts } from './conditions.js';
import type { MatchSets, PreparedDiscount, PreparedRuleset, Selector } from './prepare.js';

export interface EvaluateOptions {
  /** The instant (ms since epoch) to use when the request has no `at`: the caller's clock. */
  now: number;
  /** Redemption counts; absent = zero everywhere. */
  usage?: Usage;
  /** false scans every automatic discount instead of using the rule index (the reference path). */
  useIndex?: boolean;
}

interface CartView extends PricingCart {
  capBase: number;
  lineIds: readonly string[];
  category: readonly string[];
  productId: readonly string[];
  brand: readonly (string | undefined)[];
  vendor: readonly (string | undefined)[];
  tags: readonly (readonly string[] | undefined)[];
  byCategory: Map<string, number[]>;
  byProduct: Map<string, number[]>;
  byBrand: Map<string, number[]>;
  byVendor: Map<string, number[]>;
  byTag: Map<string, number[]>;
  /** false for a line the store never discounts. */
  discountable: readonly boolean[];
  /** Whether some line is never discounted. */
  hasNever: boolean;
  /** The lines a discount may touch: every discountable line, ascending. */
  allLines: number[];
  /** The subtotal minPurchase counts (never-discounted lines only when they count toward minimums). */
  purchaseSubtotal: number;
  /** Lines per general selector, computed once per evaluation. */
  selected: Map<Selector, number[]>;
}

/** An eligible discount's plan entry, or the first eligibility check it failed. */
type Outcome = PlanDiscount | EligibilityReason;

/** Evaluates a request that passed checkRequest. */
export function evaluate(rs: PreparedRuleset, req: EvaluateRequest, opts: EvaluateOptions): EvaluateResponse {
  const policy = rs.compiled.policy;
  const cart = cartView(req, rs);
  const facts = buildFacts(rs, req, cart, opts);

  // Entered codes, in entry order.
  const codeEntries: { raw: string; pd: PreparedDiscount | null; duplicate: boolean }[] = [];
  const seenCodes = new Set<string>();
  for (const raw of req.codes ?? []) {
    const norm = normalizeCode(raw);
    const pd = rs.byCode.get(norm) ?? null;
    codeEntries.push({ raw, pd, duplicate: seenCodes.has(norm) });
    seenCodes.add(norm);
  }

  // Candidates: entered code discounts, then automatic ones (through the index unless explaining).
  // Outcomes by ordinal (a holey array: cheaper than a Map for thousands of candidates), and the
  // ordinals decided, in the order they were decided.
  const outcomes: (Outcome | undefined)[] = new Array(rs.discounts.length);
  const decided: number[] = [];
  const decide = (pd: PreparedDiscount, matched = false) => {
    if (outcomes[pd.ordinal] === undefined) {
      outcomes[pd.ordinal] = eligibility(pd, matched && pd.itemsSkippable ? pd.itemsCheck : -1, cart, facts);
      decided.push(pd.ordinal);
    }
  };
  for (const e of codeEntries) if (e.pd && !e.duplicate) decide(e.pd, false);
  // Outcomes do not depend on the order discounts are decided in: plans are sorted by application
  // rank and rejections by id below.
  if (req.explain || opts.useIndex === false) for (const ordinal of rs.automatic) decide(rs.discounts[ordinal], false);
  else forEachIndexedCandidate(rs, cart, decide);

  // Plans: the eligible stackable discounts together; each non-stackable one alone.
  const stackable: PlanDiscount[] = [];
  const plans: { discounts: PlanDiscount[]; stackable: boolean; priority: number; id: string }[] = [];
  for (const ordinal of decided) {
    const o = outcomes[ordinal]!;
    if (typeof o === 'string') continue;
    const d = rs.discounts[ordinal].discount;
    if (d.stackable) stackable.push(o);
    else plans.push({ discounts: [o], stackable: false, priority: d.priority, id: d.id });
  }
  if (stackable.length) plans.unshift({ discounts: sortByRank(stackable), stackable: true, priority: 0, id: '' });
  const pricingPolicy = { minimumUnitPrice: policy.minimumUnitPrice, maxDiscountBps: policy.maxDiscountBps };
  const floors = lineFloors(cart, pricingPolicy);
  const priced = plans.map((p) => ({ ...p, result: pricePlan(cart, p.discounts, pricingPolicy, floors) }));

  // The winner: largest (best-for-customer) or smallest positive (best-for-store) total; ties:
  // the stackable plan, then higher priority, then smaller id.
  const storeFirst = policy.combine === 'best-for-store';
  let winner: (typeof priced)[number] | null = null;
  for (const p of priced) {
    if (p.result.total <= 0) continue;
    if (!winner) {
      winner = p;
      continue;
    }
    const better = storeFirst ? p.result.total < winner.result.total : p.result.total > winner.result.total;
    const tie = p.result.total === winner.result.total;
    if (better || (tie && tieBreak(p, winner) < 0)) winner = p;
  }

  // What each eligible discount came to.
  const applied: AppliedDiscount[] = [];
  const lineDiscount = new Array<number>(req.lines.length).fill(0);
  const leftOut: (Rejection | undefined)[] = new Array(rs.discounts.length); // by ordinal
  // The winner's ids and names, built only if some discount is left out.
  let winnerIds: string[] | null = null;
  let winnerNames = '';
  const leftOutBecause = (): string[] => {
    if (winnerIds === null) {
      const kept = winner ? winner.result.entries.filter((e) => e.amount > 0) : [];
      winnerIds = kept.map((e) => e.discount.id);
      winnerNames = nameList(kept.map((e) => rs.discounts[e.discount.key].discount.name));
    }
    return winnerIds;
  };
  for (const p of priced) {
    for (const entry of p.result.entries) {
      const pd = rs.discounts[entry.discount.key];
      const d = pd.discount;
      if (p === winner && entry.amount > 0) {
        const allocations: AppliedDiscount['allocations'] = [];
        for (let k = 0; k < entry.lines.length; k++) {
          if (entry.amounts[k] === 0) continue;
          allocations.push({ lineId: cart.lineIds[entry.lines[k]], amount: entry.amounts[k] });
          lineDiscount[entry.lines[k]] += entry.amounts[k];
        }
        const funding = d.funding && { vendor: d.funding.vendor, amount: mulDivHalfUp(entry.amount, d.funding.percentBps, 10000) };
        applied.push({ discountId: d.id, name: d.name, type: d.type, code: d.displayCode, amount: entry.amount, allocations, funding, pos: pd.pos && { ...pd.pos } });
      } else if (entry.amount > 0 && winner) {
        const ids = leftOutBecause();
        const message =
          p.result.total === winner.result.total
            ? `${d.name} cannot be combined with ${winnerNames}, which ${winnerIds!.length > 1 ? 'together are worth the same and were' : 'is worth the same and was'} kept by the tie-break (stackable first, then higher priority, then id)`
            : `${d.name} cannot be combined with ${winnerNames}, which ${storeFirst ? 'the store policy prefers' : 'saves the customer more'}`;
        leftOut[pd.ordinal] = { discountId: d.id, code: null, reason: 'NOT_COMBINABLE', message, winner: ids.slice() };
      } else {
        leftOut[pd.ordinal] = { discountId: d.id, code: null, reason: 'NO_REMAINING_VALUE', message: `${d.name} has no value left on this cart` };
      }
    }
  }

  // Rejections: entered codes in entry order, then automatic discounts by id.
  const rejected: Rejection[] = [];
  for (const e of codeEntries) {
    if (e.duplicate) {
      rejected.push({ discountId: e.pd?.discount.id ?? null, code: e.raw, reason: 'DUPLICATE_CODE', message: `Code '${e.raw.trim()}' was entered more than once` });
      continue;
    }
    if (!e.pd) {
      rejected.push({ discountId: null, code: e.raw, reason: 'UNKNOWN_CODE', message: `Code '${e.raw.trim()}' is not a valid promo code` });
      continue;
    }
    const r = rejectionFor(e.pd, outcomes[e.pd.ordinal]!, leftOut, facts, policy, () => missingUnits(rs, e.pd!, cart));
    if (r) rejected.push({ ...r, code: e.raw });
  }
  // Automatic discounts by id (= ordinal order).
  const automaticOrdinals: number[] = [];
  for (const ordinal of decided) {
    const o = outcomes[ordinal]!;
    if (rs.discounts[ordinal].discount.code !== null) continue;
    if (typeof o === 'string' ? req.explain : leftOut[ordinal] !== undefined) automaticOrdinals.push(ordinal);
  }
  automaticOrdinals.sort((a, b) => a - b);
  for (const ordinal of automaticOrdinals) rejected.push(rejectionFor(rs.discounts[ordinal], outcomes[ordinal]!, leftOut, facts, policy, () => missingUnits(rs, rs.discounts[ordinal], cart))!);

  let discountTotal = 0;
  const lines = req.lines.map((l, i) => {
    discountTotal += lineDiscount[i];
    return { id: l.id, subtotal: cart.lineSubtotal[i], discount: lineDiscount[i], total: cart.lineSubtotal[i] - lineDiscount[i] };
  });
  return {
    rulesetVersion: rs.version,
    currency: policy.currency,
    subtotal: cart.subtotal,
    discountTotal,
    total: cart.subtotal - discountTotal,
    lines,
    applied,
    rejected,
  };
}

/** At most three names joined by ", ", then "and N more". */
function nameList(names: readonly string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

/** Plan discounts in application order, by their precomputed rank (a native numeric sort). */
function sortByRank(list: PlanDiscount[]): PlanDiscount[] {
  const n = list.length;
  if (n < 2) return list;
  if (n >= 65536) return list.sort((a, b) => a.rank! - b.rank!);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = list[i].rank! * 65536 + i; // ranks are unique and i < 2^16, so the key is exact
  keys.sort();
  const out = new Array<PlanDiscount>(n);
  for (let i = 0; i < n; i++) out[i] = list[keys[i] % 65536];
  return out;
}

function tieBreak(
  a: { stackable: boolean; priority: number; id: string },
  b: { stackable: boolean; priority: number; id: string },
): number {
  if (a.stackable !== b.stackable) return a.stackable ? -1 : 1;
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Cart, facts and candidates

function cartView(req: EvaluateRequest, rs: PreparedRuleset): CartView {
  const n = req.lines.length;
  const unitPrice = new Array<number>(n);
  const quantity = new Array<number>(n);
  const cannabis = new Array<boolean>(n);
  const lineSubtotal = new Array<number>(n);
  const lineIds = new Array<string>(n);
  const category = new Array<string>(n);
  const productId = new Array<string>(n);
  const brand = new Array<string | undefined>(n);
  const vendor = new Array<string | undefined>(n);
  const tags = new Array<readonly string[] | undefined>(n);
  const discountable = new Array<boolean>(n);
  const byCategory = new Map<string, number[]>();
  const byProduct = new Map<string, number[]>();
  const byBrand = new Map<string, number[]>();
  const byVendor = new Map<string, number[]>();
  const byTag = new Map<string, number[]>();
  const allLines: number[] = [];
  const never = rs.neverDiscount;
  const countNever = rs.compiled.policy.neverDiscount?.countTowardMinimum === true;
  let subtotal = 0;
  let capBase = 0;
  let purchaseSubtotal = 0;
  let hasNever = false;
  for (let i = 0; i < n; i++) {
    const l = req.lines[i];
    unitPrice[i] = l.unitPrice;
    quantity[i] = l.quantity;
    cannabis[i] = l.cannabis !== false;
    lineSubtotal[i] = l.unitPrice * l.quantity;
    lineIds[i] = l.id;
    category[i] = l.category;
    productId[i] = l.productId;
    brand[i] = l.brand;
    vendor[i] = l.vendor;
    tags[i] = l.tags;
    subtotal += lineSubtotal[i];
    push(byCategory, l.category, i);
    push(byProduct, l.productId, i);
    if (l.brand !== undefined) push(byBrand, l.brand, i);
    if (l.vendor !== undefined) push(byVendor, l.vendor, i);
    if (l.tags) for (const t of l.tags) push(byTag, t, i);
    discountable[i] = never === null || !matchesAny(never, l.category, l.productId, l.brand, l.vendor, l.tags);
    if (discountable[i]) {
      allLines.push(i);
      capBase += lineSubtotal[i];
    } else hasNever = true;
    if (discountable[i] || countNever) purchaseSubtotal += lineSubtotal[i];
  }
  return {
    unitPrice,
    quantity,
    cannabis,
    lineSubtotal,
    subtotal,
    capBase,
    lineIds,
    category,
    productId,
    brand,
    vendor,
    tags,
    byCategory,
    byProduct,
    byBrand,
    byVendor,
    byTag,
    discountable,
    hasNever,
    allLines,
    purchaseSubtotal,
    selected: new Map(),
  };
}

function push(m: Map<string, number[]>, k: string, i: number): void {
  const list = m.get(k);
  if (list) list.push(i);
  else m.set(k, [i]);
}

/** Whether a line matches any list of an exclude or neverDiscount. */
function matchesAny(m: MatchSets, category: string, productId: string, brand: string | undefined, vendor: string | undefined, tags: readonly string[] | undefined): boolean {
  if (m.products.has(productId) || m.categories.has(category)) return true;
  if (brand !== undefined && m.brands.has(brand)) return true;
  if (vendor !== undefined && m.vendors.has(vendor)) return true;
  if (tags && m.tags.size > 0) for (const t of tags) if (m.tags.has(t)) return true;
  return false;
}

/**
 * The facts one evaluation decides eligibility on, as json-rules-engine facts: user facts cart,
 * customer, time; internal facts clock, session, usage(params) and bogo(params). Exported for the
 * json-rules-engine reference path (tests, benchmark baseline).
 */
export function evaluationFacts(rs: PreparedRuleset, req: EvaluateRequest, opts: EvaluateOptions): Facts {
  return buildFacts(rs, req, cartView(req, rs), opts);
}

function buildFacts(rs: PreparedRuleset, req: EvaluateRequest, cart: CartView, opts: EvaluateOptions): Facts {
  const tz = rs.compiled.policy.timezone;
  const epochMs = req.at !== undefined ? toEpoch(parseDateTime(req.at)!, tz) : opts.now;
  const wall = wallTimeAt(epochMs, tz);
  const dow = dayOfWeek(wall);
  const customer = req.customer;
  const customerId = typeof customer?.id === 'string' && customer.id !== '' ? customer.id : null;
  const tier = typeof customer?.tier === 'string' ? customer.tier.trim().toLowerCase() : null;
  const groups = Array.isArray(customer?.groups) ? [...new Set(customer.groups.map((g) => g.trim().toLowerCase()))].sort() : [];
  const usage = opts.usage ?? {};
  let itemCount = 0;
  for (const q of cart.quantity) itemCount += q;
  return {
    cart: {
      subtotal: cart.subtotal,
      itemCount,
      lineCount: cart.lineIds.length,
      categories: [...cart.byCategory.keys()].sort(),
      productIds: [...cart.byProduct.keys()].sort(),
      brands: [...cart.byBrand.keys()].sort(),
      vendors: [...cart.byVendor.keys()].sort(),
      tags: [...cart.byTag.keys()].sort(),
    },
    customer: customer ?? {},
    time: { date: formatDate(wall), dayOfWeek: dow, hour: wall.hour, minute: wall.minute },
    clock: { epochMs, dayOfWeek: dow, previousDayOfWeek: previousDay(dow), minuteOfDay: wall.hour * 60 + wall.minute },
    session: { hasCustomer: customer !== undefined, hasCustomerId: customerId !== null, tier, groups, purchaseSubtotal: cart.purchaseSubtotal },
    usage: (params: { discountId: string }) => {
      // Own properties only: ids such as "constructor" must not read Object.prototype.
      const u = Object.hasOwn(usage, params.discountId) ? usage[params.discountId] : undefined;
      const customers = u?.customers;
      const customerUsed = customerId !== null && customers && Object.hasOwn(customers, customerId) ? customers[customerId] : 0;
      return { used: u?.used ?? 0, customerUsed };
    },
    items: (params: { discountId: string }) => linesFor(rs.byId.get(params.discountId)!.appliesTo, cart).length,
    bogo: (params: { discountId: string }) => {
      const pd = rs.byId.get(params.discountId)!;
      const a = pd.discount.action;
      if (a.type !== 'bogo') return 0;
      return bogoApplications(bogoCounts(rs, pd, cart), a.buy, a.get, 1);
    },
  };
}

/**
 * Visits the automatic discounts that could match the cart (through the rule index), each once or
 * more; `matched` is true when the discount was reached by a category or product of the cart.
 */
function forEachIndexedCandidate(rs: PreparedRuleset, cart: CartView, visit: (pd: PreparedDiscount, matched: boolean) => void): void {
  const { byCategory, byProduct, byBrand, byVendor, byTag, general } = rs.index;
  for (const o of general) visit(rs.discounts[o], false);
  const keyed = (index: ReadonlyMap<string, readonly number[]>, cartKeys: Map<string, number[]>) => {
    if (index.size === 0) return;
    for (const k of cartKeys.keys()) {
      const list = index.get(k);
      if (list) for (const o of list) visit(rs.discounts[o], true);
    }
  };
  keyed(byCategory, cart.byCategory);
  keyed(byProduct, cart.byProduct);
  keyed(byBrand, cart.byBrand);
  keyed(byVendor, cart.byVendor);
  keyed(byTag, cart.byTag);
}

const NO_LINES: number[] = [];

/** The fewest qualifying units a bogo's cart lacks for one application. */
function missingUnits(rs: PreparedRuleset, pd: PreparedDiscount, cart: CartView): number {
  const a = pd.discount.action;
  if (a.type !== 'bogo') return 0;
  return bogoUnitsMissing(bogoCounts(rs, pd, cart), a.buy, a.get);
}

/** A bogo's unit counts on the untouched cart. */
function bogoCounts(rs: PreparedRuleset, pd: PreparedDiscount, cart: CartView) {
  const a = pd.discount.action as Extract<CompiledDiscount['action'], { type: 'bogo' }>;
  return bogoCartCounts(cart, linesFor(pd.appliesTo, cart), linesFor(pd.rewardAppliesTo, cart), a.percentOffBps, rs.compiled.policy.minimumUnitPrice);
}

/**
 * Ascending indices of the discountable lines a selector matches: a listed product, or a line
 * matching every attribute list present; less exclude.
 */
function linesFor(sel: Selector | null, cart: CartView): number[] {
  if (!sel) return cart.allLines;
  if (sel.simple && !cart.hasNever) {
    if (sel.onlyCategory !== null) return cart.byCategory.get(sel.onlyCategory) ?? NO_LINES;
    const lists: number[][] = [];
    collect(sel.categories, cart.byCategory, lists);
    collect(sel.products, cart.byProduct, lists);
    if (lists.length === 0) return NO_LINES;
    if (lists.length === 1) return lists[0]; // one cart list: already ascending and unique
    return sortedUnique(lists);
  }
  const cached = cart.selected.get(sel);
  if (cached) return cached;
  const out: number[] = [];
  const keep = (i: number) => {
    if (!cart.discountable[i]) return;
    const x = sel.exclude;
    if (x && matchesAny(x, cart.category[i], cart.productId[i], cart.brand[i], cart.vendor[i], cart.tags[i])) return;
    out.push(i);
  };
  if (sel.attrs.length === 0 && sel.products.size === 0) {
    for (let i = 0; i < cart.lineIds.length; i++) keep(i);
  } else {
    const lists: number[][] = [];
    collect(sel.products, cart.byProduct, lists);
    if (sel.indexBy) {
      const byKey = { categories: cart.byCategory, brands: cart.byBrand, vendors: cart.byVendor, tags: cart.byTag }[sel.indexBy];
      const found: number[][] = [];
      collect(sel[sel.indexBy], byKey, found);
      const attrLines: number[] = [];
      for (const i of found.length === 1 ? found[0] : sortedUnique(found)) if (matchesAll(sel, cart, i)) attrLines.push(i);
      lists.push(attrLines);
    }
    for (const i of lists.length === 1 ? lists[0] : sortedUnique(lists)) keep(i);
  }
  cart.selected.set(sel, out);
  return out;
}

/** Whether a line matches every attribute list of the selector. */
function matchesAll(sel: Selector, cart: CartView, i: number): boolean {
  for (const k of sel.attrs) {
    if (k === 'categories' && !sel.categories.has(cart.category[i])) return false;
    if (k === 'brands' && !(cart.brand[i] !== undefined && sel.brands.has(cart.brand[i]!))) return false;
    if (k === 'vendors' && !(cart.vendor[i] !== undefined && sel.vendors.has(cart.vendor[i]!))) return false;
    if (k === 'tags' && !cart.tags[i]?.some((t) => sel.tags.has(t))) return false;
  }
  return true;
}

/** The union of ascending index lists, ascending and without repeats. */
function sortedUnique(lists: readonly number[][]): number[] {
  const out: number[] = [];
  for (const l of lists) for (const i of l) out.push(i);
  out.sort((a, b) => a - b);
  let w = 0;
  for (let r = 0; r < out.length; r++) if (r === 0 || out[r] !== out[r - 1]) out[w++] = out[r];
  out.length = w;
  return out;
}

/** The cart's line lists for the selected keys, iterating the smaller side. */
function collect(selected: ReadonlySet<string>, byKey: Map<string, number[]>, into: number[][]): void {
  if (selected.size === 0) return;
  if (selected.size <= byKey.size) {
    for (const k of selected) {
      const l = byKey.get(k);
      if (l) into.push(l);
    }
  } else {
    for (const [k, l] of byKey) if (selected.has(k)) into.push(l);
  }
}

/** The first failing check (skipping the one at `skip`, known to pass), or the plan entry. */
function eligibility(pd: PreparedDiscount, skip: number, cart: CartView, facts: Facts): Outcome {
  const d = pd.discount;
  if (!d.enabled) return 'INACTIVE';
  const checks = pd.checks;
  for (let i = 0; i < checks.length; i++) if (i !== skip && !checks[i].test(facts)) return checks[i].reason;
  const eligible = linesFor(pd.appliesTo, cart);
  const plan: PlanDiscount = { id: d.id, key: pd.ordinal, rank: pd.applicationRank, type: d.type, priority: d.priority, sortValue: d.sortValue, action: d.action, eligible, isCode: d.code !== null };
  if (d.action.type === 'bogo') plan.reward = linesFor(pd.rewardAppliesTo, cart);
  return plan;
}

// ---------------------------------------------------------------------------
// Messages

function rejectionFor(
  pd: PreparedDiscount,
  o: Outcome,
  leftOut: readonly (Rejection | undefined)[],
  facts: Facts,
  policy: PreparedRuleset['compiled']['policy'],
  missing: () => number,
): Rejection | null {
  const d = pd.discount;
  if (typeof o !== 'string') return leftOut[pd.ordinal] ?? null;
  const base = { discountId: d.id, code: null, reason: o };
  const money = (m: number) => formatMoney(m, policy.currency, policy.minorDigits);
  switch (o) {
    case 'MIN_PURCHASE_NOT_MET': {
      const subtotal = (facts.session as { purchaseSubtotal: number }).purchaseSubtotal;
      const shortfall = d.minPurchase! - subtotal;
      return { ...base, message: `${d.name}: spend ${money(shortfall)} more (minimum purchase ${money(d.minPurchase!)})`, shortfall };
    }
    case 'CUSTOMER_REQUIRED': {
      // Which half failed: no customer at all, or a customer without the id a per-customer limit needs.
      const hasCustomer = (facts.session as { hasCustomer: boolean }).hasCustomer;
      const message = hasCustomer
        ? `${d.name} needs a customer id (it is limited per customer)`
        : `${d.name} needs an identified customer`;
      return { ...base, message };
    }
    case 'QUANTITY_NOT_MET':
      return { ...base, message: `${d.name}: add ${missing()} more qualifying item(s)` };
    default:
      return { ...base, message: reasonMessage(o, d) };
  }
}

function reasonMessage(reason: EligibilityReason, d: CompiledDiscount): string {
  const s = d.schedule;
  switch (reason) {
    case 'INACTIVE':
      return `${d.name} is paused`;
    case 'NOT_STARTED':
      return `${d.name} starts ${s?.start}`;
    case 'EXPIRED':
      return `${d.name} ended ${s?.end}`;
    case 'OUTSIDE_SCHEDULE': {
      const days = s?.days ? s.days.join(', ') : 'every day';
      const hours = s?.hours ? ` ${s.hours.from}-${s.hours.to}` : '';
      return `${d.name} runs ${days}${hours} (store time)`;
    }
    case 'USAGE_LIMIT_REACHED':
      return `${d.name} has reached its limit of ${d.usageLimit} redemptions`;
    case 'TIER_NOT_ELIGIBLE':
      return `${d.name} is for ${d.tiers!.join(', ')} tier customers`;
    case 'GROUP_NOT_ELIGIBLE':
      return `${d.name} is for customers in the group(s) ${d.groups!.join(', ')}`;
    case 'CUSTOMER_LIMIT_REACHED':
      return `This customer has already used ${d.name} the maximum ${d.perCustomerLimit} time(s)`;
    case 'NO_ELIGIBLE_ITEMS':
      return `No items in the cart qualify for ${d.name}`;
    case 'CONDITIONS_NOT_MET':
      return `The cart does not meet the conditions of ${d.name}`;
    case 'UNKNOWN_CODE':
    case 'MIN_PURCHASE_NOT_MET':
    case 'CUSTOMER_REQUIRED':
    case 'QUANTITY_NOT_MET':
      return reason; // worded in rejectionFor
  }
}
