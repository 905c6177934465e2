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
// Four queries: the used applications grouped by day, discount and funding vendor (one pass over
// the join; the per-discount, per-day and per-vendor figures are exact integer sums of those groups),
// the used redemptions by day (the totals are the days' sums), and the voids by discount and by day.
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

  // One pass over the used applications, grouped as finely as any figure needs (day x discount x
  // funding vendor): the per-discount, per-day and per-vendor figures are sums of these groups
  // (a few thousand rows at most), so the join of a busy month is read once, not four times.
  const groups = await withDiscounts()
    .where(used())
    .select((eb) => [
      'r.local_date',
      'd.discount_id',
      'd.funding_vendor',
      eb.fn.countAll().as('used'),
      eb.fn.sum('d.amount').as('given'),
      eb.fn.sum('r.subtotal').as('gross'),
      eb.fn.sum('r.discount_total').as('all_discounts'),
      eb.fn.sum('d.funding_amount').as('funded'),
    ])
    .groupBy(['r.local_date', 'd.discount_id', 'd.funding_vendor'])
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

  const dayVoids = await db
    .selectFrom('redemptions as r')
    .where(voided())
    .select((eb) => ['r.void_date', eb.fn.countAll().as('voids')])
    .groupBy('r.void_date')
    .execute();

  const perDiscount = new Map<string, DiscountReportAggregates['discounts'][number]>();
  const perDay = new Map<string, DiscountReportAggregates['dayDiscounts'][number]>();
  const perVendorDiscount = new Map<string, DiscountReportAggregates['vendorDiscounts'][number]>();
  const perVendor = new Map<string, DiscountReportAggregates['vendors'][number]>();
  const bump = <K, V>(map: Map<K, V>, key: K, fresh: () => V, add: (v: V) => void) => {
    let v = map.get(key);
    if (!v) map.set(key, (v = fresh()));
    add(v);
  };
  for (const g of groups) {
    const [used, given, gross, all, funded] = [n(g.used), n(g.given), n(g.gross), n(g.all_discounts), n(g.funded)];
    bump(perDiscount, g.discount_id, () => ({ discountId: g.discount_id, used: 0, given: 0, gross: 0, allDiscounts: 0 }), (v) => {
      v.used += used;
      v.given += given;
      v.gross += gross;
      v.allDiscounts += all;
    });
    bump(perDay, `${g.local_date}\u0000${g.discount_id}`, () => ({ date: g.local_date, discountId: g.discount_id, used: 0, given: 0 }), (v) => {
      v.used += used;
      v.given += given;
    });
    const vendor = g.funding_vendor;
    if (vendor === null) continue;
    bump(perVendorDiscount, `${vendor}\u0000${g.discount_id}`, () => ({ vendor, discountId: g.discount_id, applications: 0, funded: 0 }), (v) => {
      v.applications += used;
      v.funded += funded;
    });
    bump(perVendor, vendor, () => ({ vendor, applications: 0, funded: 0 }), (v) => {
      v.applications += used;
      v.funded += funded;
    });
  }
  const dayRows = days.map((r) => ({ date: r.local_date, transactions: n(r.transactions), discounted: n(r.discounted), gross: n(r.gross), given: n(r.given) }));
  const voidRows = dayVoids.map((r) => ({ date: r.void_date as string, voids: n(r.voids) }));
  const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((s, r) => s + f(r), 0);

  return {
    discounts: [...perDiscount.values()],
    discountVoids: discountVoids.map((r) => ({ discountId: r.discount_id, voids: n(r.voids) })),
    days: dayRows,
    dayDiscounts: [...perDay.values()],
    dayVoids: voidRows,
    vendorDiscounts: [...perVendorDiscount.values()],
    vendors: [...perVendor.values()],
    totals: {
      transactions: sum(dayRows, (r) => r.transactions),
      discounted: sum(dayRows, (r) => r.discounted),
      gross: sum(dayRows, (r) => r.gross),
      given: sum(dayRows, (r) => r.given),
      voids: sum(voidRows, (r) => r.voids),
    },
  };
}
