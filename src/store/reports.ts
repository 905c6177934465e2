// The report queries over the ledger (issue 12): counts and sums of integer minor units computed
// in the database with kysely, grouped by the store-local dates stored with each redemption
// (`local_date` of the commit, `void_date` of the void; SQLite has no time zones), for one store
// and a period [from, to) of those dates. The same SQL runs on SQLite and PostgreSQL.
//
// Which redemptions count (src/reports/discount-report.ts states the figures built on these):
// - "used": committed in the period (from <= local_date < to) and not voided before `to`
//   (void_date null, or void_date >= to): a sale voided after the period still counts in it.
// - "voids": voided in the period (from <= void_date < to), whenever they were committed.
//
// Every query runs in one read transaction (a snapshot: PostgreSQL REPEATABLE READ READ ONLY,
// SQLite a deferred BEGIN over WAL), so the totals, the per-discount rows and the per-day series
// agree with each other even while redemptions are being committed. No row order is taken from
// the database: the caller sorts (PostgreSQL's collation may order text differently from SQLite's).

import { sql, type Kysely } from 'kysely';
import type { DiscountReportAggregates, ReportPeriod } from '../reports/discount-report.js';
import type { Database } from './schema.js';

export type { DiscountReportAggregates, ReportPeriod };

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** Reads the aggregates of one store and period in one snapshot. */
export async function readDiscountReport(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', store: string, period: ReportPeriod): Promise<DiscountReportAggregates> {
  return db.connection().execute(async (conn) => {
    await sql.raw(dialect === 'postgres' ? 'start transaction isolation level repeatable read read only' : 'begin').execute(conn);
    try {
      const result = await queries(conn, store, period);
      await sql.raw('commit').execute(conn);
      return result;
    } catch (error) {
      await sql.raw('rollback').execute(conn).catch(() => undefined);
      throw error;
    }
  });
}

async function queries(db: Kysely<Database>, store: string, { from, to }: ReportPeriod): Promise<DiscountReportAggregates> {
  // Committed in the period and not voided before `to`; voided in the period. (Raw conditions: the
  // same text serves the redemptions-only and the joined queries, both aliasing redemptions as r.)
  const usedCond = sql<boolean>`r.store = ${store} and r.local_date >= ${from} and r.local_date < ${to} and (r.status = 'committed' or r.void_date >= ${to})`;
  const voidedCond = sql<boolean>`r.store = ${store} and r.void_date >= ${from} and r.void_date < ${to}`;
  const used = () => usedCond;
  const voided = () => voidedCond;
  const withDiscounts = () =>
    db
      .selectFrom('redemption_discounts as d')
      .innerJoin('redemptions as r', (j) => j.onRef('r.store', '=', 'd.store').onRef('r.transaction_id', '=', 'd.transaction_id'));
  const discountedCase = sql<number>`sum(case when r.discount_total > 0 then 1 else 0 end)`;

  const discounts = await withDiscounts()
    .where(used())
    .select((eb) => [
      'd.discount_id',
      eb.fn.countAll().as('used'),
      eb.fn.sum('d.amount').as('given'),
      eb.fn.sum('r.subtotal').as('gross'),
      eb.fn.sum('r.discount_total').as('all_discounts'),
    ])
    .groupBy('d.discount_id')
    .execute();

  const discountVoids = await withDiscounts()
    .where(voided())
    .select((eb) => ['d.discount_id', eb.fn.countAll().as('voids')])
    .groupBy('d.discount_id')
    .execute();

  const days = await db
    .selectFrom('redemptions as r')
    .where(used())
    .select((eb) => ['r.local_date', eb.fn.countAll().as('transactions'), discountedCase.as('discounted'), eb.fn.sum('r.subtotal').as('gross'), eb.fn.sum('r.discount_total').as('given')])
    .groupBy('r.local_date')
    .execute();

  const dayDiscounts = await withDiscounts()
    .where(used())
    .select((eb) => ['r.local_date', 'd.discount_id', eb.fn.countAll().as('used'), eb.fn.sum('d.amount').as('given')])
    .groupBy(['r.local_date', 'd.discount_id'])
    .execute();

  const dayVoids = await db
    .selectFrom('redemptions as r')
    .where(voided())
    .select((eb) => ['r.void_date', eb.fn.countAll().as('voids')])
    .groupBy('r.void_date')
    .execute();

  const vendorDiscounts = await withDiscounts()
    .where(used())
    .where('d.funding_vendor', 'is not', null)
    .select((eb) => ['d.funding_vendor', 'd.discount_id', eb.fn.countAll().as('applications'), eb.fn.sum('d.funding_amount').as('funded')])
    .groupBy(['d.funding_vendor', 'd.discount_id'])
    .execute();

  const vendors = await withDiscounts()
    .where(used())
    .where('d.funding_vendor', 'is not', null)
    .select((eb) => ['d.funding_vendor', eb.fn.countAll().as('applications'), eb.fn.sum('d.funding_amount').as('funded')])
    .groupBy('d.funding_vendor')
    .execute();

  const totals = await db
    .selectFrom('redemptions as r')
    .where(used())
    .select((eb) => [eb.fn.countAll().as('transactions'), discountedCase.as('discounted'), eb.fn.sum('r.subtotal').as('gross'), eb.fn.sum('r.discount_total').as('given')])
    .executeTakeFirst();

  const voidTotal = await db
    .selectFrom('redemptions as r')
    .where(voided())
    .select((eb) => eb.fn.countAll().as('voids'))
    .executeTakeFirst();

  return {
    discounts: discounts.map((r) => ({ discountId: r.discount_id, used: n(r.used), given: n(r.given), gross: n(r.gross), allDiscounts: n(r.all_discounts) })),
    discountVoids: discountVoids.map((r) => ({ discountId: r.discount_id, voids: n(r.voids) })),
    days: days.map((r) => ({ date: r.local_date, transactions: n(r.transactions), discounted: n(r.discounted), gross: n(r.gross), given: n(r.given) })),
    dayDiscounts: dayDiscounts.map((r) => ({ date: r.local_date, discountId: r.discount_id, used: n(r.used), given: n(r.given) })),
    dayVoids: dayVoids.map((r) => ({ date: r.void_date as string, voids: n(r.voids) })),
    vendorDiscounts: vendorDiscounts.map((r) => ({ vendor: r.funding_vendor as string, discountId: r.discount_id, applications: n(r.applications), funded: n(r.funded) })),
    vendors: vendors.map((r) => ({ vendor: r.funding_vendor as string, applications: n(r.applications), funded: n(r.funded) })),
    totals: {
      transactions: n(totals?.transactions),
      discounted: n(totals?.discounted),
      gross: n(totals?.gross),
      given: n(totals?.given),
      voids: n(voidTotal?.voids),
    },
  };
}
