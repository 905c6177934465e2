// The ledger reads what-if replay needs (src/reports/replay.ts re-prices them). Reads only: no
// statement here writes, and none takes a write lock.
//
// - The period's redemptions: committed and not voided, whose store-local date (the date of the
//   instant priced, as reports group by it) is in [from, to), in commit order: committed_at, then
//   transaction id. The commit order is decided in JS (byString), never by ORDER BY, so SQLite and
//   PostgreSQL (whose text collation may differ) give the same order. First one indexed range read
//   of the keys alone (redemptions_store_local_date; a key is two short strings), then the rows in
//   pages of that order by primary key: each page holds at most `pageSize` stored requests, and no
//   page re-reads the period (a keyset page on committed_at would, with no index on it; the one
//   index it needs would cost every commit a page write, so it waits for a migration that needs it).
// - The usage at the period's start: per discount asked, the uses of the redemptions of earlier
//   dates that are not voided (every application counts: the drafted ruleset may limit a discount
//   the served one did not), their amount given (budgets), and the uses per customer.

import type { Usage, UsageCounts } from '../domain/types.js';
import type { StoredRedemption } from '../reports/replay.js';
import type { Db } from './shapes.js';

/** Stored requests per page (well under every dialect's parameter limit for the IN list). */
export const REPLAY_PAGE_SIZE = 500;
const ID_CHUNK = 500;

export interface ReplayKey {
  committedAt: string;
  transactionId: string;
}

/** The keys of the period's committed, not voided redemptions, in commit order. */
export async function readReplayKeys(db: Db, store: string, from: string, to: string): Promise<ReplayKey[]> {
  const rows = await db
    .selectFrom('redemptions')
    .select(['transaction_id', 'committed_at'])
    .where('store', '=', store)
    .where('local_date', '>=', from)
    .where('local_date', '<', to)
    .where('status', '=', 'committed')
    .execute();
  return rows.map((r) => ({ committedAt: r.committed_at, transactionId: r.transaction_id })).sort(compareKeys);
}

export function compareKeys(a: ReplayKey, b: ReplayKey): number {
  return byString(a.committedAt, b.committedAt) || byString(a.transactionId, b.transactionId);
}

/**
 * The stored redemptions of these keys, in the keys' order. A redemption voided since the keys
 * were read is left out (it is no longer "not voided").
 */
export async function readReplayRows(db: Db, store: string, keys: readonly ReplayKey[]): Promise<StoredRedemption[]> {
  const found = new Map<string, StoredRedemption & { given: { discountId: string; amount: number }[] }>();
  const given = new Map<string, { discountId: string; amount: number; position: number }[]>();
  for (let i = 0; i < keys.length; i += ID_CHUNK) {
    const ids = keys.slice(i, i + ID_CHUNK).map((k) => k.transactionId);
    const rows = await db
      .selectFrom('redemptions')
      .select(['transaction_id', 'customer_id', 'request_json', 'at_instant', 'committed_at'])
      .where('store', '=', store)
      .where('transaction_id', 'in', ids)
      .where('status', '=', 'committed')
      .execute();
    const discounts = await db
      .selectFrom('redemption_discounts')
      .select(['transaction_id', 'discount_id', 'amount', 'position'])
      .where('store', '=', store)
      .where('transaction_id', 'in', ids)
      .execute();
    for (const d of discounts) {
      let list = given.get(d.transaction_id);
      if (!list) given.set(d.transaction_id, (list = []));
      list.push({ discountId: d.discount_id, amount: Number(d.amount), position: Number(d.position) });
    }
    for (const r of rows)
      found.set(r.transaction_id, {
        transactionId: r.transaction_id,
        customerId: r.customer_id,
        request: requestOf(r.request_json),
        at: r.at_instant,
        committedAt: r.committed_at,
        given: [],
      });
  }
  const out: StoredRedemption[] = [];
  for (const k of keys) {
    const r = found.get(k.transactionId);
    if (!r) continue;
    r.given = (given.get(k.transactionId) ?? []).sort((a, b) => a.position - b.position).map(({ discountId, amount }) => ({ discountId, amount }));
    out.push(r);
  }
  return out;
}

/** The period's redemptions in commit order, a page at a time. */
export async function* replayPages(db: Db, store: string, from: string, to: string, pageSize: number = REPLAY_PAGE_SIZE): AsyncGenerator<StoredRedemption[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`replay page size must be a positive integer, not ${pageSize}`);
  const keys = await readReplayKeys(db, store, from, to);
  for (let i = 0; i < keys.length; i += pageSize) yield await readReplayRows(db, store, keys.slice(i, i + pageSize));
}

/**
 * The counts at the period's start for these discounts: uses and amount given by redemptions of
 * dates before `from` that are not voided, and the uses per customer. Every asked id gets an entry.
 */
export async function readReplayStartUsage(db: Db, store: string, from: string, discountIds: readonly string[]): Promise<Usage> {
  const ids = [...new Set(discountIds)].sort(byString);
  const usage: Usage = {};
  for (const id of ids) defineOwn(usage, id, { used: 0, given: 0, customers: {} } satisfies UsageCounts);
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const part = ids.slice(i, i + ID_CHUNK);
    const base = db
      .selectFrom('redemption_discounts as d')
      .innerJoin('redemptions as r', (j) => j.onRef('r.store', '=', 'd.store').onRef('r.transaction_id', '=', 'd.transaction_id'))
      .where('d.store', '=', store)
      .where('d.discount_id', 'in', part)
      .where('r.local_date', '<', from)
      .where('r.status', '=', 'committed');
    const totals = await base
      .select((eb) => ['d.discount_id', eb.fn.countAll().as('used'), eb.fn.sum('d.amount').as('given')])
      .groupBy('d.discount_id')
      .execute();
    for (const t of totals) {
      const counts = usage[t.discount_id];
      counts.used = Number(t.used);
      counts.given = Number(t.given ?? 0);
    }
    const customers = await base
      .where('r.customer_id', 'is not', null)
      .select((eb) => ['d.discount_id', 'r.customer_id', eb.fn.countAll().as('used')])
      .groupBy(['d.discount_id', 'r.customer_id'])
      .execute();
    // Sorted before they are set, so the object's key order never depends on the database.
    customers.sort((a, b) => byString(a.discount_id, b.discount_id) || byString(a.customer_id ?? '', b.customer_id ?? ''));
    for (const c of customers) defineOwn(usage[c.discount_id].customers!, c.customer_id!, Number(c.used));
  }
  return usage;
}

/** The evaluate request of a stored redemption body: without its own fields (transactionId, expectedTotal). */
function requestOf(requestJson: string): unknown {
  const body = JSON.parse(requestJson) as unknown;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const { transactionId: _t, expectedTotal: _e, ...request } = body as Record<string, unknown>;
  return request;
}

function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
