import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { SecretError, signHeaders, signature } from '../../src/events/sign.js';

const secret = 'whsec_' + Buffer.from('0123456789abcdefghijklmnopqrstuv').toString('base64');
const previous = 'whsec_' + Buffer.alloc(24, 0xab).toString('base64');
const body = '{"id":"evt_1","type":"redemption.committed","data":{"amount":150,"note":"é ✓"}}';

describe('signHeaders', () => {
  it('is verified by the standardwebhooks package, with the body exactly as sent', () => {
    const now = Date.now();
    const h = signHeaders([secret], 'evt_1', now, body);
    expect(h['webhook-id']).toBe('evt_1');
    expect(h['webhook-timestamp']).toBe(String(Math.floor(now / 1000)));
    expect(new Webhook(secret).verify(body, { ...h })).toEqual(JSON.parse(body));
    // One byte changed, another id or another secret: refused.
    expect(() => new Webhook(secret).verify(body.replace('150', '151'), { ...h })).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...h, 'webhook-id': 'evt_2' })).toThrow();
    expect(() => new Webhook(previous).verify(body, { ...h })).toThrow();
  });

  it('signs with both secrets during a rotation, space-separated; each verifies', () => {
    const now = Date.now();
    const h = signHeaders([secret, previous], 'evt_9', now, body);
    const parts = h['webhook-signature'].split(' ');
    expect(parts).toHaveLength(2);
    for (const p of parts) expect(p).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(() => new Webhook(secret).verify(body, { ...h })).not.toThrow();
    expect(() => new Webhook(previous).verify(body, { ...h })).not.toThrow();
  });

  it('matches the library signature and uses integer seconds of the attempt time', () => {
    const at = Date.UTC(2026, 11, 2, 1, 2, 3, 987);
    const h = signHeaders([secret], 'evt_1', at, body);
    expect(h['webhook-timestamp']).toBe(String(Math.floor(at / 1000)));
    expect(h['webhook-signature']).toBe(new Webhook(secret).sign('evt_1', new Date(Math.floor(at / 1000) * 1000), body));
    expect(signHeaders([secret], 'evt_1', at + 60_000, body)['webhook-timestamp']).toBe(String(Math.floor(at / 1000) + 60));
    // Another timestamp: still the library's HMAC-SHA256 over "id.timestamp.body" with the decoded key.
    expect(signature(secret, 'evt_1', 1700000000, body)).toBe(new Webhook(secret).sign('evt_1', new Date(1700000000_000), body));
  });

  it('refuses a malformed secret or none', () => {
    expect(() => signHeaders(['whsec_c2hvcnQ='], 'e', 0, body)).toThrow(SecretError);
    expect(() => signHeaders(['nope'], 'e', 0, body)).toThrow(SecretError);
    expect(() => signHeaders([], 'e', 0, body)).toThrow(SecretError);
  });
});
