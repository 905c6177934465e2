// The other routes through app.request(): discounts with their states, the POS sheet, rule draft
// validation, reload (and its refusal), health, readiness, metrics, 404/405, 500, and auth.

import { writeFileSync, rmSync, readFileSync, mkdtempSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diagnose } from '../../src/cli/validate.js';
import { createApp } from '../../src/http/app.js';
import { parseKeyFile, parseKeyList } from '../../src/http/auth.js';
import { RulesetHolder } from '../../src/http/ruleset.js';
import { posSheet, posSheetCsv } from '../../src/pos/sheet.js';
import { ADMIN, demoCart, EDITOR, errorOf, expectSchema, harness, LIMITED_RULE, POS, type Harness } from './helpers.js';

const EXTRA = {
  'limited.yaml': LIMITED_RULE,
  'paused.yaml': 'id: paused\nname: Paused\ntype: percentage\nvalue: 5\nenabled: false\n',
  'future.yaml': 'id: future\nname: Next year\ntype: percentage\nvalue: 5\nschedule:\n  start: 2027-01-01\n',
  'past.yaml': 'id: past\nname: Last year\ntype: percentage\nvalue: 5\nschedule:\n  start: 2025-01-01\n  end: 2025-12-31\n',
};

let h: Harness;
beforeEach(async () => {
  h = await harness({ extraRules: EXTRA });
});
afterEach(async () => h.close());

type View = { id: string; state: string; activeNow: boolean; remaining: number | null; used: number; schedule: { summary: string } | null };

describe('GET /v1/discounts', () => {
  it('lists every discount with state, activeNow and remaining uses', async () => {
    for (const [id, customer] of [['t1', 'a'], ['t2', 'b']])
      expect((await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: id, ...demoCart({ codes: ['LIMITED', 'SAVE5'], customer: { id: customer } }) } })).status).toBe(201);
    const res = await h.request('/v1/discounts', { headers: POS });
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema('DiscountList', body);
    expect(body.rulesetVersion).toBe(h.rulesets.current!.version);
    const byId = Object.fromEntries((body.discounts as View[]).map((d) => [d.id, d]));
    expect(Object.keys(byId)).toEqual([...Object.keys(byId)].sort());
    expect(Object.fromEntries(Object.entries(byId).map(([id, d]) => [id, d.state]))).toEqual({
      'edibles-b2g1': 'active',
      'flower-20': 'active',
      future: 'scheduled',
      'gold-tier-10': 'active',
      'happy-hour-prerolls': 'active',
      limited: 'exhausted',
      'mix-match-edibles': 'active',
      past: 'expired',
      paused: 'paused',
      'prerolls-5-fridays': 'active',
      save5: 'active',
      'spend-more': 'active',
      'stiiizy-pod-bundle': 'active',
      'stiiizy-vendor-day': 'active',
      'ten-off-fifty': 'active',
      'veterans-seniors-10': 'active',
    });
    expect(byId['stiiizy-vendor-day'].activeNow).toBe(false); // Wednesdays only; the clock is a Friday
    expect(byId.save5).toMatchObject({ used: 2, remaining: 998 });
    expect(byId.limited).toMatchObject({ used: 2, remaining: 0 });
    expect(byId['flower-20']).toMatchObject({ used: null, remaining: null, schedule: null, activeNow: true });
    expect(byId['happy-hour-prerolls'].activeNow).toBe(true);
    expect(byId['happy-hour-prerolls'].schedule!.summary).toContain('16:00-18:00');
    h.clock.now = Date.parse('2026-11-21T16:30:00-08:00'); // Saturday
    const sat = await (await h.request('/v1/discounts/happy-hour-prerolls', { headers: EDITOR })).json();
    expectSchema('Discount', sat);
    expect(sat).toMatchObject({ id: 'happy-hour-prerolls', state: 'active', activeNow: false });
    const one = await (await h.request('/v1/discounts/limited', { headers: POS })).json();
    expect(one).toMatchObject({ state: 'exhausted', remaining: 0 });
  });

  it('404 for an unknown id (prototype names included); 503 when usage cannot be read', async () => {
    await errorOf(await h.request('/v1/discounts/nope', { headers: POS }), 404, 'not_found');
    await errorOf(await h.request('/v1/discounts/constructor', { headers: POS }), 404, 'not_found');
    h.store.failing.add('usageTotals');
    const res = await h.request('/v1/discounts', { headers: POS });
    expect(res.headers.get('retry-after')).toBe('1');
    await errorOf(res, 503, 'unavailable');
  });
});

describe('GET /v1/pos/sheet', () => {
  it('json by default, csv on request: what discounts pos-sheet prints', async () => {
    const json = await h.request('/v1/pos/sheet', { headers: POS });
    const body = await json.json();
    expectSchema('PosSheet', body);
    expect(body).toEqual(JSON.parse(JSON.stringify(posSheet(h.rulesets.current!.compiled))));
    const csv = await h.request('/v1/pos/sheet?format=csv', { headers: EDITOR });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(await csv.text()).toBe(posSheetCsv(posSheet(h.rulesets.current!.compiled)));
    const e = await errorOf(await h.request('/v1/pos/sheet?format=xml', { headers: POS }), 400, 'invalid_request');
    expect(e.details[0].path).toBe('format');
  });
});

describe('POST /v1/rules/validate', () => {
  const validate = (json: unknown, headers = EDITOR) => h.request('/v1/rules/validate', { method: 'POST', headers, json });

  it('checks a draft in place of its file: an unchanged file does not clash with itself', async () => {
    const text = readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8');
    const res = await validate({ text, path: 'save5.yaml' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema('RulesValidateResponse', body);
    expect(body).toEqual({ path: 'rules/save5.yaml', diagnostics: [] });
  });

  it('without path, as a new file named after its id, so a duplicate code with another file is found', async () => {
    const text = 'id: zz-copy\nname: Copy\ntype: fixed\nvalue: 5\ncode: save5\n';
    const body = await (await validate({ text })).json();
    expect(body.path).toBe('rules/zz-copy.yaml');
    expect(body.diagnostics).toContainEqual(expect.objectContaining({ path: 'rules/zz-copy.yaml', severity: 'error', code: 'duplicate_code' }));
    expect(body.diagnostics.every((d: { code: string }) => d.code === 'duplicate_code')).toBe(true);
    const json = await (await validate({ text: JSON.stringify({ id: 'j1', name: 'J', type: 'fixed', value: 1 }) })).json();
    expect(json).toEqual({ path: 'rules/j1.json', diagnostics: [] });
  });

  it('gives the diagnostics discounts validate gives for the directory with the draft saved in it', async () => {
    const drafts = [
      { path: 'flower-20.yaml', text: 'id: flower-20\nname: Flower\ntype: percentage\nvalue: 120\ncode: SAVE5\n' },
      { path: 'new-one.yaml', text: 'id: other\nname: X\ntype: fixed\n' },
      { text: 'id: broken\nname: [unclosed\n' },
      { path: 'store.yaml', text: 'store: s\ntimezone: Mars/Olympus\ncurrency: USD\n' },
    ];
    for (const draft of drafts) {
      const body = await (await validate(draft)).json();
      const copy = mkdtempSync(join(tmpdir(), 'discounts-validate-'));
      cpSync(h.rulesDir, join(copy, 'rules'), { recursive: true });
      writeFileSync(join(copy, body.path), draft.text);
      const cli = await diagnose(['rules'], { cwd: copy, stdout: () => {}, stderr: () => {}, readStdin: async () => '', now: () => 0 });
      rmSync(copy, { recursive: true, force: true });
      expect(cli.diagnostics.length).toBeGreaterThan(0);
      expect(body.diagnostics).toEqual(cli.diagnostics);
    }
  });

  it('400 for a bad path or a missing text; 403 for a pos key', async () => {
    let e = await errorOf(await validate({ text: 'x', path: '../etc/passwd.yaml' }), 400, 'invalid_request');
    expect(e.details[0].path).toBe('/path');
    e = await errorOf(await validate({ path: 'a.yaml' }), 400, 'invalid_request');
    await errorOf(await validate({ text: 'x' }, POS), 403, 'forbidden');
    expect((await validate({ text: 'x' }, ADMIN)).status).toBe(200);
  });
});

describe('POST /v1/admin/reload', () => {
  it('swaps in the new ruleset; a ruleset with errors is refused (422) and the old one keeps serving', async () => {
    const before = h.rulesets.current!.version;
    writeFileSync(join(h.rulesDir, 'extra.yaml'), 'id: extra\nname: Extra\ntype: fixed\nvalue: 1\ncode: EXTRA\nstackable: true\n');
    const res = await h.request('/v1/admin/reload', { method: 'POST', headers: ADMIN });
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema('ReloadResponse', body);
    expect(body.rulesetVersion).not.toBe(before);
    expect(body.previousVersion).toBe(before);
    const priced = await (await h.request('/v1/evaluate', { method: 'POST', headers: POS, json: demoCart({ codes: ['EXTRA'] }) })).json();
    expect(priced.rulesetVersion).toBe(body.rulesetVersion);
    expect(priced.applied.map((a: { discountId: string }) => a.discountId)).toContain('extra');

    writeFileSync(join(h.rulesDir, 'bad.yaml'), 'id: bad\nname: Bad\ntype: percentage\nvalue: 500\n');
    const refused = await h.request('/v1/admin/reload', { method: 'POST', headers: ADMIN });
    const e = await errorOf(refused, 422, 'invalid_ruleset');
    const cli = await diagnose(['rules'], { cwd: h.dir, stdout: () => {}, stderr: () => {}, readStdin: async () => '', now: () => 0 });
    expect(e.diagnostics).toEqual(cli.diagnostics);
    expect(h.rulesets.current!.version).toBe(body.rulesetVersion);
    expect((await (await h.request('/readyz')).json()).rulesetVersion).toBe(body.rulesetVersion);
    const metrics = await (await h.request('/metrics', { headers: ADMIN })).text();
    expect(metrics).toContain(`discounts_ruleset_info{version="${body.rulesetVersion}"} 1`);
    expect(metrics).not.toContain(`version="${before}"`);
    expect(metrics).toMatch(/discounts_ruleset_reloads_total\{outcome="refused"\} 1/);
    await errorOf(await h.request('/v1/admin/reload', { method: 'POST', headers: EDITOR }), 403, 'forbidden');
  });

  it('concurrent reloads run one at a time and end on the directory`s content', async () => {
    writeFileSync(join(h.rulesDir, 'extra.yaml'), 'id: extra\nname: Extra\ntype: fixed\nvalue: 1\n');
    const results = await Promise.all([1, 2, 3].map(() => h.request('/v1/admin/reload', { method: 'POST', headers: ADMIN }).then((r) => r.json())));
    expect(new Set(results.map((r) => r.rulesetVersion)).size).toBe(1);
    expect(h.rulesets.current!.version).toBe(results[0].rulesetVersion);
  });

  it('a request keeps the snapshot it started with while a reload swaps', async () => {
    const first = h.rulesets.current!;
    writeFileSync(join(h.rulesDir, 'extra.yaml'), 'id: extra\nname: Extra\ntype: fixed\nvalue: 1\n');
    // Hold a redemption inside the store (between its snapshot read and its commit) while reloading.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inner = h.store.inner;
    const realRedeem = inner.redeem.bind(inner);
    inner.redeem = async (input) => {
      await gate;
      return realRedeem(input);
    };
    const pending = h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: 'snap', ...demoCart() } });
    await new Promise((r) => setTimeout(r, 20));
    expect((await h.request('/v1/admin/reload', { method: 'POST', headers: ADMIN })).status).toBe(200);
    expect(h.rulesets.current!.version).not.toBe(first.version);
    release();
    const record = await (await pending).json();
    expect(record.rulesetVersion).toBe(first.version);
  });
});

describe('health, readiness, metrics, OpenAPI', () => {
  it('/healthz and /readyz need no key; readyz reports the ledger without failing on it', async () => {
    expect(await (await h.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await (await h.request('/readyz')).json();
    expectSchema('Readiness', ready);
    expect(ready).toEqual({ rulesetVersion: h.rulesets.current!.version, ledger: 'up' });
    h.store.failing.add('ping');
    const down = await h.request('/readyz');
    expect(down.status).toBe(200);
    expect(await down.json()).toEqual({ rulesetVersion: h.rulesets.current!.version, ledger: 'down' });
  });

  it('/readyz is 503 without a ruleset, and so is evaluate', async () => {
    const app = createApp({ rulesets: new RulesetHolder(null), store: h.store, now: () => 0, keys: [] });
    await errorOf(await app.request('/readyz'), 503, 'unavailable');
    await errorOf(await app.request('/v1/evaluate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(demoCart()) }), 503, 'unavailable');
  });

  it('/metrics (admin) counts requests by route and status, evaluations, redemptions, voids and rejections', async () => {
    await h.request('/v1/evaluate', { method: 'POST', headers: POS, json: demoCart({ codes: ['NOPE'] }) });
    await h.request('/v1/evaluate', { method: 'POST', headers: POS, json: {} });
    await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: 'm1', ...demoCart() } });
    await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: 'm1', ...demoCart() } });
    await h.request('/v1/redemptions/m1/void', { method: 'POST', headers: POS });
    await h.request('/v1/redemptions/m1', { headers: POS });
    await errorOf(await h.request('/metrics', { headers: POS }), 403, 'forbidden');
    const res = await h.request('/metrics', { headers: ADMIN });
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    for (const line of [
      'discounts_http_requests_total{method="POST",route="/v1/evaluate",status="200"} 1',
      'discounts_http_requests_total{method="POST",route="/v1/evaluate",status="400"} 1',
      'discounts_http_requests_total{method="GET",route="/v1/redemptions/:transactionId",status="200"} 1',
      'discounts_http_requests_total{method="GET",route="/metrics",status="403"} 1',
      'discounts_evaluations_total{limits_checked="true"} 1',
      'discounts_redemptions_total{outcome="committed"} 1',
      'discounts_redemptions_total{outcome="replay"} 1',
      'discounts_voids_total{outcome="voided"} 1',
      'discounts_rejections_total{reason="UNKNOWN_CODE"} 1',
      `discounts_ruleset_info{version="${h.rulesets.current!.version}"} 1`,
    ])
      expect(text).toContain(line);
    expect(text).toContain('discounts_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/v1/evaluate",status="200"} 1');
    expect(text).toContain('discounts_http_request_duration_seconds_count{method="POST",route="/v1/evaluate",status="200"} 1');
  });

  it('404 not_found and 405 method_not_allowed answer with the error body', async () => {
    const missing = await h.request('/v1/nothing', { headers: { ...POS, 'X-Request-Id': 'nf-1' } });
    expect(missing.headers.get('x-request-id')).toBe('nf-1');
    await errorOf(missing, 404, 'not_found');
    const res = await h.request('/v1/evaluate', { headers: POS });
    expect(res.headers.get('allow')).toBe('POST');
    await errorOf(res, 405, 'method_not_allowed');
  });

  it('an unexpected error is logged with the request id and answered 500 with the error body', async () => {
    h.store.crashing.add('readUsage');
    const res = await h.request('/v1/evaluate', { method: 'POST', headers: { ...POS, 'X-Request-Id': 'crash-1' }, json: demoCart() });
    const e = await errorOf(res, 500, 'internal_error');
    expect(e.message).not.toContain('injected');
    expect(h.logs.lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'unexpected error', requestId: 'crash-1' }));
  });
});

describe('auth', () => {
  const evaluate = (headers: Record<string, string>) => h.request('/v1/evaluate', { method: 'POST', headers, json: demoCart() });

  it('401 without a key, with an unknown key or another scheme; 403 for the wrong scope', async () => {
    let res = await evaluate({ 'X-Request-Id': 'unauth-1' });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.headers.get('x-request-id')).toBe('unauth-1');
    await errorOf(res, 401, 'unauthorized');
    await errorOf(await evaluate({ Authorization: 'Bearer pos-key-2' }), 401, 'unauthorized');
    await errorOf(await evaluate({ Authorization: 'Basic cG9zOnBvcy1rZXktMQ==' }), 401, 'unauthorized');
    await errorOf(await evaluate({ Authorization: 'Bearer ' }), 401, 'unauthorized');
    for (const headers of [POS, EDITOR, ADMIN]) expect((await evaluate(headers)).status).toBe(200);
    expect((await evaluate({ Authorization: 'bearer pos-key-1' })).status).toBe(200);
    await errorOf(await h.request('/v1/rules/validate', { method: 'POST', headers: POS, json: { text: '' } }), 403, 'forbidden');
    await errorOf(await h.request('/v1/admin/reload', { method: 'POST', headers: POS }), 403, 'forbidden');
    await errorOf(await h.request('/v1/redemptions/x', { headers: EDITOR }), 403, 'forbidden');
  });

  it('the key is checked before the body is read', async () => {
    const res = await h.request('/v1/evaluate', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(5 * 1024 * 1024) }, body: 'x' });
    await errorOf(res, 401, 'unauthorized');
  });

  it('development mode (no keys) opens every route', async () => {
    const app = createApp({ rulesets: h.rulesets, store: h.store, now: () => h.clock.now, keys: [] });
    expect((await app.request('/v1/admin/reload', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(200);
  });

  it('parses scope:key lists and files; refuses unknown scopes without echoing the key', () => {
    expect(parseKeyList('pos:k1,editor:k2, admin:k3')).toEqual([
      { scope: 'pos', key: 'k1' },
      { scope: 'editor', key: 'k2' },
      { scope: 'admin', key: 'k3' },
    ]);
    expect(parseKeyFile('# keys\npos:abc:def\n\n  admin:zz # the admin\n', 'keys.txt')).toEqual([
      { scope: 'pos', key: 'abc:def' },
      { scope: 'admin', key: 'zz' },
    ]);
    expect(() => parseKeyList('root:secret-value')).toThrow(/entry 1 must be scope:key/);
    expect(() => parseKeyList('root:secret-value')).not.toThrow(/secret-value/);
    expect(() => parseKeyList('pos:')).toThrow(/empty/);
  });
});
