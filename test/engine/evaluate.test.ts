import { describe, expect, it } from 'vitest';
import { compileRuleset } from '../../src/dsl/compile.js';
import type { EvaluateRequest } from '../../src/domain/types.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { prepareRuleset } from '../../src/engine/prepare.js';
import { checkRequest, checkUsage } from '../../src/engine/request.js';

const store = { path: 'r/store.yaml', text: 'store: s\ntimezone: America/Los_Angeles\ncurrency: USD\nminimumUnitPrice: 0.01\n' };
const ruleset = (...rules: [string, string][]) =>
  prepareRuleset(compileRuleset({ store, rules: rules.map(([id, body]) => ({ path: `r/${id}.yaml`, text: `id: ${id}\nname: ${id}\n${body}` })) }).ruleset!);
const line = (id: string, unitPrice: number, quantity = 1, category = 'x') => ({ id, productId: `p-${id}`, category, unitPrice, quantity });

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

describe('evaluate', () => {
  const rs = ruleset(
    ['fifty', 'type: fixed\nvalue: 10\nminPurchase: 50\n'],
    ['vip', 'type: percentage\nvalue: 10\ncode: VIP\n'],
    ['tiered', 'type: percentage\nvalue: 5\ncustomer: { tiers: [gold] }\n'],
  );

  it('states the minimum purchase shortfall in minor units and in words', () => {
    const res = evaluate(rs, { at: '2026-05-01T12:00:00', explain: true, lines: [line('a', 4550)] }, { now: 0 });
    expect(res.rejected).toContainEqual({
      discountId: 'fifty',
      code: null,
      reason: 'MIN_PURCHASE_NOT_MET',
      message: 'fifty: spend $4.50 more (minimum purchase $50.00)',
      shortfall: 450,
    });
  });

  it('lists automatic discounts that failed eligibility only with explain', () => {
    const req = { at: '2026-05-01T12:00:00', lines: [line('a', 100)] };
    expect(evaluate(rs, req, { now: 0 }).rejected).toEqual([]);
    expect(evaluate(rs, { ...req, explain: true }, { now: 0 }).rejected.map((r) => [r.discountId, r.reason])).toEqual([
      ['fifty', 'MIN_PURCHASE_NOT_MET'],
      ['tiered', 'CUSTOMER_REQUIRED'],
    ]);
  });

  it('on equal totals the smaller id wins', () => {
    const res = evaluate(rs, { at: '2026-05-01T12:00:00', codes: ['vip'], lines: [line('a', 10000)] }, { now: 0 });
    expect(res.applied.map((a) => [a.discountId, a.amount])).toEqual([['fifty', 1000]]);
    expect(res.rejected).toMatchObject([{ discountId: 'vip', code: 'vip', reason: 'NOT_COMBINABLE', winner: ['fifty'] }]);
  });

  it('names the winning plan in NOT_COMBINABLE, and every repeat of a code is a DUPLICATE_CODE', () => {
    const res = evaluate(rs, { at: '2026-05-01T12:00:00', codes: ['vip', ' VIP', 'Vip', 'nope'], lines: [line('a', 20000)] }, { now: 0 });
    expect(res.applied.map((a) => [a.discountId, a.amount, a.code])).toEqual([['vip', 2000, 'VIP']]);
    expect(res.rejected).toEqual([
      { discountId: 'vip', code: ' VIP', reason: 'DUPLICATE_CODE', message: "Code 'VIP' was entered more than once" },
      { discountId: 'vip', code: 'Vip', reason: 'DUPLICATE_CODE', message: "Code 'Vip' was entered more than once" },
      { discountId: null, code: 'nope', reason: 'UNKNOWN_CODE', message: "Code 'nope' is not a valid promo code" },
      { discountId: 'fifty', code: null, reason: 'NOT_COMBINABLE', message: 'fifty cannot be combined with vip, which saves the customer more', winner: ['vip'] },
    ]);
  });

  it('uses the caller clock only when the request has no `at`', () => {
    const timed = ruleset(['june', 'type: fixed\nvalue: 1\nschedule: { start: 2026-06-01, end: 2026-06-30 }\n']);
    const req = { lines: [line('a', 500)] };
    expect(evaluate(timed, req, { now: Date.parse('2026-06-15T12:00:00Z') }).discountTotal).toBe(100);
    expect(evaluate(timed, req, { now: Date.parse('2026-07-01T12:00:00Z') }).discountTotal).toBe(0);
    expect(evaluate(timed, { ...req, at: '2026-06-30T23:59:00' }, { now: Date.parse('2026-07-15T12:00:00Z') }).discountTotal).toBe(100);
  });

  it('never changes its inputs, and gives the same bytes every time', () => {
    const req = deepFreeze<EvaluateRequest>({ at: '2026-05-01T12:00:00', customer: { id: 'c', tier: 'Gold' }, codes: ['VIP'], lines: [line('a', 6000), line('b', 999, 3)] });
    const usage = deepFreeze({ vip: { used: 1 } });
    const first = JSON.stringify(evaluate(rs, req, { now: 0, usage }));
    for (let i = 0; i < 3; i++) expect(JSON.stringify(evaluate(rs, req, { now: 0, usage }))).toBe(first);
  });
});

describe('checkRequest / checkUsage', () => {
  it('accepts a minimal cart', () => {
    expect(checkRequest({ lines: [line('a', 0)] }).ok).toBe(true);
  });
  it('reports every problem with a pointer', () => {
    const r = checkRequest({ at: '2026-02-30T10:00', coupon: 'X', codes: Array(11).fill('A'), lines: [line('a', 1), line('a', 1), { ...line('c', -1), quantity: 1.5 }] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(['/codes', '/coupon', '/lines/2/quantity', '/lines/2/unitPrice']);
    const semantic = checkRequest({ at: '2026-02-30T10:00', lines: [line('a', 1), line('a', 1)] });
    expect(semantic.ok ? [] : semantic.errors.map((e) => [e.path, e.message])).toEqual([
      ['/at', "at must be a date-time such as 2026-04-20T16:30:00-07:00 (without an offset: store time); got '2026-02-30T10:00', which is not a real date-time"],
      ['/lines/1/id', "lines[1].id: 'a' is also the id of lines[0]"],
    ]);
  });
  it('bounds the cart: 500 lines, unitPrice 100,000,000, quantity 10,000', () => {
    expect(checkRequest({ lines: Array.from({ length: 501 }, (_, i) => line(`l${i}`, 1)) }).ok).toBe(false);
    expect(checkRequest({ lines: [line('a', 100_000_001)] }).ok).toBe(false);
    expect(checkRequest({ lines: [line('a', 100_000_000, 10_000)] }).ok).toBe(true);
    expect(checkRequest({ lines: [line('a', 1, 10_001)] }).ok).toBe(false);
  });
  it('checks usage files', () => {
    expect(checkUsage({ save5: { used: 3, customers: { c1: 1 } } }).ok).toBe(true);
    expect(checkUsage({ save5: { used: -1 } }).ok).toBe(false);
  });
});

describe('CUSTOMER_REQUIRED wording', () => {
  it('says which part is missing: the customer, or the id a per-customer limit needs', () => {
    const rs = ruleset(['gold-once', 'type: fixed\nvalue: 1\ncustomer: { tiers: [gold] }\nperCustomerLimit: 1\n']);
    const msg = (customer?: { id?: string; tier?: string }) =>
      evaluate(rs, { at: '2026-05-01T12:00:00', explain: true, ...(customer ? { customer } : {}), lines: [line('a', 500)] }, { now: 0 }).rejected[0]?.message;
    expect(msg()).toBe('gold-once needs an identified customer');
    expect(msg({ tier: 'gold' })).toBe('gold-once needs a customer id (it is limited per customer)');
    expect(msg({ id: 'c1', tier: 'gold' })).toBeUndefined();
  });
});
