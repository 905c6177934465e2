import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowList } from '../../src/events/guard.js';
import { send } from '../../src/events/send.js';

const secret = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const allow = parseAllowList('127.0.0.1/32');
const body = '{"id":"evt_s1","type":"pos.reward.trigger","data":{"posDiscountId":"TZ-1","note":"ünïcödé ✓"}}';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('send', () => {
  let server: Server;
  let base = '';
  let handler: Handler = (_q, res) => res.writeHead(200).end('ok');
  const hits: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const b = Buffer.concat(chunks).toString('utf8');
        hits.push({ path: req.url!, headers: req.headers, body: b });
        handler(req, res, b);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const out = (path = '/in') => ({ url: base + path, eventId: 'evt_s1', bodyText: body, secrets: [secret] });

  it('POSTs the body exactly as stored, signed so that standardwebhooks accepts it', async () => {
    handler = (_q, res) => res.writeHead(202).end();
    const r = await send(out(), { allow, now: Date.now });
    expect(r).toMatchObject({ statusCode: 202, error: null, retryAfterMs: null });
    const hit = hits.at(-1)!;
    expect(hit.body).toBe(body);
    expect(hit.headers['content-type']).toBe('application/json');
    expect(new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>)).toEqual(JSON.parse(body));
  });

  it('renews the timestamp on every attempt (the injected clock)', async () => {
    handler = (_q, res) => res.writeHead(500).end();
    let t = Date.UTC(2026, 11, 2, 1, 0, 0);
    await send(out(), { allow, now: () => t });
    t += 75_000;
    await send(out(), { allow, now: () => t });
    const [a, b] = hits.slice(-2).map((h) => Number(h.headers['webhook-timestamp']));
    expect(b - a).toBe(75);
    expect(hits.at(-1)!.headers['webhook-id']).toBe('evt_s1');
  });

  it('never follows a redirect: a 3xx is a failure', async () => {
    handler = (req, res) => (req.url === '/moved' ? res.writeHead(200).end() : res.writeHead(302, { location: '/moved' }).end());
    const r = await send(out('/in'), { allow, now: Date.now });
    expect(r).toMatchObject({ statusCode: 302, error: 'HTTP 302 (redirects are not followed; Location: /moved)' });
    expect(hits.filter((h) => h.path === '/moved')).toHaveLength(0);
  });

  it('reports the status, a short body and Retry-After', async () => {
    handler = (_q, res) => res.writeHead(503, { 'retry-after': '30' }).end('  busy,\n try later ');
    expect(await send(out(), { allow, now: Date.now })).toMatchObject({ statusCode: 503, error: 'HTTP 503: busy, try later', retryAfterMs: 30_000 });
    handler = (_q, res) => res.writeHead(410).end();
    expect(await send(out(), { allow, now: Date.now })).toMatchObject({ statusCode: 410, error: 'HTTP 410' });
  });

  it('gives up after the timeout on a receiver that hangs', async () => {
    handler = () => undefined; // never answers
    const r = await send(out(), { allow, now: Date.now, timeoutMs: 300 });
    expect(r).toMatchObject({ statusCode: null, error: 'no complete response within 300 ms' });
  });

  it('counts a body that never ends as a timeout, even after a 200 status line', async () => {
    handler = (_q, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    };
    const r = await send(out(), { allow, now: Date.now, timeoutMs: 300 });
    expect(r).toMatchObject({ statusCode: null, error: 'no complete response within 300 ms' });
  });

  it('reports a refused connection and a bad secret without throwing', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await send({ ...out(), url: `http://127.0.0.1:${port}/` }, { allow, now: Date.now });
    expect(r.statusCode).toBeNull();
    expect(r.error).toContain('ECONNREFUSED');
    expect((await send({ ...out(), secrets: ['whsec_short'] }, { allow, now: Date.now })).error).toContain('webhook secret');
    expect((await send({ ...out(), url: 'not a url' }, { allow, now: Date.now })).error).toContain('is not a URL');
  });
});

describe('send to a receiver that cuts the response off', () => {
  it('is not a delivery', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial', () => res.socket!.destroy());
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const r = await send({ url, eventId: 'e', bodyText: '{}', secrets: [secret] }, { allow, now: Date.now });
    await new Promise<void>((r) => server.close(() => r()));
    expect(r).toMatchObject({ statusCode: null, error: 'HTTP 200: the connection closed before the response was complete' });
  });
});
