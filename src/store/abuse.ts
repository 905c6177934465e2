// Abuse telemetry and the ledger reads behind the abuse signals, over the Kysely handle of a
// KyselyLedgerStore (the same SQL for SQLite and PostgreSQL).
//
// code_attempts holds UNKNOWN_CODE attempts per (store, API key id, subject, fixed window): no
// carts, no codes, no API keys (an id derived from one). Batches are added with
// INSERT ... ON CONFLICT DO UPDATE (attempts = attempts + excluded.attempts), so instances sharing
// the database add up without reading first. The ledger tables are only read here.

import { sql, type Kysely } from 'kysely';
import type { AbuseSale, AbuseUse, CodeAttemptWindow, SubjectKind } from '../reports/abuse.js';
import type { Database } from './schema.js';

export type { SubjectKind };

/** One counter of one window: `attempts` more unknown codes, seen between firstAt and lastAt. */
export interface CodeAttemptRow extends CodeAttemptWindow {
  store: string;
}

export interface CounterKey {
  keyId: string;
  subjectKind: SubjectKind;
  subject: string;
}

export type HistoryRedemption = AbuseSale;
export type HistoryUse = AbuseUse;

export interface AbuseStore {
  /** Adds a batch of counters, each at most once (multi-row upserts in one transaction). */
  addCodeAttempts(rows: readonly CodeAttemptRow[]): Promise<void>;
  /** The stored attempts of these counters in one window (absent counters: 0). */
  readCodeAttempts(store: string, windowStart: string, keys: readonly CounterKey[]): Promise<Map<string, number>>;
  /** Counters of windows starting in [from, to) with at least `minAttempts` attempts. */
  listCodeAttempts(store: string, from: string, to: string, minAttempts: number): Promise<CodeAttemptRow[]>;
  /** Committed, not voided uses by identified customers priced in [from, to), of (customer, discount) pairs used more than `moreThan` times there. */
  repeatedUses(store: string, from: string, to: string, moreThan: number): Promise<HistoryUse[]>;
  /** Discounted sales voided in [from, to). */
  voidedSales(store: string, from: string, to: string): Promise<HistoryRedemption[]>;
  /** Committed, not voided sales priced in [from, to) whose discount is more than `bps` of the subtotal. */
  heavyDiscounts(store: string, from: string, to: string, bps: number): Promise<HistoryRedemption[]>;
}

export const counterId = (k: CounterKey) => `${k.keyId}\u0000${k.subjectKind}\u0000${k.subject}`;

type Guard = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

export class KyselyAbuseStore implements AbuseStore {
  constructor(
    readonly db: Kysely<Database>,
    readonly guard: Guard,
  ) {}

  addCodeAttempts(rows: readonly CodeAttemptRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    // Rows in one order, so two instances flushing at once lock them in the same order (PostgreSQL).
    const sorted = [...rows].sort((a, b) => cmp(rowOrder(a), rowOrder(b)));
    const values = sorted.map((r) => ({
      store: r.store,
      key_id: r.keyId,
      subject_kind: r.subjectKind,
      subject: r.subject,
      window_start: r.windowStart,
      attempts: r.attempts,
      first_at: r.firstAt,
      last_at: r.lastAt,
    }));
    // Multi-row statements (a batch holds each counter once), all in one transaction: a batch is
    // added whole or not at all, so a failed flush can be retried without counting twice.
    return this.guard('add code attempts', () =>
      this.db.transaction().execute(async (trx) => {
        for (let i = 0; i < values.length; i += 200)
          await trx
            .insertInto('code_attempts')
            .values(values.slice(i, i + 200))
            .onConflict((oc) =>
              oc.columns(['store', 'key_id', 'subject_kind', 'subject', 'window_start']).doUpdateSet({
                attempts: sql`code_attempts.attempts + excluded.attempts`,
                first_at: sql`case when excluded.first_at < code_attempts.first_at then excluded.first_at else code_attempts.first_at end`,
                last_at: sql`case when excluded.last_at > code_attempts.last_at then excluded.last_at else code_attempts.last_at end`,
              }),
            )
            .execute();
      }),
    );
  }

  readCodeAttempts(store: string, windowStart: string, keys: readonly CounterKey[]): Promise<Map<string, number>> {
    return this.guard('read code attempts', async () => {
      const out = new Map<string, number>();
      const keyIds = [...new Set(keys.map((k) => k.keyId))];
      if (keyIds.length === 0) return out;
      const wanted = new Set(keys.map(counterId));
      const rows = await this.db
        .selectFrom('code_attempts')
        .select(['key_id', 'subject_kind', 'subject', 'attempts'])
        .where('store', '=', store)
        .where('window_start', '=', windowStart)
        .where('key_id', 'in', keyIds)
        .where('subject_kind', 'in', [...new Set(keys.map((k) => k.subjectKind))])
        .where('subject', 'in', [...new Set(keys.map((k) => k.subject))])
        .execute();
      for (const r of rows) {
        const id = counterId({ keyId: r.key_id, subjectKind: r.subject_kind, subject: r.subject });
        if (wanted.has(id)) out.set(id, Number(r.attempts));
      }
      return out;
    });
  }

  listCodeAttempts(store: string, from: string, to: string, minAttempts: number): Promise<CodeAttemptRow[]> {
    return this.guard('list code attempts', async () => {
      const rows = await this.db
        .selectFrom('code_attempts')
        .selectAll()
        .where('store', '=', store)
        .where('window_start', '>=', from)
        .where('window_start', '<', to)
        .where('attempts', '>=', minAttempts)
        .execute();
      return rows
        .map((r) => ({
          store: r.store,
          keyId: r.key_id,
          subjectKind: r.subject_kind,
          subject: r.subject,
          windowStart: r.window_start,
          attempts: Number(r.attempts),
          firstAt: r.first_at,
          lastAt: r.last_at,
        }))
        .sort((a, b) => cmp(rowOrder(a), rowOrder(b)));
    });
  }

  repeatedUses(store: string, from: string, to: string, moreThan: number): Promise<HistoryUse[]> {
    return this.guard('read repeated uses', async () => {
      const base = this.db
        .selectFrom('redemption_discounts as d')
        .innerJoin('redemptions as r', (j) => j.onRef('r.store', '=', 'd.store').onRef('r.transaction_id', '=', 'd.transaction_id'))
        .where('d.store', '=', store)
        .where('r.status', '=', 'committed')
        .where('r.customer_id', 'is not', null)
        .where('r.at_instant', '>=', from)
        .where('r.at_instant', '<', to);
      const pairs = base
        .select(['r.customer_id as cid', 'd.discount_id as did'])
        .groupBy(['r.customer_id', 'd.discount_id'])
        .having((eb) => eb.fn.countAll(), '>', moreThan)
        .as('p');
      const rows = await base
        .innerJoin(pairs, (j) => j.onRef('p.cid', '=', 'r.customer_id').onRef('p.did', '=', 'd.discount_id'))
        .select(['r.transaction_id', 'r.customer_id', 'd.discount_id', 'r.at_instant', 'd.amount'])
        .execute();
      return rows
        .map((r) => ({ transactionId: r.transaction_id, customerId: r.customer_id!, discountId: r.discount_id, at: r.at_instant, amount: Number(r.amount) }))
        .sort((a, b) => cmp([a.customerId, a.discountId, a.at, a.transactionId], [b.customerId, b.discountId, b.at, b.transactionId]));
    });
  }

  voidedSales(store: string, from: string, to: string): Promise<HistoryRedemption[]> {
    return this.guard('read voided sales', async () => {
      const rows = await this.db
        .selectFrom('redemptions')
        .select(['transaction_id', 'customer_id', 'request_json', 'at_instant', 'status', 'voided_at', 'subtotal', 'discount_total'])
        .where('store', '=', store)
        .where('status', '=', 'voided')
        .where('voided_at', '>=', from)
        .where('voided_at', '<', to)
        .where('discount_total', '>', 0)
        .execute();
      return rows.map(historyOf).sort(byAtThenId);
    });
  }

  heavyDiscounts(store: string, from: string, to: string, bps: number): Promise<HistoryRedemption[]> {
    return this.guard('read heavy discounts', async () => {
      const rows = await this.db
        .selectFrom('redemptions')
        .select(['transaction_id', 'customer_id', 'request_json', 'at_instant', 'status', 'voided_at', 'subtotal', 'discount_total'])
        .where('store', '=', store)
        .where('status', '=', 'committed')
        .where('at_instant', '>=', from)
        .where('at_instant', '<', to)
        .where('discount_total', '>', 0)
        // Integer arithmetic on both sides: discount / subtotal > bps / 10000.
        .where(sql<boolean>`discount_total * 10000 > subtotal * ${bps}`)
        .execute();
      return rows.map(historyOf).sort(byAtThenId);
    });
  }
}

function historyOf(r: {
  transaction_id: string;
  customer_id: string | null;
  request_json: string;
  at_instant: string;
  status: 'committed' | 'voided';
  voided_at: string | null;
  subtotal: number | string;
  discount_total: number | string;
}): HistoryRedemption {
  return {
    transactionId: r.transaction_id,
    customerId: r.customer_id,
    terminalId: terminalOf(r.request_json),
    at: r.at_instant,
    status: r.status,
    voidedAt: r.voided_at,
    subtotal: Number(r.subtotal),
    discountTotal: Number(r.discount_total),
  };
}

/** The terminalId of a stored request (its canonical JSON), or null. */
function terminalOf(requestJson: string): string | null {
  try {
    const t = (JSON.parse(requestJson) as { terminalId?: unknown }).terminalId;
    return typeof t === 'string' && t !== '' ? t : null;
  } catch {
    return null;
  }
}

const rowOrder = (r: CodeAttemptRow) => [r.keyId, r.subjectKind, r.subject, r.windowStart];
const byAtThenId = (a: HistoryRedemption, b: HistoryRedemption) => cmp([a.at, a.transactionId], [b.at, b.transactionId]);

/** Lexicographic by code unit (never the database's collation). */
export function cmp(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}
