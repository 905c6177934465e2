// The code-guessing throttle over app.request with an injected clock: only UNKNOWN_CODE attempts
// count, per API key and terminal (else customer, else the key alone) and per key in total; past
// the limit requests with codes get 429 rate_limited with Retry-After to the window's end, requests
// without codes never do; the counts are telemetry shared through the database, never the ledger.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createService } from '../../src/http/app.js';
import { keyIdOf } from '../../src/http/auth.js';
import { memoryLogger } from '../../src/http/logger.js';
import { loadServedRuleset, RulesetHolder } from '../../src/http/ruleset.js';
import { openStore } from '../../src/store/open.js';
import { demoCart, errorOf, FRIDAY_HAPPY_HOUR, harness, KEYS, POS, type Harness, type Res } from './helpers.js';

const POS2 = { Authorization: 'Bearer pos-key-2' };
let h: Harness;
beforeEach(async () => {
  h = await harness({ keys: [...KEYS, { scope: 'pos', key: 'pos-key-2' }] });
});
afterEach(async () => {
  await h.service.close();
  await h.close();
});

const evaluate = (over: Record<string, unknown>, headers: Record<string, string> = POS) => h.request('/v1/evaluate', { method: 'POST', headers, json: demoCart(over) });
const guess = (n: number, over: Record<string, unknown> = {}, headers: Record<string, string> = POS) =>
  evaluate({ codes: Array.from({ length: n }, (_, i) => `NOPE${i}`), ...over }, headers);
const rateLimited = async (res: Res, retryAfter: number) => {
  const e = await errorOf(res, 429, 'rate_limited');
  expect(res.headers.get('retry-after')).toBe(String(retryAfter));
  return e;
};
// 16:30 in Los Angeles = 00:30 UTC: the hour window ends at 01:00 UTC, 1800 s away.
const TO_WINDOW_END = 1800;

describe('the code-guessing throttle', () => {
  it('after 20 unknown codes from one key and terminal, requests with codes get 429; without codes the sale goes on', async () => {
    for (let i = 0; i < 10; i++) expect((await guess(2, { terminalId: 'reg-1' })).status).toBe(200);
    const refused = await guess(1, { terminalId: 'reg-1' });
    const e = await rateLimited(refused, TO_WINDOW_END);
    expect(e.message).toContain("terminal 'reg-1': 20 in this 60-minute window (limit 20)");
    // A valid code from that terminal is refused too; a cart without codes is priced.
    await rateLimited(await evaluate({ terminalId: 'reg-1', codes: ['SAVE5'] }), TO_WINDOW_END);
    const plain = await evaluate({ terminalId: 'reg-1', codes: [] });
    expect(plain.status).toBe(200);
    expect((await evaluate({ terminalId: 'reg-1', codes: undefined })).status).toBe(200);
    // Another terminal of the same key, and another key on the same terminal, are not throttled.
    expect((await guess(1, { terminalId: 'reg-2' })).status).toBe(200);
    expect((await guess(1, { terminalId: 'reg-1' }, POS2)).status).toBe(200);
    // Ten minutes before the window ends, Retry-After says 600; in the next window it is allowed again.
    h.clock.now = Date.parse('2026-11-21T00:50:00Z');
    await rateLimited(await guess(1, { terminalId: 'reg-1' }), 600);
    h.clock.now = Date.parse('2026-11-21T01:00:00Z');
    expect((await guess(1, { terminalId: 'reg-1' })).status).toBe(200);
  });

  it('19 unknown codes are not enough, and only UNKNOWN_CODE counts (valid, duplicate and expired codes do not)', async () => {
    writeFileSync(join(h.rulesDir, 'old.yaml'), 'id: old\nname: Old\ntype: fixed\nvalue: 1\ncode: OLD\nschedule:\n  end: 2026-01-01\n');
    expect((await h.service.reload('http')).ok).toBe(true);
    for (let i = 0; i < 30; i++) {
      const res = await evaluate({ terminalId: 'reg-1', codes: ['SAVE5', 'save5', 'OLD'] });
      expect(res.status).toBe(200);
      const reasons = (await res.json()).rejected.map((r: { reason: string }) => r.reason).sort();
      expect(reasons.filter((r: string) => r.endsWith('CODE') || r === 'EXPIRED')).toEqual(['DUPLICATE_CODE', 'EXPIRED']);
    }
    expect((await guess(10, { terminalId: 'reg-1' })).status).toBe(200);
    expect((await guess(9, { terminalId: 'reg-1' })).status).toBe(200);
    expect((await evaluate({ terminalId: 'reg-1', codes: ['SAVE5'] })).status).toBe(200);
    expect((await guess(1, { terminalId: 'reg-1' })).status).toBe(200);
    await rateLimited(await evaluate({ terminalId: 'reg-1', codes: ['SAVE5'] }), TO_WINDOW_END);
  });

  it('rotating terminalId does not escape: 60 per key whatever the terminal', async () => {
    for (let t = 0; t < 6; t++) for (let i = 0; i < 2; i++) expect((await guess(5, { terminalId: `reg-${t}` })).status).toBe(200);
    const e = await rateLimited(await guess(1, { terminalId: 'reg-new' }), TO_WINDOW_END);
    expect(e.message).toContain('from this API key: 60');
    expect((await evaluate({ terminalId: 'reg-new', codes: [] })).status).toBe(200);
    expect((await guess(1, { terminalId: 'reg-new' }, POS2)).status).toBe(200);
  });

  it('without a terminal the customer is the subject, without either the key alone', async () => {
    expect((await guess(10, { customer: { id: 'c-1' } })).status).toBe(200);
    expect((await guess(10, { customer: { id: 'c-1' } })).status).toBe(200);
    await rateLimited(await guess(1, { customer: { id: 'c-1' } }), TO_WINDOW_END);
    expect((await guess(1, { customer: { id: 'c-2' } })).status).toBe(200);
    // A terminal takes precedence over the customer.
    expect((await guess(1, { customer: { id: 'c-1' }, terminalId: 'reg-9' })).status).toBe(200);
    expect((await guess(10, { customer: undefined })).status).toBe(200);
    expect((await guess(10, { customer: undefined })).status).toBe(200);
    await rateLimited(await guess(1, { customer: undefined }), TO_WINDOW_END);
  });

  it('abuse.throttle: false counts but never refuses; the limits come from the store policy', async () => {
    const store = join(h.rulesDir, 'store.yaml');
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(store, 'utf8');
    writeFileSync(store, text + 'abuse:\n  throttle: false\n');
    expect((await h.service.reload('http')).ok).toBe(true);
    for (let i = 0; i < 5; i++) expect((await guess(10, { terminalId: 'reg-1' })).status).toBe(200);
    writeFileSync(store, text + 'abuse:\n  codeGuessing: { perTerminal: 3, windowMinutes: 15 }\n');
    expect((await h.service.reload('http')).ok).toBe(true);
    expect((await guess(3, { terminalId: 'reg-1' })).status).toBe(200);
    // 00:30 UTC is the start of a 15-minute window: 900 s to its end.
    await rateLimited(await guess(1, { terminalId: 'reg-1' }), 900);
  });

  it('redeem counts unknown codes and is throttled like evaluate; a replay is still answered; nothing of a refused sale is stored', async () => {
    const sale = (id: string, codes: string[]) => ({ transactionId: id, ...demoCart({ terminalId: 'reg-1', codes }) });
    const redeem = (body: unknown) => h.request('/v1/redemptions', { method: 'POST', headers: POS, json: body });
    const first = sale('t-1', ['SAVE5', ...Array.from({ length: 9 }, (_, i) => `BAD${i}`)]);
    expect((await redeem(first)).status).toBe(201);
    expect((await guess(10, { terminalId: 'reg-1' })).status).toBe(200);
    expect((await redeem(sale('t-1b', ['BAD']))).status).toBe(201);
    await rateLimited(await redeem(sale('t-2', ['SAVE5'])), TO_WINDOW_END);
    expect(await h.store.getRedemption('green-leaf-la', 't-2')).toBeNull();
    const replay = await redeem(first);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replay')).toBe('true');
    expect((await redeem(sale('t-3', []))).status).toBe(201);
  });

  it('is telemetry in its own table, flushed in batches, keyed by an id derived from the key; evaluate writes no usage', async () => {
    for (let i = 0; i < 3; i++) await guess(2, { terminalId: 'reg-1' });
    expect(await h.store.usageTotals('green-leaf-la')).toEqual([]);
    const abuse = h.store.abuse();
    const window = '2026-11-21T00:00:00.000Z';
    const keyId = keyIdOf('pos-key-1');
    expect(keyId).not.toContain('pos-key-1');
    expect(keyId).toMatch(/^key-[0-9a-f]{16}$/);
    // Nothing written yet (a batch waits); the flush writes both counters at once.
    expect(await abuse.listCodeAttempts('green-leaf-la', window, '2026-11-22T00:00:00.000Z', 0)).toEqual([]);
    await h.service.codeAttempts.flush();
    const rows = await abuse.listCodeAttempts('green-leaf-la', window, '2026-11-22T00:00:00.000Z', 0);
    expect(rows).toEqual([
      { store: 'green-leaf-la', keyId, subjectKind: 'key', subject: '', windowStart: window, attempts: 6, firstAt: '2026-11-21T00:30:00.000Z', lastAt: '2026-11-21T00:30:00.000Z' },
      { store: 'green-leaf-la', keyId, subjectKind: 'terminal', subject: 'reg-1', windowStart: window, attempts: 6, firstAt: '2026-11-21T00:30:00.000Z', lastAt: '2026-11-21T00:30:00.000Z' },
    ]);
    h.clock.now += 60_000;
    await guess(1, { terminalId: 'reg-1' });
    await h.service.close();
    const after = await abuse.listCodeAttempts('green-leaf-la', window, '2026-11-22T00:00:00.000Z', 0);
    expect(after.map((r) => [r.subjectKind, r.attempts, r.firstAt, r.lastAt])).toEqual([
      ['key', 7, '2026-11-21T00:30:00.000Z', '2026-11-21T00:31:00.000Z'],
      ['terminal', 7, '2026-11-21T00:30:00.000Z', '2026-11-21T00:31:00.000Z'],
    ]);
  });

  it('is shared by instances through the database (counts read back after the cache expires)', async () => {
    const other = await openStore({ path: h.dbPath });
    const loaded = await loadServedRuleset(h.rulesDir, 'rules');
    if (!loaded.ok) throw new Error(loaded.message);
    const clock = { now: FRIDAY_HAPPY_HOUR };
    const b = createService({ rulesets: new RulesetHolder(loaded.ruleset, { dir: h.rulesDir, displayDir: 'rules' }), store: other, now: () => clock.now, keys: KEYS, logger: memoryLogger() });
    const onB = (n: number) => Promise.resolve(b.app.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'application/json' }, body: JSON.stringify(demoCart({ terminalId: 'reg-1', codes: Array.from({ length: n }, (_, i) => `X${i}`) })) }));
    try {
      expect((await onB(1)).status).toBe(200); // B has read the (empty) count now
      expect((await guess(10, { terminalId: 'reg-1' })).status).toBe(200);
      expect((await guess(9, { terminalId: 'reg-1' })).status).toBe(200);
      await h.service.codeAttempts.flush();
      // Within B's cache B still counts its own 1 only; once the cache expires it reads 20.
      expect((await onB(0)).status).toBe(200);
      clock.now += 2000;
      const res = await onB(1);
      expect(res.status).toBe(429);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('20 in this 60-minute window');
    } finally {
      await b.close();
      await other.close();
    }
  });
});
