// What-if replay over a real ledger, run against every dialect by `replayContract(name, factory)`
// (sqlite.test.ts, postgres.test.ts). Redemptions are seeded through the store's redeem path with a
// served ruleset, voids included; the drafted ruleset raises a usage limit, doubles the discount,
// tightens a per-customer limit, removes a code and adds a once-per-customer automatic discount.
// The report is checked against figures worked out by hand, and against pricing each stored request
// through `evaluate` with the usage counts written out by hand, step by step.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvaluateRequest, EvaluateResponse, Usage } from '../../src/domain/types.js';
import { compileRuleset, type CompiledRuleset } from '../../src/dsl/compile.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { prepareRuleset, type PreparedRuleset } from '../../src/engine/prepare.js';
import { replayFromLedger } from '../../src/reports/replay-ledger.js';
import { TABLES } from '../../src/store/schema.js';
import type { LedgerStore } from '../../src/store/types.js';
import { canonicalJson, type StoreHarness } from './contract.js';

const STORE = 'replay-store';
const STORE_YAML = `store: ${STORE}
timezone: America/Los_Angeles
currency: USD
combine: best-for-customer
`;

const SERVED = {
  'limited.yaml': `id: limited
name: 10% off flower, 4 uses
type: percentage
value: 10
appliesTo:
  categories: [flower]
usageLimit: 4
stackable: true
`,
  'pc.yaml': `id: pc
name: $2 off with PCODE, twice per customer
type: fixed
value: 2
code: PCODE
perCustomerLimit: 2
stackable: true
`,
  'free.yaml': `id: free
name: $1 off with FREE
type: fixed
value: 1
code: FREE
stackable: true
`,
};

const DRAFT = {
  'limited.yaml': SERVED['limited.yaml'].replace('value: 10', 'value: 20').replace('10% off flower, 4 uses', '20% off flower, 5 uses').replace('usageLimit: 4', 'usageLimit: 5'),
  'pc.yaml': SERVED['pc.yaml'].replace('perCustomerLimit: 2', 'perCustomerLimit: 1'),
  'loyal.yaml': `id: loyal
name: $3 off once per customer
type: fixed
value: 3
perCustomerLimit: 1
stackable: true
`,
};

export function rulesetOf(files: Record<string, string>): CompiledRuleset {
  const result = compileRuleset({ store: { path: 'store.yaml', text: STORE_YAML }, rules: Object.entries(files).map(([path, text]) => ({ path, text })) });
  if (!result.ruleset) throw new Error(JSON.stringify(result.diagnostics));
  return result.ruleset;
}

function cart(customerId: string | null, codes: string[] = []): EvaluateRequest {
  const req: EvaluateRequest = {
    lines: [
      { id: 'l1', productId: 'bd-3.5', category: 'flower', unitPrice: 3000, quantity: 1 },
      { id: 'l2', productId: 'gummies', category: 'edibles', unitPrice: 1500, quantity: 2 },
    ],
  };
  if (customerId !== null) req.customer = { id: customerId };
  if (codes.length) req.codes = codes;
  return req;
}

interface Sale {
  id: string;
  /** Instant priced (UTC) and its Los Angeles date. */
  at: string;
  date: string;
  /** Commit instant. */
  now: string;
  req: EvaluateRequest;
  voidAfter?: boolean;
}

// In the order they are redeemed. Period: [2026-11-10, 2026-11-13).
const SALES: Sale[] = [
  { id: 'p1', at: '2026-11-05T18:00:00.000Z', date: '2026-11-05', now: '2026-11-05T18:00:00.100Z', req: cart('c1', ['PCODE']) },
  { id: 'p2', at: '2026-11-06T18:00:00.000Z', date: '2026-11-06', now: '2026-11-06T18:00:00.100Z', req: cart(null) },
  // Voided before the period: its use of `limited` is not counted at the start.
  { id: 'p3', at: '2026-11-07T18:00:00.000Z', date: '2026-11-07', now: '2026-11-07T18:00:00.100Z', req: cart(null), voidAfter: true },
  // 2026-11-10 01:00 Los Angeles: its UTC date (11-10) is not what puts it in the period, its local one is.
  { id: 'r1', at: '2026-11-10T09:00:00.000Z', date: '2026-11-10', now: '2026-11-10T09:00:00.100Z', req: { ...cart('c1', ['PCODE', 'FREE']), at: '2026-11-10T09:00:00Z' } },
  { id: 'r2', at: '2026-11-10T18:00:00.000Z', date: '2026-11-10', now: '2026-11-10T18:00:00.100Z', req: { ...cart('c2', ['PCODE']), explain: true } },
  { id: 'r3', at: '2026-11-11T17:00:00.000Z', date: '2026-11-11', now: '2026-11-11T17:00:00.100Z', req: cart(null) },
  { id: 'r4', at: '2026-11-11T18:00:00.000Z', date: '2026-11-11', now: '2026-11-11T18:00:00.100Z', req: cart('c1') },
  // Voided: not replayed, and c3's use of `loyal` under the draft comes from r6.
  { id: 'r5', at: '2026-11-12T17:00:00.000Z', date: '2026-11-12', now: '2026-11-12T17:00:00.100Z', req: cart('c3', ['FREE']), voidAfter: true },
  { id: 'r6', at: '2026-11-12T17:30:00.000Z', date: '2026-11-12', now: '2026-11-12T17:30:00.100Z', req: cart('c3', ['FREE']) },
  // r8 is committed first but with the same commit instant as r7: commit order breaks the tie by id.
  { id: 'r8', at: '2026-11-12T19:00:00.000Z', date: '2026-11-12', now: '2026-11-12T19:00:00.100Z', req: cart('c4') },
  { id: 'r7', at: '2026-11-12T19:00:00.000Z', date: '2026-11-12', now: '2026-11-12T19:00:00.100Z', req: cart('c4') },
  // 2026-11-12 23:30 Los Angeles is 11-13 in UTC: still in the period.
  { id: 'r9', at: '2026-11-13T07:30:00.000Z', date: '2026-11-12', now: '2026-11-13T07:30:00.100Z', req: cart(null, ['FREE']) },
  // After the period (local date 2026-11-13).
  { id: 'a1', at: '2026-11-13T18:00:00.000Z', date: '2026-11-13', now: '2026-11-13T18:00:00.100Z', req: cart('c5', ['PCODE']) },
];

async function seed(store: LedgerStore, served: PreparedRuleset): Promise<Map<string, EvaluateResponse>> {
  const limits = served.compiled.discounts
    .filter((d) => d.usageLimit !== null || d.perCustomerLimit !== null)
    .map((d) => ({ discountId: d.id, usageLimit: d.usageLimit, perCustomerLimit: d.perCustomerLimit }));
  const committed = new Map<string, EvaluateResponse>();
  for (const s of SALES) {
    const { at: _at, ...priced } = s.req;
    const outcome = await store.redeem({
      store: STORE,
      transactionId: s.id,
      requestCanonical: canonicalJson({ transactionId: s.id, ...s.req }),
      at: s.at,
      localDate: s.date,
      rulesetVersion: served.compiled.version,
      customerId: typeof s.req.customer?.id === 'string' ? s.req.customer.id : null,
      limits,
      price: (usage) => evaluate(served, priced, { now: Date.parse(s.at), usage }),
      now: s.now,
    });
    if (outcome.kind !== 'committed') throw new Error(`${s.id}: ${outcome.kind}`);
    committed.set(s.id, outcome.record);
    if (s.voidAfter) await store.voidRedemption({ store: STORE, transactionId: s.id, reason: 'test', now: s.now, localDate: s.date });
  }
  return committed;
}

const amounts = (r: EvaluateResponse) => Object.fromEntries(r.applied.map((a) => [a.discountId, a.amount]));

async function snapshot(h: StoreHarness): Promise<string> {
  const all: Record<string, unknown> = {};
  for (const t of TABLES) all[t] = await h.rows(t);
  return JSON.stringify(all);
}

export function replayContract(name: string, factory: () => Promise<StoreHarness>): void {
  describe(`what-if replay over the ledger: ${name}`, () => {
    const served = prepareRuleset(rulesetOf(SERVED));
    const draft = prepareRuleset(rulesetOf(DRAFT));
    let h: StoreHarness;
    let store: LedgerStore;
    let committed: Map<string, EvaluateResponse>;

    beforeEach(async () => {
      h = await factory();
      store = await h.open();
      committed = await seed(store, served);
    });
    afterEach(async () => {
      await store.close();
      await h.dispose();
    });

    it('the history as the served ruleset priced it (the premise of the figures below)', () => {
      expect(amounts(committed.get('r1')!)).toEqual({ limited: 300, pc: 200, free: 100 });
      expect(amounts(committed.get('r2')!)).toEqual({ limited: 300, pc: 200 });
      // `limited` is used up (p1, p2, r1, r2; p3's use was released by its void).
      expect(amounts(committed.get('r3')!)).toEqual({});
      expect(amounts(committed.get('r6')!)).toEqual({ free: 100 });
      expect(amounts(committed.get('r9')!)).toEqual({ free: 100 });
    });

    it('reads the usage at the period start: uses, amount given and per customer uses before `from`, voids left out', async () => {
      const start = await store.replayStartUsage(STORE, '2026-11-10', ['pc', 'loyal', 'limited', 'pc']);
      expect(start).toEqual({
        limited: { used: 2, given: 600, customers: { c1: 1 } },
        loyal: { used: 0, given: 0, customers: {} },
        pc: { used: 1, given: 200, customers: { c1: 1 } },
      });
      expect(Object.keys(start)).toEqual(['limited', 'loyal', 'pc']);
    });

    it('reads the period in commit order (instant, then transaction id), voided and out-of-period left out, in pages', async () => {
      const ids = async (pageSize?: number) => {
        const pages: string[][] = [];
        for await (const page of store.replayPages(STORE, '2026-11-10', '2026-11-13', pageSize)) pages.push(page.map((r) => r.transactionId));
        return pages;
      };
      expect((await ids()).flat()).toEqual(['r1', 'r2', 'r3', 'r4', 'r6', 'r7', 'r8', 'r9']);
      expect(await ids(3)).toEqual([['r1', 'r2', 'r3'], ['r4', 'r6', 'r7'], ['r8', 'r9']]);
      const [first] = (await ids(1))[0];
      expect(first).toBe('r1');
      for await (const [r1] of store.replayPages(STORE, '2026-11-10', '2026-11-11', 1)) {
        // The evaluate request as received: the redemption's own fields are not part of it.
        expect(r1).toEqual({
          transactionId: 'r1',
          customerId: 'c1',
          request: JSON.parse(canonicalJson(SALES[3].req)),
          at: '2026-11-10T09:00:00.000Z',
          committedAt: '2026-11-10T09:00:00.100Z',
          given: committed.get('r1')!.applied.map((a) => ({ discountId: a.discountId, amount: a.amount })),
        });
        break;
      }
      expect((await ids(10)).flat()).toHaveLength(8);
      expect(await ids(undefined).then((p) => p.length)).toBe(1);
      const empty: unknown[] = [];
      for await (const page of store.replayPages('other-store', '2026-11-10', '2026-11-13')) empty.push(page);
      expect(empty).toEqual([]);
    });

    it('re-prices every stored request with the draft, limits binding as they would have: the figures by hand', async () => {
      const report = await replayFromLedger(store, { store: STORE, from: '2026-11-10', to: '2026-11-13', ruleset: draft.compiled });
      expect(report).toEqual({
        store: STORE,
        currency: 'USD',
        from: '2026-11-10',
        to: '2026-11-13',
        rulesetVersion: draft.compiled.version,
        transactions: 8,
        discounts: [
          // FREE is gone from the draft: r1, r6, r9 lose it.
          { discountId: 'free', name: null, changed: 3, givenThen: 300, givenNow: 0, difference: -300, usedThen: 3, usedNow: 0 },
          // 20% (600) with 5 uses: 2 used before the period, so r1, r2, r3 get it; r4 and r9 find it used up.
          { discountId: 'limited', name: '20% off flower, 5 uses', changed: 3, givenThen: 600, givenNow: 1800, difference: 1200, usedThen: 2, usedNow: 3 },
          // Once per customer, new: c1 (r1), c2 (r2), c3 (r6; r5 was voided), c4 (r7, the first of the tie).
          { discountId: 'loyal', name: '$3 off once per customer', changed: 4, givenThen: 0, givenNow: 1200, difference: 1200, usedThen: 0, usedNow: 4 },
          // Now once per customer: c1 used it before the period (p1), so r1 loses it; c2 keeps it.
          { discountId: 'pc', name: '$2 off with PCODE, twice per customer', changed: 1, givenThen: 400, givenNow: 200, difference: -200, usedThen: 2, usedNow: 1 },
        ],
        total: { changed: 6, givenThen: 1300, givenNow: 3200, difference: 1900 },
        largest: [
          { transactionId: 'r2', customerId: 'c2', at: '2026-11-10T18:00:00.000Z', givenThen: 500, givenNow: 1100, difference: 600, discounts: [{ discountId: 'limited', then: 300, now: 600 }, { discountId: 'loyal', then: 0, now: 300 }] },
          { transactionId: 'r3', customerId: null, at: '2026-11-11T17:00:00.000Z', givenThen: 0, givenNow: 600, difference: 600, discounts: [{ discountId: 'limited', then: 0, now: 600 }] },
          {
            transactionId: 'r1',
            customerId: 'c1',
            at: '2026-11-10T09:00:00.000Z',
            givenThen: 600,
            givenNow: 900,
            difference: 300,
            discounts: [
              { discountId: 'free', then: 100, now: 0 },
              { discountId: 'limited', then: 300, now: 600 },
              { discountId: 'loyal', then: 0, now: 300 },
              { discountId: 'pc', then: 200, now: 0 },
            ],
          },
          { transactionId: 'r7', customerId: 'c4', at: '2026-11-12T19:00:00.000Z', givenThen: 0, givenNow: 300, difference: 300, discounts: [{ discountId: 'loyal', then: 0, now: 300 }] },
          { transactionId: 'r6', customerId: 'c3', at: '2026-11-12T17:30:00.000Z', givenThen: 100, givenNow: 300, difference: 200, discounts: [{ discountId: 'free', then: 100, now: 0 }, { discountId: 'loyal', then: 0, now: 300 }] },
          { transactionId: 'r9', customerId: null, at: '2026-11-13T07:30:00.000Z', givenThen: 100, givenNow: 0, difference: -100, discounts: [{ discountId: 'free', then: 100, now: 0 }] },
        ],
        skipped: { count: 0, first: [] },
      });
    });

    it('agrees with pricing each stored request by hand through evaluate, with the usage written out step by step', async () => {
      // The draft's counts each replayed sale sees (limited: store-wide; loyal and pc: this customer).
      const steps: { id: string; usage: Usage }[] = [
        { id: 'r1', usage: { limited: { used: 2, customers: { c1: 1 } }, loyal: { used: 0, customers: { c1: 0 } }, pc: { used: 1, customers: { c1: 1 } } } },
        { id: 'r2', usage: { limited: { used: 3, customers: { c2: 0 } }, loyal: { used: 1, customers: { c2: 0 } }, pc: { used: 1, customers: { c2: 0 } } } },
        { id: 'r3', usage: { limited: { used: 4 }, loyal: { used: 2 }, pc: { used: 2 } } },
        { id: 'r4', usage: { limited: { used: 5, customers: { c1: 2 } }, loyal: { used: 2, customers: { c1: 1 } }, pc: { used: 2, customers: { c1: 1 } } } },
        { id: 'r6', usage: { limited: { used: 5, customers: { c3: 0 } }, loyal: { used: 2, customers: { c3: 0 } }, pc: { used: 2, customers: { c3: 0 } } } },
        { id: 'r7', usage: { limited: { used: 5, customers: { c4: 0 } }, loyal: { used: 3, customers: { c4: 0 } }, pc: { used: 2, customers: { c4: 0 } } } },
        { id: 'r8', usage: { limited: { used: 5, customers: { c4: 0 } }, loyal: { used: 4, customers: { c4: 1 } }, pc: { used: 2, customers: { c4: 0 } } } },
        { id: 'r9', usage: { limited: { used: 5 }, loyal: { used: 4 }, pc: { used: 2 } } },
      ];
      const report = await replayFromLedger(store, { store: STORE, from: '2026-11-10', to: '2026-11-13', ruleset: draft, pageSize: 2 });
      const perDiscount = new Map<string, { then: number; now: number; changed: number }>();
      let changed = 0;
      const diffs: { id: string; difference: number }[] = [];
      for (const { id, usage } of steps) {
        const sale = SALES.find((s) => s.id === id)!;
        const { at: _at, ...req } = sale.req;
        const now = amounts(evaluate(draft, req, { now: Date.parse(sale.at), usage }));
        const then = amounts(committed.get(id)!);
        let differs = false;
        for (const d of new Set([...Object.keys(then), ...Object.keys(now)])) {
          const row = perDiscount.get(d) ?? { then: 0, now: 0, changed: 0 };
          row.then += then[d] ?? 0;
          row.now += now[d] ?? 0;
          if (then[d] !== now[d]) (row.changed++, (differs = true));
          perDiscount.set(d, row);
        }
        if (differs) changed++;
        const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
        if (differs) diffs.push({ id, difference: sum(now) - sum(then) });
      }
      expect(report.transactions).toBe(steps.length);
      expect(report.total.changed).toBe(changed);
      expect(Object.fromEntries(report.discounts.map((d) => [d.discountId, { then: d.givenThen, now: d.givenNow, changed: d.changed }]))).toEqual(Object.fromEntries(perDiscount));
      diffs.sort((a, b) => Math.abs(b.difference) - Math.abs(a.difference) || (a.id < b.id ? -1 : 1));
      expect(report.largest.map((c) => ({ id: c.transactionId, difference: c.difference }))).toEqual(diffs);
    });

    it('writes nothing: usage and redemptions are unchanged, and the served ruleset replays to no change', async () => {
      const before = await snapshot(h);
      const usageBefore = await store.readUsage(STORE, ['limited', 'pc', 'free'], 'c1');
      const drafted = await replayFromLedger(store, { store: STORE, from: '2026-11-01', to: '2026-12-01', ruleset: draft });
      const same = await replayFromLedger(store, { store: STORE, from: '2026-11-10', to: '2026-11-13', ruleset: served });
      expect(await snapshot(h)).toBe(before);
      expect(await store.readUsage(STORE, ['limited', 'pc', 'free'], 'c1')).toEqual(usageBefore);
      expect(drafted.transactions).toBe(11);
      // The served ruleset, replayed over its own history, gives what it gave.
      expect(same.total).toEqual({ changed: 0, givenThen: 1300, givenNow: 1300, difference: 0 });
      expect(same.largest).toEqual([]);
    });

    it('is deterministic: the same report, byte for byte, whatever the page size', async () => {
      const a = await replayFromLedger(store, { store: STORE, from: '2026-11-10', to: '2026-11-13', ruleset: draft.compiled });
      const b = await replayFromLedger(store, { store: STORE, from: '2026-11-10', to: '2026-11-13', ruleset: draft.compiled, pageSize: 1 });
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    });

    it('refuses a period that is not two dates in order', async () => {
      await expect(replayFromLedger(store, { store: STORE, from: '2026-11-13', to: '2026-11-10', ruleset: draft })).rejects.toThrow(/must be before/);
      await expect(replayFromLedger(store, { store: STORE, from: '2026-02-30', to: '2026-03-10', ruleset: draft })).rejects.toThrow(/from must be a date/);
    });
  });
}
