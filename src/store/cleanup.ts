// What the cleanup needs from the database (docs/cleanup.md), over the Kysely handle of a
// KyselyLedgerStore: the usage of limited discounts with the time of their last use (read only),
// and the daily lease (migration 0004_cleanup) that lets one instance at a time run the daily
// cleanup. The lease is taken with a conditional update (`run_date < today`), never read then
// written, so two instances racing for it cannot both win. Redemption history is never deleted.

import type { Kysely } from 'kysely';
import type { UsageEnd } from '../ruleset/cleanup.js';
import type { Database } from './schema.js';

type Guard = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

export interface CleanupStore {
  /** used and the last committed, not voided use that took usage, of these discounts (absent: never used). */
  usageEnds(store: string, discountIds: readonly string[]): Promise<Map<string, UsageEnd>>;
  /**
   * Takes the lease `name` for the day `runDate` (YYYY-MM-DD): true for exactly one caller per
   * name and day, whatever the number of instances.
   */
  takeDailyLease(name: string, runDate: string, holder: string, now: string): Promise<boolean>;
}

export class KyselyCleanupStore implements CleanupStore {
  constructor(
    readonly db: Kysely<Database>,
    readonly guard: Guard,
  ) {}

  usageEnds(store: string, discountIds: readonly string[]): Promise<Map<string, UsageEnd>> {
    return this.guard('read usage ends', async () => {
      const out = new Map<string, UsageEnd>();
      if (discountIds.length === 0) return out;
      for (let i = 0; i < discountIds.length; i += 200) {
        const ids = discountIds.slice(i, i + 200);
        const used = await this.db.selectFrom('usage').select(['discount_id', 'used']).where('store', '=', store).where('discount_id', 'in', ids).execute();
        const last = await this.db
          .selectFrom('redemption_discounts as d')
          .innerJoin('redemptions as r', (j) => j.onRef('r.store', '=', 'd.store').onRef('r.transaction_id', '=', 'd.transaction_id'))
          .select(['d.discount_id', (eb) => eb.fn.max('r.committed_at').as('last_at')])
          .where('d.store', '=', store)
          .where('d.discount_id', 'in', ids)
          .where('d.took_usage', '=', 1)
          .where('r.status', '=', 'committed')
          .groupBy('d.discount_id')
          .execute();
        const lastOf = new Map(last.map((r) => [r.discount_id, r.last_at as string | null]));
        for (const r of used) out.set(r.discount_id, { used: Number(r.used), lastUseAt: lastOf.get(r.discount_id) ?? null });
      }
      return out;
    });
  }

  takeDailyLease(name: string, runDate: string, holder: string, now: string): Promise<boolean> {
    return this.guard('take lease', async () => {
      await this.db.insertInto('service_leases').values({ name, run_date: '', holder: '', taken_at: '' }).onConflict((oc) => oc.column('name').doNothing()).execute();
      const r = await this.db
        .updateTable('service_leases')
        .set({ run_date: runDate, holder, taken_at: now })
        .where('name', '=', name)
        .where('run_date', '<', runDate)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    });
  }
}
