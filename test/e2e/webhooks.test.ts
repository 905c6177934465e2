// Webhooks end to end (issue 15): the real service (startService in this process, or `discounts
// serve` as a child process) on 127.0.0.1, a receiver on 127.0.0.1, DISCOUNTS_WEBHOOKS_ALLOW=
// 127.0.0.1/32, and short poll, lease, timeout and backoff. Every wait is bounded; the clock of the
// in-process service is injected, so "3 days later" is a jump, not a wait.

import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resolveWebhookConfig } from '../../src/events/config.js';
import { startService, type RunningService } from '../../src/main.js';
import { Receiver, until } from '../events/receiver.js';
import { killAll, startServe, type ServerProcess } from '../http/process.js';
import { createTestDatabase, describePg } from '../store/pg-helpers.js';
import { ROOT } from '../http/helpers.js';

const SECRET = 'whsec_' + Buffer.alloc(32, 0x42).toString('base64');
const FAST = {
  DISCOUNTS_WEBHOOKS_ALLOW: '127.0.0.1/32',
  DISCOUNTS_WEBHOOKS_POLL_MS: '50',
  DISCOUNTS_WEBHOOKS_TIMEOUT_MS: '1000',
  DISCOUNTS_WEBHOOKS_LEASE_MS: '2000',
  DISCOUNTS_WEBHOOKS_BACKOFF_MS: '200,400',
  HOOK_SECRET: SECRET,
};

/** A Treez store whose rules trigger a POS reward, subscribed to every event type at `url`. */
function rulesDir(url: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hooks-e2e-'));
  const rules = join(dir, 'rules');
  cpSync(join(ROOT, 'test', 'cases', 'eval-pos-trigger-reward', 'rules'), rules, { recursive: true });
  writeFileSync(
    join(rules, 'store.yaml'),
    [
      'store: treez-store',
      'timezone: America/Los_Angeles',
      'currency: USD',
      'pos: treez',
      'webhooks:',
      `  - url: ${url}/hooks`,
      '    events: [redemption.committed, redemption.voided, pos.reward.trigger, pos.reward.reverse]',
      '    secretEnv: HOOK_SECRET',
      '',
    ].join('\n'),
  );
  return dir;
}

const sale = (transactionId: string, at = new Date().toISOString()) => ({
  transactionId,
  at,
  customer: { id: `cust-${transactionId}` },
  lines: [{ id: 'l1', productId: 'p-1', category: 'flower', unitPrice: 4000, quantity: 1 }],
});

async function post(base: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}
const get = async (base: string, path: string) => (await fetch(base + path)).json() as Promise<any>;

describe('webhooks end to end (in-process service, injected clock)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function setup(extra: Record<string, string> = {}) {
    const receiver = new Receiver(SECRET);
    await receiver.start();
    cleanup.push(() => receiver.stop());
    const dir = rulesDir(receiver.url);
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const clock = { offset: 0 };
    const env = { ...FAST, ...extra };
    const running: RunningService = await startService(
      { rulesDir: join(dir, 'rules'), rulesDisplay: 'rules', dbPath: join(dir, 'ledger.db'), port: 0, host: '127.0.0.1', keys: [], logLevel: 'silent', env, webhooks: resolveWebhookConfig(env) },
      { stderr: () => undefined, log: () => undefined, now: () => Date.now() + clock.offset },
    );
    cleanup.push(() => running.close());
    return { receiver, running, clock, base: running.url };
  }

  it('a Treez redemption delivers pos.reward.trigger and redemption.committed, signed, with the POS discount ID; a void delivers pos.reward.reverse', async () => {
    // A poll far longer than the test: the redemption and the void wake the dispatcher themselves.
    const { receiver, base } = await setup({ DISCOUNTS_WEBHOOKS_POLL_MS: '600000' });
    const r = await post(base, '/v1/redemptions', sale('tz-1'));
    expect(r.status).toBe(201);
    const applied = r.json.applied.filter((a: any) => a.pos?.action === 'trigger-reward');
    expect(applied.length).toBeGreaterThan(0);
    await until(() => receiver.received.length >= 1 + applied.length, 'the commit events');
    expect(receiver.received.every((x) => x.verified)).toBe(true);
    expect(receiver.received.map((x) => x.type)).toEqual([...applied.map(() => 'pos.reward.trigger'), 'redemption.committed']);
    const triggers = receiver.received.filter((x) => x.type === 'pos.reward.trigger').map((x) => JSON.parse(x.body));
    expect(triggers.map((t) => t.data.posDiscountId)).toEqual(applied.map((a: any) => a.pos.discountId));
    expect(triggers[0]).toMatchObject({ store: 'treez-store', data: { posSystem: 'treez', transactionId: 'tz-1', customerId: 'cust-tz-1', amount: applied[0].amount } });
    // The ids the record lists are the ids that arrived, and the record shows them delivered.
    await until(async () => (await get(base, '/v1/redemptions/tz-1')).events.every((e: any) => e.status === 'delivered'), 'delivered on the record');
    expect((await get(base, '/v1/redemptions/tz-1')).events.map((e: any) => e.id)).toEqual(receiver.ids());

    const v = await post(base, '/v1/redemptions/tz-1/void', { reason: 'returned' });
    expect(v.status).toBe(200);
    await until(() => receiver.ids('redemption.voided').length === 1, 'the void events');
    const reverse = receiver.received.filter((x) => x.type === 'pos.reward.reverse');
    expect(reverse.map((x) => JSON.parse(x.body).data.posDiscountId)).toEqual(applied.map((a: any) => a.pos.discountId));
    expect(reverse.every((x) => x.verified)).toBe(true);
    // A repeated void and an idempotent replay emit nothing.
    await post(base, '/v1/redemptions/tz-1/void', { reason: 'returned' });
    await new Promise((res) => setTimeout(res, 300));
    expect(receiver.received).toHaveLength(2 * (1 + applied.length));
  });

  it('a receiver that fails once still gets the event, with the same id', async () => {
    const { receiver, base } = await setup();
    const seen = new Set<string>();
    receiver.answer = (x) => (seen.has(x.id) ? 204 : (seen.add(x.id), 500));
    await post(base, '/v1/redemptions', sale('tz-2'));
    await until(() => receiver.ids('redemption.committed').length === 2, 'the committed event twice');
    const committed = receiver.received.filter((x) => x.type === 'redemption.committed');
    expect(committed[0].id).toBe(committed[1].id);
    expect(committed[0].body).toBe(committed[1].body);
    expect(committed.every((x) => x.verified)).toBe(true);
    const detail = await get(base, `/v1/events/${committed[0].id}`);
    expect(detail.deliveries[0].attempts.map((a: any) => [a.statusCode, a.outcome])).toEqual([
      [500, 'retry'],
      [204, 'delivered'],
    ]);
  });

  it('an unreachable receiver ends failed when the event expires; POST /v1/events/{id}/retry delivers it once the receiver is back', async () => {
    const { receiver, base, clock } = await setup();
    const port = receiver.port;
    await receiver.stop();
    await post(base, '/v1/redemptions', sale('tz-3'));
    const record = await get(base, '/v1/redemptions/tz-3');
    const committedId = record.events.find((e: any) => e.type === 'redemption.committed').id;
    // The transaction's first event (the POS trigger) is tried; the others wait for it, in order.
    const firstId = record.events[0].id;
    expect(record.events[0].type).toBe('pos.reward.trigger');
    await until(async () => (await get(base, `/v1/events/${firstId}`)).deliveries[0].attempts.length >= 2, 'attempts against the closed port');
    expect((await get(base, `/v1/events/${firstId}`)).deliveries[0].attempts[0].error).toContain('ECONNREFUSED');
    expect((await get(base, `/v1/events/${committedId}`)).deliveries[0].attempts).toEqual([]);
    // Three days pass (the injected clock): the delivery is failed on its next attempt.
    clock.offset = 3 * 24 * 3_600_000 + 60_000;
    await until(async () => (await get(base, '/v1/redemptions/tz-3')).events.every((e: any) => e.status === 'failed'), 'every event failed');
    expect((await get(base, `/v1/events?status=failed`)).events.map((e: any) => e.id)).toContain(committedId);
    await receiver.start(port);
    const retried = await post(base, `/v1/events/${committedId}/retry`);
    expect(retried.status).toBe(200);
    await until(() => receiver.ids('redemption.committed').includes(committedId), 'the retried event');
    // Signed for this attempt, at the service's (jumped) clock: the timestamp is renewed on every
    // attempt, so standardwebhooks' 5-minute tolerance refuses it against the real clock here, and the
    // signature is the library's own for that timestamp.
    const got = receiver.received.find((x) => x.id === committedId)!;
    const ts = Number(got.headers['webhook-timestamp']);
    expect(ts).toBeGreaterThanOrEqual(Math.floor((Date.now() + clock.offset) / 1000) - 60);
    expect(got.headers['webhook-signature']).toBe(new Webhook(SECRET).sign(committedId, new Date(ts * 1000), got.body));
    await until(async () => (await get(base, `/v1/events/${committedId}`)).status === 'delivered', 'delivered after the retry');
  });
});

describe('webhooks end to end (server processes)', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  afterAll(() => killAll());

  it('a server killed with kill -9 while the receiver hangs redelivers after restart: every committed redemption has its events, same ids', async () => {
    const receiver = new Receiver(SECRET);
    await receiver.start();
    cleanup.push(() => receiver.stop());
    const dir = rulesDir(receiver.url);
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const args = ['--rules', join(dir, 'rules'), '--db', join(dir, 'ledger.db')];
    const env = { ...FAST, DISCOUNTS_LOG_LEVEL: 'warn' };
    receiver.answer = () => 'hang';
    const first: ServerProcess = await startServe(args, env);
    const ids: string[] = [];
    for (const tx of ['k-1', 'k-2', 'k-3']) {
      const r = await post(first.url, '/v1/redemptions', sale(tx));
      expect(r.status).toBe(201);
      ids.push(...r.json.events.map((e: any) => e.id));
    }
    await until(() => receiver.received.length >= 1, 'a delivery in flight');
    const inFlight = receiver.ids();
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    receiver.release(); // answers nobody: the sender is gone
    receiver.answer = () => 204;
    const second = await startServe(args, env);
    cleanup.push(async () => void (await second.stop()));
    await until(() => ids.every((id) => receiver.ids().includes(id)), 'every event of every committed redemption', 30_000);
    // The one that was in flight came again with the same id (a duplicate the receiver dedupes by id).
    for (const id of inFlight) expect(receiver.ids().filter((x) => x === id).length).toBeGreaterThanOrEqual(2);
    expect(receiver.received.every((x) => x.verified)).toBe(true);
    // In order per transaction: for each, its events arrived (first time) in the order the record lists them.
    for (const tx of ['k-1', 'k-2', 'k-3']) {
      const listed = (await get(second.url, `/v1/redemptions/${tx}`)).events.map((e: any) => e.id);
      const firstSeen = [...new Set(receiver.ids().filter((id) => listed.includes(id)))];
      expect(firstSeen).toEqual(listed);
    }
    expect(await second.stop()).toBe(0);
  });
});

describePg('webhooks end to end on PostgreSQL (two server processes)', () => {
  afterAll(() => killAll());

  it('two instances deliver each event once per lease, in order per transaction', async () => {
    const receiver = new Receiver(SECRET);
    await receiver.start();
    const dir = rulesDir(receiver.url);
    const db = await createTestDatabase();
    try {
      const args = ['--rules', join(dir, 'rules'), '--db', db.url];
      const env = { ...FAST, DISCOUNTS_LOG_LEVEL: 'warn' };
      const [a, b] = [await startServe(args, env), await startServe(args, env)];
      const txs = Array.from({ length: 12 }, (_, i) => `pg-${i}`);
      const listed = new Map<string, string[]>();
      await Promise.all(
        txs.map(async (tx, i) => {
          const r = await post((i % 2 ? a : b).url, '/v1/redemptions', sale(tx));
          expect(r.status).toBe(201);
          listed.set(tx, r.json.events.map((e: any) => e.id));
        }),
      );
      const all = [...listed.values()].flat();
      await until(() => all.every((id) => receiver.ids().includes(id)), 'every event', 30_000);
      await new Promise((r) => setTimeout(r, 500)); // room for a duplicate to show, were there one
      expect(receiver.ids().sort()).toEqual([...all].sort());
      for (const tx of txs) expect(receiver.ids().filter((id) => listed.get(tx)!.includes(id))).toEqual(listed.get(tx));
      expect(receiver.received.every((x) => x.verified)).toBe(true);
      expect(await a.stop()).toBe(0);
      expect(await b.stop()).toBe(0);
    } finally {
      await receiver.stop();
      rmSync(dir, { recursive: true, force: true });
      killAll();
      await db.drop();
    }
  });
});
