// Prepare once, evaluate many: turns a compiled ruleset into what evaluation needs, built once
// per ruleset and never per request: eligibility closures compiled from each json-rules-engine
// rule, item selectors as sets, the code table, and the rule index (automatic discounts by the
// categories and products they apply to, plus the short list that applies to every line).

import type { CompiledRuleset } from '../dsl/compile.js';
import { ITEM_ATTRIBUTES, type CompiledDiscount, type EligibilityReason, type ItemAttribute, type ItemMatch, type ItemSelector, type PosInstruction } from '../domain/types.js';
import { findProfile, MODE_CAPABILITIES } from '../pos/profiles.js';
import { applicationOrder, type PlanRule } from '../pricing/plan.js';
import { compileCondition, PredicateCache, type Predicate } from './conditions.js';

/** Item keys as sets (exclude lists, neverDiscount). */
export interface MatchSets {
  categories: ReadonlySet<string>;
  products: ReadonlySet<string>;
  brands: ReadonlySet<string>;
  vendors: ReadonlySet<string>;
  tags: ReadonlySet<string>;
}

export interface Selector extends MatchSets {
  /** The attribute lists present, in ITEM_ATTRIBUTES order: a line must match every one. */
  attrs: readonly ItemAttribute[];
  /** Lines matching any of these are removed; null when none. */
  exclude: MatchSets | null;
  /** Only categories and products, no exclude: the lines are the union of the cart's lists. */
  simple: boolean;
  /** The one category when the selector is exactly one category (the common case): a direct lookup. */
  onlyCategory: string | null;
  /** The attribute list the rule index keys the discount by (its smallest), or null. */
  indexBy: ItemAttribute | null;
}

export interface PreparedDiscount {
  discount: CompiledDiscount;
  /** Position in the ruleset's id order (a total order for candidates). */
  ordinal: number;
  /** Position in plan application order (bogo and bundle, price, percentage, fixed; priority; value; id). */
  applicationRank: number;
  /** Named top-level checks of the engine rule, in reason order. */
  checks: readonly { readonly reason: EligibilityReason; readonly test: Predicate }[];
  /**
   * The position of the NO_ELIGIBLE_ITEMS check in `checks` (-1 if none). A discount reached
   * through the index skips it when `itemsSkippable`: it is then known to pass, and skipping a
   * check that passes never changes which check fails first.
   */
  itemsCheck: number;
  /**
   * Whether reaching the discount through the index proves a matching line: at most one attribute
   * list, no exclude, and no neverDiscount in the store.
   */
  itemsSkippable: boolean;
  /** null = every line */
  appliesTo: Selector | null;
  /** Bogo only; null = every line */
  rewardAppliesTo: Selector | null;
  /** What the store's POS must do when this discount applies; null under `pos: none`. */
  pos: PosInstruction | null;
}

export interface RuleIndex {
  byCategory: ReadonlyMap<string, readonly number[]>;
  byProduct: ReadonlyMap<string, readonly number[]>;
  byBrand: ReadonlyMap<string, readonly number[]>;
  byVendor: ReadonlyMap<string, readonly number[]>;
  byTag: ReadonlyMap<string, readonly number[]>;
  /** Automatic discounts without appliesTo: every cart is a candidate. */
  general: readonly number[];
}

export interface PreparedRuleset {
  compiled: CompiledRuleset;
  version: string;
  /** Sorted by id; ordinal = position. */
  discounts: readonly PreparedDiscount[];
  byId: ReadonlyMap<string, PreparedDiscount>;
  byCode: ReadonlyMap<string, PreparedDiscount>;
  /** Ordinals of automatic discounts, ascending. */
  automatic: readonly number[];
  index: RuleIndex;
  /** The store's never-discounted lines, or null. */
  neverDiscount: MatchSets | null;
  /** What evaluation reads for every candidate, by ordinal, in flat arrays (never written after prepare). */
  table: OrdinalTable;
}

/** Bits of OrdinalTable.flags. */
export const IS_CODE = 1;
export const IS_STACKABLE = 2;
/**
 * Reached through the index by its one category, the discount is eligible on that category's
 * lines without running anything: enabled, not bogo, a one-category selector, and NO_ELIGIBLE_ITEMS
 * (known to pass then) is its only check. Most generated and real category rules are like this.
 */
export const IS_DIRECT = 4;
/** A tiered percentage or fixed discount: priced at the tier the cart reaches. */
export const IS_TIERED = 8;

export interface OrdinalTable {
  /** IS_CODE | IS_STACKABLE | IS_DIRECT | IS_TIERED by ordinal. */
  flags: Uint8Array;
  /** applicationRank by ordinal. */
  rank: Int32Array;
  /** The ordinal at each application rank (the inverse of rank). */
  byRank: Int32Array;
  /**
   * What pricing reads of each discount, by application rank, built in that order: a plan is
   * priced in rank order, so it reads these (and their actions, copied next to them) in sequence
   * instead of hopping between thousands of compiled discounts.
   */
  planByRank: readonly PlanRule[];
  /** Discount ids and NO_REMAINING_VALUE messages by ordinal (a rejection reads nothing else). */
  ids: readonly string[];
  noValueMessages: readonly string[];
}

export function prepareRuleset(compiled: CompiledRuleset): PreparedRuleset {
  const profile = findProfile(compiled.policy.pos);
  const posFor = (d: CompiledDiscount): PosInstruction | null => {
    if (!profile) return null;
    const caps = MODE_CAPABILITIES[profile.mode];
    const withId = caps.discountId !== 'unused' && d.posDiscountId !== null;
    return Object.freeze({ system: profile.id, mode: profile.mode, ...(withId ? { discountId: d.posDiscountId! } : {}), action: caps.action });
  };
  const neverDiscount = compiled.policy.neverDiscount ? toMatchSets(compiled.policy.neverDiscount) : null;
  // Rules with the same checks share compiled leaves (see PredicateCache) and, when they have one
  // check (every "v% off category k" rule of one category), one frozen check list; equal selectors
  // share one Selector. The closures are pure and the sets never change, so sharing them within a
  // ruleset is safe, and it saves most of the memory a ruleset of thousands of rules holds.
  const predicates = new PredicateCache();
  const singleChecks = new Map<Predicate, Map<string, PreparedDiscount['checks']>>();
  const checksFor = (d: CompiledDiscount): PreparedDiscount['checks'] => {
    const conditions = d.rule.conditions.all;
    const compiledChecks = conditions.map((c) => ({ reason: c.name as EligibilityReason, test: compileCondition(c, predicates) }));
    if (compiledChecks.length !== 1) return Object.freeze(compiledChecks.map((c) => Object.freeze(c)));
    const { reason, test } = compiledChecks[0];
    let byReason = singleChecks.get(test);
    if (!byReason) singleChecks.set(test, (byReason = new Map()));
    let list = byReason.get(reason);
    if (!list) byReason.set(reason, (list = Object.freeze([Object.freeze({ reason, test })])));
    return list;
  };
  const oneCategory = new Map<string, Selector>();
  const selectorFor = (sel: ItemSelector | null): Selector | null => {
    if (!sel) return null;
    // Shared only when the selector is exactly one category (no other list, no exclude).
    const only = sel.categories?.length === 1 && Object.keys(sel).length === 1 ? sel.categories[0] : null;
    if (only === null) return toSelector(sel);
    let s = oneCategory.get(only);
    if (!s) oneCategory.set(only, (s = toSelector(sel)!));
    return s;
  };
  const discounts: PreparedDiscount[] = compiled.discounts.map((d, ordinal) => ({
    discount: d,
    ordinal,
    checks: checksFor(d),
    itemsCheck: d.rule.conditions.all.findIndex((c) => c.name === 'NO_ELIGIBLE_ITEMS'),
    itemsSkippable: neverDiscount === null && d.appliesTo !== null && !d.appliesTo.exclude && ITEM_ATTRIBUTES.filter((k) => d.appliesTo![k]?.length).length <= 1,
    appliesTo: selectorFor(d.appliesTo),
    rewardAppliesTo: d.action.type === 'bogo' ? selectorFor(d.action.rewardAppliesTo) : null,
    pos: posFor(d),
    applicationRank: 0,
  }));
  const byRankOrder = [...discounts].sort((a, b) => applicationOrder(a.discount, b.discount)).map((p) => p.ordinal);
  byRankOrder.forEach((o, rank) => (discounts[o].applicationRank = rank));
  const flags = new Uint8Array(discounts.length);
  const rank = new Int32Array(discounts.length);
  const byRank = new Int32Array(discounts.length);
  const planByRank = new Array<PlanRule>(discounts.length);
  for (let r = 0; r < discounts.length; r++) {
    const p = discounts[byRankOrder[r]];
    const d = p.discount;
    // Not frozen: V8 reads frozen objects' fields measurably slower on this path ((b) 1.3x).
    planByRank[r] = {
      id: d.id,
      key: p.ordinal,
      rank: r,
      type: d.type,
      priority: d.priority,
      sortValue: d.sortValue,
      action: { ...d.action },
      isCode: d.code !== null,
    };
  }
  const ids = discounts.map((p) => p.discount.id);
  const noValueMessages = discounts.map((p) => `${p.discount.name} has no value left on this cart`);
  for (const p of discounts) {
    const d = p.discount;
    const direct =
      neverDiscount === null &&
      d.enabled &&
      d.action.type !== 'bogo' &&
      d.action.type !== 'bundle' &&
      p.appliesTo?.onlyCategory != null &&
      p.checks.length === 1 &&
      p.itemsCheck === 0;
    const tiered = (d.action.type === 'percentage' || d.action.type === 'fixed') && d.action.tiers !== undefined;
    flags[p.ordinal] = (d.code !== null ? IS_CODE : 0) | (d.stackable ? IS_STACKABLE : 0) | (direct ? IS_DIRECT : 0) | (tiered ? IS_TIERED : 0);
    rank[p.ordinal] = p.applicationRank;
    byRank[p.applicationRank] = p.ordinal;
  }
  const byCode = new Map<string, PreparedDiscount>();
  const automatic: number[] = [];
  const byCategory = new Map<string, number[]>();
  const byProduct = new Map<string, number[]>();
  const byAttr: Record<ItemAttribute, Map<string, number[]>> = { categories: byCategory, brands: new Map(), vendors: new Map(), tags: new Map() };
  const general: number[] = [];
  const push = (m: Map<string, number[]>, k: string, v: number) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  for (const p of discounts) {
    const d = p.discount;
    if (d.code !== null) {
      byCode.set(d.code, p);
      continue;
    }
    automatic.push(p.ordinal);
    // A line the selector matches is a listed product or matches every attribute list, so it is
    // found under any one of them: the smallest. A selector without either matches every line.
    const sel = p.appliesTo;
    if (!sel || (sel.attrs.length === 0 && sel.products.size === 0)) general.push(p.ordinal);
    else {
      for (const pr of sel.products) push(byProduct, pr, p.ordinal);
      if (sel.indexBy) for (const k of sel[sel.indexBy]) push(byAttr[sel.indexBy], k, p.ordinal);
    }
  }
  return {
    compiled,
    version: compiled.version,
    discounts,
    byId: new Map(discounts.map((p) => [p.discount.id, p])),
    byCode,
    automatic,
    index: { byCategory, byProduct, byBrand: byAttr.brands, byVendor: byAttr.vendors, byTag: byAttr.tags, general },
    neverDiscount,
    table: { flags, rank, byRank, planByRank, ids, noValueMessages },
  };
}

const NO_KEYS: ReadonlySet<string> = new Set();


// An empty list shares one empty set: thousands of rules list only categories.
const keySet = (list: readonly string[] | undefined): ReadonlySet<string> => (list?.length ? new Set(list) : NO_KEYS);

function toMatchSets(m: ItemMatch): MatchSets {
  return { categories: keySet(m.categories), products: keySet(m.products), brands: keySet(m.brands), vendors: keySet(m.vendors), tags: keySet(m.tags) };
}

function toSelector(sel: ItemSelector | null): Selector | null {
  if (!sel) return null;
  const sets = toMatchSets(sel);
  const attrs = ITEM_ATTRIBUTES.filter((k) => sets[k].size > 0);
  let indexBy: ItemAttribute | null = null;
  for (const k of attrs) if (indexBy === null || sets[k].size < sets[indexBy].size) indexBy = k;
  const simple = !sel.exclude && attrs.every((k) => k === 'categories');
  return {
    ...sets,
    attrs,
    exclude: sel.exclude ? toMatchSets(sel.exclude) : null,
    simple,
    onlyCategory: simple && sets.categories.size === 1 && sets.products.size === 0 ? [...sets.categories][0] : null,
    indexBy,
  };
}
