// The dispatcher over the real outbox (src/store/outbox.ts) on SQLite and PostgreSQL, sending to a
// receiver on 127.0.0.1 with real sockets and timers (short poll, lease and backoff): what a
// redemption writes in its transaction arrives signed, in order per transaction, a failure is
// retried with the same id, and two dispatchers on two PostgreSQL pools ("instances") deliver each
// event once while leases hold. Bounded: every wait has a limit, loopback only.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileRuleset } from '../../src/dsl/compile.js';
import { prepareRuleset } from '../../src/engine/prepare.js';
import { committedEvents, voidedEvents } from '../../src/events/build.js';
import { Dispatcher } from '../../src/events/dispatcher.js';
import { parseAllowList } from '../../src/events/guard.js';
import { randomEventId } from '../../src/events/ids.js';
import type { EventType, WebhookSubscription } from '../../src/events/types.js';
import { openStore } from '../../src/store/open.js';
import type { LedgerStore } from '../../src/store/types.js';
import { cart, redeemInput } from '../store/contract.js';
import { createTestDatabase, describePg, type TestDatabase } from '../store/pg-helpers.js';
import { Receiver, until } from './receiver.js';

const SECRET = 'whsec_' + Buffer.alloc(32, 0x5a).toString('base64');
const ALL: EventType[] = ['pos.reward.reverse', 'pos.reward.trigger', 'redemption.committed', 'redemption.voided'];

const compiled = compileRuleset({
  store: { path: 'store.yaml', text: 'store: contract-store\ntimezone: America/New_York\ncurrency: USD\npos: treez\n' },
  rules: [
    { path: 'flower-10.yaml', text: 'id: flower-10\nname: 10% off flower\ntype: percentage\nvalue: 10\nappliesTo:\n  categories: [flower]\nstackable: true\npos:\n  discountId: TZ-FLOWER-10\n' },
  ],
});
if (!compiled.ruleset) throw new Error(JSON.stringify(compiled.diagnostics));
const rs = prepareRuleset(compiled.ruleset);

function harness() {
  const receiver = new Receiver(SECRET);
  const subs = (): WebhookSubscription[] => [{ url: `${receiver.url}/hooks`, events: ALL, secretEnv: 'HOOK_SECRET', secretEnvPrevious: null, expireMinutes: 15 }];
  const dispatcher = (store: LedgerStore, onAttempt?: () => void) =>
    new Dispatcher({
      onAttempt,
      outbox: store.outbox,
      env: { HOOK_SECRET: SECRET },
      allow: parseAllowList('127.0.0.1/32'),
      now: Date.now,
      leaseMs: 3_000,
      timeoutMs: 1_000,
      pollMs: 30,
      concurrency: 4,
      retry: { delaysMs: [100, 200], jitter: 0.2 },
      logger: process.env.DEBUG_DISPATCH ? { info: (m, f) => console.log(m, f), warn: (m, f) => console.log(m, f), error: (m, f) => console.log(m, f) } : undefined,
    });
  const redeem = async (store: LedgerStore, tx: string) => {
    const o = await store.redeem({ ...redeemInput(rs, tx, cart({ customerId: `c-${tx}` })), now: new Date().toISOString(), events: (c) => committedEvents(c, { store: 'contract-store', subscriptions: subs(), newId: randomEventId }) });
    if (o.kind !== 'committed') throw new Error(o.kind);
    return o.record;
  };
  const voidTx = (store: LedgerStore, tx: string) =>
    store.voidRedemption({
      store: 'contract-store',
      transactionId: tx,
      reason: 'returned',
      now: new Date().toISOString(),
      localDate: '2026-11-20',
      events: (c) => voidedEvents(c, { store: 'contract-store', subscriptions: subs(), newId: randomEventId }),
    });
  return { receiver, dispatcher, redeem, voidTx };
}

function dispatchSuite(name: string, open: () => Promise<{ stores: () => Promise<LedgerStore>; dispose: () => Promise<void> }>) {
  describe(`dispatcher over the outbox: ${name}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c();
    });
    const setup = async () => {
      const h = harness();
      await h.receiver.start();
      cleanup.push(() => h.receiver.stop());
      const db = await open();
      cleanup.push(db.dispose);
      const store = await db.stores();
      cleanup.push(() => store.close());
      return { ...h, db, store };
    };

    it('delivers a Treez redemption: pos.reward.trigger then redemption.committed, signed, with the POS discount ID; a void delivers pos.reward.reverse', async () => {
      const { receiver, dispatcher, redeem, voidTx, store } = await setup();
      const record = await redeem(store, 'tx-1');
      const d = dispatcher(store);
      cleanup.push(() => d.stop());
      d.start();
      await until(() => receiver.received.length >= 2, 'two deliveries');
      expect(receiver.received.map((r) => [r.type, r.verified, r.path])).toEqual([
        ['pos.reward.trigger', true, '/hooks'],
        ['redemption.committed', true, '/hooks'],
      ]);
      const trigger = JSON.parse(receiver.received[0].body);
      expect(trigger.data).toMatchObject({ posSystem: 'treez', posDiscountId: 'TZ-FLOWER-10', transactionId: 'tx-1', customerId: 'c-tx-1', amount: 300 });
      expect(receiver.received.map((r) => r.id)).toEqual(record.events.map((e) => e.id));
      await until(async () => (await store.getRedemption('contract-store', 'tx-1'))!.events.every((e) => e.status === 'delivered'), 'delivered status on the record');
      await voidTx(store, 'tx-1');
      await until(() => receiver.received.length >= 4, 'the void events');
      expect(receiver.received.slice(2).map((r) => [r.type, r.verified])).toEqual([
        ['pos.reward.reverse', true],
        ['redemption.voided', true],
      ]);
      expect(JSON.parse(receiver.received[2].body).data.posDiscountId).toBe('TZ-FLOWER-10');
    });

    it('a receiver that fails once still gets the event, with the same id, and the order per transaction holds', async () => {
      const { receiver, dispatcher, redeem, store } = await setup();
      const failed = new Set<string>();
      receiver.answer = (r) => (failed.has(r.id) ? 204 : (failed.add(r.id), 503));
      for (const tx of ['tx-a', 'tx-b', 'tx-c']) await redeem(store, tx);
      const d = dispatcher(store);
      cleanup.push(() => d.stop());
      d.start();
      await until(() => receiver.received.length >= 12, 'every event twice');
      await d.stop();
      for (const tx of ['tx-a', 'tx-b', 'tx-c']) {
        const mine = receiver.received.filter((r) => r.transactionId === tx);
        // trigger (503), trigger again (204), then committed (503), committed (204): never committed before the trigger is done.
        expect(mine.map((r) => r.type)).toEqual(['pos.reward.trigger', 'pos.reward.trigger', 'redemption.committed', 'redemption.committed']);
        expect(mine[0].id).toBe(mine[1].id);
        expect(mine[2].id).toBe(mine[3].id);
        expect(mine.every((r) => r.verified)).toBe(true);
        // The timestamp is the attempt's: the retry's is not older than the first's.
        expect(Number(mine[1].headers['webhook-timestamp'])).toBeGreaterThanOrEqual(Number(mine[0].headers['webhook-timestamp']));
      }
      const detail = await store.outbox.getEvent('contract-store', receiver.received[0].id);
      expect(detail!.deliveries[0].attempts.map((a) => [a.statusCode, a.outcome])).toEqual([
        [503, 'retry'],
        [204, 'delivered'],
      ]);
    });
  });
}

dispatchSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-'));
  return { stores: () => openStore({ path: join(dir, 'ledger.db') }), dispose: async () => rmSync(dir, { recursive: true, force: true }) };
});

describePg('dispatcher over the outbox on PostgreSQL', () => {
  dispatchSuite('PostgreSQL', async () => {
    const db = await createTestDatabase();
    return { stores: () => openStore({ url: db.url }), dispose: () => db.drop() };
  });

  describe('two instances', () => {
    let db: TestDatabase | null = null;
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanup.splice(0).reverse()) await c();
      await db?.drop();
      db = null;
    });

    it('deliver each event once while leases hold, and in order per transaction', async () => {
      const h = harness();
      await h.receiver.start();
      cleanup.push(() => h.receiver.stop());
      db = await createTestDatabase();
      const one = await openStore({ url: db.url });
      cleanup.push(() => one.close());
      const two = await openStore({ url: db.url });
      cleanup.push(() => two.close());
      const txs = Array.from({ length: 20 }, (_, i) => `tx-${String(i).padStart(2, '0')}`);
      // Half the redemptions through each instance, then both dispatch.
      for (const [i, tx] of txs.entries()) await h.redeem(i % 2 ? one : two, tx);
      const by = [0, 0];
      const d1 = h.dispatcher(one, () => by[0]++);
      const d2 = h.dispatcher(two, () => by[1]++);
      cleanup.push(() => d1.stop(), () => d2.stop());
      d1.start();
      d2.start();
      await until(() => h.receiver.received.length >= 40, '40 deliveries', 30_000);
      await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show, were there one
      await Promise.all([d1.stop(), d2.stop()]);
      const ids = h.receiver.ids();
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
      for (const tx of txs) expect(h.receiver.received.filter((r) => r.transactionId === tx).map((r) => r.type)).toEqual(['pos.reward.trigger', 'redemption.committed']);
      expect(h.receiver.received.every((r) => r.verified)).toBe(true);
      // Both instances sent, and every delivery was recorded once.
      expect(by[0] + by[1]).toBe(40);
      expect(Math.min(...by)).toBeGreaterThan(0);
    });
  });
});
