// Redemptions through app.request() on a real SQLite ledger: commit, replay, conflict,
// price_changed, clock skew, limits taken and released, voids, reads, and 503 when the ledger is
// unreachable. A refused request stores nothing.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, demoCart, EDITOR, errorOf, expectSchema, FRIDAY_HAPPY_HOUR, harness, LIMITED_RULE, POS, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await harness({ extraRules: { 'limited.yaml': LIMITED_RULE } });
});
afterEach(async () => h.close());

const redeem = (json: unknown, headers: Record<string, string> = POS) => h.request('/v1/redemptions', { method: 'POST', headers, json });
const evaluateBody = async (cart: unknown) => (await h.request('/v1/evaluate', { method: 'POST', headers: POS, json: cart })).json();
const ids = (list: { discountId: string | null }[]) => list.map((a) => a.discountId);
const STORE = 'green-leaf-la';

describe('POST /v1/redemptions', () => {
  it('201: prices again, stores the record and answers it; the same body again is a replay', async () => {
    const cart = demoCart();
    const quote = await evaluateBody(cart);
    const res = await redeem({ transactionId: 'pos1:0001', ...cart, expectedTotal: quote.total });
    expect(res.status).toBe(201);
    expect(res.headers.get('idempotent-replay')).toBeNull();
    const record = await res.json();
    expectSchema('RedemptionRecord', record);
    const { transactionId, status, committedAt, events, ...priced } = record;
    expect({ transactionId, status, committedAt, events }).toEqual({ transactionId: 'pos1:0001', status: 'committed', committedAt: new Date(FRIDAY_HAPPY_HOUR).toISOString(), events: [] });
    expect(priced).toEqual(quote);
    expect(await (await h.request('/v1/redemptions/pos1:0001', { headers: POS })).json()).toEqual(record);

    // The identical body, keys in another order, an hour later: replayed, not re-priced, not skew-checked.
    h.clock.now += 3600_000;
    const { lines, ...rest }: Record<string, unknown> = { transactionId: 'pos1:0001', ...cart, expectedTotal: quote.total };
    const again = await redeem({ lines, ...Object.fromEntries(Object.entries(rest).reverse()) });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replay')).toBe('true');
    expect(await again.json()).toEqual(record);
    const totals = await h.store.usageTotals(STORE);
    expect(totals).toContainEqual({ discountId: 'save5', used: 1 });
  });

  it('a retry with the same `at` replays even when that instant is now more than 5 minutes old', async () => {
    const at = '2026-11-20T16:29:00';
    const body = { transactionId: 'skewed-later', ...demoCart(), at };
    expect((await redeem(body)).status).toBe(201);
    h.clock.now += 20 * 60_000;
    const again = await redeem(body);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replay')).toBe('true');
  });

  it('409 idempotency_conflict: the same transactionId with a different body; nothing changes', async () => {
    expect((await redeem({ transactionId: 't1', ...demoCart() })).status).toBe(201);
    const e = await errorOf(await redeem({ transactionId: 't1', ...demoCart({ codes: [] }) }), 409, 'idempotency_conflict');
    expect(e.details[0].path).toBe('/transactionId');
    const stored = await (await h.request('/v1/redemptions/t1', { headers: POS })).json();
    expect(ids(stored.applied)).toContain('save5');
  });

  it('prices at `at` when given (within 5 minutes), else at the server clock', async () => {
    h.clock.now = Date.parse('2026-11-20T18:02:00-08:00'); // happy hour ended at 18:00
    const inside = await (await redeem({ transactionId: 'at-1', ...demoCart(), at: '2026-11-20T17:58:00' })).json();
    expect(ids(inside.applied)).toContain('happy-hour-prerolls');
    const now = await (await redeem({ transactionId: 'at-2', ...demoCart() })).json();
    expect(ids(now.applied)).not.toContain('happy-hour-prerolls');
    expect(now.committedAt).toBe('2026-11-21T02:02:00.000Z');
  });

  it('400 clock_skew: `at` more than 5 minutes from the server clock; nothing is stored', async () => {
    h.clock.now = Date.parse('2026-11-20T18:30:00-08:00');
    const e = await errorOf(await redeem({ transactionId: 'late', ...demoCart(), at: '2026-11-20T16:30:00' }), 400, 'clock_skew');
    expect(e.details[0].path).toBe('/at');
    await errorOf(await redeem({ transactionId: 'early', ...demoCart(), at: '2026-11-20T18:35:01' }), 400, 'clock_skew');
    expect((await redeem({ transactionId: 'edge', ...demoCart(), at: '2026-11-20T18:35:00' })).status).toBe(201);
    await errorOf(await h.request('/v1/redemptions/late', { headers: POS }), 404, 'not_found');
    // The same id is free to use again.
    expect((await redeem({ transactionId: 'late', ...demoCart() })).status).toBe(201);
  });

  it('400 invalid_request for its own fields and the cart, with every path', async () => {
    let e = await errorOf(await redeem(demoCart()), 400, 'invalid_request');
    expect(e.details).toEqual([{ path: '', message: expect.stringContaining("missing required property 'transactionId'") }]);
    e = await errorOf(await redeem({ transactionId: 'has space', ...demoCart(), expectedTotal: -1 }), 400, 'invalid_request');
    expect(e.details.map((d) => d.path)).toEqual(['/expectedTotal', '/transactionId']);
    expect(e.details[1].message).toMatch(/1-128 letters, digits/);
    e = await errorOf(await redeem({ transactionId: 'x'.repeat(129), ...demoCart({ lines: [] }) }), 400, 'invalid_request');
    expect(e.details.map((d) => d.path)).toEqual(['/lines', '/transactionId']);
    e = await errorOf(await redeem({ transactionId: 'ok', ...demoCart(), expectedTotal: 10.5 }), 400, 'invalid_request');
    expect(e.details.map((d) => d.path)).toEqual(['/expectedTotal']);
    await errorOf(await redeem('"text"'), 400, 'invalid_request');
    expect(await h.store.usageTotals(STORE)).toEqual([]);
  });

  it('409 price_changed when expectedTotal no longer matches; nothing stored, the id can be sent again', async () => {
    const cart = demoCart({ codes: ['LIMITED', 'save5'], customer: { id: 'c' } });
    const quote = await evaluateBody(cart);
    expect(ids(quote.applied)).toContain('limited');
    // Two other sales use up LIMITED meanwhile.
    for (const [id, customer] of [['o1', 'a'], ['o2', 'b']]) expect((await redeem({ transactionId: id, ...demoCart({ codes: ['LIMITED'], customer: { id: customer } }) })).status).toBe(201);
    const e = await errorOf(await redeem({ transactionId: 'mine', ...cart, expectedTotal: quote.total }), 409, 'price_changed');
    const evaluation = e.evaluation as { total: number; rejected: { discountId: string; reason: string }[] };
    expectSchema('EvaluateResponse', evaluation);
    expect(evaluation.total).toBe(quote.total + 100);
    expect(evaluation.rejected).toContainEqual(expect.objectContaining({ discountId: 'limited', reason: 'USAGE_LIMIT_REACHED' }));
    await errorOf(await h.request('/v1/redemptions/mine', { headers: POS }), 404, 'not_found');
    const retry = await redeem({ transactionId: 'mine', ...cart, expectedTotal: evaluation.total });
    expect(retry.status).toBe(201);
    expect((await retry.json()).total).toBe(evaluation.total);
  });

  it('a limit used up meanwhile is dropped and the cart re-priced when no expectedTotal is given', async () => {
    const cart = (customer: string) => demoCart({ codes: ['LIMITED'], customer: { id: customer } });
    const r1 = await (await redeem({ transactionId: 'a1', ...cart('a') })).json();
    expect(ids(r1.applied)).toContain('limited');
    const r2 = await (await redeem({ transactionId: 'a2', ...cart('a') })).json();
    expect(r2.rejected).toContainEqual(expect.objectContaining({ discountId: 'limited', reason: 'CUSTOMER_LIMIT_REACHED' }));
    const r3 = await (await redeem({ transactionId: 'b1', ...cart('b') })).json();
    expect(ids(r3.applied)).toContain('limited');
    const r4 = await (await redeem({ transactionId: 'c1', ...cart('c') })).json();
    expect(r4.rejected).toContainEqual(expect.objectContaining({ discountId: 'limited', reason: 'USAGE_LIMIT_REACHED' }));
    expect(r4.total).toBe(r3.total + 100);
    expect(await h.store.usageTotals(STORE)).toContainEqual({ discountId: 'limited', used: 2 });
  });

  it('503 unavailable with Retry-After when the ledger is unreachable; nothing stored', async () => {
    h.store.failing.add('findRequest');
    let res = await redeem({ transactionId: 'down1', ...demoCart() });
    expect(res.headers.get('retry-after')).toBe('1');
    await errorOf(res, 503, 'unavailable');
    h.store.failing.clear();
    h.store.failing.add('redeem');
    res = await redeem({ transactionId: 'down1', ...demoCart() });
    await errorOf(res, 503, 'unavailable');
    h.store.failing.clear();
    expect((await redeem({ transactionId: 'down1', ...demoCart() })).status).toBe(201);
    h.store.failing.add('voidRedemption');
    await errorOf(await h.request('/v1/redemptions/down1/void', { method: 'POST', headers: POS }), 503, 'unavailable');
    h.store.failing.add('getRedemption');
    await errorOf(await h.request('/v1/redemptions/down1', { headers: POS }), 503, 'unavailable');
    h.store.failing.clear();
    expect((await (await h.request('/v1/redemptions/down1', { headers: POS })).json()).status).toBe('committed');
  });

  it('concurrent sends of one transaction in one process: one commit, the others replay or conflict', async () => {
    const body = { transactionId: 'race-1', ...demoCart() };
    const same = await Promise.all([1, 2, 3, 4].map(() => redeem(body)));
    expect(same.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
    const records = await Promise.all(same.map((r) => r.json()));
    for (const r of records) expect(r).toEqual(records[0]);
    const other = await Promise.all([
      redeem({ transactionId: 'race-2', ...demoCart({ customer: { id: 'c2' } }) }),
      redeem({ transactionId: 'race-2', ...demoCart({ customer: { id: 'c2' }, codes: [] }) }),
    ]);
    expect(other.map((r) => r.status).sort()).toEqual([201, 409]);
    const winner = await other.find((r) => r.status === 201)!.json();
    const used = 1 + (ids(winner.applied).includes('save5') ? 1 : 0);
    expect(await h.store.usageTotals(STORE)).toContainEqual({ discountId: 'save5', used });
  });

  it('only pos and admin keys redeem', async () => {
    await errorOf(await redeem({ transactionId: 'e1', ...demoCart() }, EDITOR), 403, 'forbidden');
    expect((await redeem({ transactionId: 'e1', ...demoCart() }, ADMIN)).status).toBe(201);
  });
});

describe('POST /v1/redemptions/{transactionId}/void and GET', () => {
  it('voids once, releases the usage, and answers the same record when voided again', async () => {
    const cart = (customer: string) => demoCart({ codes: ['LIMITED'], customer: { id: customer } });
    await redeem({ transactionId: 'v1', ...cart('a') });
    await redeem({ transactionId: 'v2', ...cart('b') });
    let q = await evaluateBody(cart('c'));
    expect(q.rejected).toContainEqual(expect.objectContaining({ discountId: 'limited', reason: 'USAGE_LIMIT_REACHED' }));
    h.clock.now += 60_000;
    const res = await h.request('/v1/redemptions/v2/void', { method: 'POST', headers: POS, json: { reason: 'customer returned the items' } });
    expect(res.status).toBe(200);
    const voided = await res.json();
    expectSchema('RedemptionRecord', voided);
    expect(voided).toMatchObject({ transactionId: 'v2', status: 'voided', voidReason: 'customer returned the items', voidedAt: new Date(h.clock.now).toISOString(), voidDate: '2026-11-20' });
    expect(await h.store.usageTotals(STORE)).toContainEqual({ discountId: 'limited', used: 1 });
    q = await evaluateBody(cart('c'));
    expect(ids(q.applied)).toContain('limited');
    // Customer b's own use is released too.
    expect(ids((await evaluateBody(cart('b'))).applied)).toContain('limited');

    h.clock.now += 60_000;
    const again = await h.request('/v1/redemptions/v2/void', { method: 'POST', headers: POS });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(voided);
    expect(await h.store.usageTotals(STORE)).toContainEqual({ discountId: 'limited', used: 1 });
    expect(await (await h.request('/v1/redemptions/v2', { headers: POS })).json()).toEqual(voided);
    // A voided transaction's id replays the voided record; its body still has to match.
    const replay = await redeem({ transactionId: 'v2', ...cart('b') });
    expect(replay.status).toBe(200);
    expect((await replay.json()).status).toBe('voided');
  });

  it('404 for an unknown transaction; 400/415 for a bad void body', async () => {
    await errorOf(await h.request('/v1/redemptions/nope/void', { method: 'POST', headers: POS }), 404, 'not_found');
    await errorOf(await h.request('/v1/redemptions/nope', { headers: POS }), 404, 'not_found');
    await errorOf(await h.request('/v1/redemptions/bad%20id', { headers: POS }), 404, 'not_found');
    await redeem({ transactionId: 'vb', ...demoCart() });
    let e = await errorOf(await h.request('/v1/redemptions/vb/void', { method: 'POST', headers: POS, json: { reason: 5 } }), 400, 'invalid_request');
    expect(e.details[0].path).toBe('/reason');
    e = await errorOf(await h.request('/v1/redemptions/vb/void', { method: 'POST', headers: POS, json: { why: 'x' } }), 400, 'invalid_request');
    await errorOf(await h.request('/v1/redemptions/vb/void', { method: 'POST', headers: { ...POS, 'content-type': 'text/plain' }, body: 'because' }), 415, 'unsupported_media_type');
    expect((await (await h.request('/v1/redemptions/vb', { headers: POS })).json()).status).toBe('committed');
  });
});
