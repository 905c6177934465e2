// Budgets: a discount with `budget` gives at most that much in total across all redemptions. What
// was given so far (usage.given, read from the ledger) comes in as a number; the cap on one cart is
// what is left of the budget, applied to the discount's amount after its own maxDiscount and
// before the store cap. Pure integer arithmetic over minor units.

import { allocateByWeights } from './allocate.js';
import type { PlanEntry } from './plan.js';

/** What is left of a budget: budget - given, never below 0 (a budget lowered below what was given leaves 0). */
export function budgetLeft(budget: number, given: number): number {
  return given >= budget ? 0 : budget - given;
}

/**
 * The entry with its amount at most `left`: unchanged when it fits; otherwise `left` is spread
 * over its lines in proportion to what each line had (largest remainder, ties to the earlier
 * line), so no line gets more than before and every floor still holds.
 */
export function capToBudget(entry: PlanEntry, left: number): PlanEntry {
  if (entry.amount <= left) return entry;
  const amount = Math.max(0, left);
  return { ...entry, amount, amounts: amount > 0 ? allocateByWeights(amount, entry.amounts) : new Array<number>(entry.amounts.length).fill(0) };
}
