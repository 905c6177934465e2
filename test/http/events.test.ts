// Issue 15 over HTTP: a redemption and a void in a Treez store write their events (what the
// record lists and GET /v1/events shows), the event bodies match their schemas, the admin routes
// (list with cursor and filters, detail with attempts, retry), and /metrics reading the outbox.
// The sender is not here: the test records attempts through the service's outbox as a dispatcher would.

import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookSubscription } from '../../src/events/types.js';
import { ADMIN, errorOf, expectSchema, harness, POS, type Harness } from './helpers.js';

const RULES = {
  'store.yaml': 'store: treez-store\ntimezone: America/Denver\ncurrency: USD\npos: treez\n',
  'vapes-15.yaml': 'id: vapes-15\nname: 15% off vapes\ntype: percentage\nvalue: 15\nappliesTo:\n  categories: [vapes]\nstackable: true\npos: { discountId: TZ-REWARD-15 }\n',
  'three-off.yaml': 'id: three-off\nname: $3 off everything\ntype: fixed\nvalue: 3\nstackable: true\npos: { discountId: TZ-REWARD-3 }\n',
};
const A = 'https://hooks.example.com/pos';
const B = 'https://hooks.example.com/accounting';
const WEBHOOKS: WebhookSubscription[] = [
  { url: A, events: ['pos.reward.trigger', 'pos.reward.reverse', 'redemption.committed', 'redemption.voided'], secretEnv: 'HOOK_POS', secretEnvPrevious: null, expireMinutes: 15 },
  { url: B, events: ['redemption.committed'], secretEnv: 'HOOK_ACCOUNTING', secretEnvPrevious: null, expireMinutes: 15 },
];
const CART = {
  customer: { id: 'cust-7' },
  lines: [
    { id: 'v', productId: 'cart-1g', category: 'vapes', unitPrice: 4000, quantity: 1 },
    { id: 't', productId: 'tincture', category: 'tinctures', unitPrice: 2000, quantity: 1 },
  ],
};

let h: Harness;
afterEach(async () => h?.close());

async function treez(): Promise<Harness> {
  let n = 0;
  h = await harness({ rules: RULES, webhooks: WEBHOOKS, newEventId: () => `evt_${String(++n).padStart(32, '0')}` });
  h.clock.now = Date.parse('2026-11-20T18:00:00.000Z');
  return h;
}
const redeem = (transactionId: string, cart: Record<string, unknown> = CART) => h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId, ...cart } });
const voidIt = (transactionId: string) => h.request(`/v1/redemptions/${transactionId}/void`, { method: 'POST', headers: POS, json: { reason: 'returned' } });
const events = (query = '') => h.request(`/v1/events${query}`, { headers: ADMIN });

describe('events of redemptions and voids', () => {
  it('a redemption in a Treez store lists pos.reward.trigger per reward, then redemption.committed, with bodies as their schemas say', async () => {
    await treez();
    const res = await redeem('tz-1');
    expect(res.status).toBe(201);
    const record = await res.json();
    expectSchema('RedemptionRecord', record);
    expect(record.events.map((e: { type: string; status: string }) => [e.type, e.status])).toEqual([
      ['pos.reward.trigger', 'pending'],
      ['pos.reward.trigger', 'pending'],
      ['redemption.committed', 'pending'],
    ]);

    const triggers = [];
    for (const e of record.events) {
      const detail = await (await h.request(`/v1/events/${e.id}`, { headers: ADMIN })).json();
      expectSchema('Event', detail);
      expect(detail.body.id).toBe(e.id);
      expect(detail.body).toMatchObject({ type: e.type, createdAt: '2026-11-20T18:00:00.000Z', store: 'treez-store', rulesetVersion: record.rulesetVersion });
      if (e.type === 'redemption.committed') {
        expectSchema('RedemptionCommittedEvent', detail.body);
        expect(detail.body.data).toMatchObject({ transactionId: 'tz-1', customerId: 'cust-7', total: record.total, applied: record.applied });
        expect(detail.deliveries.map((d: { url: string }) => d.url)).toEqual([A, B]);
      } else {
        expectSchema('PosRewardTriggerEvent', detail.body);
        expect(detail.deliveries.map((d: { url: string; expiresAt: string }) => [d.url, d.expiresAt])).toEqual([[A, '2026-11-20T18:15:00.000Z']]);
        triggers.push(detail.body.data);
      }
    }
    const applied = Object.fromEntries(record.applied.map((a: { discountId: string; amount: number }) => [a.discountId, a.amount]));
    expect(triggers).toEqual(
      record.applied.map((a: { discountId: string }) => ({
        transactionId: 'tz-1',
        customerId: 'cust-7',
        discountId: a.discountId,
        code: null,
        posSystem: 'treez',
        posDiscountId: a.discountId === 'vapes-15' ? 'TZ-REWARD-15' : 'TZ-REWARD-3',
        amount: applied[a.discountId],
        currency: 'USD',
      })),
    );

    // A replay writes nothing new and shows the same events.
    const replay = await redeem('tz-1');
    expect(replay.status).toBe(200);
    expect((await replay.json()).events).toEqual(record.events);
    expect((await (await events()).json()).events).toHaveLength(3);
  });

  it('a void lists pos.reward.reverse and redemption.voided after the commit events, once; no customer gives customerId null', async () => {
    await treez();
    const { customer: _c, ...anonymous } = CART;
    expect((await redeem('tz-2', anonymous)).status).toBe(201);
    const voided = await (await voidIt('tz-2')).json();
    expectSchema('RedemptionRecord', voided);
    expect(voided.events.map((e: { type: string }) => e.type)).toEqual([
      'pos.reward.trigger',
      'pos.reward.trigger',
      'redemption.committed',
      'pos.reward.reverse',
      'pos.reward.reverse',
      'redemption.voided',
    ]);
    const again = await (await voidIt('tz-2')).json();
    expect(again.events).toEqual(voided.events);
    const reverse = await (await h.request(`/v1/events/${voided.events[3].id}`, { headers: ADMIN })).json();
    expectSchema('PosRewardReverseEvent', reverse.body);
    expect(reverse.body.data).toMatchObject({ transactionId: 'tz-2', customerId: null, posSystem: 'treez' });
    const voidedEvent = await (await h.request(`/v1/events/${voided.events[5].id}`, { headers: ADMIN })).json();
    expectSchema('RedemptionVoidedEvent', voidedEvent.body);
    expect(voidedEvent.deliveries.map((d: { url: string }) => d.url)).toEqual([A]);
    expect((await (await events('?limit=100')).json()).events).toHaveLength(6);
  });

  it('without subscriptions nothing is written and the record lists no events', async () => {
    h = await harness({ rules: RULES });
    h.clock.now = Date.parse('2026-11-20T18:00:00.000Z');
    const record = await (await redeem('tz-3')).json();
    expect(record.events).toEqual([]);
    expect((await (await voidIt('tz-3')).json()).events).toEqual([]);
    expect(await (await events()).json()).toEqual({ events: [], nextCursor: null });
  });
});

describe('GET /v1/events, GET /v1/events/{id}, POST /v1/events/{id}/retry', () => {
  it('pages newest first with an opaque cursor, filters by type and status, and refuses bad queries', async () => {
    await treez();
    for (let i = 0; i < 3; i++) {
      h.clock.now += 1000;
      expect((await redeem(`p-${i}`)).status).toBe(201);
    }
    const all = await (await events('?limit=100')).json();
    expectSchema('EventList', all);
    expect(all.events).toHaveLength(9);
    expect(all.nextCursor).toBeNull();
    // One instant for the events of a redemption: the id decides (descending).
    expect(all.events.slice(0, 3).map((e: { type: string; deliveryCounts: { pending: number } }) => [e.type, e.deliveryCounts.pending])).toEqual([
      ['redemption.committed', 2],
      ['pos.reward.trigger', 1],
      ['pos.reward.trigger', 1],
    ]);
    expect(all.events[0]).toMatchObject({ transactionId: 'p-2', deliveryCounts: { pending: 2, delivered: 0, failed: 0 } });
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: { events: { id: string }[]; nextCursor: string | null } = await (await events(`?limit=4${cursor ? `&cursor=${cursor}` : ''}`)).json();
      expect(page.events.length).toBeLessThanOrEqual(4);
      seen.push(...page.events.map((e) => e.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(all.events.map((e: { id: string }) => e.id));
    const committed = await (await events('?type=redemption.committed')).json();
    expect(committed.events.map((e: { transactionId: string }) => e.transactionId)).toEqual(['p-2', 'p-1', 'p-0']);
    expect((await (await events('?status=failed')).json()).events).toEqual([]);

    await errorOf(await events('?limit=0'), 400, 'invalid_request');
    await errorOf(await events('?limit=101'), 400, 'invalid_request');
    await errorOf(await events('?limit=ten'), 400, 'invalid_request');
    await errorOf(await events('?status=lost'), 400, 'invalid_request');
    await errorOf(await events('?type=order.created'), 400, 'invalid_request');
    await errorOf(await events('?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_request');
    await errorOf(await events('?page=2'), 400, 'invalid_request');
    const both = await errorOf(await events('?status=lost&limit=0'), 400, 'invalid_request');
    expect(both.details.map((d) => d.path)).toEqual(['status', 'limit']);
    await errorOf(await h.request('/v1/events', { headers: POS }), 403, 'forbidden');
    await errorOf(await h.request('/v1/events/evt_x', { headers: POS }), 403, 'forbidden');
    await errorOf(await h.request('/v1/events/evt_unknown', { headers: ADMIN }), 404, 'not_found');
  });

  it('shows attempts, marks the record failed, retries a failed delivery once and refuses a retry with nothing failed', async () => {
    await treez();
    const record = await (await redeem('r-1')).json();
    const trigger = record.events[0].id;
    const now = () => new Date(h.clock.now).toISOString();
    // As the dispatcher would: claim, fail once (retry), then fail for good (410).
    let claimed = (await h.service.outbox.claimDeliveries({ now: now(), leaseMs: 30_000, limit: 10 })).filter((d) => d.eventId === trigger);
    expect(claimed).toHaveLength(1);
    await h.service.outbox.recordAttempt(claimed[0].deliveryId, { at: now(), statusCode: 500, durationMs: 31, error: 'HTTP 500', outcome: 'retry', nextAttemptAt: now() });
    claimed = (await h.service.outbox.claimDeliveries({ now: now(), leaseMs: 30_000, limit: 10 })).filter((d) => d.eventId === trigger);
    await h.service.outbox.recordAttempt(claimed[0].deliveryId, { at: now(), statusCode: 410, durationMs: 7, error: 'HTTP 410', outcome: 'failed', nextAttemptAt: null });

    const detail = await (await h.request(`/v1/events/${trigger}`, { headers: ADMIN })).json();
    expectSchema('Event', detail);
    expect(detail.status).toBe('failed');
    expect(detail.deliveries[0].attempts.map((a: { number: number; statusCode: number; durationMs: number; error: string; outcome: string }) => [a.number, a.statusCode, a.durationMs, a.error, a.outcome])).toEqual([
      [1, 500, 31, 'HTTP 500', 'retry'],
      [2, 410, 7, 'HTTP 410', 'failed'],
    ]);
    expect((await (await h.request('/v1/redemptions/r-1', { headers: POS })).json()).events[0]).toEqual({ id: trigger, type: 'pos.reward.trigger', status: 'failed' });
    expect((await (await events('?status=failed')).json()).events.map((e: { id: string }) => e.id)).toEqual([trigger]);

    const metrics = await (await h.request('/metrics', { headers: ADMIN })).text();
    expect(metrics).toContain('discounts_webhook_attempts_total{type="pos.reward.trigger",outcome="retry"} 1');
    expect(metrics).toContain('discounts_webhook_attempts_total{type="pos.reward.trigger",outcome="failed"} 1');

    h.clock.now += 60_000;
    const retried = await h.request(`/v1/events/${trigger}/retry`, { method: 'POST', headers: ADMIN });
    expect(retried.status).toBe(200);
    const body = await retried.json();
    expectSchema('EventRetryResponse', body);
    expect(body.retried).toBe(1);
    expect(body.event.deliveries[0]).toMatchObject({ status: 'pending', attemptCount: 0, nextAttemptAt: now(), expiresAt: new Date(h.clock.now + 15 * 60_000).toISOString() });
    const error = await errorOf(await h.request(`/v1/events/${trigger}/retry`, { method: 'POST', headers: ADMIN }), 409, 'not_retryable');
    expect(error.message).toBe(`event '${trigger}' has no failed delivery (it is pending); nothing was changed`);
    await errorOf(await h.request('/v1/events/evt_unknown/retry', { method: 'POST', headers: ADMIN }), 404, 'not_found');
    await errorOf(await h.request(`/v1/events/${trigger}/retry`, { method: 'POST', headers: POS }), 403, 'forbidden');
  });

  it('/metrics reads pending deliveries by type and the oldest pending age from the database', async () => {
    await treez();
    await redeem('m-1');
    h.clock.now += 90_000;
    await redeem('m-2');
    const text = await (await h.request('/metrics', { headers: ADMIN })).text();
    expect(text).toContain('discounts_webhook_deliveries_pending{type="pos.reward.trigger"} 4');
    expect(text).toContain('discounts_webhook_deliveries_pending{type="redemption.committed"} 4');
    expect(text).toContain('discounts_webhook_oldest_pending_seconds 90');
    // Delivered everything: no pending series, age 0.
    const at = new Date(h.clock.now).toISOString();
    for (const d of await h.service.outbox.claimDeliveries({ now: at, leaseMs: 30_000, limit: 100 }))
      await h.service.outbox.recordAttempt(d.deliveryId, { at, statusCode: 200, durationMs: 1, error: null, outcome: 'delivered', nextAttemptAt: null });
    for (const d of await h.service.outbox.claimDeliveries({ now: at, leaseMs: 30_000, limit: 100 }))
      await h.service.outbox.recordAttempt(d.deliveryId, { at, statusCode: 200, durationMs: 1, error: null, outcome: 'delivered', nextAttemptAt: null });
    for (const d of await h.service.outbox.claimDeliveries({ now: at, leaseMs: 30_000, limit: 100 }))
      await h.service.outbox.recordAttempt(d.deliveryId, { at, statusCode: 200, durationMs: 1, error: null, outcome: 'delivered', nextAttemptAt: null });
    const after = await (await h.request('/metrics', { headers: ADMIN })).text();
    expect(after.split('\n').filter((l) => l.startsWith('discounts_webhook_deliveries_pending'))).toEqual([]);
    expect(after).toContain('discounts_webhook_oldest_pending_seconds 0');
    expect(after).toContain('discounts_webhook_attempts_total{type="redemption.committed",outcome="delivered"} 4');
  });
});
