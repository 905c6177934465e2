// The editor's API through app.request(): the rule list with states and live/saved status, one
// file with its revision and git HEAD version, saves and deletes with every precondition status,
// path and symlink safety, auto reload, sample carts, simulate with drafts (served usage, never
// writes), the auth of every route, and the page at /editor.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createService } from '../../src/http/app.js';
import { memoryLogger } from '../../src/http/logger.js';
import { loadServedRuleset, RulesetHolder } from '../../src/http/ruleset.js';
import { ADMIN, demoCart, EDITOR, errorOf, expectSchema, harness, KEYS, LIMITED_RULE, POS, type Harness } from './helpers.js';

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const NEW_RULE = 'id: accessories-30\nname: 30% off accessories\ntype: percentage\nvalue: 30\nappliesTo:\n  categories: [accessories]\nstackable: true\n';

let h: Harness;
beforeEach(async () => {
  h = await harness({ extraRules: { 'limited.yaml': LIMITED_RULE } });
});
afterEach(async () => h.close());

const put = (id: string, text: string, headers: Record<string, string> = {}) => h.request(`/v1/rules/${id}`, { method: 'PUT', headers: { ...EDITOR, ...headers }, json: { text } });
const list = async () => {
  const res = await h.request('/v1/rules', { headers: EDITOR });
  expect(res.status).toBe(200);
  const body = (await res.json()) as any;
  expectSchema('RuleList', body);
  return body as { rulesetVersion: string; autoReload: boolean; store: { revision: string; readOnly: boolean }; rules: { id: string; file: string | null; state: string; sync: string; live: boolean; revision: string | null; diagnostics: { line: number; code: string }[] }[] };
};
const entry = async (id: string) => (await list()).rules.find((r) => r.id === id);

describe('GET /v1/rules', () => {
  it('lists every file with its state, revision and live status', async () => {
    const body = await list();
    expect(body.rulesetVersion).toBe(h.rulesets.current!.version);
    expect(body.autoReload).toBe(false);
    expect(body.store).toMatchObject({ readOnly: true, revision: sha(readFileSync(join(h.rulesDir, 'store.yaml'), 'utf8')) });
    expect(body.rules.map((r) => r.id)).toEqual([
      'edibles-b2g1',
      'flower-20',
      'gold-tier-10',
      'happy-hour-prerolls',
      'limited',
      'mix-match-edibles',
      'prerolls-5-fridays',
      'save5',
      'spend-more',
      'stiiizy-pod-bundle',
      'stiiizy-vendor-day',
      'ten-off-fifty',
      'veterans-seniors-10',
    ]);
    for (const r of body.rules) expect(r).toMatchObject({ state: 'active', sync: 'live', live: true, revision: sha(readFileSync(join(h.rulesDir, r.file!), 'utf8')) });
  });

  it('marks saved, not live files, deleted ones, errors and states from the files on disk', async () => {
    writeFileSync(join(h.rulesDir, 'save5.yaml'), readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8').replace('value: 5', 'value: 6'));
    writeFileSync(join(h.rulesDir, 'paused.yaml'), 'id: paused\nname: Paused\ntype: percentage\nvalue: 5\nenabled: false\n');
    writeFileSync(join(h.rulesDir, 'broken.yaml'), 'id: broken\nname: Broken\ntype: percentage\nvalue: 500\n');
    rmSync(join(h.rulesDir, 'flower-20.yaml'));
    const byId = Object.fromEntries((await list()).rules.map((r) => [r.id, r]));
    expect(byId.save5).toMatchObject({ sync: 'changed', live: false, state: 'active' });
    expect(byId.paused).toMatchObject({ sync: 'new', live: false, state: 'paused' });
    expect(byId.broken).toMatchObject({ sync: 'new', state: 'error' });
    expect(byId.broken.diagnostics.map((d) => [d.line, d.code])).toEqual([[4, 'rule_schema_error']]);
    expect(byId['flower-20']).toMatchObject({ file: null, sync: 'deleted', live: false, revision: null });
    expect(byId['gold-tier-10']).toMatchObject({ sync: 'live', state: 'active' });
  });

  it('shows an exhausted discount from the served usage counts', async () => {
    for (const [id, customer] of [['t1', 'a'], ['t2', 'b']])
      expect((await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: id, ...demoCart({ codes: ['LIMITED'], customer: { id: customer } }) } })).status).toBe(201);
    expect(await entry('limited')).toMatchObject({ state: 'exhausted' });
  });
});

describe('GET /v1/rules/{id}', () => {
  it('answers the text with its revision as ETag', async () => {
    const text = readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8');
    const res = await h.request('/v1/rules/save5', { headers: EDITOR });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${sha(text)}"`);
    const body = (await res.json()) as any;
    expectSchema('RuleFile', body);
    expect(body).toEqual({ id: 'save5', file: 'save5.yaml', text, revision: sha(text), readOnly: false, live: true });
  });

  it('shows store.yaml read-only', async () => {
    const body = (await (await h.request('/v1/rules/store', { headers: EDITOR })).json()) as any;
    expect(body).toMatchObject({ id: 'store', file: 'store.yaml', readOnly: true, live: true });
  });

  it('404 for an unknown id, 400 for what is not an id (no path ever reaches the disk)', async () => {
    await errorOf(await h.request('/v1/rules/nope', { headers: EDITOR }), 404, 'not_found');
    for (const bad of ['..%2Fstore', 'Save5', 'a.yaml', 'tests', '-x', '%2E%2E%2F%2E%2E%2Fetc'])
      await errorOf(await h.request(`/v1/rules/${bad}`, { headers: EDITOR }), 400, 'invalid_request');
    await errorOf(await h.request('/v1/rules/save5?at=yesterday', { headers: EDITOR }), 400, 'invalid_request');
  });

  it('?at=head: 404 outside git, the committed text inside a repository', async () => {
    await errorOf(await h.request('/v1/rules/save5?at=head', { headers: EDITOR }), 404, 'not_found');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: h.rulesDir, stdio: 'pipe' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'rules');
    const committed = readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8');
    writeFileSync(join(h.rulesDir, 'save5.yaml'), committed.replace('value: 5', 'value: 7'));
    const res = await h.request('/v1/rules/save5?at=head', { headers: EDITOR });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expectSchema('RuleFile', body);
    expect(body).toMatchObject({ at: 'head', text: committed, revision: sha(committed), live: true });
    expect(body.commit).toMatch(/^[0-9a-f]{40}$/);
    writeFileSync(join(h.rulesDir, 'uncommitted.yaml'), 'id: uncommitted\nname: U\ntype: fixed\nvalue: 1\n');
    await errorOf(await h.request('/v1/rules/uncommitted?at=head', { headers: EDITOR }), 404, 'not_found');
  });
});

describe('PUT /v1/rules/{id}', () => {
  it('201 for a new file <id>.yaml, written atomically; what is served does not change', async () => {
    const before = h.rulesets.current!.version;
    const res = await put('accessories-30', NEW_RULE);
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expectSchema('RuleWriteResponse', body);
    expect(body).toMatchObject({ id: 'accessories-30', file: 'accessories-30.yaml', revision: sha(NEW_RULE), live: false });
    expect(res.headers.get('etag')).toBe(`"${sha(NEW_RULE)}"`);
    expect(readFileSync(join(h.rulesDir, 'accessories-30.yaml'), 'utf8')).toBe(NEW_RULE);
    expect(readdirSync(h.rulesDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(h.rulesets.current!.version).toBe(before);
    expect(await entry('accessories-30')).toMatchObject({ sync: 'new', live: false, state: 'active' });
    // An admin reload makes it live.
    expect((await h.request('/v1/admin/reload', { method: 'POST', headers: ADMIN })).status).toBe(200);
    expect(await entry('accessories-30')).toMatchObject({ sync: 'live', live: true });
  });

  it('428 without If-Match for an existing file, 412 with a stale one (with the current revision), 200 with the right one', async () => {
    const text = readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8');
    const next = text.replace('value: 5', 'value: 6');
    await errorOf(await put('save5', next), 428, 'precondition_required');
    const staleRes = await put('save5', next, { 'If-Match': `"${sha('older')}"` });
    expect(staleRes.headers.get('etag')).toBe(`"${sha(text)}"`);
    const e = await errorOf(staleRes, 412, 'precondition_failed');
    expect(e.revision).toBe(sha(text));
    expect(readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8')).toBe(text);
    const ok = await put('save5', next, { 'If-Match': `"${sha(text)}"` });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as any).revision).toBe(sha(next));
    expect(readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8')).toBe(next);
    expect(await entry('save5')).toMatchObject({ sync: 'changed', live: false });
    // The first revision is stale now.
    await errorOf(await put('save5', text, { 'If-Match': `"${sha(text)}"` }), 412, 'precondition_failed');
  });

  it('412 for If-Match on a file that does not exist, and for If-None-Match: * on one that does', async () => {
    const e = await errorOf(await put('accessories-30', NEW_RULE, { 'If-Match': `"${sha('x')}"` }), 412, 'precondition_failed');
    expect(e.revision).toBeNull();
    expect(existsSync(join(h.rulesDir, 'accessories-30.yaml'))).toBe(false);
    const text = readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8');
    await errorOf(await put('save5', text, { 'If-None-Match': '*' }), 412, 'precondition_failed');
  });

  it('422 invalid_rule with the diagnostics (at their lines) and nothing written', async () => {
    const e = await errorOf(await put('accessories-30', NEW_RULE.replace('value: 30', 'value: 300')), 422, 'invalid_rule');
    const diagnostics = e.diagnostics as { path: string; line: number; code: string; severity: string }[];
    expect(diagnostics.map((d) => [d.path, d.line, d.code])).toEqual([['rules/accessories-30.yaml', 4, 'rule_schema_error']]);
    expect(existsSync(join(h.rulesDir, 'accessories-30.yaml'))).toBe(false);
    // A code another file already uses.
    const dup = await errorOf(await put('accessories-30', NEW_RULE + 'code: save5\n'), 422, 'invalid_rule');
    expect((dup.diagnostics as { code: string }[]).map((d) => d.code)).toContain('duplicate_code');
    // YAML that does not parse.
    await errorOf(await put('accessories-30', 'id: [\n'), 422, 'invalid_rule');
  });

  it("422 when the text's id is not the URL's id", async () => {
    const e = await errorOf(await put('other-id', NEW_RULE), 422, 'invalid_rule');
    expect((e.diagnostics as { code: string }[]).map((d) => d.code)).toEqual(['id_mismatch']);
    expect(existsSync(join(h.rulesDir, 'other-id.yaml'))).toBe(false);
  });

  it('400 for a body that is not {text}, 403 for store.yaml, 400 for a bad id', async () => {
    await errorOf(await h.request('/v1/rules/x', { method: 'PUT', headers: EDITOR, json: { text: 1 } }), 400, 'invalid_request');
    await errorOf(await h.request('/v1/rules/x', { method: 'PUT', headers: EDITOR, json: { text: 'a', extra: 1 } }), 400, 'invalid_request');
    const store = readFileSync(join(h.rulesDir, 'store.yaml'), 'utf8');
    await errorOf(await put('store', store, { 'If-Match': `"${sha(store)}"` }), 403, 'forbidden');
    await errorOf(await put('..%2F..%2Fetc', NEW_RULE), 400, 'invalid_request');
  });

  it('refuses a symbolic link that leads outside the rules directory; follows one that stays inside', async () => {
    const outside = join(h.dir, 'outside.yaml');
    const text = 'id: escape\nname: Escape\ntype: fixed\nvalue: 1\n';
    writeFileSync(outside, text);
    symlinkSync(outside, join(h.rulesDir, 'escape.yaml'));
    await errorOf(await h.request('/v1/rules/escape', { headers: EDITOR }), 403, 'forbidden');
    await errorOf(await put('escape', text.replace('value: 1', 'value: 2'), { 'If-Match': `"${sha(text)}"` }), 403, 'forbidden');
    expect(readFileSync(outside, 'utf8')).toBe(text);

    mkdirSync(join(h.rulesDir, 'archive'));
    const inner = 'id: linked\nname: Linked\ntype: fixed\nvalue: 1\n';
    writeFileSync(join(h.rulesDir, 'archive', 'linked.yaml'), inner);
    symlinkSync(join('archive', 'linked.yaml'), join(h.rulesDir, 'linked.yaml'));
    const saved = await put('linked', inner.replace('value: 1', 'value: 3'), { 'If-Match': `"${sha(inner)}"` });
    expect(saved.status).toBe(200);
    expect(readFileSync(join(h.rulesDir, 'archive', 'linked.yaml'), 'utf8')).toContain('value: 3');
  });

  it('with editor.autoReload: true a save reloads, and the key does not change the ruleset version', async () => {
    const store = readFileSync(join(h.rulesDir, 'store.yaml'), 'utf8');
    const plain = await loadServedRuleset(h.rulesDir, 'rules');
    writeFileSync(join(h.rulesDir, 'store.yaml'), store + 'editor:\n  autoReload: true\n');
    const withKey = await loadServedRuleset(h.rulesDir, 'rules');
    expect(plain.ok && withKey.ok).toBe(true);
    if (!plain.ok || !withKey.ok) return;
    expect(withKey.ruleset.version).toBe(plain.ruleset.version);
    h.rulesets.swap(withKey.ruleset);
    expect((await list()).autoReload).toBe(true);
    const res = await put('accessories-30', NEW_RULE);
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expectSchema('RuleWriteResponse', body);
    expect(body.live).toBe(true);
    expect(body.reload).toMatchObject({ ok: true, rulesetVersion: h.rulesets.current!.version });
    expect(h.rulesets.current!.version).not.toBe(plain.ruleset.version);
    expect(h.rulesets.current!.prepared.byId.has('accessories-30')).toBe(true);
  });
});

describe('DELETE /v1/rules/{id}', () => {
  it('428 without If-Match, 412 stale, 404 unknown, 200 deleted (still served until a reload)', async () => {
    const text = readFileSync(join(h.rulesDir, 'limited.yaml'), 'utf8');
    const del = (id: string, headers: Record<string, string> = {}) => h.request(`/v1/rules/${id}`, { method: 'DELETE', headers: { ...EDITOR, ...headers } });
    await errorOf(await del('limited'), 428, 'precondition_required');
    expect((await errorOf(await del('limited', { 'If-Match': '"abc"' }), 412, 'precondition_failed')).revision).toBe(sha(text));
    await errorOf(await del('nope', { 'If-Match': '"abc"' }), 404, 'not_found');
    await errorOf(await del('store', { 'If-Match': '*' }), 403, 'forbidden');
    const res = await del('limited', { 'If-Match': `"${sha(text)}"` });
    expect(res.status).toBe(200);
    expectSchema('RuleWriteResponse', (await res.json()) as any);
    expect(existsSync(join(h.rulesDir, 'limited.yaml'))).toBe(false);
    expect(await entry('limited')).toMatchObject({ sync: 'deleted', file: null });
    expect(h.rulesets.current!.prepared.byId.has('limited')).toBe(true);
  });
});

describe('POST /v1/rules/format', () => {
  it('answers the text as discounts fmt writes it; 422 when it does not parse', async () => {
    const messy = 'type: percentage\nname:   "30% off accessories"\nid: accessories-30\nvalue: 30\nappliesTo: {categories: [accessories]}\n';
    const res = await h.request('/v1/rules/format', { method: 'POST', headers: EDITOR, json: { text: messy, path: 'accessories-30.yaml' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expectSchema('RuleFormatResponse', body);
    expect(body).toEqual({ path: 'rules/accessories-30.yaml', changed: true, text: 'id: accessories-30\nname: 30% off accessories\ntype: percentage\nvalue: 30\nappliesTo:\n  categories: [accessories]\n' });
    const again = (await (await h.request('/v1/rules/format', { method: 'POST', headers: EDITOR, json: { text: body.text } })).json()) as any;
    expect(again).toMatchObject({ changed: false, text: body.text });
    await errorOf(await h.request('/v1/rules/format', { method: 'POST', headers: EDITOR, json: { text: 'id: [\n' } }), 422, 'invalid_rule');
    await errorOf(await h.request('/v1/rules/format', { method: 'POST', headers: POS, json: { text: 'id: x\n' } }), 403, 'forbidden');
  });
});

describe('GET /v1/carts', () => {
  it('answers the sample carts with what is wrong with each', async () => {
    writeFileSync(join(h.rulesDir, 'carts', 'broken.json'), '{"lines": 3}');
    const res = await h.request('/v1/carts', { headers: EDITOR });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expectSchema('CartList', body);
    expect(body.carts.map((c: { name: string }) => c.name)).toEqual(['broken', 'demo']);
    expect(body.carts[1]).toMatchObject({ file: 'carts/demo.json', errors: [], request: JSON.parse(readFileSync(join(h.rulesDir, 'carts', 'demo.json'), 'utf8')) });
    expect(body.carts[0].errors.length).toBeGreaterThan(0);
  });
});

describe('POST /v1/simulate', () => {
  const simulate = (json: unknown, headers = EDITOR) => h.request('/v1/simulate', { method: 'POST', headers, json });

  it('prices the cart with a new draft and a changed file in place of theirs; never writes', async () => {
    const files = readdirSync(h.rulesDir).sort();
    const save5 = readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8');
    const served = (await (await h.request('/v1/evaluate', { method: 'POST', headers: EDITOR, json: demoCart() })).json()) as any;
    const res = await simulate({ drafts: [{ text: NEW_RULE }, { text: save5.replace('value: 5', 'value: 7'), path: 'save5.yaml' }], request: demoCart() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expectSchema('SimulateResponse', body);
    expect(body.paths).toEqual(['rules/accessories-30.yaml', 'rules/save5.yaml']);
    const applied = Object.fromEntries(body.applied.map((a: { discountId: string; amount: number; allocations: unknown[] }) => [a.discountId, a]));
    expect(applied['accessories-30'].amount).toBe(90); // 30% of the $3 lighter
    expect(applied['accessories-30'].allocations).toEqual([{ lineId: 'l5', amount: 90 }]);
    expect(applied.save5.amount).toBe(700);
    expect(body.rulesetVersion).not.toBe(served.rulesetVersion);
    expect(body.total).toBeLessThan(served.total);
    expect(readdirSync(h.rulesDir).sort()).toEqual(files);
    expect(readFileSync(join(h.rulesDir, 'save5.yaml'), 'utf8')).toBe(save5);
  });

  it('uses the served usage counts: a used-up code is rejected with its reason', async () => {
    for (const [id, customer] of [['t1', 'a'], ['t2', 'b']])
      expect((await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: id, ...demoCart({ codes: ['LIMITED'], customer: { id: customer } }) } })).status).toBe(201);
    const body = (await (await simulate({ drafts: [{ text: NEW_RULE }], request: demoCart({ codes: ['LIMITED'], customer: { id: 'c' } }) })).json()) as any;
    expect(body.rejected).toContainEqual(expect.objectContaining({ discountId: 'limited', reason: 'USAGE_LIMIT_REACHED' }));
  });

  it("a store policy draft re-checks every file; the drafts' warnings come with the pricing", async () => {
    const store = readFileSync(join(h.rulesDir, 'store.yaml'), 'utf8').replace('pos: none', 'pos: cova');
    const e = await errorOf(await simulate({ drafts: [{ text: store, path: 'store.yaml' }], request: demoCart() }), 422, 'invalid_rule');
    // The engine-only mode takes none of bogo, bundle, set price or tiers.
    const unsupported = ['edibles-b2g1', 'mix-match-edibles', 'prerolls-5-fridays', 'spend-more', 'stiiizy-pod-bundle'];
    expect((e.diagnostics as { path: string; code: string }[]).map((d) => [d.path, d.code])).toEqual(unsupported.map((id) => [`rules/${id}.yaml`, 'pos_type_unsupported']));
    const plain = unsupported.map((id) => ({ text: `id: ${id}\nname: ${id} 10%\ntype: percentage\nvalue: 10\n`, path: `${id}.yaml` }));
    const res = await simulate({ drafts: [{ text: store, path: 'store.yaml' }, ...plain, { text: NEW_RULE + 'pos:\n  discountId: X1\n' }], request: demoCart() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expectSchema('SimulateResponse', body);
    expect(body.warnings.map((d: { path: string; code: string; severity: string }) => [d.path, d.code, d.severity])).toEqual([['rules/accessories-30.yaml', 'pos_discount_id_not_used', 'warning']]);
  });

  it('422 invalid_rule for a draft with errors; 400 for a bad cart or body', async () => {
    const e = await errorOf(await simulate({ drafts: [{ text: NEW_RULE.replace('value: 30', 'value: 300') }], request: demoCart() }), 422, 'invalid_rule');
    expect((e.diagnostics as { path: string; line: number }[]).map((d) => [d.path, d.line])).toEqual([['rules/accessories-30.yaml', 4]]);
    const bad = await errorOf(await simulate({ drafts: [], request: { lines: 'x' } }), 400, 'invalid_request');
    expect(bad.details[0].path).toMatch(/^\/request\/lines/);
    await errorOf(await simulate({ drafts: [{ text: 'x', path: '../store.yaml' }], request: demoCart() }), 400, 'invalid_request');
    await errorOf(await simulate({ request: demoCart() }), 400, 'invalid_request');
    await errorOf(await simulate({ drafts: [{ text: NEW_RULE }, { text: NEW_RULE }], request: demoCart() }), 400, 'invalid_request');
  });
});

describe('auth', () => {
  const routes: [string, string, unknown?][] = [
    ['GET', '/v1/rules'],
    ['GET', '/v1/rules/save5'],
    ['PUT', '/v1/rules/save5', { text: 'x' }],
    ['DELETE', '/v1/rules/save5'],
    ['GET', '/v1/carts'],
    ['POST', '/v1/simulate', { drafts: [], request: demoCart() }],
  ];
  it('every editor route: 401 without a key or with a wrong one, 403 for a pos key, open to editor and admin', async () => {
    for (const [method, path, json] of routes) {
      await errorOf(await h.request(path, { method, json }), 401, 'unauthorized');
      await errorOf(await h.request(path, { method, json, headers: { Authorization: 'Bearer wrong' } }), 401, 'unauthorized');
      await errorOf(await h.request(path, { method, json, headers: POS }), 403, 'forbidden');
      for (const headers of [EDITOR, ADMIN]) expect([401, 403]).not.toContain((await h.request(path, { method, json, headers })).status);
    }
  });
});

describe('GET /editor', () => {
  const make = (editorDir: string) => createService({ rulesets: new RulesetHolder(h.rulesets.current), store: h.store, now: () => 0, keys: KEYS, logger: memoryLogger(), editorDir }).app;

  it('serves the built page without a key, with a CSP that keeps it to this origin', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'editor-dist-'));
    try {
      mkdirSync(join(dist, 'assets'));
      writeFileSync(join(dist, 'index.html'), '<!doctype html><title>editor</title>');
      writeFileSync(join(dist, 'assets', 'main-AbCdEf12.js'), 'console.log(1)');
      writeFileSync(join(h.dir, 'secret.txt'), 'secret');
      const app = make(dist);
      expect((await app.request('/editor')).status).toBe(301);
      const page = await app.request('/editor/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const js = await app.request('/editor/assets/main-AbCdEf12.js');
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(js.headers.get('cache-control')).toContain('immutable');
      expect((await app.request('/editor/assets/none.js')).status).toBe(404);
      expect((await app.request('/editor/..%2F..%2Fsecret.txt')).status).toBe(404);
      expect((await app.request('/editor/%2e%2e/secret.txt')).status).toBe(404);
      expect(await (await app.request('/editor/rules/save5')).text()).toContain('<title>editor</title>');
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });

  it('503 with the build command when the page is not built', async () => {
    const res = await make(join(h.dir, 'no-such-build')).request('/editor/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:editor');
  });
});
