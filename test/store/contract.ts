// The LedgerStore contract: one file of cases, run against a harness per database (SQLite now,
// PostgreSQL later) by `storeContract(name, factory)`. Prices with the real engine: a small
// ruleset compiled from text, evaluated with the usage counts the store hands to `price`.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvaluateRequest, EvaluateResponse, Usage } from '../../src/domain/types.js';
import { compileRuleset } from '../../src/dsl/compile.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { prepareRuleset, type PreparedRuleset } from '../../src/engine/prepare.js';
import { TABLES, type Database } from '../../src/store/schema.js';
import { StoreUnavailableError, type LedgerStore, type RedeemInput, type RedemptionRecord } from '../../src/store/types.js';

/** One database for one test: stores opened on it, direct reads for the assertions, a lock held from outside. */
export interface StoreHarness {
  /** Opens a store on the database (migrations run). Several opens share the database. */
  open(options?: { busyTimeoutMs?: number }): Promise<LedgerStore>;
  /** Every row of a table, read over a connection of its own (not through the store). */
  rows(table: keyof Database): Promise<Record<string, unknown>[]>;
  /** Takes the database's write lock from another connection; resolves to its release. */
  holdWriteLock(): Promise<() => Promise<void>>;
  /** Closes what the harness opened and removes the database. */
  dispose(): Promise<void>;
}

// ---------------------------------------------------------------------------
// The ruleset: a limited automatic discount, a once-per-customer code, an unlimited code.

const STORE_YAML = `store: contract-store
timezone: America/New_York
currency: USD
combine: best-for-customer
`;
const RULES = [
  {
    path: 'flower-10.yaml',
    text: `id: flower-10
name: 10% off flower, first 5 carts
type: percentage
value: 10
appliesTo:
  categories: [flower]
usageLimit: 5
stackable: true
`,
  },
  {
    path: 'once.yaml',
    text: `id: once
name: $2 off once per customer
type: fixed
value: 2
code: ONCE
perCustomerLimit: 1
stackable: true
`,
  },
  {
    path: 'both.yaml',
    text: `id: both
name: $1 off, 3 uses, once per customer
type: fixed
value: 1
code: BOTH
usageLimit: 3
perCustomerLimit: 1
stackable: true
`,
  },
  {
    path: 'free-code.yaml',
    text: `id: free-code
name: $1 off with FREE
type: fixed
value: 1
code: FREE
stackable: true
`,
  },
];

export function contractRuleset(): PreparedRuleset {
  const compiled = compileRuleset({ store: { path: 'store.yaml', text: STORE_YAML }, rules: RULES });
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !compiled.ruleset) throw new Error(`contract ruleset: ${JSON.stringify(errors)}`);
  return prepareRuleset(compiled.ruleset);
}

const OUTBOX_TABLES: readonly string[] = ['events', 'deliveries', 'attempts'];

const AT = '2026-11-20T16:30:00Z';
const NOW = '2026-11-20T16:30:01.000Z';

/** Sorted-key JSON, as the HTTP layer canonicalises a request body. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function cart(options: { customerId?: string; codes?: string[]; flower?: number } = {}): EvaluateRequest {
  // explain: automatic discounts that do not apply are listed in `rejected` with their reason.
  const req: EvaluateRequest = {
    at: AT,
    explain: true,
    lines: [
      { id: 'l1', productId: 'bd-3.5', category: 'flower', unitPrice: options.flower ?? 3000, quantity: 1 },
      { id: 'l2', productId: 'gummies', category: 'edibles', unitPrice: 1500, quantity: 2 },
    ],
  };
  if (options.customerId !== undefined) req.customer = { id: options.customerId };
  if (options.codes) req.codes = options.codes;
  return req;
}

/** A RedeemInput priced by the real engine; `spy` sees every usage the store hands to price(). */
export function redeemInput(
  rs: PreparedRuleset,
  transactionId: string,
  req: EvaluateRequest,
  extra: { store?: string; expectedTotal?: number; spy?: (u: Usage) => void; price?: RedeemInput['price'] } = {},
): RedeemInput {
  const body: Record<string, unknown> = { transactionId, ...req };
  if (extra.expectedTotal !== undefined) body.expectedTotal = extra.expectedTotal;
  const customerId = typeof req.customer?.id === 'string' ? req.customer.id : null;
  const input: RedeemInput = {
    store: extra.store ?? 'contract-store',
    transactionId,
    requestCanonical: canonicalJson(body),
    at: AT,
    localDate: '2026-11-20',
    rulesetVersion: rs.version,
    customerId,
    limits: rs.compiled.discounts
      .filter((d) => d.usageLimit !== null || d.perCustomerLimit !== null)
      .map((d) => ({ discountId: d.id, usageLimit: d.usageLimit, perCustomerLimit: d.perCustomerLimit })),
    price:
      extra.price ??
      ((usage) => {
        extra.spy?.(usage);
        return evaluate(rs, req, { now: Date.parse(AT), usage });
      }),
    now: NOW,
  };
  if (extra.expectedTotal !== undefined) input.expectedTotal = extra.expectedTotal;
  return input;
}

const appliedIds = (r: EvaluateResponse) => r.applied.map((a) => a.discountId);
const rejectedReason = (r: EvaluateResponse, id: string) => r.rejected.find((x) => x.discountId === id)?.reason;

async function snapshot(h: StoreHarness): Promise<string> {
  const all: Record<string, unknown> = {};
  for (const t of TABLES) all[t] = await h.rows(t);
  return JSON.stringify(all);
}

async function usedOf(h: StoreHarness, discountId: string, store = 'contract-store'): Promise<number> {
  const row = (await h.rows('usage')).find((r) => r.store === store && r.discount_id === discountId);
  return row ? Number(row.used) : 0;
}

function committed(outcome: Awaited<ReturnType<LedgerStore['redeem']>>): RedemptionRecord {
  if (outcome.kind !== 'committed') throw new Error(`expected committed, got ${outcome.kind}`);
  return outcome.record;
}

// ---------------------------------------------------------------------------

export function storeContract(name: string, factory: () => Promise<StoreHarness>): void {
  describe(`LedgerStore contract: ${name}`, () => {
    const rs = contractRuleset();
    let h: StoreHarness;
    let store: LedgerStore;
    const opened: LedgerStore[] = [];
    const open = async (options?: { busyTimeoutMs?: number }) => {
      const s = await h.open(options);
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      h = await factory();
      store = await open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await h.dispose();
    });

    it('commits a redemption with its discounts, allocations and usage, and reads it back byte for byte', async () => {
      const req = cart({ customerId: 'c1', codes: ['ONCE'] });
      const record = committed(await store.redeem(redeemInput(rs, 't-1', req)));
      const priced = evaluate(rs, req, { now: 0, usage: {} });
      expect(record).toEqual({ transactionId: 't-1', status: 'committed', committedAt: NOW, ...priced, events: [] });
      expect(Object.keys(record).slice(0, 3)).toEqual(['transactionId', 'status', 'committedAt']);
      expect(appliedIds(record).sort()).toEqual(['flower-10', 'once']);

      const read = await store.getRedemption('contract-store', 't-1');
      expect(JSON.stringify(read)).toBe(JSON.stringify(record));
      expect(JSON.stringify(await store.getRedemption('contract-store', 't-1'))).toBe(JSON.stringify(record));
      const found = await store.findRequest('contract-store', 't-1');
      expect(found?.requestCanonical).toBe(redeemInput(rs, 't-1', req).requestCanonical);
      expect(JSON.stringify(found?.record)).toBe(JSON.stringify(record));
      expect(await store.getRedemption('contract-store', 'nope')).toBeNull();
      expect(await store.findRequest('contract-store', 'nope')).toBeNull();

      const [row] = await h.rows('redemptions');
      expect(row).toMatchObject({
        store: 'contract-store',
        transaction_id: 't-1',
        ruleset_version: rs.version,
        request_json: redeemInput(rs, 't-1', req).requestCanonical,
        at_instant: AT,
        local_date: '2026-11-20',
        customer_id: 'c1',
        status: 'committed',
        committed_at: NOW,
        voided_at: null,
        void_reason: null,
        void_date: null,
      });
      expect(Number(row.subtotal)).toBe(priced.subtotal);
      expect(Number(row.discount_total)).toBe(priced.discountTotal);
      expect(Number(row.total)).toBe(priced.total);
      expect(JSON.parse(String(row.response_json))).toEqual(priced);

      const discounts = (await h.rows('redemption_discounts')).map((d) => ({
        id: d.discount_id,
        code: d.code,
        type: d.type,
        amount: Number(d.amount),
        usage: Number(d.took_usage),
        customer: Number(d.took_customer_usage),
      }));
      expect(discounts.sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual([
        { id: 'flower-10', code: null, type: 'percentage', amount: 300, usage: 1, customer: 0 },
        { id: 'once', code: 'ONCE', type: 'fixed', amount: 200, usage: 0, customer: 1 },
      ]);
      const allocations = await h.rows('redemption_allocations');
      const stored = allocations.map((a) => `${a.discount_id}/${a.line_id}=${Number(a.amount)}`).sort();
      const expected = priced.applied.flatMap((d) => d.allocations.map((a) => `${d.discountId}/${a.lineId}=${a.amount}`)).sort();
      expect(stored).toEqual(expected);
      expect(await usedOf(h, 'flower-10')).toBe(1);
      expect(await usedOf(h, 'once')).toBe(0);
      expect((await h.rows('customer_usage')).map((r) => [r.customer_id, r.discount_id, Number(r.used)])).toEqual([['c1', 'once', 1]]);
      expect(await store.usageTotals('contract-store')).toEqual([{ discountId: 'flower-10', used: 1 }]);
    });

    it('replays the same request with the current record and counts nothing twice', async () => {
      const req = cart({ customerId: 'c1', codes: ['ONCE'] });
      const first = committed(await store.redeem(redeemInput(rs, 't-1', req)));
      const before = await snapshot(h);
      let priced = 0;
      const again = await store.redeem(redeemInput(rs, 't-1', req, { spy: () => priced++ }));
      expect(again.kind).toBe('replay');
      expect(JSON.stringify(again.kind === 'replay' && again.record)).toBe(JSON.stringify(first));
      expect(priced).toBe(0);
      expect(await snapshot(h)).toBe(before);

      // The replay after a void is the voided record.
      const voided = await store.voidRedemption({ store: 'contract-store', transactionId: 't-1', reason: 'x', now: NOW, localDate: '2026-11-20' });
      const replay = await store.redeem(redeemInput(rs, 't-1', req));
      expect(replay.kind === 'replay' && JSON.stringify(replay.record)).toBe(JSON.stringify(voided));
    });

    it('answers a different request with the same id as a conflict and writes nothing', async () => {
      committed(await store.redeem(redeemInput(rs, 't-1', cart({ customerId: 'c1' }))));
      const before = await snapshot(h);
      const other = await store.redeem(redeemInput(rs, 't-1', cart({ customerId: 'c1', codes: ['FREE'] })));
      expect(other).toEqual({ kind: 'conflict' });
      const expectedOnly = await store.redeem(redeemInput(rs, 't-1', cart({ customerId: 'c1' }), { expectedTotal: 1 }));
      expect(expectedOnly).toEqual({ kind: 'conflict' });
      expect(await snapshot(h)).toBe(before);
    });

    it('lets exactly usageLimit of many concurrent redemptions take a limited discount', async () => {
      const n = 30;
      const outcomes = await Promise.all(Array.from({ length: n }, (_, i) => store.redeem(redeemInput(rs, `c-${i}`, cart()))));
      const records = outcomes.map(committed);
      const winners = records.filter((r) => appliedIds(r).includes('flower-10'));
      expect(winners).toHaveLength(5);
      for (const r of records.filter((x) => !appliedIds(x).includes('flower-10'))) {
        expect(rejectedReason(r, 'flower-10')).toBe('USAGE_LIMIT_REACHED');
        expect(r.total).toBe(6000);
      }
      expect(await usedOf(h, 'flower-10')).toBe(5);
      expect((await h.rows('redemptions')).length).toBe(n);
      const storedSum = (await h.rows('redemption_allocations')).reduce((s, a) => s + Number(a.amount), 0);
      const responseSum = records.reduce((s, r) => s + r.discountTotal, 0);
      expect(storedSum).toBe(responseSum);
      expect(responseSum).toBe(5 * 300);
      expect((await store.readUsage('contract-store', ['flower-10'], null))['flower-10']).toEqual({ used: 5 });
    });

    it('concurrent redeems of one transaction id: one commits, the same request replays, another conflicts', async () => {
      const req = cart({ customerId: 'c1', codes: ['ONCE'] });
      const outcomes = await Promise.all([
        ...Array.from({ length: 6 }, () => store.redeem(redeemInput(rs, 'same', req))),
        store.redeem(redeemInput(rs, 'same', cart({ customerId: 'c1', codes: ['FREE'] }))),
      ]);
      const kinds = outcomes.map((o) => o.kind);
      expect(kinds.filter((k) => k === 'committed')).toHaveLength(1);
      expect(kinds.slice(0, 6).filter((k) => k === 'replay').length + kinds.slice(0, 6).filter((k) => k === 'committed').length).toBe(6);
      expect(kinds[6]).toBe('conflict');
      const record = outcomes.find((o) => o.kind === 'committed')!;
      const bytes = (o: (typeof outcomes)[number]) => JSON.stringify((o.kind === 'committed' || o.kind === 'replay') && o.record);
      for (const o of outcomes.slice(0, 6)) expect(bytes(o)).toBe(bytes(record));
      expect(await usedOf(h, 'flower-10')).toBe(1);
      expect((await h.rows('customer_usage')).map((r) => Number(r.used))).toEqual([1]);
      expect(await h.rows('redemptions')).toHaveLength(1);
    });

    it('a redemption whose pricing throws fails alone, writing nothing; the others commit', async () => {
      const boom = new Error('pricing bug');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          store.redeem(
            redeemInput(rs, `x-${i}`, cart(), {
              price:
                i === 2
                  ? () => {
                      throw boom;
                    }
                  : undefined,
            }),
          ),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect((outcomes[2] as PromiseRejectedResult).reason).toBe(boom);
      expect((await h.rows('redemptions')).map((r) => r.transaction_id).sort()).toEqual(['x-0', 'x-1', 'x-3', 'x-4', 'x-5']);
      expect(await usedOf(h, 'flower-10')).toBe(5);
    });

    it('keeps a per-customer limit per customer, also under concurrency', async () => {
      const tries = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.redeem(redeemInput(rs, `p-${i}`, cart({ customerId: i < 4 ? 'c1' : 'c2', codes: ['ONCE'] })))),
      );
      const records = tries.map(committed);
      const c1 = records.slice(0, 4);
      const c2 = records.slice(4);
      expect(c1.filter((r) => appliedIds(r).includes('once'))).toHaveLength(1);
      for (const r of c1.filter((x) => !appliedIds(x).includes('once'))) expect(rejectedReason(r, 'once')).toBe('CUSTOMER_LIMIT_REACHED');
      expect(c2.filter((r) => appliedIds(r).includes('once'))).toHaveLength(1);
      const usage = await store.readUsage('contract-store', ['once'], 'c1');
      expect(usage).toEqual({ once: { used: 0, customers: { c1: 1 } } });
      expect(await store.readUsage('contract-store', ['once'], 'c3')).toEqual({ once: { used: 0, customers: { c3: 0 } } });
    });

    it('enforces a discount with both limits on both counts', async () => {
      const records: RedemptionRecord[] = [];
      for (const [i, c] of ['a', 'a', 'b', 'c', 'd', 'e'].entries())
        records.push(committed(await store.redeem(redeemInput(rs, `b-${i}`, cart({ customerId: c, codes: ['BOTH'] })))));
      expect(records.map((r) => (appliedIds(r).includes('both') ? 'yes' : rejectedReason(r, 'both')))).toEqual([
        'yes',
        'CUSTOMER_LIMIT_REACHED',
        'yes',
        'yes',
        'USAGE_LIMIT_REACHED',
        'USAGE_LIMIT_REACHED',
      ]);
      expect(await usedOf(h, 'both')).toBe(3);
    });

    it('re-prices when a limit was used up between the read and the conditional update', async () => {
      for (let i = 0; i < 5; i++) committed(await store.redeem(redeemInput(rs, `u-${i}`, cart())));
      expect(await usedOf(h, 'flower-10')).toBe(5);
      // The first pricing sees stale counts (as another instance's commit would leave it on PostgreSQL).
      const req = cart();
      let calls = 0;
      const seen: Usage[] = [];
      const outcome = await store.redeem(
        redeemInput(rs, 'late', req, {
          price: (usage) => {
            seen.push(usage);
            return evaluate(rs, req, { now: 0, usage: calls++ === 0 ? {} : usage });
          },
        }),
      );
      const record = committed(outcome);
      expect(calls).toBe(2);
      expect(seen[1]['flower-10']).toEqual({ used: 5 });
      expect(appliedIds(record)).toEqual([]);
      expect(rejectedReason(record, 'flower-10')).toBe('USAGE_LIMIT_REACHED');
      expect(await usedOf(h, 'flower-10')).toBe(5);
      const stored = await h.rows('redemption_discounts');
      expect(stored.filter((d) => d.transaction_id === 'late')).toEqual([]);

      // A price function that keeps applying a used-up discount never over-counts: bounded, then unavailable.
      const stubborn = store.redeem(redeemInput(rs, 'stubborn', req, { price: () => evaluate(rs, req, { now: 0, usage: {} }) }));
      await expect(stubborn).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await usedOf(h, 'flower-10')).toBe(5);
      expect(await store.getRedemption('contract-store', 'stubborn')).toBeNull();
    });

    it('voids once: releases the usage it took, a second void returns the same record', async () => {
      const req = cart({ customerId: 'c1', codes: ['ONCE', 'BOTH'] });
      const record = committed(await store.redeem(redeemInput(rs, 't-1', req)));
      expect(appliedIds(record).sort()).toEqual(['both', 'flower-10', 'once']);
      committed(await store.redeem(redeemInput(rs, 't-2', cart({ customerId: 'c2', codes: ['BOTH'] }))));
      expect(await usedOf(h, 'flower-10')).toBe(2);
      expect(await usedOf(h, 'both')).toBe(2);

      const v = { store: 'contract-store', transactionId: 't-1', reason: 'customer returned it', now: '2026-11-21T04:10:00.000Z', localDate: '2026-11-20' };
      const voided = await store.voidRedemption(v);
      expect(voided).toEqual({
        ...record,
        status: 'voided',
        voidedAt: v.now,
        voidReason: v.reason,
        voidDate: '2026-11-20',
      });
      expect(Object.keys(voided!).slice(0, 6)).toEqual(['transactionId', 'status', 'committedAt', 'voidedAt', 'voidReason', 'voidDate']);
      expect(await usedOf(h, 'flower-10')).toBe(1);
      expect(await usedOf(h, 'both')).toBe(1);
      expect(await store.readUsage('contract-store', ['once', 'both'], 'c1')).toEqual({
        both: { used: 1, customers: { c1: 0 } },
        once: { used: 0, customers: { c1: 0 } },
      });
      expect(JSON.stringify(await store.getRedemption('contract-store', 't-1'))).toBe(JSON.stringify(voided));

      const before = await snapshot(h);
      const second = await store.voidRedemption({ ...v, reason: 'again', now: '2026-11-22T00:00:00.000Z', localDate: '2026-11-21' });
      expect(JSON.stringify(second)).toBe(JSON.stringify(voided));
      expect(await snapshot(h)).toBe(before);

      // The customer may use the code again.
      const again = committed(await store.redeem(redeemInput(rs, 't-3', cart({ customerId: 'c1', codes: ['ONCE'] }))));
      expect(appliedIds(again)).toContain('once');

      const noReason = await store.voidRedemption({ ...v, transactionId: 't-2', reason: null });
      expect(noReason?.voidReason).toBeNull();
      expect(await store.voidRedemption({ ...v, transactionId: 'unknown' })).toBeNull();
      expect((await h.rows('redemptions')).some((r) => r.transaction_id === 'unknown')).toBe(false);
    });

    it('concurrent voids of one redemption release its usage once', async () => {
      committed(await store.redeem(redeemInput(rs, 't-1', cart())));
      committed(await store.redeem(redeemInput(rs, 't-2', cart())));
      const v = { store: 'contract-store', transactionId: 't-1', reason: null, now: NOW, localDate: '2026-11-20' };
      const results = await Promise.all(Array.from({ length: 5 }, () => store.voidRedemption(v)));
      expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
      expect(await usedOf(h, 'flower-10')).toBe(1);
    });

    it('price_changed writes nothing, and the refused id can be sent again', async () => {
      const req = cart({ customerId: 'c1', codes: ['ONCE'] });
      const real = evaluate(rs, req, { now: 0, usage: {} });
      const before = await snapshot(h);
      const refused = await store.redeem(redeemInput(rs, 't-1', req, { expectedTotal: real.total + 1 }));
      expect(refused.kind).toBe('price_changed');
      expect(refused.kind === 'price_changed' && refused.evaluation).toEqual(real);
      expect(await snapshot(h)).toBe(before);
      expect(await store.getRedemption('contract-store', 't-1')).toBeNull();

      const ok = committed(await store.redeem(redeemInput(rs, 't-1', req, { expectedTotal: real.total })));
      expect(ok.total).toBe(real.total);
      expect(await usedOf(h, 'flower-10')).toBe(1);

      // The quote was taken before the limit ran out: the price changed, nothing is taken.
      for (let i = 0; i < 4; i++) committed(await store.redeem(redeemInput(rs, `fill-${i}`, cart())));
      const quote = evaluate(rs, cart(), { now: 0, usage: {} });
      const afterFill = await snapshot(h);
      const late = await store.redeem(redeemInput(rs, 't-late', cart(), { expectedTotal: quote.total }));
      expect(late.kind).toBe('price_changed');
      expect(late.kind === 'price_changed' && rejectedReason(late.evaluation, 'flower-10')).toBe('USAGE_LIMIT_REACHED');
      expect(await snapshot(h)).toBe(afterFill);
    });

    it('keeps stores sharing one database apart: usage, transaction ids, reads', async () => {
      for (let i = 0; i < 5; i++) committed(await store.redeem(redeemInput(rs, `s-${i}`, cart(), { store: 'store-a' })));
      const b = committed(await store.redeem(redeemInput(rs, 's-0', cart({ codes: ['FREE'] }), { store: 'store-b' })));
      expect(appliedIds(b)).toContain('flower-10');
      const a = committed(await store.redeem(redeemInput(rs, 's-5', cart(), { store: 'store-a' })));
      expect(rejectedReason(a, 'flower-10')).toBe('USAGE_LIMIT_REACHED');
      expect(await store.usageTotals('store-a')).toEqual([{ discountId: 'flower-10', used: 5 }]);
      expect(await store.usageTotals('store-b')).toEqual([{ discountId: 'flower-10', used: 1 }]);
      expect(await store.readUsage('store-b', ['flower-10'], null)).toEqual({ 'flower-10': { used: 1 } });
      expect(appliedIds((await store.getRedemption('store-b', 's-0'))!)).toContain('free-code');
      expect(appliedIds((await store.getRedemption('store-a', 's-0'))!)).not.toContain('free-code');
      expect(await store.getRedemption('store-c', 's-0')).toBeNull();
      // A void in one store releases that store's usage only.
      await store.voidRedemption({ store: 'store-b', transactionId: 's-0', reason: null, now: NOW, localDate: '2026-11-20' });
      expect(await store.usageTotals('store-a')).toEqual([{ discountId: 'flower-10', used: 5 }]);
      expect(await store.usageTotals('store-b')).toEqual([{ discountId: 'flower-10', used: 0 }]);
      expect((await store.getRedemption('store-a', 's-0'))?.status).toBe('committed');

      committed(await store.redeem(redeemInput(rs, 'cu', cart({ customerId: 'c1', codes: ['ONCE'] }), { store: 'store-a' })));
      const cuB = committed(await store.redeem(redeemInput(rs, 'cu', cart({ customerId: 'c1', codes: ['ONCE'] }), { store: 'store-b' })));
      expect(appliedIds(cuB)).toContain('once');
      // The outbox tables stay empty here (no events builder); they have their own contract.
      for (const t of TABLES.filter((t) => !OUTBOX_TABLES.includes(t))) {
        const rows = await h.rows(t);
        expect(rows.length).toBeGreaterThan(0);
        for (const r of rows) expect(['store-a', 'store-b']).toContain(r.store);
      }
    });

    it('keeps everything across a reopen', async () => {
      const record = committed(await store.redeem(redeemInput(rs, 't-1', cart({ customerId: 'c1', codes: ['ONCE'] }))));
      const voided = committed(await store.redeem(redeemInput(rs, 't-2', cart())));
      await store.voidRedemption({ store: 'contract-store', transactionId: voided.transactionId, reason: 'r', now: NOW, localDate: '2026-11-20' });
      const before = await snapshot(h);
      const voidedRecord = JSON.stringify(await store.getRedemption('contract-store', 't-2'));
      await store.close();
      const reopened = await open();
      expect(await snapshot(h)).toBe(before);
      expect(JSON.stringify(await reopened.getRedemption('contract-store', 't-1'))).toBe(JSON.stringify(record));
      expect(JSON.stringify(await reopened.getRedemption('contract-store', 't-2'))).toBe(voidedRecord);
      expect(await reopened.usageTotals('contract-store')).toEqual([{ discountId: 'flower-10', used: 1 }]);
      const replay = await reopened.redeem(redeemInput(rs, 't-1', cart({ customerId: 'c1', codes: ['ONCE'] })));
      expect(replay.kind).toBe('replay');
      await reopened.migrate();
      expect(await snapshot(h)).toBe(before);
    });

    it('close lets the calls in flight finish, then refuses new ones', async () => {
      const inFlight = Array.from({ length: 10 }, (_, i) => store.redeem(redeemInput(rs, `f-${i}`, cart())));
      const closing = store.close();
      await expect(store.redeem(redeemInput(rs, 'late', cart()))).rejects.toBeInstanceOf(StoreUnavailableError);
      const records = (await Promise.all(inFlight)).map(committed);
      await closing;
      expect(records.filter((r) => appliedIds(r).includes('flower-10'))).toHaveLength(5);
      const reopened = await open();
      expect(await reopened.usageTotals('contract-store')).toEqual([{ discountId: 'flower-10', used: 5 }]);
      expect((await h.rows('redemptions')).map((r) => r.transaction_id).sort()).toEqual(records.map((r) => r.transactionId).sort());
    });

    it('a closed store refuses every call with StoreUnavailableError', async () => {
      await store.close();
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.readUsage('contract-store', ['flower-10'], null)).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.redeem(redeemInput(rs, 't-1', cart()))).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it('a database busy past the timeout is StoreUnavailableError with nothing written; reads still answer', async () => {
      committed(await store.redeem(redeemInput(rs, 't-0', cart())));
      await store.close();
      const busy = await open({ busyTimeoutMs: 100 });
      const before = await snapshot(h);
      const release = await h.holdWriteLock();
      try {
        const t0 = Date.now();
        const err = await busy.redeem(redeemInput(rs, 't-1', cart())).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(StoreUnavailableError);
        expect((err as StoreUnavailableError).code).toBe('unavailable');
        expect(Date.now() - t0).toBeGreaterThanOrEqual(80);
        await expect(
          busy.voidRedemption({ store: 'contract-store', transactionId: 't-0', reason: null, now: NOW, localDate: '2026-11-20' }),
        ).rejects.toBeInstanceOf(StoreUnavailableError);
        // Readers are not blocked by a writer.
        expect(await busy.readUsage('contract-store', ['flower-10'], null)).toEqual({ 'flower-10': { used: 1 } });
        expect((await busy.findRequest('contract-store', 't-0'))?.record.status).toBe('committed');
        await busy.ping();
      } finally {
        await release();
      }
      expect(await snapshot(h)).toBe(before);
      committed(await busy.redeem(redeemInput(rs, 't-1', cart())));
      expect(await usedOf(h, 'flower-10')).toBe(2);
    });

    it('readUsage never writes', async () => {
      committed(await store.redeem(redeemInput(rs, 't-1', cart({ customerId: 'c1', codes: ['ONCE'] }))));
      const before = await snapshot(h);
      const usage = await store.readUsage('contract-store', ['flower-10', 'once', 'unknown', 'flower-10'], '__proto__');
      expect(Object.keys(usage)).toEqual(['flower-10', 'once', 'unknown']);
      expect(usage['once'].customers).toEqual(JSON.parse('{"__proto__":0}'));
      expect(Object.getPrototypeOf(usage['once'].customers)).toBe(Object.prototype);
      expect(await store.readUsage('contract-store', [], 'c1')).toEqual({});
      expect(await store.readUsage('other-store', ['flower-10'], 'c1')).toEqual({ 'flower-10': { used: 0, customers: { c1: 0 } } });
      expect(await store.readUsage('contract-store', ['once'], 'c1')).toEqual({ once: { used: 0, customers: { c1: 1 } } });
      await store.usageTotals('contract-store');
      await store.getRedemption('contract-store', 'missing');
      await store.findRequest('contract-store', 'missing');
      expect(await snapshot(h)).toBe(before);
    });

    it('reads many discount ids at once', async () => {
      const ids = Array.from({ length: 1000 }, (_, i) => `d-${String(i).padStart(4, '0')}`);
      const usage = await store.readUsage('contract-store', ids, 'c1');
      expect(Object.keys(usage)).toEqual(ids);
    });
  });
}
