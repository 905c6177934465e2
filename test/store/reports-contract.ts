// The discount report's store contract, run on every dialect (test/store/reports.test.ts): a
// month-ish of redemptions and voids seeded through the real redeem and void path (priced by the
// engine), then every figure of the report checked against an independent computation over the
// stored records (the redemptions table's own columns and the committed response_json, never the
// report's queries), for several periods; and the 0002 migration's backfill of vendor funding.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EvaluateRequest, EvaluateResponse } from '../../src/domain/types.js';
import { compileRuleset } from '../../src/dsl/compile.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { prepareRuleset, type PreparedRuleset } from '../../src/engine/prepare.js';
import { buildDiscountReport, type DiscountReport } from '../../src/reports/discount-report.js';
import type { ReportPeriod } from '../../src/store/reports.js';
import type { LedgerStore, RedeemInput } from '../../src/store/types.js';

export interface ReportHarness {
  open(): Promise<LedgerStore>;
  /** Every row of a table, over a connection of the harness's own. */
  rows(table: string): Promise<Record<string, unknown>[]>;
  /** Runs one statement over a connection of the harness's own. */
  exec(statement: string): Promise<void>;
  dispose(): Promise<void>;
}

const STORE = 'report-store';
export const REPORT_STORE_YAML = `store: ${STORE}
timezone: America/Los_Angeles
currency: USD
combine: best-for-customer
`;
export const REPORT_RULES = [
  { path: 'flower-10.yaml', text: 'id: flower-10\nname: 10% off flower\ntype: percentage\nvalue: 10\nappliesTo:\n  categories: [flower]\nstackable: true\nfunding:\n  vendor: acme\n  percent: 50\n' },
  { path: 'edibles-15.yaml', text: 'id: edibles-15\nname: 15% off edibles\ntype: percentage\nvalue: 15\nappliesTo:\n  categories: [edibles]\nstackable: true\nfunding:\n  vendor: zeta\n  percent: 33.33\n' },
  { path: 'save2.yaml', text: 'id: save2\nname: $2 off with SAVE2\ntype: fixed\nvalue: 2\ncode: SAVE2\nstackable: true\nfunding:\n  vendor: acme\n  percent: 25\n' },
  { path: 'lim.yaml', text: 'id: lim\nname: $1 off, 4 uses\ntype: fixed\nvalue: 1\ncode: LIM\nusageLimit: 4\nstackable: true\n' },
  { path: 'never.yaml', text: 'id: never\nname: never used\ntype: fixed\nvalue: 1\ncode: NEVER\nstackable: true\n' },
];

export function reportRuleset(): PreparedRuleset {
  const compiled = compileRuleset({ store: { path: 'store.yaml', text: REPORT_STORE_YAML }, rules: REPORT_RULES });
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !compiled.ruleset) throw new Error(`report ruleset: ${JSON.stringify(errors)}`);
  return prepareRuleset(compiled.ruleset);
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const reportDate = (day: number) => `2026-11-${String(day).padStart(2, '0')}`;

/** A redemption input priced by the real engine at `date` 10:00 Los Angeles time. */
export function reportRedeemInput(rs: PreparedRuleset, transactionId: string, req: EvaluateRequest, date: string, store = STORE): RedeemInput {
  const at = `${date}T18:00:00.000Z`;
  return {
    store,
    transactionId,
    requestCanonical: JSON.stringify({ transactionId, ...req }),
    at,
    localDate: date,
    rulesetVersion: rs.version,
    customerId: null,
    limits: rs.compiled.discounts.filter((d) => d.usageLimit !== null).map((d) => ({ discountId: d.id, usageLimit: d.usageLimit, perCustomerLimit: d.perCustomerLimit })),
    price: (usage) => evaluate(rs, req, { now: Date.parse(at), usage }),
    now: at,
  };
}

export function randomCart(rand: () => number): EvaluateRequest {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const lines: EvaluateRequest['lines'] = [];
  const count = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < count; i++) {
    const category = pick(['flower', 'edibles', 'gear']);
    lines.push({ id: `l${i}`, productId: `${category}-${i}`, category, vendor: category === 'flower' ? 'acme' : 'zeta', unitPrice: 99 + Math.floor(rand() * 6000), quantity: 1 + Math.floor(rand() * 3) });
  }
  const codes = (['SAVE2', 'LIM'] as const).filter(() => rand() < 0.35);
  return codes.length ? { lines, codes: [...codes] } : { lines };
}

/**
 * Seeds `count` redemptions over 2026-11-01..10 and voids about one in five (a void 0-4 days after
 * its commit), plus two redemptions of another store. Returns nothing: the tests read what was stored.
 */
export async function seedReportLedger(store: LedgerStore, rs: PreparedRuleset, count = 80, seed = 12): Promise<void> {
  const rand = prng(seed);
  for (let i = 0; i < count; i++) {
    const day = 1 + Math.floor(rand() * 10);
    const id = `t-${String(i).padStart(3, '0')}`;
    const out = await store.redeem(reportRedeemInput(rs, id, randomCart(rand), reportDate(day)));
    if (out.kind !== 'committed') throw new Error(`seed ${id}: ${out.kind}`);
    if (rand() < 0.22) {
      const voidDay = day + Math.floor(rand() * 5);
      const voidDate = voidDay <= 30 ? reportDate(voidDay) : '2026-12-01';
      const voided = await store.voidRedemption({ store: STORE, transactionId: id, reason: 'seed', now: `${voidDate}T20:00:00.000Z`, localDate: voidDate });
      if (voided?.status !== 'voided') throw new Error(`seed void ${id}`);
    }
  }
  for (const id of ['o-1', 'o-2']) {
    const out = await store.redeem(reportRedeemInput(rs, id, { lines: [{ id: 'l1', productId: 'f', category: 'flower', unitPrice: 5000, quantity: 1 }], codes: ['SAVE2'] }, reportDate(3), 'other-store'));
    if (out.kind !== 'committed') throw new Error(`seed ${id}: ${out.kind}`);
  }
}

/** The report computed independently from the stored redemption rows (their columns and response_json). */
export function expectedReport(rows: Record<string, unknown>[], ctx: ReturnType<typeof reportContext>, { from, to }: ReportPeriod): DiscountReport {
  const mine = rows.filter((r) => r.store === ctx.store);
  const usedRows = mine.filter((r) => String(r.local_date) >= from && String(r.local_date) < to && (r.void_date === null || String(r.void_date) >= to));
  const voidRows = mine.filter((r) => r.void_date !== null && String(r.void_date) >= from && String(r.void_date) < to);
  const resp = (r: Record<string, unknown>) => JSON.parse(String(r.response_json)) as EvaluateResponse;
  const half = (a: number, b: number) => Math.floor((2 * a + b) / (2 * b));
  const names = new Map(ctx.discounts.map((d) => [d.id, d.name]));
  const per = new Map<string, { used: number; voids: number; given: number; gross: number; all: number }>();
  const entry = (id: string) => {
    if (!per.has(id)) per.set(id, { used: 0, voids: 0, given: 0, gross: 0, all: 0 });
    return per.get(id)!;
  };
  for (const id of names.keys()) entry(id);
  for (const r of usedRows) {
    const res = resp(r);
    for (const a of res.applied) {
      const e = entry(a.discountId);
      e.used += 1;
      e.given += a.amount;
      e.gross += Number(r.subtotal);
      e.all += Number(r.discount_total);
    }
  }
  for (const r of voidRows) for (const a of resp(r).applied) entry(a.discountId).voids += 1;
  const discounts = [...per.entries()]
    .map(([discountId, e]) => ({
      discountId,
      name: names.get(discountId) ?? null,
      timesUsed: e.used,
      voids: e.voids,
      discountGiven: e.given,
      grossSales: e.gross,
      netSales: e.gross - e.all,
      shareBps: e.gross ? half(e.given * 10000, e.gross) : null,
      averageDiscount: e.used ? half(e.given, e.used) : null,
    }))
    .sort((a, b) => b.timesUsed - a.timesUsed || b.discountGiven - a.discountGiven || (a.discountId < b.discountId ? -1 : 1))
    .map((d, i) => ({ rank: i + 1, ...d }));
  const days: DiscountReport['days'] = [];
  for (let d = new Date(`${from}T00:00:00Z`); d.toISOString().slice(0, 10) < to; d = new Date(d.getTime() + 86_400_000)) {
    const date = d.toISOString().slice(0, 10);
    const that = usedRows.filter((r) => r.local_date === date);
    const byDiscount = new Map<string, { timesUsed: number; discountGiven: number }>();
    for (const r of that)
      for (const a of resp(r).applied) {
        const b = byDiscount.get(a.discountId) ?? { timesUsed: 0, discountGiven: 0 };
        b.timesUsed += 1;
        b.discountGiven += a.amount;
        byDiscount.set(a.discountId, b);
      }
    const gross = that.reduce((s, r) => s + Number(r.subtotal), 0);
    const given = that.reduce((s, r) => s + resp(r).discountTotal, 0);
    days.push({
      date,
      transactions: that.length,
      discountedTransactions: that.filter((r) => resp(r).discountTotal > 0).length,
      discountGiven: given,
      grossSales: gross,
      netSales: gross - given,
      voids: voidRows.filter((r) => r.void_date === date).length,
      discounts: [...byDiscount.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([discountId, b]) => ({ discountId, ...b })),
    });
  }
  const vendors = new Map<string, { fundedAmount: number; applications: number; discounts: Map<string, { applications: number; fundedAmount: number }> }>();
  for (const r of usedRows)
    for (const a of resp(r).applied) {
      if (!a.funding) continue;
      const v = vendors.get(a.funding.vendor) ?? { fundedAmount: 0, applications: 0, discounts: new Map() };
      v.fundedAmount += a.funding.amount;
      v.applications += 1;
      const d = v.discounts.get(a.discountId) ?? { applications: 0, fundedAmount: 0 };
      d.applications += 1;
      d.fundedAmount += a.funding.amount;
      v.discounts.set(a.discountId, d);
      vendors.set(a.funding.vendor, v);
    }
  const gross = usedRows.reduce((s, r) => s + Number(r.subtotal), 0);
  const given = usedRows.reduce((s, r) => s + Number(r.discount_total), 0);
  return {
    store: ctx.store,
    timezone: ctx.timezone,
    currency: ctx.currency,
    minorDigits: ctx.minorDigits,
    from,
    to,
    totals: {
      transactions: usedRows.length,
      discountedTransactions: usedRows.filter((r) => Number(r.discount_total) > 0).length,
      discountGiven: given,
      grossSales: gross,
      netSales: gross - given,
      shareBps: gross ? half(given * 10000, gross) : null,
      voids: voidRows.length,
    },
    discounts,
    days,
    vendors: [...vendors.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([vendor, v]) => ({
        vendor,
        fundedAmount: v.fundedAmount,
        applications: v.applications,
        discounts: [...v.discounts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([discountId, d]) => ({ discountId, ...d })),
      })),
  };
}

export function reportContext(rs: PreparedRuleset): { store: string; timezone: string; currency: string; minorDigits: number; discounts: { id: string; name: string }[] } {
  const p = rs.compiled.policy;
  return { store: p.store, timezone: p.timezone, currency: p.currency, minorDigits: p.minorDigits, discounts: rs.compiled.discounts.map((d) => ({ id: d.id, name: d.name })) };
}

const PERIODS: ReportPeriod[] = [
  { from: '2026-11-01', to: '2026-11-11' },
  { from: '2026-11-03', to: '2026-11-06' },
  { from: '2026-11-06', to: '2026-11-07' },
  { from: '2026-10-20', to: '2026-12-05' },
  { from: '2026-11-11', to: '2026-11-20' },
];

export function reportsContract(name: string, factory: () => Promise<ReportHarness>): void {
  describe(`discount report on the ledger: ${name}`, () => {
    const rs = reportRuleset();
    let h: ReportHarness;
    let store: LedgerStore;

    beforeEach(async () => {
      h = await factory();
      store = await h.open();
    });
    afterEach(async () => {
      await store.close();
      await h.dispose();
    });

    it('agrees to the cent with the stored redemptions, for every period', async () => {
      await seedReportLedger(store, rs);
      const rows = await h.rows('redemptions');
      // The seed must exercise what the figures distinguish: voids inside and after periods, funding, ties.
      expect(rows.filter((r) => r.status === 'voided').length).toBeGreaterThan(8);
      for (const period of PERIODS) {
        const report = buildDiscountReport(reportContext(rs), period, await store.discountReport(STORE, period));
        expect(report, `${period.from}..${period.to}`).toEqual(expectedReport(rows, reportContext(rs), period));
        // The per-day series adds up to the totals; the per-discount uses to the days' per-discount uses.
        expect(report.days.reduce((s, d) => s + d.discountGiven, 0)).toBe(report.totals.discountGiven);
        expect(report.days.reduce((s, d) => s + d.voids, 0)).toBe(report.totals.voids);
        for (const d of report.discounts)
          expect(report.days.flatMap((x) => x.discounts).filter((x) => x.discountId === d.discountId).reduce((s, x) => s + x.timesUsed, 0)).toBe(d.timesUsed);
      }
      const month = buildDiscountReport(reportContext(rs), PERIODS[0], await store.discountReport(STORE, PERIODS[0]));
      expect(month.totals.transactions).toBeGreaterThan(40);
      expect(month.vendors.map((v) => v.vendor)).toEqual(['acme', 'zeta']);
      expect(month.discounts.find((d) => d.discountId === 'never')).toMatchObject({ timesUsed: 0, shareBps: null, averageDiscount: null, rank: 5 });
      expect(month.discounts.find((d) => d.discountId === 'lim')).toMatchObject({ timesUsed: expect.any(Number) });
      // Another store's redemptions never show.
      const other = buildDiscountReport(reportContext(rs), PERIODS[0], await store.discountReport('other-store', PERIODS[0]));
      expect(other.totals.transactions).toBe(2);
    });

    it('counts a sale voided after the period in it, and its void on the void day', async () => {
      const req: EvaluateRequest = { lines: [{ id: 'l1', productId: 'f', category: 'flower', unitPrice: 1005, quantity: 1 }] };
      expect((await store.redeem(reportRedeemInput(rs, 'a', req, '2026-11-05'))).kind).toBe('committed');
      await store.voidRedemption({ store: STORE, transactionId: 'a', reason: null, now: '2026-11-08T20:00:00.000Z', localDate: '2026-11-08' });
      const before = buildDiscountReport(reportContext(rs), { from: '2026-11-01', to: '2026-11-08' }, await store.discountReport(STORE, { from: '2026-11-01', to: '2026-11-08' }));
      // 10% of 10.05 = 1.005 -> 1.01 (half up, the engine's rounding); acme funds half: 0.505 -> 0.51.
      expect(before.discounts[0]).toEqual({ rank: 1, discountId: 'flower-10', name: '10% off flower', timesUsed: 1, voids: 0, discountGiven: 101, grossSales: 1005, netSales: 904, shareBps: 1005, averageDiscount: 101 });
      expect(before.vendors).toEqual([{ vendor: 'acme', fundedAmount: 51, applications: 1, discounts: [{ discountId: 'flower-10', applications: 1, fundedAmount: 51 }] }]);
      const through = buildDiscountReport(reportContext(rs), { from: '2026-11-01', to: '2026-11-09' }, await store.discountReport(STORE, { from: '2026-11-01', to: '2026-11-09' }));
      expect(through.discounts.find((d) => d.discountId === 'flower-10')).toMatchObject({ timesUsed: 0, voids: 1, discountGiven: 0, grossSales: 0, shareBps: null, averageDiscount: null });
      expect(through.totals).toMatchObject({ transactions: 0, voids: 1, discountGiven: 0 });
      expect(through.days.find((d) => d.date === '2026-11-08')?.voids).toBe(1);
      expect(through.vendors).toEqual([]);
    });

    it('ranks by use, then by amount given, then by id', async () => {
      const flower = (p: number): EvaluateRequest => ({ lines: [{ id: 'l1', productId: 'f', category: 'flower', unitPrice: p, quantity: 1 }] });
      const edible = (p: number): EvaluateRequest => ({ lines: [{ id: 'l1', productId: 'e', category: 'edibles', unitPrice: p, quantity: 1 }] });
      // flower-10 and edibles-15 once each with the same amount given (150); save2 and lim once each (200 vs 100).
      await store.redeem(reportRedeemInput(rs, 'f', flower(1500), '2026-11-02'));
      await store.redeem(reportRedeemInput(rs, 'e', edible(1000), '2026-11-02'));
      await store.redeem(reportRedeemInput(rs, 'c', { lines: [{ id: 'l1', productId: 'g', category: 'gear', unitPrice: 1000, quantity: 1 }], codes: ['SAVE2', 'LIM'] }, '2026-11-02'));
      const period = { from: '2026-11-02', to: '2026-11-03' };
      const report = buildDiscountReport(reportContext(rs), period, await store.discountReport(STORE, period));
      expect(report.discounts.map((d) => [d.rank, d.discountId, d.timesUsed, d.discountGiven])).toEqual([
        [1, 'save2', 1, 200],
        [2, 'edibles-15', 1, 150],
        [3, 'flower-10', 1, 150],
        [4, 'lim', 1, 100],
        [5, 'never', 0, 0],
      ]);
      // net sales take every discount of the transaction off, not only the row's own.
      expect(report.discounts[0]).toMatchObject({ grossSales: 1000, netSales: 700, shareBps: 2000, averageDiscount: 200 });
    });

    it('0002_reports backfills vendor funding from the stored responses', async () => {
      await seedReportLedger(store, rs, 30, 7);
      const expected = (await h.rows('redemption_discounts')).map((r) => `${r.store}/${r.transaction_id}/${r.discount_id}=${r.funding_vendor}:${Number(r.funding_amount)}`).sort();
      expect(expected.some((e) => /=acme:\d+$/.test(e)) && expected.some((e) => /=null:0$/.test(e))).toBe(true);
      await store.close();
      // Back to the ledger as 0001 left it, then migrate again.
      await h.exec('drop index redemptions_store_void_date');
      await h.exec('drop index redemptions_store_local_date_cover');
      await h.exec('create index redemptions_store_local_date on redemptions (store, local_date)');
      await h.exec('alter table redemption_discounts drop column funding_vendor');
      await h.exec('alter table redemption_discounts drop column funding_amount');
      await h.exec(`delete from kysely_migration where name = '0002_reports'`);
      store = await h.open();
      const after = (await h.rows('redemption_discounts')).map((r) => `${r.store}/${r.transaction_id}/${r.discount_id}=${r.funding_vendor}:${Number(r.funding_amount)}`).sort();
      expect(after).toEqual(expected);
    });
  });
}
