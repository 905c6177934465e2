// POST /v1/evaluate through app.request(): pricing equals the engine's, usage comes from the
// ledger, a ledger outage answers with limitsChecked: false, and every kind of bad body is refused
// with its status before anything is priced.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/engine/evaluate.js';
import type { EvaluateRequest } from '../../src/domain/types.js';
import { canonicalJson, parseJsonSafe } from '../../src/http/body.js';
import { demoCart, errorOf, expectSchema, FRIDAY_HAPPY_HOUR, harness, LIMITED_RULE, POS, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await harness({ extraRules: { 'limited.yaml': LIMITED_RULE } });
});
afterEach(async () => h.close());

const post = (json: unknown, headers: Record<string, string> = POS) => h.request('/v1/evaluate', { method: 'POST', headers, json });

describe('POST /v1/evaluate', () => {
  it('prices the cart exactly as the engine does, at the request`s at or the server clock', async () => {
    const cart = demoCart();
    const res = await post(cart);
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema('EvaluateResponse', body);
    expect(body).toEqual(evaluate(h.rulesets.current!.prepared, cart as unknown as EvaluateRequest, { now: FRIDAY_HAPPY_HOUR }));
    expect(body.limitsChecked).toBeUndefined();
    expect(body.applied.map((a: { discountId: string }) => a.discountId)).toContain('happy-hour-prerolls');
    // After happy hour by the server clock, but the cart says 16:30.
    h.clock.now = Date.parse('2026-11-20T19:00:00-08:00');
    const late = await (await post(cart)).json();
    expect(late.applied.map((a: { discountId: string }) => a.discountId)).not.toContain('happy-hour-prerolls');
    const at = await (await post({ ...cart, at: '2026-11-20T16:30:00' })).json();
    expect(at).toEqual(body);
  });

  it('reads usage from the ledger and never writes it', async () => {
    const cart = demoCart({ codes: ['LIMITED'], customer: { id: 'a' } });
    const first = await (await post(cart)).json();
    expect(first.applied.map((a: { discountId: string }) => a.discountId)).toContain('limited');
    for (let i = 0; i < 3; i++) await post(cart);
    expect(await h.store.usageTotals('green-leaf-la')).toEqual([]);
    for (const [id, customer] of [['t1', 'a'], ['t2', 'b']]) {
      const r = await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: id, ...demoCart({ codes: ['LIMITED'], customer: { id: customer } }) } });
      expect(r.status).toBe(201);
    }
    const after = await (await post(demoCart({ codes: ['LIMITED'], customer: { id: 'c' } }))).json();
    expect(after.rejected).toContainEqual(expect.objectContaining({ discountId: 'limited', reason: 'USAGE_LIMIT_REACHED' }));
  });

  it('answers from the rules with usage 0 and limitsChecked: false when the ledger cannot be read', async () => {
    for (const [id, customer] of [['t1', 'a'], ['t2', 'b']])
      await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: id, ...demoCart({ codes: ['LIMITED'], customer: { id: customer } }) } });
    h.store.failing.add('readUsage');
    const res = await post(demoCart({ codes: ['LIMITED'], customer: { id: 'c' } }));
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema('EvaluateResponse', body);
    expect(body.limitsChecked).toBe(false);
    expect(body.applied.map((a: { discountId: string }) => a.discountId)).toContain('limited');
    expect(h.logs.lines.some((l) => l.level === 'warn' && String(l.msg).includes('ledger unavailable'))).toBe(true);
  });

  it('400 invalid_request: malformed JSON, an empty body, a schema error with field paths', async () => {
    let e = await errorOf(await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'application/json' }, body: '{"lines": [' }), 400, 'invalid_request');
    expect(e.details[0].path).toBe('');
    e = await errorOf(await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'application/json' }, body: '' }), 400, 'invalid_request');
    e = await errorOf(await post([1, 2]), 400, 'invalid_request');
    const bad = demoCart();
    (bad.lines as Record<string, unknown>[])[1].unitPrice = -5;
    (bad.lines as Record<string, unknown>[])[3].id = 'l1';
    e = await errorOf(await post({ ...bad, colour: 'red' }), 400, 'invalid_request');
    expect(e.details.map((d) => d.path)).toEqual(['/colour', '/lines/1/unitPrice']);
    expect(e.details[0].message).toContain("unknown property 'colour'");
    // Duplicate line ids are reported once the shape is right.
    const dup = demoCart();
    (dup.lines as Record<string, unknown>[])[3].id = 'l1';
    e = await errorOf(await post(dup), 400, 'invalid_request');
    expect(e.details).toEqual([{ path: '/lines/3/id', message: expect.stringContaining("'l1'") }]);
    e = await errorOf(await post({ ...demoCart(), at: '2026-02-30T10:00:00' }), 400, 'invalid_request');
    expect(e.details[0].path).toBe('/at');
  });

  it('400 for bytes that are not UTF-8', async () => {
    const bytes = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    await errorOf(await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'application/json' }, body: bytes }), 400, 'invalid_request');
  });

  it('413 payload_too_large from Content-Length, before reading', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const res = await h.request('/v1/evaluate', {
      method: 'POST',
      headers: { ...POS, 'content-type': 'application/json', 'content-length': String(5 * 1024 * 1024) },
      body,
      duplex: 'half',
    } as RequestInit);
    await errorOf(res, 413, 'payload_too_large');
    expect(pulled).toBeLessThanOrEqual(2);
  });

  it('413 payload_too_large for a streamed body, stopping as soon as it passes 1 MiB', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 160) controller.close(); // 10 MiB
        else controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const res = await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    await errorOf(res, 413, 'payload_too_large');
    expect(pulled).toBeLessThan(24); // 1 MiB = 16 chunks, plus what the stream buffers ahead
  });

  it('a body of just under 1 MiB is read (and refused for its shape, not its size)', async () => {
    const text = JSON.stringify({ ...demoCart(), pad: 'x'.repeat(1024 * 1024 - 2000) });
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
    const e = await errorOf(await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'application/json' }, body: text }), 400, 'invalid_request');
    expect(e.details.map((d) => d.path)).toEqual(['/pad']);
  });

  it('415 unsupported_media_type for a body that is not declared JSON', async () => {
    const body = JSON.stringify(demoCart());
    await errorOf(await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'text/plain' }, body }), 415, 'unsupported_media_type');
    await errorOf(await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }), 415, 'unsupported_media_type');
    const ok = await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'application/json; charset=utf-8' }, body });
    expect(ok.status).toBe(200);
  });

  it('__proto__, constructor and prototype keys are inert, for this request and later ones', async () => {
    const clean = await (await post(demoCart())).json();
    const cart = JSON.stringify(demoCart());
    const poisoned = cart
      .replace('{', '{"__proto__":{"polluted":true,"explain":true},"constructor":{"prototype":{"polluted":true}},')
      .replace('"tier":"silver"', '"tier":"silver","__proto__":{"tier":"gold"},"\\u005f_proto__":{"id":"x"},"prototype":{"tier":"gold"}')
      .replace('"unitPrice":3500', '"unitPrice":3500,"__proto__":{"unitPrice":1}');
    expect(poisoned).not.toBe(cart);
    const res = await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'content-type': 'application/json' }, body: poisoned });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual(clean);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).tier).toBeUndefined();
    expect(await (await post(demoCart())).json()).toEqual(clean);
    // Redemptions too: the stored request is the inert one, and a replay of either body matches.
    const tx = JSON.stringify({ transactionId: 'p1', ...demoCart() }).replace('{', '{"__proto__":{"expectedTotal":1},');
    const r1 = await h.request('/v1/redemptions', { method: 'POST', headers: { ...POS, 'content-type': 'application/json' }, body: tx });
    expect(r1.status).toBe(201);
    const r2 = await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: 'p1', ...demoCart() } });
    expect(r2.status).toBe(200);
  });

  it('parseJsonSafe drops the keys at any depth, also when spelled with escapes', () => {
    const v = parseJsonSafe('{"a":{"__proto__":{"x":1},"b":[{"constructor":1,"c":2}]},"\\u0070rototype":3}') as Record<string, unknown>;
    expect(v).toEqual({ a: { b: [{ c: 2 }] } });
    expect(Object.getPrototypeOf(v.a)).toBe(Object.prototype);
  });

  it('canonical JSON ignores key order only', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: null }], e: 'x' })).toBe('{"a":[{"c":null,"d":2}],"b":1,"e":"x"}');
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it('X-Request-Id is echoed when well-formed, generated otherwise, and logged', async () => {
    const res = await post(demoCart(), { ...POS, 'X-Request-Id': 'pos-7:abc' });
    expect(res.headers.get('x-request-id')).toBe('pos-7:abc');
    const gen = await post(demoCart(), { ...POS, 'X-Request-Id': 'bad id with spaces' });
    expect(gen.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const line = h.logs.lines.find((l) => l.requestId === 'pos-7:abc')!;
    expect(line).toMatchObject({ level: 'info', msg: 'request', method: 'POST', route: '/v1/evaluate', status: 200 });
    expect(typeof line.durationMs).toBe('number');
    const all = JSON.stringify(h.logs.lines);
    expect(all).not.toContain('pos-key-1');
    expect(all).not.toContain('blue-dream');
  });
});
