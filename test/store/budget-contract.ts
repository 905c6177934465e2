// The LedgerStore contract for budgets (issue 14): run against every harness the store contract
// runs on (SQLite with and without group commit, PostgreSQL) by `budgetContract(name, factory)`.
// A small ruleset of its own, priced by the real engine with the usage the store hands to price().

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvaluateRequest, EvaluateResponse, Usage } from '../../src/domain/types.js';
import { compileRuleset } from '../../src/dsl/compile.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { prepareRuleset, type PreparedRuleset } from '../../src/engine/prepare.js';
import { TABLES } from '../../src/store/schema.js';
import { StoreUnavailableError, type LedgerStore, type RedeemInput, type RedemptionRecord } from '../../src/store/types.js';
import { canonicalJson, type StoreHarness } from './contract.js';

const STORE_YAML = `store: budget-store
timezone: America/New_York
currency: USD
`;
const RULES = [
  // 20% of a 30.00 flower line is 6.00: the budget of 10.00 gives 6.00, then 4.00, then nothing.
  { path: 'vendor.yaml', text: 'id: vendor\nname: Vendor 20% off flower, $10 in all\ntype: percentage\nvalue: 20\nappliesTo:\n  categories: [flower]\nbudget: 10\nstackable: true\n' },
  // A use limit and a budget: $1 off, 3 uses, $2.50 in all.
  { path: 'both.yaml', text: 'id: both\nname: $1 off, 3 uses, $2.50 in all\ntype: fixed\nvalue: 1\ncode: BOTH\nusageLimit: 3\nbudget: 2.5\nstackable: true\n' },
  { path: 'free-code.yaml', text: 'id: free-code\nname: $1 off with FREE\ntype: fixed\nvalue: 1\ncode: FREE\nstackable: true\n' },
];
const AT = '2026-11-20T16:30:00Z';
const NOW = '2026-11-20T16:30:01.000Z';
const STORE = 'budget-store';

export function budgetRuleset(): PreparedRuleset {
  const compiled = compileRuleset({ store: { path: 'store.yaml', text: STORE_YAML }, rules: RULES });
  if (!compiled.ruleset) throw new Error(`budget ruleset: ${JSON.stringify(compiled.diagnostics)}`);
  return prepareRuleset(compiled.ruleset);
}

function sale(codes: string[] = []): EvaluateRequest {
  return {
    at: AT,
    explain: true,
    codes,
    lines: [
      { id: 'l1', productId: 'bd-3.5', category: 'flower', unitPrice: 3000, quantity: 1 },
      { id: 'l2', productId: 'gummies', category: 'edibles', unitPrice: 1500, quantity: 2 },
    ],
  };
}

function input(rs: PreparedRuleset, transactionId: string, req: EvaluateRequest, extra: { store?: string; expectedTotal?: number; price?: RedeemInput['price'] } = {}): RedeemInput {
  const body: Record<string, unknown> = { transactionId, ...req };
  if (extra.expectedTotal !== undefined) body.expectedTotal = extra.expectedTotal;
  return {
    store: extra.store ?? STORE,
    transactionId,
    requestCanonical: canonicalJson(body),
    at: AT,
    localDate: '2026-11-20',
    rulesetVersion: rs.version,
    customerId: null,
    limits: rs.compiled.discounts
      .filter((d) => d.usageLimit !== null || d.perCustomerLimit !== null || d.budget !== undefined)
      .map((d) => ({ discountId: d.id, usageLimit: d.usageLimit, perCustomerLimit: d.perCustomerLimit, budget: d.budget ?? null })),
    price: extra.price ?? ((usage) => evaluate(rs, req, { now: Date.parse(AT), usage })),
    ...(extra.expectedTotal === undefined ? {} : { expectedTotal: extra.expectedTotal }),
    now: NOW,
  };
}

const amountOf = (r: EvaluateResponse, id: string) => r.applied.find((a) => a.discountId === id)?.amount ?? 0;
const reasonOf = (r: EvaluateResponse, id: string) => r.rejected.find((x) => x.discountId === id)?.reason;

function committed(outcome: Awaited<ReturnType<LedgerStore['redeem']>>): RedemptionRecord {
  if (outcome.kind !== 'committed') throw new Error(`expected committed, got ${outcome.kind}`);
  return outcome.record;
}

export function budgetContract(name: string, factory: () => Promise<StoreHarness>): void {
  describe(`LedgerStore budget contract: ${name}`, () => {
    const rs = budgetRuleset();
    let h: StoreHarness;
    let store: LedgerStore;
    const opened: LedgerStore[] = [];

    beforeEach(async () => {
      h = await factory();
      store = await h.open();
      opened.push(store);
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await h.dispose();
    });

    const given = async (discountId: string, s = STORE) => Number((await h.rows('usage')).find((r) => r.store === s && r.discount_id === discountId)?.given ?? 0);
    /** What the committed (not voided) redemptions took of a budget, from their rows. */
    const taken = async (discountId: string, s = STORE) => {
      const live = new Set((await h.rows('redemptions')).filter((r) => r.store === s && r.status === 'committed').map((r) => r.transaction_id));
      return (await h.rows('redemption_discounts'))
        .filter((d) => d.store === s && d.discount_id === discountId && live.has(d.transaction_id))
        .reduce((sum, d) => sum + Number(d.took_budget), 0);
    };
    const snapshot = async () => {
      const all: Record<string, unknown> = {};
      for (const t of TABLES) all[t] = await h.rows(t);
      return JSON.stringify(all);
    };
    const voidIt = (transactionId: string) => store.voidRedemption({ store: STORE, transactionId, reason: null, now: NOW, localDate: '2026-11-20' });

    it('takes the applied amount with a conditional update: the full amount, then what is left, then BUDGET_EXHAUSTED', async () => {
      const first = committed(await store.redeem(input(rs, 't-1', sale())));
      expect(amountOf(first, 'vendor')).toBe(600);
      expect(await given('vendor')).toBe(600);
      const second = committed(await store.redeem(input(rs, 't-2', sale())));
      expect(amountOf(second, 'vendor')).toBe(400);
      expect(second.applied.find((a) => a.discountId === 'vendor')!.allocations).toEqual([{ lineId: 'l1', amount: 400 }]);
      const third = committed(await store.redeem(input(rs, 't-3', sale())));
      expect(amountOf(third, 'vendor')).toBe(0);
      expect(third.rejected).toContainEqual({ discountId: 'vendor', code: null, reason: 'BUDGET_EXHAUSTED', message: 'Vendor 20% off flower, $10 in all has used up its budget of $10.00' });
      expect(await given('vendor')).toBe(1000);
      expect(await taken('vendor')).toBe(1000);
      const rows = (await h.rows('redemption_discounts')).filter((d) => d.discount_id === 'vendor').map((d) => [d.transaction_id, Number(d.took_budget), Number(d.took_usage)]);
      expect(rows.sort()).toEqual([
        ['t-1', 600, 0],
        ['t-2', 400, 0],
      ]);
      // readUsage reports given only for the discounts asked as budgets; the use count of a budget-only discount stays 0.
      expect(await store.readUsage(STORE, [], null, ['vendor'])).toEqual({ vendor: { used: 0, given: 1000 } });
      expect(await store.readUsage(STORE, ['vendor'], null)).toEqual({ vendor: { used: 0 } });
      expect(await store.readUsage(STORE, ['both'], 'c1', ['vendor'])).toEqual({ both: { used: 0, customers: { c1: 0 } }, vendor: { used: 0, given: 1000, customers: { c1: 0 } } });
      expect(await store.readUsage('other-store', [], null, ['vendor'])).toEqual({ vendor: { used: 0, given: 0 } });
    });

    it('a discount with a use limit and a budget takes both on one row; the last use gets what is left', async () => {
      const records: RedemptionRecord[] = [];
      for (let i = 0; i < 4; i++) records.push(committed(await store.redeem(input(rs, `b-${i}`, sale(['BOTH'])))));
      expect(records.map((r) => amountOf(r, 'both'))).toEqual([100, 100, 50, 0]);
      expect(reasonOf(records[3], 'both')).toBe('USAGE_LIMIT_REACHED');
      const row = (await h.rows('usage')).find((r) => r.discount_id === 'both')!;
      expect([Number(row.used), Number(row.given)]).toEqual([3, 250]);
      // A void releases the use and the amount together.
      await voidIt('b-2');
      const after = (await h.rows('usage')).find((r) => r.discount_id === 'both')!;
      expect([Number(after.used), Number(after.given)]).toEqual([2, 200]);
      expect(amountOf(committed(await store.redeem(input(rs, 'b-4', sale(['BOTH'])))), 'both')).toBe(50);
    });

    it('a void gives back exactly what the redemption took, once', async () => {
      committed(await store.redeem(input(rs, 't-1', sale())));
      committed(await store.redeem(input(rs, 't-2', sale())));
      expect(await given('vendor')).toBe(1000);
      await voidIt('t-1');
      expect(await given('vendor')).toBe(400);
      const before = await snapshot();
      await voidIt('t-1');
      expect(await snapshot()).toBe(before);
      // 6.00 is left again: the next sale gets the full 20%.
      const again = committed(await store.redeem(input(rs, 't-3', sale())));
      expect(amountOf(again, 'vendor')).toBe(600);
      expect(await given('vendor')).toBe(1000);
      expect(await taken('vendor')).toBe(1000);
      // Voiding a redemption that took nothing of the budget changes no budget.
      const none = committed(await store.redeem(input(rs, 't-4', sale())));
      expect(reasonOf(none, 'vendor')).toBe('BUDGET_EXHAUSTED');
      await voidIt('t-4');
      expect(await given('vendor')).toBe(1000);
    });

    it('re-prices with the remainder read in the transaction when the budget no longer fits (capped, not dropped)', async () => {
      committed(await store.redeem(input(rs, 'pre', sale(['BOTH']))));
      expect(await given('vendor')).toBe(600);
      // The first pricing sees stale counts (as another instance's commit would leave it on PostgreSQL).
      const req = sale();
      let calls = 0;
      const seen: Usage[] = [];
      const late = committed(
        await store.redeem(
          input(rs, 'late', req, {
            price: (usage) => {
              seen.push(usage);
              return evaluate(rs, req, { now: 0, usage: calls++ === 0 ? {} : usage });
            },
          }),
        ),
      );
      expect(calls).toBe(2);
      expect(seen[1].vendor).toEqual({ used: 0, given: 600 });
      expect(amountOf(late, 'vendor')).toBe(400);
      expect(await given('vendor')).toBe(1000);
      expect(await taken('vendor')).toBe(1000);

      // A price function that keeps applying more than is left never over-takes: bounded, then unavailable.
      const stubborn = store.redeem(input(rs, 'stubborn', req, { price: () => evaluate(rs, req, { now: 0, usage: {} }) }));
      await expect(stubborn).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await given('vendor')).toBe(1000);
      expect(await store.getRedemption(STORE, 'stubborn')).toBeNull();
    });

    it('expectedTotal from a quote taken before the budget ran low: price_changed with the capped pricing, nothing written', async () => {
      const quote = evaluate(rs, sale(), { now: 0, usage: { vendor: { given: 0 } } });
      expect(amountOf(quote, 'vendor')).toBe(600);
      committed(await store.redeem(input(rs, 'other', sale())));
      const before = await snapshot();
      const refused = await store.redeem(input(rs, 't-1', sale(), { expectedTotal: quote.total }));
      expect(refused.kind).toBe('price_changed');
      const evaluation = refused.kind === 'price_changed' ? refused.evaluation : null;
      expect(amountOf(evaluation!, 'vendor')).toBe(400);
      expect(evaluation!.total).toBe(quote.total + 200);
      expect(await snapshot()).toBe(before);
      const ok = committed(await store.redeem(input(rs, 't-1', sale(), { expectedTotal: evaluation!.total })));
      expect(amountOf(ok, 'vendor')).toBe(400);
      expect(await given('vendor')).toBe(1000);
    });

    it('an idempotent replay takes nothing twice', async () => {
      const first = committed(await store.redeem(input(rs, 't-1', sale(['BOTH']))));
      const before = await snapshot();
      let priced = 0;
      const again = await store.redeem(input(rs, 't-1', sale(['BOTH']), { price: (u) => (priced++, evaluate(rs, sale(['BOTH']), { now: 0, usage: u })) }));
      expect(again.kind).toBe('replay');
      expect(JSON.stringify(again.kind === 'replay' && again.record)).toBe(JSON.stringify(first));
      expect(priced).toBe(0);
      expect(await snapshot()).toBe(before);
      expect(await given('vendor')).toBe(600);
      expect(await given('both')).toBe(100);
    });

    it('many concurrent redemptions never take more than the budget, and given is the sum of the stored applied amounts', async () => {
      const n = 24;
      const records = (await Promise.all(Array.from({ length: n }, (_, i) => store.redeem(input(rs, `c-${i}`, sale(i % 2 ? ['BOTH', 'FREE'] : ['FREE'])))))).map(committed);
      const vendor = records.map((r) => amountOf(r, 'vendor'));
      expect(vendor.reduce((a, b) => a + b, 0)).toBe(1000);
      expect(vendor.filter((a) => a > 0).sort((a, b) => b - a)).toEqual([600, 400]);
      for (const r of records.filter((x) => amountOf(x, 'vendor') === 0)) expect(reasonOf(r, 'vendor')).toBe('BUDGET_EXHAUSTED');
      const both = records.map((r) => amountOf(r, 'both'));
      expect(both.reduce((a, b) => a + b, 0)).toBe(250);
      expect(await given('vendor')).toBe(1000);
      expect(await taken('vendor')).toBe(1000);
      expect(await given('both')).toBe(250);
      expect(await taken('both')).toBe(250);
      const stored = (await h.rows('redemption_discounts')).filter((d) => d.discount_id === 'vendor').reduce((s, d) => s + Number(d.amount), 0);
      expect(stored).toBe(1000);
      // Every record agrees with its stored allocations.
      const allocations = (await h.rows('redemption_allocations')).reduce((s, a) => s + Number(a.amount), 0);
      expect(allocations).toBe(records.reduce((s, r) => s + r.discountTotal, 0));
    });

    it('keeps budgets per store', async () => {
      committed(await store.redeem(input(rs, 's-1', sale(), { store: 'store-a' })));
      committed(await store.redeem(input(rs, 's-2', sale(), { store: 'store-a' })));
      const b = committed(await store.redeem(input(rs, 's-1', sale(), { store: 'store-b' })));
      expect(amountOf(b, 'vendor')).toBe(600);
      expect(await given('vendor', 'store-a')).toBe(1000);
      expect(await given('vendor', 'store-b')).toBe(600);
      await store.voidRedemption({ store: 'store-b', transactionId: 's-1', reason: null, now: NOW, localDate: '2026-11-20' });
      expect(await given('vendor', 'store-a')).toBe(1000);
      expect(await given('vendor', 'store-b')).toBe(0);
    });
  });
}
