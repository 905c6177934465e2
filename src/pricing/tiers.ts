// Tiered percentage and fixed discounts: the highest tier reached applies. The count (units or
// subtotal of the eligible lines on the untouched cart) is the caller's; this module only picks
// the tier and turns a tiered action into the flat one it prices as. Pure.

import type { PricingAction, TierTable } from '../domain/types.js';

/** The highest tier whose minimum `count` reaches (tiers are strictly increasing), or -1. */
export function tierReached(table: TierTable, count: number): number {
  const t = table.tiers;
  let hi = -1;
  for (let i = 0; i < t.length && t[i].min <= count; i++) hi = i;
  return hi;
}

/** What is missing to the first tier (0 when it is reached): units or minor units. */
export function tierShortfall(table: TierTable, count: number): number {
  return Math.max(0, table.tiers[0].min - count);
}

type Tiered = Extract<PricingAction, { type: 'percentage' | 'fixed' }>;

/** The flat action a tiered one prices as at tier `index` (without `tiers`). */
export function actionAtTier(a: Tiered, index: number): Tiered {
  const value = a.tiers!.tiers[index].value;
  if (a.type === 'percentage') return { type: 'percentage', rateBps: value, maxDiscount: a.maxDiscount };
  const out: Tiered = { type: 'fixed', amount: value, maxDiscount: a.maxDiscount };
  if (a.perUnit) out.perUnit = true;
  if (a.maxUnits !== undefined) out.maxUnits = a.maxUnits;
  return out;
}
