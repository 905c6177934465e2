// The ledger's migrations, in code (no migration files to ship or find at run time), run by
// kysely's Migrator when a store opens. Only DDL both SQLite and PostgreSQL understand. A
// migration, once released, is never edited: a change is a new migration with a later name.

import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { Database } from './schema.js';

// The migrations take Kysely<any>: they describe the schema as it was when they were written,
// not as schema.ts describes it today.
type AnyDb = Kysely<any>;

export const migrations: Record<string, Migration> = {
  '0001_ledger': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('redemptions')
        .addColumn('store', 'text', (c) => c.notNull())
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('ruleset_version', 'text', (c) => c.notNull())
        .addColumn('request_json', 'text', (c) => c.notNull())
        .addColumn('response_json', 'text', (c) => c.notNull())
        .addColumn('at_instant', 'text', (c) => c.notNull())
        .addColumn('local_date', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text')
        .addColumn('subtotal', 'bigint', (c) => c.notNull())
        .addColumn('discount_total', 'bigint', (c) => c.notNull())
        .addColumn('total', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('committed', 'voided')`))
        .addColumn('committed_at', 'text', (c) => c.notNull())
        .addColumn('voided_at', 'text')
        .addColumn('void_reason', 'text')
        .addColumn('void_date', 'text')
        .addPrimaryKeyConstraint('redemptions_pk', ['store', 'transaction_id'])
        .execute();
      // Reports by store and day (later issue). Lookups by transaction id use the primary key; every
      // further index is one more page written per commit, so each waits for the query that needs it.
      await db.schema.createIndex('redemptions_store_local_date').on('redemptions').columns(['store', 'local_date']).execute();

      await db.schema
        .createTable('redemption_discounts')
        .addColumn('store', 'text', (c) => c.notNull())
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('discount_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('code', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addColumn('took_usage', 'integer', (c) => c.notNull())
        .addColumn('took_customer_usage', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('redemption_discounts_pk', ['store', 'transaction_id', 'discount_id'])
        .addForeignKeyConstraint('redemption_discounts_redemption_fk', ['store', 'transaction_id'], 'redemptions', [
          'store',
          'transaction_id',
        ])
        .execute();

      await db.schema
        .createTable('redemption_allocations')
        .addColumn('store', 'text', (c) => c.notNull())
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('discount_id', 'text', (c) => c.notNull())
        .addColumn('line_id', 'text', (c) => c.notNull())
        .addColumn('amount', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('redemption_allocations_pk', ['store', 'transaction_id', 'discount_id', 'line_id'])
        .addForeignKeyConstraint(
          'redemption_allocations_discount_fk',
          ['store', 'transaction_id', 'discount_id'],
          'redemption_discounts',
          ['store', 'transaction_id', 'discount_id'],
        )
        .execute();

      await db.schema
        .createTable('usage')
        .addColumn('store', 'text', (c) => c.notNull())
        .addColumn('discount_id', 'text', (c) => c.notNull())
        .addColumn('used', 'bigint', (c) => c.notNull().check(sql`used >= 0`))
        .addPrimaryKeyConstraint('usage_pk', ['store', 'discount_id'])
        .execute();

      // Keyed (store, customer, discount): readUsage asks for one customer's counts of several discounts.
      await db.schema
        .createTable('customer_usage')
        .addColumn('store', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('discount_id', 'text', (c) => c.notNull())
        .addColumn('used', 'bigint', (c) => c.notNull().check(sql`used >= 0`))
        .addPrimaryKeyConstraint('customer_usage_pk', ['store', 'customer_id', 'discount_id'])
        .execute();
    },
  },

  // Reports (issue 12): the vendor funding of each applied discount as columns, so the bill-back
  // figures are sums in the database, an index for voids counted on their own day, and a covering
  // index for the period's redemptions. Rows stored
  // before this migration are backfilled from the response_json they were committed with (in JS,
  // the same for SQLite and PostgreSQL), a page of redemptions at a time.
  '0002_reports': {
    async up(db: AnyDb) {
      await db.schema.alterTable('redemption_discounts').addColumn('funding_vendor', 'text').execute();
      await db.schema
        .alterTable('redemption_discounts')
        .addColumn('funding_amount', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('redemptions_store_void_date').on('redemptions').columns(['store', 'void_date']).execute();
      // 0001's (store, local_date) index becomes a covering one: the report reads every used
      // redemption of a period from the index alone, never the rows with their JSON (see
      // docs/benchmarks.md, `npm run bench:report`), and a commit still writes one index on
      // redemptions for the period's dates, not two.
      await db.schema
        .createIndex('redemptions_store_local_date_cover')
        .on('redemptions')
        .columns(['store', 'local_date', 'status', 'void_date', 'subtotal', 'discount_total', 'transaction_id'])
        .execute();
      await db.schema.dropIndex('redemptions_store_local_date').ifExists().execute();
      await backfillFunding(db);
    },
  },
  // Code-guessing telemetry (src/store/abuse.ts): UNKNOWN_CODE attempts per API key id and subject
  // in fixed windows, added in batches. Kept apart from the ledger: no foreign keys, never read by
  // redeem, safe to prune. The report reads it by window start.
  '0003_abuse': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('code_attempts')
        .addColumn('store', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('subject_kind', 'text', (c) => c.notNull().check(sql`subject_kind in ('terminal', 'customer', 'none', 'key')`))
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('window_start', 'text', (c) => c.notNull())
        .addColumn('attempts', 'bigint', (c) => c.notNull().check(sql`attempts >= 0`))
        .addColumn('first_at', 'text', (c) => c.notNull())
        .addColumn('last_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('code_attempts_pk', ['store', 'key_id', 'subject_kind', 'subject', 'window_start'])
        .execute();
      await db.schema.createIndex('code_attempts_store_window').on('code_attempts').columns(['store', 'window_start']).execute();
    },
  },
  // The daily cleanup's lease (src/store/cleanup.ts): one row per job, taken for a day with a
  // conditional update, so one instance at a time runs it. Not part of the ledger.
  '0004_cleanup': {
    async up(db: AnyDb) {
      await db.schema
        .createTable('service_leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('run_date', 'text', (c) => c.notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('taken_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  // Budgets (issue 14): what a discount with `budget` has given, on its usage row (taken with a
  // conditional update, `given + amount <= budget`, next to `used`), and what each redemption took
  // of it, so a void gives exactly that back.
  '0005_budget': {
    async up(db: AnyDb) {
      await db.schema
        .alterTable('usage')
        .addColumn('given', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`given >= 0`))
        .execute();
      await db.schema
        .alterTable('redemption_discounts')
        .addColumn('took_budget', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`took_budget >= 0`))
        .execute();
    },
  },
  // Issue 15: the transactional outbox. Events and their deliveries are written in the ledger
  // change's own transaction; attempts by the dispatcher. No foreign key to redemptions, so the
  // ledger's cleanup decides on its own what to keep.
  '0006_outbox': {
    async up(db: AnyDb) {
      const status = (c: string) => sql.raw(`${c} in ('pending', 'delivered', 'failed')`);
      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => c.notNull().primaryKey())
        .addColumn('store', 'text', (c) => c.notNull())
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('ruleset_version', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(status('status')))
        .execute();
      // The redemption record's events, in order; and the seq of a void's events.
      await db.schema.createIndex('events_transaction').unique().on('events').columns(['store', 'transaction_id', 'seq']).execute();
      // GET /v1/events, newest first, with and without a status filter.
      await db.schema.createIndex('events_store_created').on('events').columns(['store', 'created_at', 'id']).execute();
      await db.schema.createIndex('events_store_status_created').on('events').columns(['store', 'status', 'created_at', 'id']).execute();

      await db.schema
        .createTable('deliveries')
        .addColumn('id', 'text', (c) => c.notNull().primaryKey())
        .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
        .addColumn('store', 'text', (c) => c.notNull())
        .addColumn('transaction_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('secret_env', 'text', (c) => c.notNull())
        .addColumn('secret_env_previous', 'text')
        .addColumn('status', 'text', (c) => c.notNull().check(status('status')))
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('lease_until', 'text')
        .addColumn('last_attempt_at', 'text')
        .addColumn('last_status_code', 'integer')
        .addColumn('last_error', 'text')
        .execute();
      // The claim: due pending deliveries; the order check: earlier deliveries of the same pair.
      await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('deliveries_order').on('deliveries').columns(['store', 'transaction_id', 'url', 'seq']).execute();
      await db.schema.createIndex('deliveries_event').on('deliveries').columns(['event_id']).execute();

      await db.schema
        .createTable('attempts')
        .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id'))
        .addColumn('number', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('delivered', 'retry', 'failed')`))
        .addPrimaryKeyConstraint('attempts_pk', ['delivery_id', 'number'])
        .execute();
    },
  },
};

/** Rows read per page by the 0002 backfill. */
const BACKFILL_PAGE = 500;

/** Sets funding_vendor and funding_amount from each stored response's `applied[].funding`. */
async function backfillFunding(db: AnyDb): Promise<void> {
  let after: { store: string; transaction_id: string } | null = null;
  for (;;) {
    let q = db.selectFrom('redemptions').select(['store', 'transaction_id', 'response_json']);
    if (after) {
      const { store, transaction_id } = after;
      q = q.where((eb: any) => eb.or([eb('store', '>', store), eb.and([eb('store', '=', store), eb('transaction_id', '>', transaction_id)])]));
    }
    const rows: { store: string; transaction_id: string; response_json: string }[] = await q.orderBy('store').orderBy('transaction_id').limit(BACKFILL_PAGE).execute();
    if (!rows.length) return;
    for (const row of rows) {
      let applied: unknown;
      try {
        applied = (JSON.parse(row.response_json) as { applied?: unknown }).applied;
      } catch {
        continue; // not JSON: nothing to read funding from (never written by this service)
      }
      if (!Array.isArray(applied)) continue;
      for (const a of applied as { discountId?: unknown; funding?: { vendor?: unknown; amount?: unknown } | null }[]) {
        const f = a?.funding;
        if (typeof a?.discountId !== 'string' || !f || typeof f.vendor !== 'string' || !Number.isSafeInteger(f.amount)) continue;
        await db
          .updateTable('redemption_discounts')
          .set({ funding_vendor: f.vendor, funding_amount: f.amount as number })
          .where('store', '=', row.store)
          .where('transaction_id', '=', row.transaction_id)
          .where('discount_id', '=', a.discountId)
          .execute();
      }
    }
    const last = rows[rows.length - 1];
    after = { store: last.store, transaction_id: last.transaction_id };
  }
}

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

/** Runs every pending migration; throws the first migration error. */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  // Unordered: each migration touches its own tables and columns, so a database that already ran a
  // later one (a development database from before a merge) still runs an earlier new one; a fresh
  // database runs them in name order.
  const migrator = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error;
}
