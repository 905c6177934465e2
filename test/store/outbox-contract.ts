// The outbox half of the store contract (issue 15), run by sqlite.test.ts and postgres.test.ts on
// the same harnesses as the ledger contract: events and deliveries written in the ledger
// transaction (or not at all), the claim's order per (subscription, transaction), leases, two
// claimers, attempts, retry, and the admin reads.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { committedEvents, voidedEvents } from '../../src/events/build.js';
import type { ClaimedDelivery, EventType, WebhookSubscription } from '../../src/events/types.js';
import type { EventsBuilder, LedgerStore, RedemptionRecord, VoidInput } from '../../src/store/types.js';
import { TABLES } from '../../src/store/schema.js';
import { cart, contractRuleset, redeemInput, type StoreHarness } from './contract.js';

const ALL: EventType[] = ['redemption.committed', 'redemption.voided', 'pos.reward.trigger', 'pos.reward.reverse'];
const A = 'http://127.0.0.1:9/a';
const B = 'http://127.0.0.1:9/b';
const SUBS: WebhookSubscription[] = [
  { url: A, events: ALL, secretEnv: 'HOOK_A', secretEnvPrevious: null, expireMinutes: 15 },
  { url: B, events: ['redemption.committed'], secretEnv: 'HOOK_B', secretEnvPrevious: 'HOOK_B_OLD', expireMinutes: 15 },
];
const NOW = '2026-11-20T16:30:01.000Z';
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

async function snapshot(h: StoreHarness): Promise<string> {
  const all: Record<string, unknown> = {};
  for (const t of TABLES) all[t] = await h.rows(t);
  return JSON.stringify(all);
}

export function outboxContract(name: string, factory: () => Promise<StoreHarness>): void {
  describe(`Outbox contract: ${name}`, () => {
    const rs = contractRuleset();
    let h: StoreHarness;
    let store: LedgerStore;
    const opened: LedgerStore[] = [];
    let n = 0;
    const newId = () => `evt_${String(++n).padStart(32, '0')}`;
    const onCommit =
      (subscriptions = SUBS, storeId = 'contract-store'): EventsBuilder =>
      (c) =>
        committedEvents(c, { store: storeId, subscriptions, newId });
    const onVoid =
      (subscriptions = SUBS, storeId = 'contract-store'): EventsBuilder =>
      (c) =>
        voidedEvents(c, { store: storeId, subscriptions, newId });
    const open = async () => {
      const s = await h.open();
      opened.push(s);
      return s;
    };
    const redeem = async (s: LedgerStore, tx: string, options: { events?: EventsBuilder; storeId?: string } = {}): Promise<RedemptionRecord> => {
      const input = { ...redeemInput(rs, tx, cart(), { store: options.storeId }), events: options.events ?? onCommit(SUBS, options.storeId) };
      const o = await s.redeem(input);
      if (o.kind !== 'committed') throw new Error(`expected committed, got ${o.kind}`);
      return o.record;
    };
    const voidInput = (tx: string, extra: Partial<VoidInput> = {}): VoidInput => ({
      store: 'contract-store',
      transactionId: tx,
      reason: 'returned',
      now: '2026-11-20T17:00:00.000Z',
      localDate: '2026-11-20',
      events: onVoid(),
      ...extra,
    });
    const delivered = (at: string) => ({ at, statusCode: 204, durationMs: 12, error: null, outcome: 'delivered' as const, nextAttemptAt: null });
    const claim = (s: LedgerStore, now: string, limit = 100, leaseMs = 30_000) => s.outbox.claimDeliveries({ now, leaseMs, limit });
    const ids = (c: ClaimedDelivery[]) => c.map((d) => d.deliveryId).sort();

    beforeEach(async () => {
      n = 0;
      h = await factory();
      store = await open();
    });
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await h.dispose();
    });

    it('writes the events and one delivery per subscription with the redemption, and lists them on the record', async () => {
      const record = await redeem(store, 't-1');
      expect(record.events).toEqual([{ id: `evt_${'1'.padStart(32, '0')}`, type: 'redemption.committed', status: 'pending' }]);
      expect(Object.keys(record).at(-1)).toBe('events');
      expect(JSON.stringify(await store.getRedemption('contract-store', 't-1'))).toBe(JSON.stringify(record));

      const [event] = await h.rows('events');
      expect(event).toMatchObject({ id: record.events[0].id, store: 'contract-store', transaction_id: 't-1', type: 'redemption.committed', created_at: NOW, status: 'pending' });
      expect(Number(event.seq)).toBe(0);
      const body = JSON.parse(String(event.body));
      expect(Object.keys(body)).toEqual(['id', 'type', 'createdAt', 'store', 'rulesetVersion', 'data']);
      expect(body).toMatchObject({ id: record.events[0].id, type: 'redemption.committed', createdAt: NOW, store: 'contract-store', rulesetVersion: rs.version });
      expect(body.data).toMatchObject({ transactionId: 't-1', customerId: null, total: record.total, applied: record.applied });

      const deliveries = await h.rows('deliveries');
      expect(deliveries.map((d) => [d.url, d.secret_env, d.secret_env_previous, d.status, Number(d.attempts), d.next_attempt_at, d.expires_at, d.lease_until]).sort()).toEqual(
        [
          [A, 'HOOK_A', null, 'pending', 0, NOW, '2026-11-23T16:30:01.000Z', null],
          [B, 'HOOK_B', 'HOOK_B_OLD', 'pending', 0, NOW, '2026-11-23T16:30:01.000Z', null],
        ].sort(),
      );
      expect(await h.rows('attempts')).toEqual([]);
    });

    it('writes no event for a replay, a conflict, a changed price or a repeated void; a void adds its own after the commit', async () => {
      const record = await redeem(store, 't-1');
      const before = await snapshot(h);
      const replay = await store.redeem({ ...redeemInput(rs, 't-1', cart()), events: onCommit() });
      expect(replay.kind).toBe('replay');
      expect(replay.kind === 'replay' && replay.record.events).toEqual(record.events);
      expect((await store.redeem({ ...redeemInput(rs, 't-1', cart({ codes: ['FREE'] })), events: onCommit() })).kind).toBe('conflict');
      expect((await store.redeem({ ...redeemInput(rs, 't-2', cart(), { expectedTotal: 1 }), events: onCommit() })).kind).toBe('price_changed');
      expect(await snapshot(h)).toBe(before);

      const voided = (await store.voidRedemption(voidInput('t-1')))!;
      expect(voided.events.map((e) => e.type)).toEqual(['redemption.committed', 'redemption.voided']);
      const afterVoid = await snapshot(h);
      const again = (await store.voidRedemption(voidInput('t-1', { reason: 'again', now: '2026-11-21T00:00:00.000Z' })))!;
      expect(JSON.stringify(again)).toBe(JSON.stringify(voided));
      expect(await snapshot(h)).toBe(afterVoid);
      const concurrent = await Promise.all(Array.from({ length: 4 }, () => store.voidRedemption(voidInput('t-1'))));
      for (const r of concurrent) expect(JSON.stringify(r)).toBe(JSON.stringify(voided));
      expect(await snapshot(h)).toBe(afterVoid);

      const events = (await h.rows('events')).sort((a, b) => Number(a.seq) - Number(b.seq));
      expect(events.map((e) => [e.type, Number(e.seq), e.created_at])).toEqual([
        ['redemption.committed', 0, NOW],
        ['redemption.voided', 1, '2026-11-20T17:00:00.000Z'],
      ]);
      expect(JSON.parse(String(events[1].body)).data).toMatchObject({ transactionId: 't-1', voidReason: 'returned', voidDate: '2026-11-20', voidedAt: '2026-11-20T17:00:00.000Z' });
      // Only subscription A wants redemption.voided.
      expect((await h.rows('deliveries')).filter((d) => d.event_id === events[1].id).map((d) => d.url)).toEqual([A]);
    });

    it('writes nothing when the redemption rolls back: a builder that throws, pricing that throws, a busy database', async () => {
      const boom = new Error('builder bug');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) =>
          redeem(store, `x-${i}`, {
            events:
              i === 3
                ? () => {
                    throw boom;
                  }
                : undefined,
          }),
        ),
      );
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((outcomes[3] as PromiseRejectedResult).reason).toBe(boom);
      const txs = (await h.rows('redemptions')).map((r) => r.transaction_id).sort();
      expect(txs).toEqual(['x-0', 'x-1', 'x-2', 'x-4', 'x-5']);
      expect([...new Set((await h.rows('events')).map((e) => e.transaction_id))].sort()).toEqual(txs);

      const before = await snapshot(h);
      const failing = { ...redeemInput(rs, 'y-1', cart(), { price: () => { throw new Error('pricing bug'); } }), events: onCommit() };
      await expect(store.redeem(failing)).rejects.toThrow('pricing bug');
      const busy = await h.open({ busyTimeoutMs: 100 });
      opened.push(busy);
      const release = await h.holdWriteLock();
      try {
        await expect(redeem(busy, 'y-2')).rejects.toMatchObject({ code: 'unavailable' });
        await expect(busy.voidRedemption(voidInput('x-0'))).rejects.toMatchObject({ code: 'unavailable' });
      } finally {
        await release();
      }
      expect(await snapshot(h)).toBe(before);
    });

    it('under a usage limit race every committed redemption has exactly its own events', async () => {
      const records = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(store, `c-${i}`)));
      expect(records.filter((r) => r.applied.some((a) => a.discountId === 'flower-10'))).toHaveLength(5);
      const events = await h.rows('events');
      expect(events).toHaveLength(20);
      expect(events.map((e) => e.id).sort()).toEqual(records.flatMap((r) => r.events.map((e) => e.id)).sort());
      for (const r of records) {
        const e = events.find((x) => x.id === r.events[0].id)!;
        expect(e.transaction_id).toBe(r.transactionId);
        expect(JSON.parse(String(e.body)).data.total).toBe(r.total);
      }
      expect(await h.rows('deliveries')).toHaveLength(40);
    });

    it('claims a delivery only when the earlier ones of its (subscription, transaction) are delivered or failed', async () => {
      // Two events per change to A: the builder emits extra ones to have an order to keep.
      const twice: EventsBuilder = (c) => [...committedEvents(c, { store: 'contract-store', subscriptions: [SUBS[0]], newId }), ...committedEvents(c, { store: 'contract-store', subscriptions: [SUBS[0]], newId })];
      await redeem(store, 't-1', { events: twice });
      await redeem(store, 't-2', { events: twice });
      await store.voidRedemption(voidInput('t-1', { events: onVoid([SUBS[0]]) }));
      const rows = await h.rows('deliveries');
      const of = (tx: string, seq: number) => String(rows.find((d) => d.transaction_id === tx && Number(d.seq) === seq)!.id);
      const at = '2026-11-20T18:00:00.000Z';

      let got = await claim(store, at);
      expect(ids(got)).toEqual([of('t-1', 0), of('t-2', 0)].sort());
      const first = got.find((d) => d.transactionId === 't-1')!;
      expect(first).toMatchObject({ eventType: 'redemption.committed', url: A, secretEnv: 'HOOK_A', secretEnvPrevious: null, attempts: 0, createdAt: NOW, leaseUntil: plus(at, 30_000) });
      expect(JSON.parse(first.bodyText).id).toBe(first.eventId);
      expect(await claim(store, at)).toEqual([]);

      // A retry keeps the next one waiting; a delivered or failed one lets it go.
      await store.outbox.recordAttempt(of('t-1', 0), { at, statusCode: 500, durationMs: 3, error: 'HTTP 500', outcome: 'retry', nextAttemptAt: plus(at, 10_000) });
      expect(await claim(store, plus(at, 5_000))).toEqual([]);
      got = await claim(store, plus(at, 10_000));
      expect(ids(got)).toEqual([of('t-1', 0)]);
      expect(got[0].attempts).toBe(1);
      await store.outbox.recordAttempt(of('t-1', 0), delivered(plus(at, 10_000)));
      await store.outbox.recordAttempt(of('t-2', 0), { at, statusCode: 410, durationMs: 3, error: 'HTTP 410', outcome: 'failed', nextAttemptAt: null });
      got = await claim(store, plus(at, 11_000));
      expect(ids(got)).toEqual([of('t-1', 1), of('t-2', 1)].sort());
      for (const d of got) await store.outbox.recordAttempt(d.deliveryId, delivered(plus(at, 11_000)));
      got = await claim(store, plus(at, 12_000));
      expect(got.map((d) => d.eventType)).toEqual(['redemption.voided']);
      await store.outbox.recordAttempt(got[0].deliveryId, delivered(plus(at, 12_000)));
      expect(await claim(store, plus(at, 13_000))).toEqual([]);
      expect((await h.rows('deliveries')).map((d) => d.status).sort()).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'failed']);
    });

    it('hands a delivery out again only after its lease lapsed, and a lapsed claim does not overrule the newer one', async () => {
      await redeem(store, 't-1', { events: onCommit([SUBS[0]]) });
      const at = '2026-11-20T18:00:00.000Z';
      const [d] = await claim(store, at, 10, 5_000);
      expect(await claim(store, plus(at, 4_999), 10, 5_000)).toEqual([]);
      const [again] = await claim(store, plus(at, 5_000), 10, 5_000);
      expect(again.deliveryId).toBe(d.deliveryId);
      expect(again.leaseUntil).toBe(plus(at, 10_000));
      // The first claim reports a failure late: recorded, but the newer claim keeps the delivery.
      await store.outbox.recordAttempt(d.deliveryId, { at, statusCode: null, durationMs: 5000, error: 'timeout', outcome: 'retry', nextAttemptAt: plus(at, 60_000), leaseUntil: d.leaseUntil });
      let [row] = await h.rows('deliveries');
      expect([row.status, row.lease_until, row.next_attempt_at]).toEqual(['pending', plus(at, 10_000), NOW]);
      await store.outbox.recordAttempt(again.deliveryId, { ...delivered(plus(at, 6_000)), leaseUntil: again.leaseUntil });
      [row] = await h.rows('deliveries');
      expect([row.status, row.lease_until, Number(row.attempts), Number(row.last_status_code)]).toEqual(['delivered', null, 2, 204]);
      expect((await h.rows('attempts')).map((a) => [Number(a.number), a.outcome, a.status_code === null ? null : Number(a.status_code), a.error])).toEqual([
        [1, 'retry', null, 'timeout'],
        [2, 'delivered', 204, null],
      ]);
      expect((await store.getRedemption('contract-store', 't-1'))!.events[0].status).toBe('delivered');
    });

    it('two claimers never get the same delivery while its lease holds', async () => {
      // PostgreSQL: two pools (two instances). SQLite: one process holds one connection (a second
      // one in the same process would wait on the first synchronously), so the concurrent claims
      // share it; across processes BEGIN IMMEDIATE serialises the claims the same way.
      const other = store.dialect === 'postgres' ? await open() : store;
      for (let i = 0; i < 12; i++) await redeem(store, `t-${i}`);
      const at = '2026-11-20T18:00:00.000Z';
      const rounds = await Promise.all([claim(store, at, 5), claim(other, at, 5), claim(store, at, 5), claim(other, at, 5), claim(store, at, 5), claim(other, at, 5)]);
      const all = rounds.flatMap(ids);
      expect(new Set(all).size).toBe(all.length);
      const rest = [...(await claim(store, at)), ...(await claim(other, at))];
      expect(new Set([...all, ...ids(rest)]).size).toBe(24);
      expect(all.length + rest.length).toBe(24);
    });

    it('summarises an event by its deliveries; retry makes the failed ones pending with a fresh window', async () => {
      const record = await redeem(store, 't-1');
      const id = record.events[0].id;
      const at = '2026-11-20T18:00:00.000Z';
      const [d1, d2] = (await claim(store, at)).sort((a, b) => (a.url < b.url ? -1 : 1));
      await store.outbox.recordAttempt(d1.deliveryId, delivered(at));
      expect((await store.outbox.getEvent('contract-store', id))!.status).toBe('pending');
      expect((await store.outbox.retryEvent('contract-store', id, at)).kind).toBe('not_failed');
      await store.outbox.recordAttempt(d2.deliveryId, { at, statusCode: 503, durationMs: 40, error: 'HTTP 503', outcome: 'failed', nextAttemptAt: null });
      const failed = (await store.outbox.getEvent('contract-store', id))!;
      expect(failed.status).toBe('failed');
      expect(failed.deliveryCounts).toEqual({ pending: 0, delivered: 1, failed: 1 });
      expect(failed.body).toEqual(JSON.parse(String((await h.rows('events'))[0].body)));
      expect(failed.deliveries.map((d) => [d.url, d.status, d.attemptCount, d.lastStatusCode, d.attempts.map((a) => [a.statusCode, a.durationMs, a.error])])).toEqual([
        [A, 'delivered', 1, 204, [[204, 12, null]]],
        [B, 'failed', 1, 503, [[503, 40, 'HTTP 503']]],
      ]);
      expect((await store.getRedemption('contract-store', 't-1'))!.events[0].status).toBe('failed');

      const later = '2026-11-25T00:00:00.000Z';
      const retried = await store.outbox.retryEvent('contract-store', id, later);
      expect(retried.kind).toBe('retried');
      if (retried.kind !== 'retried') return;
      expect(retried.deliveries).toBe(1);
      expect(retried.event.status).toBe('pending');
      const b = retried.event.deliveries.find((d) => d.url === B)!;
      expect([b.status, b.attemptCount, b.nextAttemptAt, b.expiresAt, b.attempts.length]).toEqual(['pending', 0, later, '2026-11-28T00:00:00.000Z', 1]);
      const [c] = await claim(store, later);
      expect([c.deliveryId, c.attempts]).toEqual([d2.deliveryId, 0]);
      await store.outbox.recordAttempt(c.deliveryId, delivered(later));
      expect((await store.outbox.getEvent('contract-store', id))!.deliveries[1].attempts.map((a) => a.number)).toEqual([1, 2]);
      expect((await store.outbox.getEvent('contract-store', id))!.status).toBe('delivered');
      expect(await store.outbox.retryEvent('other-store', id, later)).toEqual({ kind: 'not_found' });
      expect(await store.outbox.retryEvent('contract-store', 'evt_missing', later)).toEqual({ kind: 'not_found' });
      expect(await store.outbox.getEvent('other-store', id)).toBeNull();
    });

    it('lists events newest first in a total order, page by page, filtered by status and type, per store', async () => {
      const ats = ['2026-11-20T16:30:01.000Z', '2026-11-20T16:30:02.000Z', '2026-11-20T16:30:02.000Z', '2026-11-20T16:30:03.000Z'];
      for (const [i, now] of ats.entries()) {
        const o = await store.redeem({ ...redeemInput(rs, `t-${i}`, cart()), now, events: onCommit([SUBS[0]]) });
        expect(o.kind).toBe('committed');
      }
      await redeem(store, 'elsewhere', { storeId: 'store-b', events: onCommit([SUBS[0]], 'store-b') });
      await store.voidRedemption(voidInput('t-0', { now: '2026-11-20T16:30:02.000Z' }));
      const all = (await store.outbox.listEvents({ store: 'contract-store', limit: 100 })).events;
      expect(all).toHaveLength(5);
      const keys = all.map((e) => [e.createdAt, e.id]);
      expect(keys).toEqual([...keys].sort((a, b) => (a[0] !== b[0] ? (a[0] < b[0] ? 1 : -1) : a[1] < b[1] ? 1 : -1)));
      expect(all[0]).toMatchObject({ createdAt: '2026-11-20T16:30:03.000Z', transactionId: 't-3', type: 'redemption.committed', status: 'pending', rulesetVersion: rs.version, deliveryCounts: { pending: 1, delivered: 0, failed: 0 } });

      const paged: string[] = [];
      let after: { createdAt: string; id: string } | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.outbox.listEvents({ store: 'contract-store', limit: 2, after });
        paged.push(...page.events.map((e) => e.id));
        if (!page.next) break;
        after = page.next;
      }
      expect(paged).toEqual(all.map((e) => e.id));

      expect((await store.outbox.listEvents({ store: 'contract-store', type: 'redemption.voided', limit: 10 })).events.map((e) => e.transactionId)).toEqual(['t-0']);
      const [d] = (await claim(store, '2026-11-21T00:00:00.000Z')).filter((x) => x.transactionId === 't-2');
      await store.outbox.recordAttempt(d.deliveryId, { at: '2026-11-21T00:00:00.000Z', statusCode: 410, durationMs: 1, error: 'gone', outcome: 'failed', nextAttemptAt: null });
      expect((await store.outbox.listEvents({ store: 'contract-store', status: 'failed', limit: 10 })).events.map((e) => e.transactionId)).toEqual(['t-2']);
      expect((await store.outbox.listEvents({ store: 'contract-store', status: 'pending', limit: 10 })).events).toHaveLength(4);
      expect((await store.outbox.listEvents({ store: 'store-b', limit: 10 })).events.map((e) => e.transactionId)).toEqual(['elsewhere']);

      const stats = await store.outbox.stats();
      expect(stats).toEqual({
        pendingByType: [
          { type: 'redemption.committed', count: 4 },
          { type: 'redemption.voided', count: 1 },
        ],
        oldestPendingCreatedAt: '2026-11-20T16:30:01.000Z',
      });
    });
  });
}
