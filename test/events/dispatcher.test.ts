import { describe, expect, it } from 'vitest';
import { Dispatcher, DispatcherConfigError, type DispatcherOptions } from '../../src/events/dispatcher.js';
import { EMPTY_ALLOW } from '../../src/events/guard.js';
import type { SendResult } from '../../src/events/retry.js';
import type { Outgoing } from '../../src/events/send.js';
import { FakeClock, FakeOutbox } from './fake-outbox.js';

const T0 = Date.UTC(2026, 11, 2, 1, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const SECRET = 'whsec_' + Buffer.alloc(24, 1).toString('base64');
const ok: SendResult = { statusCode: 200, durationMs: 3, error: null, retryAfterMs: null };
const status = (code: number): SendResult => ({ statusCode: code, durationMs: 3, error: `HTTP ${code}`, retryAfterMs: null });

/** A sender the test answers by hand: each call waits until the test resolves it. */
function manualSender() {
  const calls: { out: Outgoing; at: number; answer: (r: SendResult) => void }[] = [];
  let clock: FakeClock;
  return {
    calls,
    bind(c: FakeClock) {
      clock = c;
    },
    send: (out: Outgoing) => new Promise<SendResult>((answer) => calls.push({ out, at: clock.t, answer })),
  };
}

function setup(options: Partial<DispatcherOptions> = {}, sender?: (out: Outgoing) => Promise<SendResult>) {
  const clock = new FakeClock(T0);
  const outbox = new FakeOutbox();
  const sent: { out: Outgoing; at: number }[] = [];
  const d = new Dispatcher({
    outbox,
    env: { HOOK_SECRET: SECRET },
    allow: EMPTY_ALLOW,
    now: clock.now,
    timers: clock.timers,
    random: () => 0.5,
    leaseMs: 30_000,
    timeoutMs: 5_000,
    pollMs: 1_000,
    send:
      sender ??
      (async (out) => {
        sent.push({ out, at: clock.t });
        return ok;
      }),
    ...options,
  });
  // Time passes a second at a time (the poll interval), each turn running to the end before the next.
  const step = async (ms: number) => {
    for (let left = ms; left > 0; left -= 1_000) {
      clock.advance(Math.min(1_000, left));
      await d.settled();
    }
  };
  return { clock, outbox, d, sent, step };
}

describe('Dispatcher', () => {
  it('delivers every due delivery, one transaction in order, transactions side by side', async () => {
    const order: string[] = [];
    const s = setup({}, async (out) => {
      // When a delivery is sent, every earlier one of its (url, transaction) is done.
      const mine = s.outbox.deliveries.find((x) => x.eventId === out.eventId)!;
      for (const p of s.outbox.deliveries) if (p.transactionId === mine.transactionId && p.url === mine.url && p.seq < mine.seq) expect(p.status).not.toBe('pending');
      order.push(out.eventId);
      return ok;
    });
    for (const [id, tx] of [
      ['a1', 'tx-a'],
      ['a2', 'tx-a'],
      ['a3', 'tx-a'],
      ['b1', 'tx-b'],
      ['b2', 'tx-b'],
    ])
      s.outbox.add({ id, transactionId: tx, createdAt: iso(T0) });
    s.d.start();
    await s.d.settled();
    expect(s.outbox.deliveries.map((x) => x.status)).toEqual(Array(5).fill('delivered'));
    expect(order.filter((e) => e.startsWith('evt_a'))).toEqual(['evt_a1', 'evt_a2', 'evt_a3']);
    expect(order.filter((e) => e.startsWith('evt_b'))).toEqual(['evt_b1', 'evt_b2']);
    // The first of each transaction went out together.
    expect(order.slice(0, 2).sort()).toEqual(['evt_a1', 'evt_b1']);
  });

  it('retries on the schedule with the injected clock: the same event id, about 10 s later', async () => {
    const m = manualSender();
    const { clock, outbox, d, step } = setup({}, m.send);
    m.bind(clock);
    outbox.add({ id: 'r1', transactionId: 'tx', createdAt: iso(T0) });
    d.start();
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(m.calls).toHaveLength(1);
    m.calls[0].answer(status(503));
    await d.settled();
    const del = outbox.get('r1');
    expect(del.log[0]).toMatchObject({ outcome: 'retry', statusCode: 503, nextAttemptAt: iso(T0 + 10_000), at: iso(T0) });
    await step(9_000);
    expect(m.calls).toHaveLength(1);
    clock.advance(1_000); // the poll at T0 + 10 s finds it due
    await new Promise((r) => setImmediate(r));
    expect(m.calls).toHaveLength(2);
    expect(m.calls[1].out.eventId).toBe('evt_r1');
    expect(m.calls[1].at).toBe(T0 + 10_000);
    m.calls[1].answer(ok);
    await d.settled();
    expect(del.status).toBe('delivered');
    expect(del.log.map((a) => a.outcome)).toEqual(['retry', 'delivered']);
    await d.stop();
  });

  it('a 410 fails the delivery at once and the next one of the transaction goes', async () => {
    const answers: SendResult[] = [status(410), ok];
    const { outbox, d } = setup({}, async () => answers.shift()!);
    outbox.add({ id: 'g1', transactionId: 'tx', createdAt: iso(T0) });
    outbox.add({ id: 'g2', transactionId: 'tx', createdAt: iso(T0) });
    d.start();
    await d.settled();
    expect(outbox.get('g1')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(outbox.get('g1').log[0].error).toContain('410 Gone');
    expect(outbox.get('g2').status).toBe('delivered');
    await d.stop();
  });

  it('gives a pos.reward.* delivery its 15 minutes, then fails it; one expired while waiting is not sent', async () => {
    let sends = 0;
    const { outbox, d, step } = setup({}, async () => {
      sends++;
      return { statusCode: null, durationMs: 1, error: 'connect ECONNREFUSED 10.9.9.9:80', retryAfterMs: null };
    });
    outbox.add({ id: 'p1', transactionId: 'tx', eventType: 'pos.reward.trigger', createdAt: iso(T0), expiresAt: iso(T0 + 15 * 60_000) });
    d.start();
    await d.settled();
    for (let i = 0; i < 20; i++) await step(60_000);
    const p1 = outbox.get('p1');
    expect(p1.status).toBe('failed');
    expect(p1.log.map((a) => a.outcome)).toEqual(['retry', 'retry', 'retry', 'failed']);
    expect(p1.log.map((a) => Date.parse(a.at) - T0)).toEqual([0, 10_000, 70_000, 670_000]);
    expect(p1.log.at(-1)!.error).toContain('expired');
    expect(sends).toBe(4);
    outbox.add({ id: 'p2', transactionId: 'tx2', eventType: 'pos.reward.trigger', createdAt: iso(T0), expiresAt: iso(T0 + 15 * 60_000) });
    await step(1_000);
    expect(outbox.get('p2')).toMatchObject({ status: 'failed' });
    expect(outbox.get('p2').log[0]).toMatchObject({ statusCode: null, durationMs: 0, error: `expired at ${iso(T0 + 15 * 60_000)} before it could be sent` });
    expect(sends).toBe(4);
    await d.stop();
  });

  it('reads the secrets at each attempt and retries when one is missing', async () => {
    const seen: Outgoing[] = [];
    const env: Record<string, string | undefined> = { HOOK_SECRET: SECRET };
    const { outbox, d, step } = setup({ env }, async (out) => {
      seen.push(out);
      return ok;
    });
    outbox.add({ id: 's1', transactionId: 'tx', secretEnvPrevious: 'HOOK_SECRET_OLD', createdAt: iso(T0) });
    d.start();
    await d.settled();
    expect(seen).toHaveLength(0);
    expect(outbox.get('s1').log[0]).toMatchObject({ outcome: 'retry', error: 'the environment variable HOOK_SECRET_OLD (the webhook secret) is not set' });
    env.HOOK_SECRET_OLD = 'whsec_' + Buffer.alloc(24, 2).toString('base64');
    await step(11_000);
    expect(seen.map((o) => o.secrets)).toEqual([[SECRET, env.HOOK_SECRET_OLD]]);
    await d.stop();
  });

  it('keeps at most `concurrency` sends in flight', async () => {
    const m = manualSender();
    const { clock, outbox, d } = setup({ concurrency: 3 }, m.send);
    m.bind(clock);
    for (let i = 0; i < 10; i++) outbox.add({ id: `c${String(i).padStart(2, '0')}`, transactionId: `tx${i}`, createdAt: iso(T0) });
    d.start();
    let max = 0;
    for (let answered = 0; answered < 10; ) {
      await new Promise((r) => setImmediate(r));
      max = Math.max(max, d.inFlight);
      const open = m.calls.slice(answered);
      expect(open.length).toBeLessThanOrEqual(3);
      if (open.length) {
        open[0].answer(ok);
        answered++;
      }
    }
    await d.settled();
    expect(max).toBe(3);
    expect(outbox.deliveries.every((x) => x.status === 'delivered')).toBe(true);
    // Claimed in id order (all due at the same instant).
    expect(m.calls.map((c) => c.out.eventId)).toEqual(outbox.deliveries.map((x) => x.eventId));
    await d.stop();
  });

  it('a dispatcher that dies mid-send leaves the lease to lapse; another redelivers with the same id, never while the lease holds', async () => {
    const clock = new FakeClock(T0);
    const outbox = new FakeOutbox();
    outbox.add({ id: 'k1', transactionId: 'tx', createdAt: iso(T0) });
    const common = { outbox, env: { HOOK_SECRET: SECRET }, allow: EMPTY_ALLOW, now: clock.now, timers: clock.timers, random: () => 0.5, leaseMs: 30_000, timeoutMs: 5_000, pollMs: 1_000 };
    const hung: string[] = [];
    const first = new Dispatcher({ ...common, send: (out) => (hung.push(out.eventId), new Promise<SendResult>(() => undefined)) });
    const got: string[] = [];
    const second = new Dispatcher({ ...common, send: async (out) => (got.push(out.eventId), ok) });
    first.start();
    await new Promise((r) => setImmediate(r));
    expect(hung).toEqual(['evt_k1']);
    first.stop(); // never resolves: its send hangs (a killed process)
    second.start();
    for (let i = 0; i < 29; i++) {
      clock.advance(1_000);
      await second.settled();
    }
    expect(got).toEqual([]);
    clock.advance(1_000);
    await second.settled();
    expect(got).toEqual(['evt_k1']);
    expect(outbox.get('k1').status).toBe('delivered');
    await second.stop();
  });

  it('on stop: claims nothing more and waits for the sends in flight to be recorded', async () => {
    const m = manualSender();
    const { clock, outbox, d, step } = setup({}, m.send);
    m.bind(clock);
    outbox.add({ id: 'x1', transactionId: 'tx1', createdAt: iso(T0) });
    d.start();
    await new Promise((r) => setImmediate(r));
    expect(m.calls).toHaveLength(1);
    let stopped = false;
    const stopping = d.stop().then(() => (stopped = true));
    outbox.add({ id: 'x2', transactionId: 'tx2', createdAt: iso(T0) });
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    m.calls[0].answer(ok);
    await stopping;
    const claims = outbox.claims;
    await step(60_000);
    expect(outbox.get('x1').status).toBe('delivered');
    expect(outbox.get('x2').status).toBe('pending');
    expect(outbox.claims).toBe(claims);
    expect(clock.pending).toBe(0);
  });

  it('survives a failed claim (database down) and tries again at the next poll', async () => {
    const errors: string[] = [];
    const { outbox, d, sent, step } = setup({ logger: { info() {}, warn() {}, error: (m) => errors.push(m) } });
    outbox.failNextClaim = new Error('database unavailable');
    outbox.add({ id: 'e1', transactionId: 'tx', createdAt: iso(T0) });
    d.start();
    await d.settled();
    expect(errors).toEqual(['webhook claim failed']);
    expect(sent).toHaveLength(0);
    await step(1_000);
    expect(sent.map((s) => s.out.eventId)).toEqual(['evt_e1']);
    await d.stop();
  });

  it('refuses a lease that is not longer than the timeout', () => {
    const outbox = new FakeOutbox();
    expect(() => new Dispatcher({ outbox, env: {}, allow: EMPTY_ALLOW, now: Date.now, leaseMs: 10_000, timeoutMs: 10_000 })).toThrow(DispatcherConfigError);
    expect(() => new Dispatcher({ outbox, env: {}, allow: EMPTY_ALLOW, now: Date.now, concurrency: 0 })).toThrow(/concurrency/);
    // Options given as undefined (serve without DISCOUNTS_WEBHOOKS_*) keep their defaults.
    expect(() => new Dispatcher({ outbox, env: {}, allow: EMPTY_ALLOW, now: Date.now, leaseMs: undefined, timeoutMs: undefined })).not.toThrow();
  });
});
