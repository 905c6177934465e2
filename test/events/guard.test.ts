import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressProblem, AllowListError, EMPTY_ALLOW, parseAllowList, urlProblem, type Resolver } from '../../src/events/guard.js';
import { send } from '../../src/events/send.js';

const secret = 'whsec_' + Buffer.alloc(32, 5).toString('base64');

describe('addressProblem', () => {
  const refused = [
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['::ffff:7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['192.0.2.10', 'reserved'],
  ] as const;
  it.each(refused)('refuses %s (%s)', (ip, range) => {
    expect(addressProblem(ip, EMPTY_ALLOW)).toBe(`${ip} is a ${range} address (not listed in DISCOUNTS_WEBHOOKS_ALLOW)`);
  });

  it('accepts global unicast addresses', () => {
    for (const ip of ['1.1.1.1', '93.184.216.34', '100.63.255.255', '100.128.0.0', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(addressProblem(ip, EMPTY_ALLOW)).toBeNull();
  });

  it('lets DISCOUNTS_WEBHOOKS_ALLOW open CIDRs, single addresses and IPv4-mapped forms', () => {
    const allow = parseAllowList(' 127.0.0.1/32, 10.20.0.0/16,fd00::/8 , 192.168.1.7, hooks.internal ');
    expect(addressProblem('127.0.0.1', allow)).toBeNull();
    expect(addressProblem('::ffff:127.0.0.1', allow)).toBeNull();
    expect(addressProblem('127.0.0.2', allow)).toContain('loopback');
    expect(addressProblem('10.20.3.4', allow)).toBeNull();
    expect(addressProblem('10.21.0.1', allow)).toContain('private');
    expect(addressProblem('fd00::5', allow)).toBeNull();
    expect(addressProblem('192.168.1.7', allow)).toBeNull();
    expect(addressProblem('192.168.1.8', allow)).toContain('private');
    expect([...allow.hosts]).toEqual(['hooks.internal']);
    expect(() => parseAllowList('10.0.0.0/33')).toThrow(AllowListError);
    expect(() => parseAllowList('http://x/')).toThrow(AllowListError);
    expect(parseAllowList(undefined)).toBe(EMPTY_ALLOW);
  });

  it('checks the URL: scheme, credentials, literal IPs in any spelling', () => {
    expect(urlProblem(new URL('ftp://example.com/'), EMPTY_ALLOW)).toContain('only http and https');
    expect(urlProblem(new URL('https://a:b@example.com/'), EMPTY_ALLOW)).toContain('user or password');
    expect(urlProblem(new URL('http://2130706433/'), EMPTY_ALLOW)).toContain('loopback');
    expect(urlProblem(new URL('http://0x7f.1/'), EMPTY_ALLOW)).toContain('loopback');
    expect(urlProblem(new URL('http://[::ffff:169.254.169.254]/'), EMPTY_ALLOW)).toContain('linkLocal');
    expect(urlProblem(new URL('https://example.com/'), EMPTY_ALLOW)).toBeNull();
  });
});

describe('the guard at connect time', () => {
  let server: Server;
  let port = 0;
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const resolver = (table: Record<string, string[]>, calls: string[]): Resolver => (host, cb) => {
    calls.push(host);
    const list = table[host];
    if (!list) return cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []);
    cb(null, list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  const out = (url: string) => ({ url, eventId: 'evt_guard', bodyText: '{"a":1}', secrets: [secret] });

  it('refuses a host name that resolves to a private address when connecting', async () => {
    const calls: string[] = [];
    const r = await send(out(`http://hooks.example.com:${port}/in`), { allow: parseAllowList('127.0.0.1/32'), resolver: resolver({ 'hooks.example.com': ['10.0.0.5'] }, calls), now: Date.now });
    expect(calls).toEqual(['hooks.example.com']);
    expect(r).toMatchObject({ statusCode: null, error: 'refused to connect to hooks.example.com: 10.0.0.5 is a private address (not listed in DISCOUNTS_WEBHOOKS_ALLOW)' });
  });

  it('refuses when any of the resolved addresses is refused (a rebinding answer)', async () => {
    const calls: string[] = [];
    const r = await send(out(`http://mixed.example.com:${port}/`), { allow: parseAllowList('127.0.0.1/32'), resolver: resolver({ 'mixed.example.com': ['127.0.0.1', '169.254.169.254'] }, calls), now: Date.now });
    expect(r.error).toContain('169.254.169.254 is a linkLocal address');
    expect(seen).toHaveLength(0);
  });

  it('connects to the address the checked lookup gave, when allowed', async () => {
    const calls: string[] = [];
    const r = await send(out(`http://receiver.test:${port}/ok`), { allow: parseAllowList('127.0.0.1/32'), resolver: resolver({ 'receiver.test': ['127.0.0.1'] }, calls), now: Date.now });
    expect(r).toMatchObject({ statusCode: 204, error: null });
    expect(seen.at(-1)!.headers['webhook-id']).toBe('evt_guard');
    // The same host without the allow list: refused, nothing arrives.
    const before = seen.length;
    const refused = await send(out(`http://receiver.test:${port}/ok`), { allow: EMPTY_ALLOW, resolver: resolver({ 'receiver.test': ['127.0.0.1'] }, calls), now: Date.now });
    expect(refused.error).toContain('127.0.0.1 is a loopback address');
    expect(seen.length).toBe(before);
  });

  it('skips the address check for a host name the allow list names', async () => {
    const r = await send(out(`http://bridge.internal:${port}/`), { allow: parseAllowList('bridge.internal'), resolver: resolver({ 'bridge.internal': ['127.0.0.1'] }, []), now: Date.now });
    expect(r.statusCode).toBe(204);
  });

  it('refuses a literal loopback IP and localhost without the allow list, by the real resolver', async () => {
    expect((await send(out(`http://127.0.0.1:${port}/`), { allow: EMPTY_ALLOW, now: Date.now })).error).toContain('refused: 127.0.0.1 is a loopback address');
    expect((await send(out(`http://localhost:${port}/`), { allow: EMPTY_ALLOW, now: Date.now })).error).toMatch(/refused to connect to localhost: (127\.0\.0\.1|::1) is a loopback address/);
    expect(seen.filter((s) => s.headers['webhook-id'] === 'evt_guard')).toHaveLength(2);
  });
});
