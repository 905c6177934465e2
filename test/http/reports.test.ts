// GET /v1/reports/discounts: redemptions and voids made through the API on several store days,
// the report checked against an independent computation over the stored rows; scopes, the
// default period from the injected clock, bad input (400 with details), the ledger down (503).

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, demoCart, EDITOR, errorOf, expectSchema, harness, POS, type Harness } from './helpers.js';
import { expectedReport } from '../store/reports-contract.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => h.close());

const storedRows = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('select * from redemptions').all() as Record<string, unknown>[]).map((r) => ({ ...r }));
  } finally {
    db.close();
  }
};

const context = (h: Harness) => {
  const served = h.rulesets.current!;
  const p = served.compiled.policy;
  return { store: p.store, timezone: p.timezone, currency: p.currency, minorDigits: p.minorDigits, discounts: served.compiled.discounts.map((d) => ({ id: d.id, name: d.name })) };
};

/** Redeems at `local` (Los Angeles wall time) with the server's clock there. */
async function redeemAt(local: string, transactionId: string, cart: Record<string, unknown>) {
  h.clock.now = Date.parse(`${local}-08:00`);
  const res = await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId, ...cart } });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
}
async function voidAt(local: string, transactionId: string) {
  h.clock.now = Date.parse(`${local}-08:00`);
  const res = await h.request(`/v1/redemptions/${transactionId}/void`, { method: 'POST', headers: POS, json: { reason: 'test' } });
  expect(res.status).toBe(200);
}

async function seed() {
  const carts = [
    demoCart(),
    demoCart({ codes: [], customer: { id: 'cust-2', tier: 'gold' } }),
    demoCart({ codes: [], customer: undefined, lines: [{ id: 'l1', productId: 'vape-1', category: 'vapes', brand: 'stiiizy', unitPrice: 4000, quantity: 2 }] }),
    demoCart({ codes: ['save5'], customer: { id: 'cust-3' } }),
  ];
  let n = 0;
  // Wednesday 18th (Stiiizy vendor day, funded) to Sunday 22nd; 23:30 and 00:10 sit on either side of midnight.
  for (const day of ['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'])
    for (const time of ['00:10:00', '16:30:00', '23:30:00'])
      for (const c of carts.slice(0, 2 + (n % 3))) await redeemAt(`${day}T${time}`, `pos1:${String(++n).padStart(4, '0')}`, c);
  await voidAt('2026-11-18T20:00:00', 'pos1:0001');
  await voidAt('2026-11-21T09:00:00', 'pos1:0004');
  await voidAt('2026-11-23T09:00:00', 'pos1:0030');
  return n;
}

describe('GET /v1/reports/discounts', () => {
  it('gives every figure as the stored redemptions do, for several periods', async () => {
    const n = await seed();
    expect(n).toBeGreaterThan(30);
    const rows = storedRows(h.dbPath);
    for (const [from, to] of [
      ['2026-11-18', '2026-11-23'],
      ['2026-11-19', '2026-11-21'],
      ['2026-11-18', '2026-11-24'],
      ['2026-11-01', '2026-11-19'],
    ]) {
      const res = await h.request(`/v1/reports/discounts?from=${from}&to=${to}`, { headers: EDITOR });
      expect(res.status).toBe(200);
      const body = await res.json();
      expectSchema('DiscountReport', body);
      expect(body, `${from}..${to}`).toEqual(expectedReport(rows, context(h), { from, to }));
    }
    const body = await (await h.request('/v1/reports/discounts?from=2026-11-18&to=2026-11-23', { headers: ADMIN })).json();
    expect(body.vendors.map((v: { vendor: string }) => v.vendor)).toEqual(['stiiizy']);
    expect(body.totals.voids).toBe(2);
    expect(body.discounts[0].timesUsed).toBeGreaterThan(0);
  });

  it('defaults to the last 30 days, today included, in the store timezone', async () => {
    // 2026-11-23 07:30 UTC is still the 22nd in Los Angeles.
    h.clock.now = Date.parse('2026-11-23T07:30:00Z');
    const body = await (await h.request('/v1/reports/discounts', { headers: EDITOR })).json();
    expect([body.from, body.to, body.days.length]).toEqual(['2026-10-24', '2026-11-23', 30]);
    const onlyFrom = await (await h.request('/v1/reports/discounts?from=2026-11-20', { headers: EDITOR })).json();
    expect([onlyFrom.from, onlyFrom.to]).toEqual(['2026-11-20', '2026-11-23']);
    const onlyTo = await (await h.request('/v1/reports/discounts?to=2026-11-10', { headers: EDITOR })).json();
    expect([onlyTo.from, onlyTo.to]).toEqual(['2026-10-11', '2026-11-10']);
    expect(body.discounts.map((d: { discountId: string }) => d.discountId)).toEqual([...h.rulesets.current!.compiled.discounts.map((d) => d.id)].sort());
  });

  it('needs an editor or admin key', async () => {
    await errorOf(await h.request('/v1/reports/discounts'), 401, 'unauthorized');
    await errorOf(await h.request('/v1/reports/discounts', { headers: POS }), 403, 'forbidden');
    expect((await h.request('/v1/reports/discounts', { headers: ADMIN })).status).toBe(200);
  });

  it('answers bad dates and periods with 400 and the parameter named', async () => {
    const bad = async (query: string, paths: string[]) => {
      const e = await errorOf(await h.request(`/v1/reports/discounts?${query}`, { headers: EDITOR }), 400, 'invalid_request');
      expect(e.details.map((d) => d.path)).toEqual(paths);
      return e;
    };
    expect((await bad('from=2026-02-30', ['from'])).message).toBe("from must be a store-local date YYYY-MM-DD, not '2026-02-30'");
    await bad('from=2026-11-01&to=nov', ['to']);
    await bad('from=20261101&to=2026-11-1', ['from', 'to']);
    expect((await bad('from=2026-11-05&to=2026-11-05', ['from'])).message).toBe('from (2026-11-05) must be before to (2026-11-05): to is exclusive');
    await bad('from=2026-11-06&to=2026-11-05', ['from']);
    await bad('from=2025-01-01&to=2026-01-03', ['to']);
    await bad('form=2026-11-01', ['form']);
    await bad('from=2026-11-01&from=2026-11-02', ['from']);
    expect((await h.request('/v1/reports/discounts?from=2025-01-01&to=2026-01-02', { headers: EDITOR })).status).toBe(200);
  });

  it('is 503 with Retry-After when the ledger is down', async () => {
    h.store.failing.add('discountReport');
    const res = await h.request('/v1/reports/discounts', { headers: EDITOR });
    await errorOf(res, 503, 'unavailable');
    expect(res.headers.get('retry-after')).toBe('1');
  });
});
