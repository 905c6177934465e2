// Evaluate a cart against a prepared ruleset: facts, codes, candidates (through the rule index),
// eligibility with the first failing reason, plans, the winning plan, and the response with a
// reason for everything that did not apply. Synchronous and pure: the clock and the usage counts
// come in as arguments.

import { formatMoney, mulDivHalfUp } from '../domain/money.js';
import { dayOfWeek, formatDate, parseDateTime, previousDay, toEpoch, wallTimeAt } from '../domain/time.js';
import type {
  AppliedDiscount,
  CartLine,
  CompiledDiscount,
  Day,
  EligibilityReason,
  EvaluateRequest,
  EvaluateResponse,
  Rejection,
  Usage,
} from '../domain/types.js';
import { normalizeCode } from '../dsl/compile.js';
import { bogoApplications, bogoUnitsMissing } from '../pricing/bogo.js';
import { budgetLeft } from '../pricing/budget.js';
import { bogoCartCounts, lineFloors, pricePlanPrefix, type PlanResult, type PlanRule, type PricingCart } from '../pricing/plan.js';
import { actionAtTier, tierReached, tierShortfall } from '../pricing/tiers.js';
import { bundleUnits } from '../pricing/units.js';
import type { Facts } from './conditions.js';
import { IS_CODE, IS_DIRECT, IS_STACKABLE, IS_TIERED, type MatchSets, type PreparedDiscount, type PreparedRuleset, type Selector } from './prepare.js';

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
  byCategory: Map<string, number[]>;
  /** Lines by product id, brand, vendor and tag, each built on first use (see linesBy). */
  by: Partial<Record<LineKey, Map<string, number[]>>>;
  /** false for a line the store never discounts. */
  discountable: readonly boolean[];
  /** Whether some line is never discounted. */
  hasNever: boolean;
  /** The lines a discount may touch: every discountable line, ascending. */
  lines: EvaluateRequest['lines'];
  allLines: number[];
  /** The subtotal minPurchase counts (never-discounted lines only when they count toward minimums). */
  purchaseSubtotal: number;
  /** Lines per general selector, computed once per evaluation. */
  selected: Map<Selector, number[]>;
}

/** The line fields other than the category that selectors and the index key lines by. */
type LineKey = 'productId' | 'brand' | 'vendor' | 'tags';

/**
 * What each candidate came to, by ordinal (a holey array: cheaper than a Map for thousands of
 * candidates): the first eligibility check it failed, or the lines it applies to when eligible
 * (the buy set for bogo); once priced, an eligible discount left out of the applied list holds
 * why (a LeftOut number). undefined = not a candidate.
 */
type Outcome = EligibilityReason | readonly number[] | LeftOut;

type LeftOut = typeof NO_REMAINING_VALUE | typeof NOT_COMBINABLE | typeof NOT_COMBINABLE_TIE;
const NO_REMAINING_VALUE = 1;
const NOT_COMBINABLE = 2;
const NOT_COMBINABLE_TIE = 3;

interface PricedPlan {
  /** Application ranks of its discounts, ascending (the ordinal of rank r is table.byRank[r]). */
  ranks: readonly number[];
  result: PlanResult;
  stackable: boolean;
  priority: number;
  id: string;
}

/** Evaluates a request that passed checkRequest. */
export function evaluate(rs: PreparedRuleset, req: EvaluateRequest, opts: EvaluateOptions): EvaluateResponse {
  const policy = rs.compiled.policy;
  const cart = cartView(req, rs);
  const facts = buildFacts(rs, req, cart, opts);
  const discounts = rs.discounts;
  const { flags, byRank, planByRank, ids, noValueMessages } = rs.table;

  // Entered codes, in entry order.
  const codeEntries: { raw: string; pd: PreparedDiscount | null; duplicate: boolean }[] = [];
  const seenCodes = new Set<string>();
  for (const raw of req.codes ?? []) {
    const norm = normalizeCode(raw);
    const pd = rs.byCode.get(norm) ?? null;
    codeEntries.push({ raw, pd, duplicate: seenCodes.has(norm) });
    seenCodes.add(norm);
  }

  // Candidates: entered code discounts, then automatic ones (through the index unless explaining),
  // each decided once; `decided` keeps the order they were decided in. Outcomes do not depend on
  // that order: plans are sorted by application rank and rejections by id below.
  const outcomes: (Outcome | undefined)[] = new Array(discounts.length);
  const decided: number[] = [];
  for (const e of codeEntries) {
    if (!e.pd || e.duplicate || outcomes[e.pd.ordinal] !== undefined) continue;
    outcomes[e.pd.ordinal] = eligibility(e.pd, -1, cart, facts);
    decided.push(e.pd.ordinal);
  }
  if (req.explain || opts.useIndex === false) {
    for (const o of rs.automatic) {
      outcomes[o] = eligibility(discounts[o], -1, cart, facts);
      decided.push(o);
    }
  } else {
    // A discount reached by one of the cart's categories skips its NO_ELIGIBLE_ITEMS check where
    // that is exact (itemsSkippable); one flagged IS_DIRECT has nothing else to check, and its
    // lines are the category's lines in hand.
    const { byCategory, byProduct, general } = rs.index;
    for (const o of general) {
      if (outcomes[o] !== undefined) continue;
      outcomes[o] = eligibility(discounts[o], -1, cart, facts);
      decided.push(o);
    }
    for (const [c, lines] of cart.byCategory) {
      const list = byCategory.get(c);
      if (list === undefined) continue;
      for (let i = 0; i < list.length; i++) {
        const o = list[i];
        if (outcomes[o] !== undefined) continue;
        outcomes[o] = flags[o] & IS_DIRECT ? lines : eligibility(discounts[o], discounts[o].itemsSkippable ? discounts[o].itemsCheck : -1, cart, facts);
        decided.push(o);
      }
    }
    // Products, brands, vendors and tags: a discount reached by one of them skips NO_ELIGIBLE_ITEMS
    // only where that is exact (itemsSkippable).
    const keyed = (index: ReadonlyMap<string, readonly number[]>, key: LineKey) => {
      if (index.size === 0) return;
      for (const k of linesBy(cart, key).keys()) {
        const list = index.get(k);
        if (list === undefined) continue;
        for (let i = 0; i < list.length; i++) {
          const o = list[i];
          if (outcomes[o] !== undefined) continue;
          outcomes[o] = eligibility(discounts[o], discounts[o].itemsSkippable ? discounts[o].itemsCheck : -1, cart, facts);
          decided.push(o);
        }
      }
    };
    keyed(byProduct, 'productId');
    keyed(rs.index.byBrand, 'brand');
    keyed(rs.index.byVendor, 'vendor');
    keyed(rs.index.byTag, 'tags');
  }

  // Plans: the eligible stackable discounts together, in application order; each non-stackable one
  // alone. A plan's discounts are built only when pricing reaches them (see pricePlanPrefix).
  let stackable = 0;
  const single: number[] = [];
  for (let i = 0; i < decided.length; i++) {
    const o = decided[i];
    if (typeof outcomes[o] === 'string') continue;
    if (flags[o] & IS_STACKABLE) stackable++;
    else single.push(o);
  }
  const pricingPolicy = { minimumUnitPrice: policy.minimumUnitPrice, maxDiscountBps: policy.maxDiscountBps };
  const floors = lineFloors(cart, pricingPolicy);
  const priced: PricedPlan[] = [];
  // A tiered discount prices as its tier reached on this cart (eligibility made sure there is one).
  let tiered: Map<number, PlanRule> | null = null;
  const ruleAt = (rank: number): PlanRule => {
    const o = byRank[rank];
    if ((flags[o] & IS_TIERED) === 0) return planByRank[rank];
    tiered ??= new Map();
    let r = tiered.get(o);
    if (!r) {
      const base = planByRank[rank];
      const a = base.action as Extract<PlanRule['action'], { type: 'percentage' | 'fixed' }>;
      tiered.set(o, (r = { ...base, action: actionAtTier(a, tierReached(a.tiers!, minimumCount(rs, discounts[o], cart))) }));
    }
    return r;
  };
  const usage = opts.usage ?? {};
  const price = (ranks: readonly number[]): PlanResult => {
    let lastCode = -1;
    for (let k = 0; k < ranks.length; k++) if (planByRank[ranks[k]].isCode) lastCode = k;
    return pricePlanPrefix(
      cart,
      ranks.length,
      (k) => ruleAt(ranks[k]),
      (k) => outcomes[byRank[ranks[k]]] as readonly number[],
      (k) => linesFor(discounts[byRank[ranks[k]]].rewardAppliesTo, cart),
      lastCode,
      pricingPolicy,
      floors,
      (k) => {
        const d = discounts[byRank[ranks[k]]].discount;
        return d.budget === undefined ? null : budgetLeft(d.budget, givenOf(usage, d.id));
      },
    );
  };
  if (stackable > 0) {
    const ranks = stackRanks(rs, decided, outcomes, stackable);
    priced.push({ ranks, result: price(ranks), stackable: true, priority: 0, id: '' });
  }
  for (const o of single) {
    const d = discounts[o].discount;
    const ranks = [discounts[o].applicationRank];
    priced.push({ ranks, result: price(ranks), stackable: false, priority: d.priority, id: d.id });
  }

  // The winner: largest (best-for-customer) or smallest positive (best-for-store) total; ties:
  // the stackable plan, then higher priority, then smaller id.
  const storeFirst = policy.combine === 'best-for-store';
  let winner: PricedPlan | null = null;
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

  // What each eligible discount came to: applied (the winner's entries above 0), or left out.
  const applied: AppliedDiscount[] = [];
  const lineDiscount = new Array<number>(req.lines.length).fill(0);
  for (const p of priced) {
    const entries = p.result.entries;
    const n = p.ranks.length;
    for (let k = 0; k < n; k++) {
      const o = byRank[p.ranks[k]];
      // Past the priced prefix, every discount came to 0.
      const entry = k < entries.length ? entries[k] : null;
      const amount = entry === null ? 0 : entry.amount;
      if (amount > 0 && p === winner) {
        const pd = discounts[o];
        const d = pd.discount;
        const allocations: AppliedDiscount['allocations'] = [];
        for (let j = 0; j < entry!.lines.length; j++) {
          const a = entry!.amounts[j];
          if (a === 0) continue;
          const i = entry!.lines[j];
          allocations.push({ lineId: cart.lineIds[i], amount: a });
          lineDiscount[i] += a;
        }
        const funding = d.funding && { vendor: d.funding.vendor, amount: mulDivHalfUp(amount, d.funding.percentBps, 10000) };
        applied.push({ discountId: d.id, name: d.name, type: d.type, code: d.displayCode, amount, allocations, funding, pos: pd.pos && { ...pd.pos } });
      } else if (amount > 0 && winner) {
        outcomes[o] = p.result.total === winner.result.total ? NOT_COMBINABLE_TIE : NOT_COMBINABLE;
      } else {
        outcomes[o] = NO_REMAINING_VALUE;
      }
    }
  }

  // The winner's ids and names, built only if some discount cannot be combined with it.
  let winnerIds: string[] | null = null;
  let winnerNames = '';
  const leftOutRejection = (o: number, why: LeftOut, code: string | null): Rejection => {
    if (why === NO_REMAINING_VALUE) return { discountId: ids[o], code, reason: 'NO_REMAINING_VALUE', message: noValueMessages[o] };
    const d = discounts[o].discount;
    if (winnerIds === null) {
      const kept = winner!.result.entries.filter((e) => e.amount > 0);
      winnerIds = kept.map((e) => e.discount.id);
      winnerNames = nameList(kept.map((e) => discounts[e.discount.key].discount.name));
    }
    const message =
      why === NOT_COMBINABLE_TIE
        ? `${d.name} cannot be combined with ${winnerNames}, which ${winnerIds.length > 1 ? 'together are worth the same and were' : 'is worth the same and was'} kept by the tie-break (stackable first, then higher priority, then id)`
        : `${d.name} cannot be combined with ${winnerNames}, which ${storeFirst ? 'the store policy prefers' : 'saves the customer more'}`;
    return { discountId: d.id, code, reason: 'NOT_COMBINABLE', message, winner: winnerIds.slice() };
  };

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
    const out = outcomes[e.pd.ordinal]!;
    if (typeof out === 'string') rejected.push(reasonRejection(rs, e.pd, out, e.raw, cart, facts));
    else if (typeof out === 'number') rejected.push(leftOutRejection(e.pd.ordinal, out, e.raw));
  }
  // Automatic discounts by id (= ordinal order): those that failed a check (when explaining) and
  // those left out.
  const explain = Boolean(req.explain);
  const rejectedAutomatic = (o: number): boolean => {
    const out = outcomes[o];
    return (flags[o] & IS_CODE) === 0 && (typeof out === 'number' || (explain && typeof out === 'string'));
  };
  let count = 0;
  for (let i = 0; i < decided.length; i++) if (rejectedAutomatic(decided[i])) count++;
  const emit = (o: number) => {
    const out = outcomes[o]!;
    rejected.push(typeof out === 'string' ? reasonRejection(rs, discounts[o], out, null, cart, facts) : leftOutRejection(o, out as LeftOut, null));
  };
  if (count * 16 >= discounts.length) {
    for (let o = 0; o < discounts.length; o++) if (rejectedAutomatic(o)) emit(o);
  } else if (count > 0) {
    const list: number[] = [];
    for (let i = 0; i < decided.length; i++) if (rejectedAutomatic(decided[i])) list.push(decided[i]);
    sortNumbers(list);
    for (const o of list) emit(o);
  }

  let discountTotal = 0;
  const lines = new Array<EvaluateResponse['lines'][number]>(req.lines.length);
  for (let i = 0; i < lines.length; i++) {
    discountTotal += lineDiscount[i];
    lines[i] = { id: cart.lineIds[i], subtotal: cart.lineSubtotal[i], discount: lineDiscount[i], total: cart.lineSubtotal[i] - lineDiscount[i] };
  }
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

/** Minor units a discount has given so far (own properties only: ids such as "constructor"). */
function givenOf(usage: Usage, discountId: string): number {
  return Object.hasOwn(usage, discountId) ? (usage[discountId].given ?? 0) : 0;
}

/** Sorts distinct small integers ascending, in place: insertion sort when short, a native typed-array sort otherwise. */
function sortNumbers(list: number[]): void {
  const n = list.length;
  if (n > 128) {
    // A native typed-array sort: several times faster than a comparator sort at these sizes.
    const sorted = Int32Array.from(list).sort();
    for (let i = 0; i < n; i++) list[i] = sorted[i];
    return;
  }
  for (let i = 1; i < n; i++) {
    const x = list[i];
    let j = i - 1;
    while (j >= 0 && list[j] > x) {
      list[j + 1] = list[j];
      j--;
    }
    list[j + 1] = x;
  }
}

/**
 * The application ranks of the eligible stackable discounts (`count` of them among `decided`),
 * ascending: a scan of the rank table when they are many, a sort of their ranks when they are few.
 */
function stackRanks(rs: PreparedRuleset, decided: readonly number[], outcomes: readonly (Outcome | undefined)[], count: number): number[] {
  const { flags, rank, byRank } = rs.table;
  const out = new Array<number>(count);
  let w = 0;
  // Scanning costs a few reads per discount of the ruleset: scan only when candidates are dense
  // ((c): 5,000 of 10,000); (b)'s 75 of 1,000 are insertion-sorted.
  if (count * 4 >= rank.length) {
    for (let r = 0; r < byRank.length && w < count; r++) {
      const o = byRank[r];
      if (flags[o] & IS_STACKABLE && typeof outcomes[o] === 'object') out[w++] = r;
    }
    return out;
  }
  for (let i = 0; i < decided.length; i++) {
    const o = decided[i];
    if (flags[o] & IS_STACKABLE && typeof outcomes[o] === 'object') out[w++] = rank[o];
  }
  sortNumbers(out);
  return out;
}

/** At most three names joined by ", ", then "and N more". */
function nameList(names: readonly string[]): string {
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
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
  const discountable = new Array<boolean>(n);
  const byCategory = new Map<string, number[]>();
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
    subtotal += lineSubtotal[i];
    push(byCategory, l.category, i);
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
    byCategory,
    by: {},
    discountable,
    hasNever,
    allLines,
    purchaseSubtotal,
    selected: new Map(),
    lines: req.lines,
  };
}

/** The cart's lines (ascending indices) by product id, brand, vendor or tag, built on first use: most rulesets never select by them. */
function linesBy(cart: CartView, key: LineKey): Map<string, number[]> {
  let m = cart.by[key];
  if (m) return m;
  m = new Map();
  for (let i = 0; i < cart.lines.length; i++) {
    const v = cart.lines[i][key];
    if (v === undefined) continue;
    if (typeof v === 'string') push(m, v, i);
    else for (const t of v) push(m, t, i);
  }
  return (cart.by[key] = m);
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
 * customer, time; internal facts clock, session, usage, items, bogo, units and minimum (params).
 * Exported for the
 * json-rules-engine reference path (tests, benchmark baseline).
 */
export function evaluationFacts(rs: PreparedRuleset, req: EvaluateRequest, opts: EvaluateOptions): Facts {
  return buildFacts(rs, req, cartView(req, rs), opts);
}

function buildFacts(rs: PreparedRuleset, req: EvaluateRequest, cart: CartView, opts: EvaluateOptions): Facts {
  const customer = req.customer;
  const customerId = typeof customer?.id === 'string' && customer.id !== '' ? customer.id : null;
  const tier = typeof customer?.tier === 'string' ? customer.tier.trim().toLowerCase() : null;
  const groups = Array.isArray(customer?.groups) ? [...new Set(customer.groups.map((g) => g.trim().toLowerCase()))].sort() : [];
  const usage = opts.usage ?? {};
  let itemCount = 0;
  for (const q of cart.quantity) itemCount += q;
  // What only some conditions read is built on first read, once per evaluation: the sorted key
  // lists (a category rule reached through the index never reads them) and store time (only
  // schedules read it). Own accessor properties, so facts keep their keys, order and values.
  let categories: string[] | null = null;
  let productIds: string[] | null = null;
  let brands: string[] | null = null;
  let vendors: string[] | null = null;
  let tags: string[] | null = null;
  let time: { date: string; dayOfWeek: Day; hour: number; minute: number } | null = null;
  let clock: { epochMs: number; dayOfWeek: Day; previousDayOfWeek: Day; minuteOfDay: number } | null = null;
  const storeTime = () => {
    const tz = rs.compiled.policy.timezone;
    const epochMs = req.at !== undefined ? toEpoch(parseDateTime(req.at)!, tz) : opts.now;
    const wall = wallTimeAt(epochMs, tz);
    const dow = dayOfWeek(wall);
    time = { date: formatDate(wall), dayOfWeek: dow, hour: wall.hour, minute: wall.minute };
    clock = { epochMs, dayOfWeek: dow, previousDayOfWeek: previousDay(dow), minuteOfDay: wall.hour * 60 + wall.minute };
  };
  return {
    cart: {
      subtotal: cart.subtotal,
      itemCount,
      lineCount: cart.lineIds.length,
      get categories() {
        return (categories ??= [...cart.byCategory.keys()].sort());
      },
      get productIds() {
        return (productIds ??= [...linesBy(cart, 'productId').keys()].sort());
      },
      get brands() {
        return (brands ??= [...linesBy(cart, 'brand').keys()].sort());
      },
      get vendors() {
        return (vendors ??= [...linesBy(cart, 'vendor').keys()].sort());
      },
      get tags() {
        return (tags ??= [...linesBy(cart, 'tags').keys()].sort());
      },
    },
    customer: customer ?? {},
    get time() {
      if (time === null) storeTime();
      return time;
    },
    get clock() {
      if (clock === null) storeTime();
      return clock;
    },
    session: { hasCustomer: customer !== undefined, hasCustomerId: customerId !== null, tier, groups, purchaseSubtotal: cart.purchaseSubtotal },
    usage: (params: { discountId: string }) => {
      // Own properties only: ids such as "constructor" must not read Object.prototype.
      const u = Object.hasOwn(usage, params.discountId) ? usage[params.discountId] : undefined;
      const customers = u?.customers;
      const customerUsed = customerId !== null && customers && Object.hasOwn(customers, customerId) ? customers[customerId] : 0;
      return { used: u?.used ?? 0, customerUsed, given: u?.given ?? 0 };
    },
    items: (params: { discountId: string }) => linesFor(rs.byId.get(params.discountId)!.appliesTo, cart).length,
    bogo: (params: { discountId: string }) => {
      const pd = rs.byId.get(params.discountId)!;
      const a = pd.discount.action;
      if (a.type !== 'bogo') return 0;
      return bogoApplications(bogoCounts(rs, pd, cart), a.buy, a.get, 1);
    },
    units: (params: { discountId: string }) => eligibleUnits(rs.byId.get(params.discountId)!, cart),
    minimum: (params: { discountId: string }) => minimumCount(rs, rs.byId.get(params.discountId)!, cart),
  };
}

/** The eligible units priced above 0 on the untouched cart (a bundle needs `quantity` of them). */
function eligibleUnits(pd: PreparedDiscount, cart: CartView): number {
  const lines = linesFor(pd.appliesTo, cart);
  return bundleUnits(lines.map((i) => ({ unitPrice: cart.unitPrice[i], available: cart.quantity[i] })));
}

/**
 * What a tiered discount's tiers count on the untouched cart: the units priced above 0 (minQuantity)
 * or the subtotal (minSubtotal) of its eligible lines, never-discounted lines included when the
 * store counts them toward minimums.
 */
function minimumCount(rs: PreparedRuleset, pd: PreparedDiscount, cart: CartView): number {
  const a = pd.discount.action;
  if ((a.type !== 'percentage' && a.type !== 'fixed') || !a.tiers) return 0;
  const lines = cart.hasNever && rs.compiled.policy.neverDiscount?.countTowardMinimum === true ? selectedLines(pd.appliesTo, cart) : linesFor(pd.appliesTo, cart);
  let count = 0;
  if (a.tiers.kind === 'quantity') {
    for (const i of lines) if (cart.unitPrice[i] > 0) count += cart.quantity[i];
  } else for (const i of lines) count += cart.lineSubtotal[i];
  return count;
}

/** The lines a selector matches, never-discounted lines included (ascending). */
function selectedLines(sel: Selector | null, cart: CartView): number[] {
  const out: number[] = [];
  for (let i = 0; i < cart.lines.length; i++) {
    const l = cart.lines[i];
    if (sel) {
      const listed = sel.products.has(l.productId);
      if (!listed && (sel.attrs.length > 0 || sel.products.size > 0) && !(sel.attrs.length > 0 && matchesAll(sel, l))) continue;
      if (sel.exclude && matchesAny(sel.exclude, l.category, l.productId, l.brand, l.vendor, l.tags)) continue;
    }
    out.push(i);
  }
  return out;
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
  return bogoCartCounts(cart, linesFor(pd.appliesTo, cart), linesFor(pd.rewardAppliesTo, cart), a.percentOffBps, rs.compiled.policy.minimumUnitPrice, a.amountOff ?? null);
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
    if (sel.products.size > 0) collect(sel.products, linesBy(cart, 'productId'), lists);
    if (lists.length === 0) return NO_LINES;
    if (lists.length === 1) return lists[0]; // one cart list: already ascending and unique
    return sortedUnique(lists);
  }
  const cached = cart.selected.get(sel);
  if (cached) return cached;
  let candidates: readonly number[];
  if (sel.attrs.length === 0 && sel.products.size === 0) candidates = cart.lineIds.map((_, i) => i);
  else {
    const lists: number[][] = [];
    if (sel.products.size > 0) collect(sel.products, linesBy(cart, 'productId'), lists);
    if (sel.indexBy) {
      const byKey = sel.indexBy === 'categories' ? cart.byCategory : linesBy(cart, INDEX_KEY[sel.indexBy]);
      const found: number[][] = [];
      collect(sel[sel.indexBy], byKey, found);
      const attrLines: number[] = [];
      for (const i of found.length === 1 ? found[0] : sortedUnique(found)) if (matchesAll(sel, cart.lines[i])) attrLines.push(i);
      lists.push(attrLines);
    }
    candidates = lists.length === 1 ? lists[0] : sortedUnique(lists);
  }
  // Less the never-discounted lines and the selector's exclude.
  const out: number[] = [];
  const x = sel.exclude;
  for (const i of candidates) {
    if (!cart.discountable[i]) continue;
    const l = cart.lines[i];
    if (x && matchesAny(x, l.category, l.productId, l.brand, l.vendor, l.tags)) continue;
    out.push(i);
  }
  cart.selected.set(sel, out);
  return out;
}

/** The line field each non-category attribute list keys lines by. */
const INDEX_KEY = { brands: 'brand', vendors: 'vendor', tags: 'tags' } as const;

/** Whether a line matches every attribute list of the selector. */
function matchesAll(sel: Selector, l: CartLine): boolean {
  for (const k of sel.attrs) {
    if (k === 'categories' && !sel.categories.has(l.category)) return false;
    if (k === 'brands' && !(l.brand !== undefined && sel.brands.has(l.brand))) return false;
    if (k === 'vendors' && !(l.vendor !== undefined && sel.vendors.has(l.vendor))) return false;
    if (k === 'tags' && !l.tags?.some((t) => sel.tags.has(t))) return false;
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

/** The first failing check (skipping the one at `skip`, known to pass), or the lines the discount applies to. */
function eligibility(pd: PreparedDiscount, skip: number, cart: CartView, facts: Facts): Outcome {
  if (!pd.discount.enabled) return 'INACTIVE';
  const checks = pd.checks;
  for (let i = 0; i < checks.length; i++) if (i !== skip && !checks[i].test(facts)) return checks[i].reason;
  return linesFor(pd.appliesTo, cart);
}

// ---------------------------------------------------------------------------
// Messages

/** The rejection for a discount that failed an eligibility check (`code`: the code as entered, or null). */
function reasonRejection(rs: PreparedRuleset, pd: PreparedDiscount, o: EligibilityReason, code: string | null, cart: CartView, facts: Facts): Rejection {
  const d = pd.discount;
  const policy = rs.compiled.policy;
  const money = (m: number) => formatMoney(m, policy.currency, policy.minorDigits);
  const a = d.action;
  const tiers = (a.type === 'percentage' || a.type === 'fixed') && a.tiers ? a.tiers : null;
  switch (o) {
    case 'MIN_PURCHASE_NOT_MET': {
      const subtotal = (facts.session as { purchaseSubtotal: number }).purchaseSubtotal;
      // A minimum purchase is checked before the tiers: when it is met, the first tier was not.
      if (tiers && (d.minPurchase === null || subtotal >= d.minPurchase)) {
        const first = tiers.tiers[0].min;
        const shortfall = tierShortfall(tiers, minimumCount(rs, pd, cart));
        return { discountId: d.id, code, reason: o, message: `${d.name}: spend ${money(shortfall)} more on qualifying items (first tier at ${money(first)})`, shortfall };
      }
      const shortfall = d.minPurchase! - subtotal;
      return { discountId: d.id, code, reason: o, message: `${d.name}: spend ${money(shortfall)} more (minimum purchase ${money(d.minPurchase!)})`, shortfall };
    }
    case 'CUSTOMER_REQUIRED': {
      // Which half failed: no customer at all, or a customer without the id a per-customer limit needs.
      const hasCustomer = (facts.session as { hasCustomer: boolean }).hasCustomer;
      const message = hasCustomer
        ? `${d.name} needs a customer id (it is limited per customer)`
        : `${d.name} needs an identified customer`;
      return { discountId: d.id, code, reason: o, message };
    }
    case 'MIN_QUANTITY_NOT_MET': {
      const shortfall = tierShortfall(tiers!, minimumCount(rs, pd, cart));
      return { discountId: d.id, code, reason: o, message: `${d.name}: add ${shortfall} more qualifying item(s) (first tier at ${tiers!.tiers[0].min})`, shortfall };
    }
    case 'QUANTITY_NOT_MET': {
      const missing = a.type === 'bundle' ? a.quantity - eligibleUnits(pd, cart) : missingUnits(rs, pd, cart);
      return { discountId: d.id, code, reason: o, message: `${d.name}: add ${missing} more qualifying item(s)` };
    }
    case 'BUDGET_EXHAUSTED':
      return { discountId: d.id, code, reason: o, message: `${d.name} has used up its budget of ${money(d.budget!)}` };
    default:
      return { discountId: d.id, code, reason: o, message: reasonMessage(o, d) };
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
    case 'MIN_QUANTITY_NOT_MET':
    case 'CUSTOMER_REQUIRED':
    case 'QUANTITY_NOT_MET':
    case 'BUDGET_EXHAUSTED':
      return reason; // worded in reasonRejection
  }
}
