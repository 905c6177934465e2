// Prices one plan (a set of discounts that apply together) on a cart, from the original cart:
// application order, per-discount amounts, allocation to lines, the minimum unit price floor,
// and the store's cap on the total. Pure integer arithmetic; no I/O.

import { mulDivFloor, mulDivHalfUp } from '../domain/money.js';
import type { DiscountType, PricingAction } from '../domain/types.js';
import { allocateByBigWeights, allocateByWeights, allocateWithCaps, exactShares } from './allocate.js';
import { bogoCounts, matchBogo, type BogoCounts, type BogoLine } from './bogo.js';
import { chooseUnits, matchBundle } from './units.js';
import { capToBudget } from './budget.js';

export interface PricingCart {
  unitPrice: readonly number[];
  quantity: readonly number[];
  cannabis: readonly boolean[];
  /** unitPrice x quantity per line. */
  lineSubtotal: readonly number[];
  subtotal: number;
  /** The base of the store cap: the subtotal of the lines the store may discount (default: subtotal). */
  capBase?: number;
}

export interface PricingPolicy {
  /** Minor units; applies to cannabis lines only. */
  minimumUnitPrice: number;
  maxDiscountBps: number;
}

/** What pricing reads of a discount, apart from the cart lines it applies to. */
export interface PlanRule {
  id: string;
  /** The caller's handle on the discount (e.g. its position in the ruleset); not used in pricing. */
  key: number;
  /** Position in application order, when the caller has precomputed it (see applicationOrder). */
  rank?: number;
  type: DiscountType;
  priority: number;
  sortValue: number;
  action: PricingAction;
  /** An entered-code discount (the store cap trims automatic discounts first). */
  isCode?: boolean;
}

export interface PlanDiscount extends PlanRule {
  /** Indices (ascending) of the lines the discount applies to (the buy set for bogo). A tiered action must be resolved (actionAtTier) first. */
  eligible: readonly number[];
  /** Bogo only: indices (ascending) of the lines whose units can be the reward. */
  reward?: readonly number[];
  /** What is left of the discount's budget (minor units), when it has one (see pricing/budget.ts). */
  budgetLeft?: number;
}

export interface PlanEntry {
  discount: PlanRule;
  amount: number;
  /** Line indices (ascending) and the amount on each; amounts may be 0. */
  lines: number[];
  amounts: number[];
}

export interface PlanResult {
  /** In application order, including entries that came to 0. */
  entries: PlanEntry[];
  total: number;
}

/** Bogo and bundle share the first rank (they consume units); then price, percentage, fixed. */
const TYPE_RANK: Record<DiscountType, number> = { bogo: 0, bundle: 0, price: 1, percentage: 2, fixed: 3 };

/** What application order looks at. */
export type Ordered = Pick<PlanDiscount, 'id' | 'type' | 'priority' | 'sortValue'>;

/**
 * Application order inside a plan: bogo and bundle, price, percentage, fixed; priority desc; value
 * desc (sortValue: 0 for bogo and bundle, minus the set price for price); id asc.
 */
export function applicationOrder(a: Ordered, b: Ordered): number {
  return (
    TYPE_RANK[a.type] - TYPE_RANK[b.type] ||
    b.priority - a.priority ||
    b.sortValue - a.sortValue ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** A line's floor: minimumUnitPrice x quantity on cannabis lines, never above the line subtotal. */
export function lineFloors(cart: PricingCart, policy: PricingPolicy): number[] {
  return cart.lineSubtotal.map((sub, i) =>
    cart.cannabis[i] && policy.minimumUnitPrice > 0 ? Math.min(sub, policy.minimumUnitPrice * cart.quantity[i]) : 0,
  );
}

/** The store cap on a cart's total discount: floor(subtotal x maxDiscountPercent / 100). */
export function storeCap(subtotal: number, policy: PricingPolicy): number {
  return mulDivFloor(subtotal, policy.maxDiscountBps, 10000);
}

/**
 * Prices `discounts` (already sorted by applicationOrder) together on the cart. `floors` is
 * lineFloors(cart, policy), passed in so that several plans on one cart share it.
 */
export function pricePlan(
  cart: PricingCart,
  discounts: readonly PlanDiscount[],
  policy: PricingPolicy,
  floors: readonly number[] = lineFloors(cart, policy),
): PlanResult {
  let lastCode = -1;
  for (let k = 0; k < discounts.length; k++) if (discounts[k].isCode) lastCode = k;
  const result = pricePlanPrefix(
    cart,
    discounts.length,
    (k) => discounts[k],
    (k) => discounts[k].eligible,
    (k) => discounts[k].reward ?? discounts[k].eligible,
    lastCode,
    policy,
    floors,
    (k) => discounts[k].budgetLeft ?? null,
  );
  for (let k = result.entries.length; k < discounts.length; k++) {
    const d = discounts[k];
    result.entries.push({ discount: d, amount: 0, lines: d.eligible as number[], amounts: new Array<number>(d.eligible.length).fill(0) });
  }
  return result;
}

/**
 * pricePlan for a plan of `count` discounts given one at a time: `ruleAt(k)`, `linesAt(k)` (its
 * eligible lines, the buy set for bogo) and, for bogo, `rewardAt(k)` are asked only for the
 * discounts that are priced, in application order. `lastCode` is the position of the plan's
 * last entered-code discount (-1: none). Returns the entries of the priced discounts, a prefix of
 * the plan: every discount after it comes to 0 (the running total reached the store cap and no
 * code discount follows), so a caller with thousands of candidates never builds their entries.
 * `budgetAt(k)`, when given, is what is left of the discount's budget (null: no budget): its
 * amount is capped there right after its maxDiscount, before the next discount is priced.
 */
export function pricePlanPrefix(
  cart: PricingCart,
  count: number,
  ruleAt: (k: number) => PlanRule,
  linesAt: (k: number) => readonly number[],
  rewardAt: (k: number) => readonly number[],
  lastCode: number,
  policy: PricingPolicy,
  floors: readonly number[],
  budgetAt?: (k: number) => number | null,
): PlanResult {
  const remaining = cart.lineSubtotal.slice();
  let consumedUnits: number[] | null = null;
  const entries: PlanEntry[] = [];
  let total = 0;

  // Amounts are computed in application order ignoring the store cap; then the excess comes off
  // the automatic discounts (the one applied last first), then off the entered-code discounts.
  // Once the running total reaches the cap, an automatic discount after the plan's last code
  // discount would be trimmed to 0 and nothing after it depends on what it leaves, so it is not
  // priced at all (nor is anything after it: the total no longer changes).
  const cap = storeCap(cart.capBase ?? cart.subtotal, policy);
  for (let k = 0; k < count; k++) {
    if (total >= cap && k > lastCode) break;
    const d = ruleAt(k);
    const a = d.action;
    let entry =
      a.type === 'bogo'
        ? priceBogo(d, a, linesAt(k), rewardAt(k))
        : a.type === 'bundle'
          ? priceBundle(d, a, linesAt(k))
          : a.type === 'price'
            ? priceSet(d, a, linesAt(k))
            : a.type === 'fixed' && a.perUnit
              ? pricePerUnit(d, a, linesAt(k))
              : priceAmount(d, a, linesAt(k));
    const left = budgetAt ? budgetAt(k) : null;
    if (left !== null) entry = capToBudget(entry, left);
    for (let j = 0; j < entry.lines.length; j++) remaining[entry.lines[j]] -= entry.amounts[j];
    total += entry.amount;
    entries.push(entry);
  }

  // The store cap: automatic discounts give way first, then entered codes; the one applied last
  // first; each trimmed discount keeps its lines in proportion to what it had on each.
  let excess = total - cap;
  for (let pass = 0; pass < 2 && excess > 0; pass++) {
    const codes = pass === 1;
    for (let k = entries.length - 1; k >= 0 && excess > 0; k--) {
      const e = entries[k];
      if (e.amount === 0 || (e.discount.isCode === true) !== codes) continue;
      const cut = Math.min(excess, e.amount);
      const kept = e.amount - cut;
      // Every entry's amounts array is its own, so a discount trimmed to 0 is zeroed in place.
      if (kept > 0) e.amounts = allocateByWeights(kept, e.amounts);
      else e.amounts.fill(0);
      e.amount = kept;
      excess -= cut;
      total -= cut;
    }
  }
  return { entries, total };

  function priceAmount(d: PlanRule, a: Extract<PricingAction, { type: 'percentage' | 'fixed' }>, eligible: readonly number[]): PlanEntry {
    const lines = eligible as number[];
    const m = lines.length;
    if (m === 1) {
      // One line: no allocation needed.
      const i = lines[0];
      const uncapped = a.type === 'percentage' ? mulDivHalfUp(remaining[i], a.rateBps, 10000) : a.amount;
      let one = Math.min(uncapped, remaining[i] - floors[i]);
      if (one < 0) one = 0;
      if (a.maxDiscount !== null && a.maxDiscount < one) one = a.maxDiscount;
      return { discount: d, amount: one, lines, amounts: [one] };
    }
    const weights = new Array<number>(m);
    const caps = new Array<number>(m);
    let eligibleRemaining = 0;
    let headroom = 0;
    for (let k = 0; k < m; k++) {
      const i = lines[k];
      weights[k] = remaining[i];
      caps[k] = remaining[i] - floors[i];
      eligibleRemaining += remaining[i];
      headroom += caps[k];
    }
    const uncapped = a.type === 'percentage' ? mulDivHalfUp(eligibleRemaining, a.rateBps, 10000) : a.amount;
    const amount = Math.min(uncapped, headroom);
    if (amount <= 0) return { discount: d, amount: 0, lines, amounts: new Array<number>(m).fill(0) };
    const alloc = allocateWithCaps(amount, weights, caps);
    if (a.maxDiscount !== null && a.maxDiscount < amount) {
      // Capped: spread the cap in proportion to the uncapped (exact) allocation.
      return { discount: d, amount: a.maxDiscount, lines, amounts: allocateByBigWeights(a.maxDiscount, exactShares(alloc, weights)) };
    }
    return { discount: d, amount, lines, amounts: alloc.amounts };
  }

  function priceBogo(d: PlanRule, a: Extract<PricingAction, { type: 'bogo' }>, eligible: readonly number[], reward: readonly number[]): PlanEntry {
    const lines = mergeSorted(eligible, reward);
    consumedUnits ??= new Array<number>(cart.unitPrice.length).fill(0);
    const used = consumedUnits;
    const bogoLines = toBogoLines(cart, lines, eligible, reward, a.percentOffBps, a.amountOff ?? null, policy.minimumUnitPrice, used);
    const match = matchBogo(bogoLines, a.buy, a.get, a.maxApplications);
    const amounts = new Array<number>(lines.length).fill(0);
    let amount = 0;
    for (let k = 0; k < lines.length; k++) {
      const i = lines[k];
      used[i] += match.consumed[k];
      const units = match.rewardUnits[k];
      if (units === 0) continue;
      amounts[k] = Math.min(bogoLines[k].rewardValue * units, remaining[i] - floors[i]);
      amount += amounts[k];
    }
    return capped(d, a.maxDiscount, lines, amounts, amount);
  }

  /** `fixed` per unit: value off each chosen eligible unit, at most each line's headroom. */
  function pricePerUnit(d: PlanRule, a: Extract<PricingAction, { type: 'fixed' }>, eligible: readonly number[]): PlanEntry {
    const lines = eligible as number[];
    const chosen = chooseUnits(lines.map((i) => ({ unitPrice: cart.unitPrice[i], available: cart.quantity[i] })), a.maxUnits ?? null);
    const amounts = new Array<number>(lines.length).fill(0);
    let amount = 0;
    for (let k = 0; k < lines.length; k++) {
      if (chosen[k] === 0) continue;
      const i = lines[k];
      amounts[k] = Math.max(0, Math.min(a.amount * chosen[k], remaining[i] - floors[i]));
      amount += amounts[k];
    }
    return capped(d, a.maxDiscount, lines, amounts, amount);
  }

  /**
   * `price`: eligible units no bogo, bundle or earlier set price took are sold at the price (units
   * at or below it get nothing); the units it sets are taken, so a later set price does not set
   * them again.
   */
  function priceSet(d: PlanRule, a: Extract<PricingAction, { type: 'price' }>, eligible: readonly number[]): PlanEntry {
    const lines = eligible as number[];
    consumedUnits ??= new Array<number>(cart.unitPrice.length).fill(0);
    const used = consumedUnits;
    const chosen = chooseUnits(lines.map((i) => ({ unitPrice: cart.unitPrice[i], available: cart.quantity[i] - used[i] })), a.maxUnits, a.price);
    const amounts = new Array<number>(lines.length).fill(0);
    let amount = 0;
    for (let k = 0; k < lines.length; k++) {
      if (chosen[k] === 0) continue;
      const i = lines[k];
      used[i] += chosen[k];
      amounts[k] = Math.max(0, Math.min(chosen[k] * (cart.unitPrice[i] - a.price), remaining[i] - floors[i]));
      amount += amounts[k];
    }
    return capped(d, a.maxDiscount, lines, amounts, amount);
  }

  /** `bundle`: groups of `quantity` units for `price`, consuming their units like a bogo. */
  function priceBundle(d: PlanRule, a: Extract<PricingAction, { type: 'bundle' }>, eligible: readonly number[]): PlanEntry {
    const lines = eligible as number[];
    consumedUnits ??= new Array<number>(cart.unitPrice.length).fill(0);
    const used = consumedUnits;
    const match = matchBundle(
      lines.map((i) => ({
        unitPrice: cart.unitPrice[i],
        available: cart.quantity[i] - used[i],
        unitFloor: unitFloor(cart, i, policy.minimumUnitPrice),
        headroom: remaining[i] - floors[i],
      })),
      a.quantity,
      a.price,
      a.maxApplications,
    );
    let amount = 0;
    for (let k = 0; k < lines.length; k++) {
      used[lines[k]] += match.consumed[k];
      amount += match.amounts[k];
    }
    return capped(d, a.maxDiscount, lines, match.amounts, amount);
  }

  /** The entry, with maxDiscount spread over its per-line amounts (largest remainder) when it binds. */
  function capped(d: PlanRule, maxDiscount: number | null, lines: number[], amounts: number[], amount: number): PlanEntry {
    if (maxDiscount !== null && maxDiscount < amount) return { discount: d, amount: maxDiscount, lines, amounts: allocateByWeights(maxDiscount, amounts) };
    return { discount: d, amount, lines, amounts };
  }
}

/** A unit's floor: min(unitPrice, minimumUnitPrice) on a cannabis line, else 0. */
function unitFloor(cart: PricingCart, i: number, minimumUnitPrice: number): number {
  return cart.cannabis[i] ? Math.min(cart.unitPrice[i], minimumUnitPrice) : 0;
}

/**
 * The discount one reward unit gets: round-half-up(unitPrice x percentOff / 100), or `amountOff`
 * when given, at most the unit price less its floor (a "free" cannabis unit still costs the
 * minimum unit price).
 */
export function bogoRewardValue(unitPrice: number, cannabis: boolean, percentOffBps: number, minimumUnitPrice: number, amountOff: number | null = null): number {
  const perUnit = amountOff !== null ? amountOff : mulDivHalfUp(unitPrice, percentOffBps, 10000);
  const unitFloor = cannabis ? Math.min(unitPrice, minimumUnitPrice) : 0;
  return Math.min(perUnit, unitPrice - unitFloor);
}

/** The matcher's view of the union of a bogo's buy and reward lines (ascending). */
function toBogoLines(
  cart: PricingCart,
  lines: readonly number[],
  buySet: readonly number[],
  rewardSet: readonly number[],
  percentOffBps: number,
  amountOff: number | null,
  minimumUnitPrice: number,
  used: readonly number[] | null,
): BogoLine[] {
  const inBuy = buySet === lines ? null : new Set(buySet);
  const inReward = rewardSet === lines ? null : new Set(rewardSet);
  return lines.map((i) => ({
    unitPrice: cart.unitPrice[i],
    available: cart.quantity[i] - (used ? used[i] : 0),
    inBuySet: inBuy === null || inBuy.has(i),
    inRewardSet: inReward === null || inReward.has(i),
    rewardValue: bogoRewardValue(cart.unitPrice[i], cart.cannabis[i], percentOffBps, minimumUnitPrice, amountOff),
  }));
}

/** The unit counts of a bogo on the untouched cart (eligibility: QUANTITY_NOT_MET when it cannot apply once). */
export function bogoCartCounts(
  cart: PricingCart,
  buySet: readonly number[],
  rewardSet: readonly number[],
  percentOffBps: number,
  minimumUnitPrice: number,
  amountOff: number | null = null,
): BogoCounts {
  return bogoCounts(toBogoLines(cart, mergeSorted(buySet, rewardSet), buySet, rewardSet, percentOffBps, amountOff, minimumUnitPrice, null));
}

/** Union of two ascending index lists, ascending. */
function mergeSorted(a: readonly number[], b: readonly number[]): number[] {
  if (a === b) return a as number[];
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i] : Infinity;
    const y = j < b.length ? b[j] : Infinity;
    if (x === y) {
      out.push(x);
      i++;
      j++;
    } else if (x < y) out.push(a[i++]);
    else out.push(b[j++]);
  }
  return out;
}
