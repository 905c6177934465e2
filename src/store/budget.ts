// Budgets in the ledger: what a discount with `budget` has given (usage.given, minor units, per
// store and discount), taken by redeem with one conditional statement in its transaction, never
// read-modify-written in JS, and given back by a void (redemption_discounts.took_budget records
// what each redemption took).
//
// takeBudget is the budget's `used < limit`: INSERT ... ON CONFLICT DO UPDATE SET given = given +
// amount WHERE given + amount <= budget. On PostgreSQL (READ COMMITTED) a concurrent writer of the
// row is waited for and the WHERE is evaluated against the row as it committed, so two instances
// can never both take the last of a budget; the caller then re-prices with what is left (a
// LimitRace in kysely-store.ts). The row is the discount's usage row: taken in the same pass, in
// discount id order, as the usage limit, so it adds no lock order of its own.

import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { ShapeCache } from './shapes.js';

/**
 * Adds `amount` to the discount's given while it stays within `budget`; false when it does not fit
 * (another redemption took it meanwhile, or the price was computed from stale counts).
 */
export async function takeBudget(q: ShapeCache, trx: Transaction<Database>, store: string, discountId: string, budget: number, amount: number): Promise<boolean> {
  if (amount <= 0) return true;
  if (amount > budget) return false;
  const r = await q.run(trx, 'take-budget', [store, discountId, amount, budget], (db, [store, discountId, amount, budget]) =>
    db
      .insertInto('usage')
      .values({ store, discount_id: discountId, used: 0, given: amount })
      .onConflict((oc) =>
        oc
          .columns(['store', 'discount_id'])
          .doUpdateSet({ given: sql`${sql.ref('usage.given')} + ${amount}` })
          .where(sql<boolean>`${sql.ref('usage.given')} + ${amount} <= ${budget}`),
      ),
  );
  return Number(r.numAffectedRows ?? 0) === 1;
}

/** Gives back what a voided redemption took (never below 0: the row's check holds either way). */
export async function giveBackBudget(q: ShapeCache, trx: Transaction<Database>, store: string, discountId: string, amount: number): Promise<void> {
  if (amount <= 0) return;
  await q.run(trx, 'give-back-budget', [store, discountId, amount], (db, [store, discountId, amount]) =>
    db
      .updateTable('usage')
      .set({ given: sql`${sql.ref('given')} - ${amount}` })
      .where('store', '=', store)
      .where('discount_id', '=', discountId)
      .where(sql<boolean>`${sql.ref('given')} >= ${amount}`),
  );
}
