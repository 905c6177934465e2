// GET /v1/reports/abuse over app.request: each signal fires on a crafted history with its evidence
// and stays quiet on a normal one; the period parameters; scopes; the response schema.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyIdOf } from '../../src/http/auth.js';
import { demoCart, EDITOR, errorOf, expectSchema, harness, POS, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.service.close();
  await h.close();
});

const FLOWER = [{ id: 'l1', productId: 'blue-dream-3.5g', category: 'flower', unitPrice: 3500, quantity: 1 }];
const at = (iso: string) => (h.clock.now = Date.parse(iso));
async function sale(id: string, when: string, over: Record<string, unknown>) {
  at(when);
  const res = await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: id, ...demoCart({ codes: [], ...over }) } });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
  return res.json();
}
async function voidSale(id: string, when: string) {
  at(when);
  expect((await h.request(`/v1/redemptions/${id}/void`, { method: 'POST', headers: POS })).status).toBe(200);
}
async function report(query = 'from=2026-11-01&to=2026-12-01') {
  h.clock.now = Date.parse('2026-11-30T12:00:00Z');
  const res = await h.request(`/v1/reports/abuse?${query}`, { headers: EDITOR });
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
  const body = await res.json();
  expectSchema('AbuseReport', body);
  return body;
}
async function setAbuse(yaml: string) {
  const path = join(h.rulesDir, 'store.yaml');
  writeFileSync(path, readFileSync(path, 'utf8') + yaml);
  expect((await h.service.reload('http')).ok).toBe(true);
}

describe('GET /v1/reports/abuse', () => {
  it('stays quiet on a normal history', async () => {
    // Customers buying once a day (some twice), one void, a few mistyped codes, modest discounts.
    for (let d = 2; d <= 8; d++)
      for (const c of ['a', 'b', 'c']) await sale(`n-${d}-${c}`, `2026-11-${String(d).padStart(2, '0')}T18:00:00Z`, { customer: { id: `cust-${c}` }, lines: FLOWER, terminalId: 'reg-1' });
    await sale('n-twice', '2026-11-03T21:00:00Z', { customer: { id: 'cust-a' }, lines: FLOWER });
    await sale('n-demo', '2026-11-04T19:00:00Z', { customer: { id: 'cust-d' } });
    await voidSale('n-demo', '2026-11-04T19:05:00Z');
    at('2026-11-05T18:00:00Z');
    for (let i = 0; i < 3; i++) await h.request('/v1/evaluate', { method: 'POST', headers: POS, json: demoCart({ terminalId: 'reg-1', codes: [`TYPO${i}`] }) });
    await h.service.codeAttempts.flush();
    const body = await report();
    expect(body.signals).toEqual([]);
    expect(body).toMatchObject({
      store: 'green-leaf-la',
      from: '2026-11-01T07:00:00.000Z',
      to: '2026-12-01T08:00:00.000Z',
      thresholds: { codeGuessing: { windowMinutes: 60, perTerminal: 20, perKey: 60 }, repeatUse: { uses: 3, windowHours: 24 }, voidCycling: { voids: 3, windowHours: 24 }, discountShare: { bps: 5000 } },
    });
  });

  it('repeat_use: more than 3 uses of one discount by one customer within 24 h, only where no per-customer limit stops it', async () => {
    // Four sales in 23 h (ten-off-fifty has no per-customer limit; save5 has one and is never reported).
    const times = ['2026-11-10T17:00:00Z', '2026-11-10T20:00:00Z', '2026-11-11T09:00:00Z', '2026-11-11T16:00:00Z'];
    for (const [i, t] of times.entries()) await sale(`r-${i}`, t, { customer: { id: 'c-rep' }, lines: [...FLOWER, { id: 'l2', productId: 'gummies-10pk', category: 'edibles', unitPrice: 1800, quantity: 1 }], codes: ['SAVE5'] });
    // Three more two days later: a second window, but only 3 uses: quiet.
    for (const [i, t] of ['2026-11-14T17:00:00Z', '2026-11-14T18:00:00Z', '2026-11-14T19:00:00Z'].entries()) await sale(`r2-${i}`, t, { customer: { id: 'c-rep' }, lines: FLOWER });
    // Four uses spread over 4 days: quiet.
    for (let d = 20; d < 24; d++) await sale(`s-${d}`, `2026-11-${d}T17:00:00Z`, { customer: { id: 'c-spread' }, lines: FLOWER });
    const body = await report();
    expect(body.signals).toEqual([
      {
        kind: 'repeat_use',
        subject: { customerId: 'c-rep', discountId: 'ten-off-fifty' },
        count: 4,
        amount: 4000,
        threshold: 3,
        window: { from: '2026-11-10T17:00:00.000Z', to: '2026-11-11T17:00:00.000Z' },
        evidence: times.map((t, i) => ({ transactionId: `r-${i}`, at: t.replace('Z', '.000Z'), amount: 1000 })),
        message: "customer 'c-rep' used ten-off-fifty 4 times within 24 h (more than 3; it has no per-customer limit)",
      },
    ]);
    const ids = (await h.store.getRedemption('green-leaf-la', 'r-0'))!.applied.map((a) => a.discountId);
    expect(ids).toContain('save5');
  });

  it('void_cycling: more than 3 voided discounted sales of one customer, and of one terminal, within 24 h', async () => {
    for (let i = 0; i < 4; i++) {
      await sale(`v-${i}`, `2026-11-12T1${i}:00:00Z`, { customer: { id: 'c-void' }, terminalId: 'reg-7' });
      await voidSale(`v-${i}`, `2026-11-12T1${i}:02:00Z`);
    }
    // Voided sales without a discount do not count.
    await sale('v-plain', '2026-11-12T15:00:00Z', { customer: { id: 'c-void' }, terminalId: 'reg-7', lines: [{ id: 'l5', productId: 'lighter', category: 'accessories', unitPrice: 300, quantity: 1, cannabis: false }] });
    await voidSale('v-plain', '2026-11-12T15:01:00Z');
    const body = await report();
    const evidence = (who: 'customerId' | 'terminalId') =>
      [0, 1, 2, 3].map((i) => ({ transactionId: `v-${i}`, at: `2026-11-12T1${i}:00:00.000Z`, voidedAt: `2026-11-12T1${i}:02:00.000Z`, amount: 2199, ...(who === 'customerId' ? { terminalId: 'reg-7' } : { customerId: 'c-void' }) }));
    expect(body.signals).toEqual([
      {
        kind: 'void_cycling',
        subject: { customerId: 'c-void' },
        count: 4,
        amount: 4 * 2199,
        threshold: 3,
        window: { from: '2026-11-12T10:02:00.000Z', to: '2026-11-13T10:02:00.000Z' },
        evidence: evidence('customerId'),
        message: "customer 'c-void' had 4 discounted sales voided within 24 h (more than 3)",
      },
      {
        kind: 'void_cycling',
        subject: { terminalId: 'reg-7' },
        count: 4,
        amount: 4 * 2199,
        threshold: 3,
        window: { from: '2026-11-12T10:02:00.000Z', to: '2026-11-13T10:02:00.000Z' },
        evidence: evidence('terminalId'),
        message: "terminal 'reg-7' had 4 discounted sales voided within 24 h (more than 3)",
      },
    ]);
  });

  it('discount_share: sales discounted more than the threshold share of the subtotal (exactly at it is quiet)', async () => {
    await setAbuse('abuse:\n  discountShare: { percent: 20 }\n');
    await sale('d-demo', '2026-11-15T18:00:00Z', { customer: { id: 'c-1' }, terminalId: 'reg-2' }); // 2199 of 10200
    await sale('d-flower', '2026-11-15T19:00:00Z', { customer: { id: 'c-2' }, lines: FLOWER }); // 700 of 3500: exactly 20%
    await sale('d-void', '2026-11-15T20:00:00Z', {});
    await voidSale('d-void', '2026-11-15T20:01:00Z');
    const body = await report();
    expect(body.thresholds.discountShare).toEqual({ bps: 2000 });
    expect(body.signals).toEqual([
      {
        kind: 'discount_share',
        subject: { terminalId: 'reg-2', customerId: 'c-1', transactionId: 'd-demo' },
        count: 2155,
        amount: 2199,
        threshold: 2000,
        window: { from: '2026-11-01T07:00:00.000Z', to: '2026-12-01T08:00:00.000Z' },
        evidence: [{ transactionId: 'd-demo', at: '2026-11-15T18:00:00.000Z', subtotal: 10200, amount: 2199, customerId: 'c-1', terminalId: 'reg-2' }],
        message: 'sale d-demo was discounted 21.55% of its subtotal (more than 20%)',
      },
    ]);
  });

  it('code_guessing: a key and terminal that reached the limit in one window, from the telemetry', async () => {
    at('2026-11-16T10:05:00Z');
    for (let i = 0; i < 2; i++) await h.request('/v1/evaluate', { method: 'POST', headers: POS, json: demoCart({ terminalId: 'reg-g', codes: Array.from({ length: 10 }, (_, j) => `G${i}${j}`) }) });
    at('2026-11-16T10:40:00Z');
    expect((await h.request('/v1/evaluate', { method: 'POST', headers: POS, json: demoCart({ terminalId: 'reg-g', codes: ['ONE-MORE'] }) })).status).toBe(429);
    await h.service.codeAttempts.flush();
    const body = await report();
    expect(body.signals).toEqual([
      {
        kind: 'code_guessing',
        subject: { keyId: keyIdOf('pos-key-1'), counter: 'terminal', terminalId: 'reg-g' },
        count: 20,
        threshold: 20,
        window: { from: '2026-11-16T10:00:00.000Z', to: '2026-11-16T11:00:00.000Z' },
        evidence: [{ at: '2026-11-16T10:05:00.000Z', lastAt: '2026-11-16T10:05:00.000Z', attempts: 20 }],
        message: `API key ${keyIdOf('pos-key-1')} with terminal 'reg-g' sent 20 unknown promo codes in one 60-minute window (limit 20)`,
      },
    ]);
    // Outside the period: nothing.
    expect((await report('from=2026-11-17&to=2026-11-18')).signals).toEqual([]);
  });

  it('the period: from/to as dates or date-times, window ending at to or now; bad values are 400; pos keys are refused', async () => {
    h.clock.now = Date.parse('2026-11-30T12:00:00Z');
    const get = (q: string, headers = EDITOR) => h.request(`/v1/reports/abuse${q}`, { headers });
    const period = async (q: string) => {
      const b = await (await get(q)).json();
      return [b.from, b.to];
    };
    expect(await period('')).toEqual(['2026-11-23T12:00:00.000Z', '2026-11-30T12:00:00.000Z']);
    expect(await period('?window=24h')).toEqual(['2026-11-29T12:00:00.000Z', '2026-11-30T12:00:00.000Z']);
    expect(await period('?window=90m&to=2026-11-20T10:00:00Z')).toEqual(['2026-11-20T08:30:00.000Z', '2026-11-20T10:00:00.000Z']);
    expect(await period('?from=2026-11-20T16:00:00&to=2026-11-21')).toEqual(['2026-11-21T00:00:00.000Z', '2026-11-21T08:00:00.000Z']);
    expect((await errorOf(await get('?from=yesterday'), 400, 'invalid_request')).details).toEqual([{ path: 'from', message: expect.stringContaining('must be a date') }]);
    expect((await errorOf(await get('?window=1w'), 400, 'invalid_request')).details[0].path).toBe('window');
    expect((await errorOf(await get('?from=2026-11-21&to=2026-11-20'), 400, 'invalid_request')).message).toContain('end after it starts');
    expect((await errorOf(await get('?from=2026-11-21&window=1d'), 400, 'invalid_request')).details[0].path).toBe('window');
    await errorOf(await get('', POS), 403, 'forbidden');
  });
});
