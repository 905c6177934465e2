// The ledger over Kysely<Database>: one implementation of LedgerStore for every dialect. Only SQL
// that SQLite and PostgreSQL both understand lives here (INSERT ... ON CONFLICT included); the
// connection, the way a write transaction begins and the meaning of driver errors come from the
// dialect module (src/store/dialects/<name>.ts).
//
// Usage limits are taken with conditional statements (`used < limit`), never read-modify-write in
// JS; rows are locked in one order (usage by discount id, then customer usage by discount id) so
// two transactions on PostgreSQL cannot deadlock on them.
//
// redeem(): a replay or conflict is answered from a plain read; otherwise one write transaction
// checks the id again, reads the usage, prices, compares expectedTotal (refusing before anything is
// written), inserts the redemption with its discounts and allocations, then takes the usage (last,
// so a limit's row lock is held only until the commit, just after). A limit
// used up between the read and the update (another instance, PostgreSQL), a concurrent insert of
// the same id or a deadlock rolls back and runs it again (MAX_ATTEMPTS), then StoreUnavailableError.
// With group commit (SQLite) the redemptions waiting for the write lock run in one transaction, a
// savepoint each, and are answered after its one commit.

import { sql, type ControlledTransaction, type Kysely, type Transaction } from 'kysely';
import type { AppliedDiscount, EvaluateResponse, Usage, UsageCounts } from '../domain/types.js';
import { KyselyAbuseStore, type AbuseStore } from './abuse.js';
import { KyselyCleanupStore, type CleanupStore } from './cleanup.js';
import type { DialectHandle } from './dialect.js';
import { ShapeCache, type Db } from './shapes.js';
import { giveBackBudget, takeBudget } from './budget.js';
import { migrateToLatest } from './migrations.js';
import { KyselyOutbox, transactionEvents, writeEvents } from './outbox.js';
import type { Outbox, RedemptionEvent } from '../events/types.js';
import { readReplayStartUsage, replayPages } from './replay.js';
import type { StoredRedemption } from '../reports/replay.js';
import { readDiscountReport, type DiscountReportAggregates, type ReportPeriod } from './reports.js';
import type { Database, RedemptionsTable } from './schema.js';
import {
  StoreUnavailableError,
  type DiscountLimit,
  type LedgerStore,
  type RedeemInput,
  type RedeemOutcome,
  type RedemptionRecord,
  type UsageRow,
  type VoidInput,
} from './types.js';

/** Attempts of one redeem or void: a limit used up meanwhile, a concurrent insert of the same id, a deadlock. */
export const MAX_ATTEMPTS = 5;
/** Most redemptions one group commit carries. */
export const MAX_BATCH = 64;
/** Rows per multi-row INSERT and ids per IN list (well under every dialect's parameter limit). */
const CHUNK = 200;

type RedemptionRow = Pick<
  RedemptionsTable,
  | 'transaction_id'
  | 'customer_id'
  | 'request_json'
  | 'response_json'
  | 'status'
  | 'committed_at'
  | 'voided_at'
  | 'void_reason'
  | 'void_date'
>;
const RECORD_COLUMNS = [
  'transaction_id',
  'customer_id',
  'request_json',
  'response_json',
  'status',
  'committed_at',
  'voided_at',
  'void_reason',
  'void_date',
] as const;

/** Thrown inside a transaction to roll it back and run the redeem again (a limit ran out meanwhile). */
class LimitRace extends Error {
  constructor(readonly discountId: string) {
    super(`usage of ${discountId} was taken by another transaction`);
  }
}

interface Job {
  input: RedeemInput;
  attempt: number;
  resolve: (outcome: RedeemOutcome) => void;
  reject: (error: unknown) => void;
}

export interface KyselyStoreOptions {
  /**
   * Group commit (default: the dialect's choice): redemptions waiting for the write lock share one
   * transaction, each in a savepoint of its own, and one commit; every caller is answered only
   * after that commit returned (durable). Worth it where a commit costs an fsync and writes are
   * serialised anyway (SQLite); off where a pool commits in parallel (PostgreSQL).
   */
  groupCommit?: boolean;
}

export class KyselyLedgerStore implements LedgerStore {
  readonly dialect: 'sqlite' | 'postgres';
  readonly outbox: Outbox;
  readonly #h: DialectHandle;
  readonly #db: Kysely<Database>;
  readonly #groupCommit: boolean;
  readonly #q = new ShapeCache();
  /** Set once close() began: new calls are refused, the calls in flight finish. */
  #closing: Promise<void> | null = null;
  #closed = false;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #queue: Job[] = [];
  /** The running group commits (until the queue is empty), or null. */
  #batches: Promise<void> | null = null;

  constructor(handle: DialectHandle, options: KyselyStoreOptions = {}) {
    this.#h = handle;
    this.#db = handle.db;
    this.dialect = handle.name;
    this.#groupCommit = options.groupCommit ?? handle.groupCommit;
    this.outbox = new KyselyOutbox({
      db: this.#db,
      guard: (what, fn) => this.#guard(what, fn),
      skipLocked: handle.skipLocked ?? false,
      retryable: (error) => this.#h.classify(error) === 'retry',
    });
  }

  migrate(): Promise<void> {
    return this.#guard('migrate', () => migrateToLatest(this.#db));
  }

  #abuse: AbuseStore | null = null;
  /** Abuse telemetry and signal reads (src/store/abuse.ts). */
  abuse(): AbuseStore {
    return (this.#abuse ??= new KyselyAbuseStore(this.#db, (what, fn) => this.#guard(what, fn)));
  }

  #cleanup: CleanupStore | null = null;
  /** The cleanup's usage reads and daily lease (src/store/cleanup.ts). */
  cleanup(): CleanupStore {
    return (this.#cleanup ??= new KyselyCleanupStore(this.#db, (what, fn) => this.#guard(what, fn)));
  }

  readUsage(store: string, discountIds: readonly string[], customerId: string | null, budgetIds: readonly string[] = []): Promise<Usage> {
    return this.#guard('read usage', () => readUsageIn(this.#q, this.#db, store, discountIds, customerId, budgetIds));
  }

  usageTotals(store: string): Promise<UsageRow[]> {
    return this.#guard('read usage totals', async () => {
      const rows = await this.#db
        .selectFrom('usage')
        .select(['discount_id', 'used'])
        .where('store', '=', store)
        .execute();
      // Sorted here, not by ORDER BY: PostgreSQL's collation may order text differently from SQLite's.
      return rows.map((r) => ({ discountId: r.discount_id, used: Number(r.used) })).sort((a, b) => byString(a.discountId, b.discountId));
    });
  }

  findRequest(store: string, transactionId: string): Promise<{ requestCanonical: string; record: RedemptionRecord } | null> {
    return this.#guard('read redemption', async () => {
      const row = await findRow(this.#q, this.#db, store, transactionId);
      return row ? { requestCanonical: row.request_json, record: await fullRecord(this.#q, this.#db, store, row) } : null;
    });
  }

  getRedemption(store: string, transactionId: string): Promise<RedemptionRecord | null> {
    return this.#guard('read redemption', async () => {
      const row = await findRow(this.#q, this.#db, store, transactionId);
      return row ? fullRecord(this.#q, this.#db, store, row) : null;
    });
  }

  redeem(input: RedeemInput): Promise<RedeemOutcome> {
    return this.#guard('redeem', async () => {
      // Replays and conflicts are answered without taking the write lock; the transaction checks again.
      const known = await findRow(this.#q, this.#db, input.store, input.transactionId);
      if (known) return idempotent(this.#q, this.#db, input, known);
      if (this.#groupCommit) return new Promise<RedeemOutcome>((resolve, reject) => this.#enqueue({ input, attempt: 1, resolve, reject }));
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#db.transaction().execute((trx) => redeemIn(this.#q, trx, input));
        } catch (error) {
          if (!this.#retryable(error)) throw error;
          if (attempt >= MAX_ATTEMPTS) throw contended(input, error);
        }
      }
    });
  }

  #retryable(error: unknown): boolean {
    if (error instanceof LimitRace) return true;
    const c = this.#h.classify(error);
    return c === 'unique' || c === 'retry';
  }

  #enqueue(job: Job): void {
    this.#queue.push(job);
    if (this.#batches) return;
    // After the current I/O callbacks and microtasks, so the redemptions arriving together share a commit.
    this.#batches = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      try {
        while (this.#queue.length) await this.#runBatch(this.#queue.splice(0, MAX_BATCH));
      } catch (error) {
        // #runBatch answers every job itself; should it ever throw, nobody is left waiting.
        for (const job of this.#queue.splice(0)) job.reject(error);
      } finally {
        this.#batches = null;
      }
    });
  }

  /** One transaction, a savepoint per redemption, one commit; answers only after the commit. */
  async #runBatch(jobs: Job[]): Promise<void> {
    // The batch's own statements (begin, savepoints, commit) failing is the database's trouble,
    // never a client's: every job gets StoreUnavailableError, with nothing written.
    const fail = (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const mapped = error instanceof StoreUnavailableError ? error : new StoreUnavailableError(`ledger redeem: ${message}`, { cause: error });
      for (const job of jobs) job.reject(mapped);
    };
    let trx: ControlledTransaction<Database>;
    try {
      trx = await this.#db.startTransaction().execute();
    } catch (error) {
      return fail(error);
    }
    const done: { job: Job; outcome?: RedeemOutcome; error?: unknown }[] = [];
    try {
      for (const job of jobs) {
        await sql`savepoint redeem`.execute(trx);
        try {
          const outcome = await redeemIn(this.#q, trx, job.input);
          await sql`release savepoint redeem`.execute(trx);
          done.push({ job, outcome });
        } catch (error) {
          await sql`rollback to savepoint redeem`.execute(trx);
          await sql`release savepoint redeem`.execute(trx);
          done.push({ job, error });
        }
      }
      await trx.commit().execute();
    } catch (error) {
      // Nothing of this batch is durable: every caller gets the error (a refusal wrote nothing either).
      await trx.rollback().execute().catch(() => undefined);
      return fail(error);
    }
    for (const { job, outcome, error } of done) {
      if (outcome) job.resolve(outcome);
      else if (this.#retryable(error) && job.attempt < MAX_ATTEMPTS) this.#queue.push({ ...job, attempt: job.attempt + 1 });
      else if (this.#retryable(error)) job.reject(contended(job.input, error));
      else job.reject(this.#unavailable('redeem', error) ?? error);
    }
  }

  voidRedemption(input: VoidInput): Promise<RedemptionRecord | null> {
    return this.#guard('void', async () => {
      const known = await findRow(this.#q, this.#db, input.store, input.transactionId);
      if (!known) return null;
      if (known.status === 'voided') return fullRecord(this.#q, this.#db, input.store, known);
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.#db.transaction().execute((trx) => voidIn(this.#q, trx, input));
        } catch (error) {
          if (this.#h.classify(error) !== 'retry') throw error;
          if (attempt >= MAX_ATTEMPTS)
            throw new StoreUnavailableError(`ledger void ${input.transactionId}: still contended after ${MAX_ATTEMPTS} attempts`, { cause: error });
        }
      }
    });
  }

  replayPages(store: string, from: string, to: string, pageSize?: number): AsyncIterable<StoredRedemption[]> {
    const pages = replayPages(this.#db, store, from, to, pageSize);
    const next = () => this.#guard('read replay page', () => pages.next());
    const stop = () => this.#guard('read replay page', () => pages.return(undefined));
    return { [Symbol.asyncIterator]: () => ({ next, return: stop }) };
  }

  replayStartUsage(store: string, from: string, discountIds: readonly string[]): Promise<Usage> {
    return this.#guard('read replay start usage', () => readReplayStartUsage(this.#db, store, from, discountIds));
  }

  discountReport(store: string, period: ReportPeriod): Promise<DiscountReportAggregates> {
    return this.#guard('read report', () => readDiscountReport(this.#db, this.dialect, store, period));
  }

  ping(): Promise<void> {
    // A real table, so the database file (or server) is read, not only the connection object.
    return this.#guard('ping', async () => {
      await this.#db.selectFrom('usage').select('discount_id').limit(1).execute();
    });
  }

  /** Lets the queued and running group commits and any running transaction finish, then closes the database. */
  async close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closing = (async () => {
      while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
      this.#closed = true;
      await this.#h.close();
    })();
    return this.#closing;
  }

  /** Maps the dialect's "cannot reach / busy" errors to StoreUnavailableError; rethrows anything else. */
  #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new StoreUnavailableError(`ledger ${what}: the store is closed`));
    const call = (async () => {
      try {
        return await fn();
      } catch (error) {
        throw this.#unavailable(what, error) ?? error;
      }
    })();
    this.#inflight.add(call);
    void call.then(
      () => this.#inflight.delete(call),
      () => this.#inflight.delete(call),
    );
    return call;
  }

  #unavailable(what: string, error: unknown): StoreUnavailableError | null {
    if (error instanceof StoreUnavailableError) return error;
    if (this.#h.classify(error) !== 'unavailable' && !this.#closed) return null;
    const message = error instanceof Error ? error.message : String(error);
    return new StoreUnavailableError(`ledger ${what}: ${message}`, { cause: error });
  }
}

// ---------------------------------------------------------------------------
// Transactions

async function redeemIn(q: ShapeCache, trx: Transaction<Database>, input: RedeemInput): Promise<RedeemOutcome> {
  const known = await findRow(q, trx, input.store, input.transactionId);
  if (known) return idempotent(q, trx, input, known);

  const limits = new Map<string, DiscountLimit>();
  const budgets: string[] = [];
  for (const l of input.limits) {
    const budget = l.budget ?? null;
    if (l.usageLimit !== null || l.perCustomerLimit !== null || budget !== null) limits.set(l.discountId, l);
    if (budget !== null) budgets.push(l.discountId);
  }
  const usage = await readUsageIn(q, trx, input.store, [...limits.keys()], input.customerId, budgets);
  const response = input.price(usage);
  if (input.expectedTotal !== undefined && response.total !== input.expectedTotal) {
    return { kind: 'price_changed', evaluation: response };
  }

  // Which limits this redemption takes (the rows say so; a void releases exactly these).
  const applied = [...response.applied].sort((a, b) => byString(a.discountId, b.discountId));
  const took = new Map<string, { usage: boolean; customer: boolean; budget: number }>();
  for (const d of applied) {
    const limit = limits.get(d.discountId);
    took.set(d.discountId, {
      usage: limit?.usageLimit !== null && limit?.usageLimit !== undefined,
      customer: input.customerId !== null && (limit?.perCustomerLimit ?? null) !== null,
      // The applied amount (after the store cap) counts against the budget.
      budget: (limit?.budget ?? null) !== null ? d.amount : 0,
    });
  }

  const responseJson = JSON.stringify(response);
  const redemption = [
    input.store,
    input.transactionId,
    input.rulesetVersion,
    input.requestCanonical,
    responseJson,
    input.at,
    input.localDate,
    input.customerId,
    response.subtotal,
    response.discountTotal,
    response.total,
    input.now,
  ];
  await q.run(trx, 'insert-redemption', redemption, (db, a) =>
    db.insertInto('redemptions').values({
      store: a[0],
      transaction_id: a[1],
      ruleset_version: a[2],
      request_json: a[3],
      response_json: a[4],
      at_instant: a[5],
      local_date: a[6],
      customer_id: a[7],
      subtotal: a[8],
      discount_total: a[9],
      total: a[10],
      status: 'committed',
      committed_at: a[11],
      voided_at: null,
      void_reason: null,
      void_date: null,
    }),
  );
  const discounts = response.applied.map((d: AppliedDiscount, position) => [
    input.store,
    input.transactionId,
    d.discountId,
    position,
    d.code,
    d.type,
    d.amount,
    took.get(d.discountId)!.usage ? 1 : 0,
    took.get(d.discountId)!.customer ? 1 : 0,
    // The vendor's share as the response states it (reports bill it back: src/store/reports.ts).
    d.funding?.vendor ?? null,
    d.funding?.amount ?? 0,
    took.get(d.discountId)!.budget,
  ]);
  const W = 12;
  for (const rows of chunks(discounts))
    await q.run(trx, `insert-discounts:${rows.length}`, rows.flat(), (db, a) =>
      db.insertInto('redemption_discounts').values(
        rows.map((_, i) => ({
          store: a[i * W],
          transaction_id: a[i * W + 1],
          discount_id: a[i * W + 2],
          position: a[i * W + 3],
          code: a[i * W + 4],
          type: a[i * W + 5],
          amount: a[i * W + 6],
          took_usage: a[i * W + 7],
          took_customer_usage: a[i * W + 8],
          funding_vendor: a[i * W + 9],
          funding_amount: a[i * W + 10],
          took_budget: a[i * W + 11],
        })),
      ),
    );
  const allocations = response.applied.flatMap((d) => d.allocations.map((a) => [input.store, input.transactionId, d.discountId, a.lineId, a.amount]));
  for (const rows of chunks(allocations))
    await q.run(trx, `insert-allocations:${rows.length}`, rows.flat(), (db, a) =>
      db.insertInto('redemption_allocations').values(
        rows.map((_, i) => ({
          store: a[i * 5],
          transaction_id: a[i * 5 + 1],
          discount_id: a[i * 5 + 2],
          line_id: a[i * 5 + 3],
          amount: a[i * 5 + 4],
        })),
      ),
    );

  // The events of this redemption, in its transaction (a rollback or a refused limit below takes
  // them back with everything else).
  const record = recordOf(
    {
      transaction_id: input.transactionId,
      customer_id: input.customerId,
      request_json: input.requestCanonical,
      response_json: responseJson,
      status: 'committed',
      committed_at: input.now,
      voided_at: null,
      void_reason: null,
      void_date: null,
    },
    [],
  );
  if (input.events) record.events = await writeEvents(q, trx, input.store, input.transactionId, input.events({ record, customerId: input.customerId }));

  // Take the usage last, just before the commit: a limit's row is the one every redemption of that
  // discount waits for (PostgreSQL row lock), so it is held for as short a time as possible. Every
  // applied discount with a limit, in discount id order (store-wide, then per customer), so two
  // transactions never wait for each other in a cycle. A use taken meanwhile by another
  // transaction rolls all of this back and prices again (LimitRace). A budget is taken on the same
  // usage row right after its use (src/store/budget.ts); one that no longer fits re-prices the
  // same way, capped at what is left then.
  for (const d of applied) {
    const t = took.get(d.discountId)!;
    if (t.usage && !(await takeUsage(q, trx, input.store, d.discountId, limits.get(d.discountId)!.usageLimit!))) throw new LimitRace(d.discountId);
    if (t.budget > 0 && !(await takeBudget(q, trx, input.store, d.discountId, limits.get(d.discountId)!.budget!, t.budget))) throw new LimitRace(d.discountId);
  }
  for (const d of applied) {
    if (!took.get(d.discountId)!.customer) continue;
    if (!(await takeCustomerUsage(q, trx, input.store, input.customerId!, d.discountId, limits.get(d.discountId)!.perCustomerLimit!))) throw new LimitRace(d.discountId);
  }

  return { kind: 'committed', record };
}

/** One use of a store-wide limit: inserts the row at 1, or adds 1 while under the limit. */
async function takeUsage(q: ShapeCache, trx: Transaction<Database>, store: string, discountId: string, limit: number): Promise<boolean> {
  if (limit < 1) return false;
  const r = await q.run(trx, 'take-usage', [store, discountId, limit], (db, [store, discountId, limit]) =>
    db
      .insertInto('usage')
      .values({ store, discount_id: discountId, used: 1 })
      .onConflict((oc) =>
        oc
          .columns(['store', 'discount_id'])
          .doUpdateSet({ used: sql`${sql.ref('usage.used')} + 1` })
          .where('usage.used', '<', limit),
      ),
  );
  return Number(r.numAffectedRows ?? 0) === 1;
}

async function takeCustomerUsage(
  q: ShapeCache,
  trx: Transaction<Database>,
  store: string,
  customerId: string,
  discountId: string,
  limit: number,
): Promise<boolean> {
  if (limit < 1) return false;
  const r = await q.run(trx, 'take-customer-usage', [store, customerId, discountId, limit], (db, [store, customerId, discountId, limit]) =>
    db
      .insertInto('customer_usage')
      .values({ store, customer_id: customerId, discount_id: discountId, used: 1 })
      .onConflict((oc) =>
        oc
          .columns(['store', 'customer_id', 'discount_id'])
          .doUpdateSet({ used: sql`${sql.ref('customer_usage.used')} + 1` })
          .where('customer_usage.used', '<', limit),
      ),
  );
  return Number(r.numAffectedRows ?? 0) === 1;
}

async function voidIn(q: ShapeCache, trx: Transaction<Database>, input: VoidInput): Promise<RedemptionRecord | null> {
  const { store, transactionId } = input;
  const row = await findRow(q, trx, store, transactionId);
  if (!row) return null;
  if (row.status === 'voided') return fullRecord(q, trx, store, row);
  const updated = await trx
    .updateTable('redemptions')
    .set({ status: 'voided', voided_at: input.now, void_reason: input.reason, void_date: input.localDate })
    .where('store', '=', store)
    .where('transaction_id', '=', transactionId)
    .where('status', '=', 'committed')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) {
    // Voided by a concurrent transaction since the read (PostgreSQL read committed): its void stands.
    const again = await findRow(q, trx, store, transactionId);
    return again ? fullRecord(q, trx, store, again) : null;
  }
  const taken = await trx
    .selectFrom('redemption_discounts')
    .select(['discount_id', 'took_usage', 'took_customer_usage', 'took_budget'])
    .where('store', '=', store)
    .where('transaction_id', '=', transactionId)
    .execute();
  // Released in the order redeem takes them (discount id, code unit order): no lock-order inversion.
  taken.sort((a, b) => byString(a.discount_id, b.discount_id));
  for (const t of taken) {
    await giveBackBudget(q, trx, store, t.discount_id, Number(t.took_budget));
    if (Number(t.took_usage) !== 1) continue;
    await trx
      .updateTable('usage')
      .set({ used: sql`used - 1` })
      .where('store', '=', store)
      .where('discount_id', '=', t.discount_id)
      .where('used', '>', 0)
      .execute();
  }
  const customerId = row.customer_id;
  if (customerId !== null) {
    for (const t of taken) {
      if (Number(t.took_customer_usage) !== 1) continue;
      await trx
        .updateTable('customer_usage')
        .set({ used: sql`used - 1` })
        .where('store', '=', store)
        .where('customer_id', '=', customerId)
        .where('discount_id', '=', t.discount_id)
        .where('used', '>', 0)
        .execute();
    }
  }
  const record = recordOf({ ...row, status: 'voided', voided_at: input.now, void_reason: input.reason, void_date: input.localDate }, []);
  const earlier = await transactionEvents(q, trx, store, transactionId);
  const written = input.events ? await writeEvents(q, trx, store, transactionId, input.events({ record, customerId })) : [];
  record.events = [...earlier, ...written];
  return record;
}

// ---------------------------------------------------------------------------
// Reads

async function findRow(q: ShapeCache, db: Db, store: string, transactionId: string): Promise<RedemptionRow | undefined> {
  const { rows } = await q.run(db, 'find-redemption', [store, transactionId], (db, [store, transactionId]) =>
    db.selectFrom('redemptions').select(RECORD_COLUMNS).where('store', '=', store).where('transaction_id', '=', transactionId),
  );
  return rows[0];
}

/**
 * Every asked discount gets an entry (0 when never used), with the customer's count when customerId
 * is given and `given` when it is one of budgetIds.
 */
async function readUsageIn(
  q: ShapeCache,
  db: Db,
  store: string,
  discountIds: readonly string[],
  customerId: string | null,
  budgetIds: readonly string[] = [],
): Promise<Usage> {
  const ids = [...new Set([...discountIds, ...budgetIds])].sort(byString);
  const budgeted = new Set(budgetIds);
  const used = new Map<string, number>();
  const given = new Map<string, number>();
  const customerUsed = new Map<string, number>();
  for (const part of chunks(ids)) {
    const { rows } = await q.run(db, `usage-in:${part.length}`, [store, ...part], (db, [store, ...ids]) =>
      db.selectFrom('usage').select(['discount_id', 'used', 'given']).where('store', '=', store).where('discount_id', 'in', ids),
    );
    for (const r of rows) {
      used.set(r.discount_id, Number(r.used));
      given.set(r.discount_id, Number(r.given));
    }
    if (customerId === null) continue;
    const { rows: crows } = await q.run(db, `customer-usage-in:${part.length}`, [store, customerId, ...part], (db, [store, customerId, ...ids]) =>
      db
        .selectFrom('customer_usage')
        .select(['discount_id', 'used'])
        .where('store', '=', store)
        .where('customer_id', '=', customerId)
        .where('discount_id', 'in', ids),
    );
    for (const r of crows) customerUsed.set(r.discount_id, Number(r.used));
  }
  const usage: Usage = {};
  for (const id of ids) {
    const counts: UsageCounts = { used: used.get(id) ?? 0 };
    if (budgeted.has(id)) counts.given = given.get(id) ?? 0;
    if (customerId !== null) {
      counts.customers = {};
      defineOwn(counts.customers, customerId, customerUsed.get(id) ?? 0);
    }
    defineOwn(usage, id, counts);
  }
  return usage;
}

// ---------------------------------------------------------------------------
// Records

function contended(input: RedeemInput, cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError(`ledger redeem ${input.transactionId}: still contended after ${MAX_ATTEMPTS} attempts`, { cause });
}

async function idempotent(q: ShapeCache, db: Db, input: RedeemInput, row: RedemptionRow): Promise<RedeemOutcome> {
  return row.request_json === input.requestCanonical ? { kind: 'replay', record: await fullRecord(q, db, input.store, row) } : { kind: 'conflict' };
}

/** The stored record with its transaction's events as they stand. */
async function fullRecord(q: ShapeCache, db: Db, store: string, row: RedemptionRow): Promise<RedemptionRecord> {
  return recordOf(row, await transactionEvents(q, db, store, row.transaction_id));
}

/**
 * The record in one fixed key order (its own fields, then the committed response as stored), so the
 * same redemption serialises to the same bytes every time it is read.
 */
export function recordOf(row: RedemptionRow, events: RedemptionEvent[]): RedemptionRecord {
  const response = JSON.parse(row.response_json) as EvaluateResponse;
  const own: Pick<RedemptionRecord, 'transactionId' | 'status' | 'committedAt' | 'voidedAt' | 'voidReason' | 'voidDate'> = {
    transactionId: row.transaction_id,
    status: row.status,
    committedAt: row.committed_at,
  };
  if (row.status === 'voided') {
    own.voidedAt = row.voided_at ?? undefined;
    own.voidReason = row.void_reason;
    own.voidDate = row.void_date ?? undefined;
  }
  return { ...own, ...response, events };
}

/** Sets an own enumerable property even for keys such as "__proto__" (customer ids are client text). */
function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}
