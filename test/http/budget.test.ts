// Budgets through the service (app.request() on a real SQLite ledger): evaluate capped at what is
// left, redemptions taking it, GET /v1/discounts budget and budgetRemaining, 409 price_changed when
// a quote was taken before the budget ran low, a void giving it back.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoCart, errorOf, expectSchema, harness, POS, type Harness } from './helpers.js';

/** $5 off with VEND, $12 in all: 5.00, 5.00, then 2.00, then nothing. */
const VEND = `id: vend
name: $5 off with VEND, $12 in all
type: fixed
value: 5
code: VEND
budget: 12
stackable: true
`;

let h: Harness;
beforeEach(async () => {
  h = await harness({ extraRules: { 'vend.yaml': VEND } });
});
afterEach(async () => h.close());

const cart = (customer: string) => demoCart({ codes: ['VEND'], customer: { id: customer } });
const redeem = (json: unknown) => h.request('/v1/redemptions', { method: 'POST', headers: POS, json });
const evaluateBody = async (body: unknown) => (await h.request('/v1/evaluate', { method: 'POST', headers: POS, json: body })).json();
const vendAmount = (r: { applied: { discountId: string; amount: number }[] }) => r.applied.find((a) => a.discountId === 'vend')?.amount ?? 0;
const view = async () => {
  const res = await h.request('/v1/discounts/vend', { headers: POS });
  expect(res.status).toBe(200);
  const body = await res.json();
  expectSchema('Discount', body);
  return { budget: body.budget, budgetRemaining: body.budgetRemaining, state: body.state };
};

describe('budgets in the service', () => {
  it('GET /v1/discounts: budget and budgetRemaining in minor units, null without a budget; exhausted at 0', async () => {
    const list = await (await h.request('/v1/discounts', { headers: POS })).json();
    expectSchema('DiscountList', list);
    const vend = list.discounts.find((d: { id: string }) => d.id === 'vend');
    expect(vend).toMatchObject({ budget: 1200, budgetRemaining: 1200, state: 'active', usageLimit: null, used: null, remaining: null });
    // The demo's vendor day and pod bundle have $2,000.00 budgets, untouched here; the other demo rules have none.
    for (const d of list.discounts.filter((x: { id: string }) => x.id !== 'vend'))
      expect([d.id, d.budget, d.budgetRemaining]).toEqual(d.id === 'stiiizy-vendor-day' || d.id === 'stiiizy-pod-bundle' ? [d.id, 200000, 200000] : [d.id, null, null]);

    const amounts: number[] = [];
    for (const [i, c] of ['a', 'b', 'c', 'd'].entries()) {
      const res = await redeem({ transactionId: `v-${i}`, ...cart(c) });
      expect(res.status).toBe(201);
      amounts.push(vendAmount(await res.json()));
      if (i === 0) expect(await view()).toEqual({ budget: 1200, budgetRemaining: 700, state: 'active' });
    }
    expect(amounts).toEqual([500, 500, 200, 0]);
    expect(await view()).toEqual({ budget: 1200, budgetRemaining: 0, state: 'exhausted' });
    const listed = (await (await h.request('/v1/discounts', { headers: POS })).json()).discounts.find((d: { id: string }) => d.id === 'vend');
    expect(listed).toMatchObject({ budgetRemaining: 0, state: 'exhausted' });

    // Evaluate says why, with the budget in words; a void gives the amount back.
    const exhausted = await evaluateBody(cart('e'));
    expect(exhausted.rejected).toContainEqual({ discountId: 'vend', code: 'VEND', reason: 'BUDGET_EXHAUSTED', message: '$5 off with VEND, $12 in all has used up its budget of $12.00' });
    const voided = await h.request('/v1/redemptions/v-2/void', { method: 'POST', headers: POS, json: { reason: 'returned' } });
    expect(voided.status).toBe(200);
    expect(await view()).toEqual({ budget: 1200, budgetRemaining: 200, state: 'active' });
    expect(vendAmount(await evaluateBody(cart('e')))).toBe(200);
  });

  it('evaluate never takes anything; the quote follows what is left', async () => {
    for (let i = 0; i < 3; i++) expect(vendAmount(await evaluateBody(cart('a')))).toBe(500);
    expect(await view()).toMatchObject({ budgetRemaining: 1200 });
    expect((await redeem({ transactionId: 'x1', ...cart('a') })).status).toBe(201);
    expect((await redeem({ transactionId: 'x2', ...cart('b') })).status).toBe(201);
    expect(vendAmount(await evaluateBody(cart('c')))).toBe(200);
  });

  it('409 price_changed when the budget ran low since the quote; nothing stored; sent again with the new total it commits', async () => {
    expect((await redeem({ transactionId: 'o1', ...cart('a') })).status).toBe(201);
    const quote = await evaluateBody(cart('mine'));
    expect(vendAmount(quote)).toBe(500);
    // Another sale takes 5.00 meanwhile: 2.00 is left.
    expect((await redeem({ transactionId: 'o2', ...cart('b') })).status).toBe(201);
    const e = await errorOf(await redeem({ transactionId: 'mine', ...cart('mine'), expectedTotal: quote.total }), 409, 'price_changed');
    const evaluation = e.evaluation as { total: number; applied: { discountId: string; amount: number }[] };
    expectSchema('EvaluateResponse', evaluation);
    expect(vendAmount(evaluation)).toBe(200);
    expect(evaluation.total).toBe(quote.total + 300);
    await errorOf(await h.request('/v1/redemptions/mine', { headers: POS }), 404, 'not_found');
    expect(await view()).toMatchObject({ budgetRemaining: 200 });
    const retry = await redeem({ transactionId: 'mine', ...cart('mine'), expectedTotal: evaluation.total });
    expect(retry.status).toBe(201);
    expect(vendAmount(await retry.json())).toBe(200);
    expect(await view()).toMatchObject({ budgetRemaining: 0, state: 'exhausted' });
  });

  it('without expectedTotal a sale is capped at what is left (not dropped); a replay takes nothing again', async () => {
    expect((await redeem({ transactionId: 'p1', ...cart('a') })).status).toBe(201);
    expect((await redeem({ transactionId: 'p2', ...cart('b') })).status).toBe(201);
    const third = await redeem({ transactionId: 'p3', ...cart('c') });
    const record = await third.json();
    expect(vendAmount(record)).toBe(200);
    const replay = await redeem({ transactionId: 'p3', ...cart('c') });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual(record);
    expect(await view()).toMatchObject({ budgetRemaining: 0 });
    const usage = await h.store.readUsage('green-leaf-la', [], null, ['vend']);
    expect(usage).toEqual({ vend: { used: 0, given: 1200 } });
  });
});
