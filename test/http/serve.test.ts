// `discounts serve` as a real process: configuration from flags and environment, refusals to
// start (exit 2), SIGHUP reload, graceful SIGTERM with a request in flight.

import { mkdtempSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServeConfig } from '../../src/cli/serve.js';
import { startService } from '../../src/main.js';
import { request as httpRequest } from 'node:http';
import { demoCart, ROOT } from './helpers.js';
import { killAll, runServe, startServe } from './process.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'discounts-serve-'));
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
});
afterAll(() => {
  killAll();
  rmSync(dir, { recursive: true, force: true });
});

describe('resolveServeConfig', () => {
  it('flags win over the environment, which wins over the defaults', () => {
    const env = { DISCOUNTS_RULES: 'r2', DISCOUNTS_DB: 'x.db', DISCOUNTS_PORT: '9000', DISCOUNTS_HOST: '0.0.0.0', DISCOUNTS_LOG_LEVEL: 'warn', DISCOUNTS_API_KEYS: 'pos:k1,admin:k3' };
    const c = resolveServeConfig({ rules: 'r1', port: '9001' }, env, '/srv');
    expect(c).toMatchObject({ rulesDir: '/srv/r1', rulesDisplay: 'r1', dbPath: '/srv/x.db', port: 9001, host: '0.0.0.0', logLevel: 'warn' });
    expect(c.keys).toEqual([{ scope: 'pos', key: 'k1' }, { scope: 'admin', key: 'k3' }]);
    expect(resolveServeConfig({}, {}, '/srv')).toMatchObject({ rulesDir: '/srv/rules', dbPath: '/srv/data/discounts.db', port: 8080, host: '127.0.0.1', logLevel: 'info', keys: [] });
  });

  it('reads DISCOUNTS_API_KEYS_FILE and refuses bad values', () => {
    const file = join(dir, 'keys.txt');
    writeFileSync(file, '# production keys\npos:abc123\neditor:def456 # the editor\n');
    expect(resolveServeConfig({}, { DISCOUNTS_API_KEYS_FILE: file }, dir).keys).toEqual([{ scope: 'pos', key: 'abc123' }, { scope: 'editor', key: 'def456' }]);
    expect(() => resolveServeConfig({ port: '70000' }, {}, dir)).toThrow(/port/);
    expect(() => resolveServeConfig({}, { DISCOUNTS_LOG_LEVEL: 'loud' }, dir)).toThrow(/DISCOUNTS_LOG_LEVEL/);
    expect(() => resolveServeConfig({}, { DISCOUNTS_API_KEYS: 'boss:k' }, dir)).toThrow(/scope/);
    expect(() => resolveServeConfig({}, { DISCOUNTS_API_KEYS_FILE: join(dir, 'missing.txt') }, dir)).toThrow(/ENOENT/);
  });
});

describe('discounts serve', () => {
  it('exits 2 with the diagnostics on a rules directory with errors', async () => {
    const bad = join(dir, 'bad-rules');
    cpSync(join(dir, 'rules'), bad, { recursive: true });
    writeFileSync(join(bad, 'broken.yaml'), 'id: broken\nname: Broken\ntype: percentage\nvalue: 500\n');
    const run = runServe(['--rules', bad, '--db', join(dir, 'bad.db'), '--port', '0']);
    expect(await run.exited).toBe(2);
    expect(run.err()).toMatch(/broken\.yaml:\d+:\d+: error rule_schema_error/);
    expect(run.err()).toContain('not starting');
  });

  it('exits 2 when asked to bind another address without keys', async () => {
    const run = runServe(['--rules', join(dir, 'rules'), '--db', join(dir, 'nokeys.db'), '--host', '0.0.0.0', '--port', '0']);
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain('no API keys configured');
  });

  it('exits 2 when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const run = runServe(['--rules', join(dir, 'rules'), '--db', join(dir, 'taken.db'), '--port', String(port)]);
      expect(await run.exited).toBe(2);
      expect(run.err()).toContain(`cannot listen on 127.0.0.1:${port}`);
    } finally {
      blocker.close();
    }
  });

  it('exits 2 for a bad option value', async () => {
    const run = runServe(['--rules', join(dir, 'rules'), '--port', 'eighty']);
    expect(await run.exited).toBe(2);
    expect(run.err()).toContain('port must be an integer');
  });

  it('serves with keys, reloads on SIGHUP, and stops gracefully on SIGTERM', async () => {
    const rules = join(dir, 'live-rules');
    cpSync(join(dir, 'rules'), rules, { recursive: true });
    const server = await startServe(['--rules', rules, '--db', join(dir, 'live.db')], { DISCOUNTS_API_KEYS: 'pos:live-pos,admin:live-admin' });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (let i = 0; i < 100 && !server.stderr().includes('try: curl'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(server.stderr()).toContain(`serving ${rules} on ${server.url}`);
    const post = (key: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/v1/evaluate`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify(demoCart()) });
    expect((await post('wrong')).status).toBe(401);
    const res = await post('live-pos', { 'x-request-id': 'serve-test-1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('serve-test-1');
    const v1 = ((await res.json()) as { rulesetVersion: string }).rulesetVersion;
    const logLine = server.logs.find((l) => l.requestId === 'serve-test-1');
    expect(logLine).toMatchObject({ msg: 'request', route: '/v1/evaluate', status: 200 });
    expect(JSON.stringify(server.logs)).not.toContain('live-pos');

    writeFileSync(join(rules, 'extra.yaml'), 'id: extra\nname: Extra\ntype: fixed\nvalue: 1\nstackable: true\n');
    server.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && !server.logs.some((l) => l.msg === 'ruleset reloaded'); i++) await new Promise((r) => setTimeout(r, 50));
    const reloaded = server.logs.find((l) => l.msg === 'ruleset reloaded')!;
    expect(reloaded).toMatchObject({ trigger: 'signal', previousVersion: v1 });
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { rulesetVersion: string; ledger: string };
    expect(ready).toEqual({ rulesetVersion: reloaded.rulesetVersion, ledger: 'up' });

    // A request in flight when SIGTERM arrives still gets its answer.
    const inflight = fetch(`${server.url}/v1/redemptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer live-pos' },
      body: JSON.stringify({ transactionId: 'last-sale', ...demoCart() }),
    });
    await new Promise((r) => setTimeout(r, 5));
    server.proc.kill('SIGTERM');
    const last = await inflight;
    expect(last.status).toBe(201);
    expect(await server.exited).toBe(0);
    expect(server.logs.map((l) => l.msg)).toContain('stopped');
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('bodies over a real socket (read from the Node request)', () => {
  it('parses JSON, refuses 413 by Content-Length or once a chunked body passes 1 MiB, 415, and empty optional bodies', async () => {
    const logs: string[] = [];
    const running = await startService(
      { rulesDir: join(dir, 'rules'), rulesDisplay: 'rules', dbPath: join(dir, 'socket.db'), port: 0, host: '127.0.0.1', keys: [], logLevel: 'warn' },
      { stderr: () => {}, log: (l) => logs.push(l), now: Date.now },
    );
    try {
      const send = (path: string, headers: Record<string, string>, chunks: (string | Buffer)[]) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const url = new URL(path, running.url);
          const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, body }));
          });
          req.on('error', reject);
          for (const c of chunks) req.write(c);
          req.end();
        });
      const cart = JSON.stringify(demoCart());
      let r = await send('/v1/evaluate', { 'content-type': 'application/json' }, [cart.slice(0, 50), cart.slice(50)]);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).total).toBeGreaterThan(0);
      r = await send('/v1/evaluate', { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(cart)) }, [cart]);
      expect(r.status).toBe(200);
      const big = Buffer.alloc(64 * 1024, 0x20);
      r = await send('/v1/evaluate', { 'content-type': 'application/json' }, Array.from({ length: 40 }, () => big)); // chunked, 2.5 MiB
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body).error.code).toBe('payload_too_large');
      r = await send('/v1/evaluate', { 'content-type': 'text/plain' }, [cart]);
      expect(r.status).toBe(415);
      r = await send('/v1/evaluate', { 'content-type': 'application/json' }, ['{"lines": [']);
      expect(JSON.parse(r.body).error.code).toBe('invalid_request');
      r = await send('/v1/redemptions', { 'content-type': 'application/json' }, [JSON.stringify({ transactionId: 'sock-1', ...demoCart() })]);
      expect(r.status).toBe(201);
      r = await send('/v1/redemptions/sock-1/void', {}, []);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body).status).toBe('voided');
      // The server still answers after the refusals (connections drained or closed cleanly).
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
