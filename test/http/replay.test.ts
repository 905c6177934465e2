// POST /v1/reports/replay through app.request() on a real SQLite ledger: redemptions seeded through
// POST /v1/redemptions (a usage limit, a per-customer limit, a void), replayed in the worker with a
// draft and a removal; the report is the one replayFromLedger gives in this thread, whether the
// worker reads through the main thread or opens the file itself; nothing is written; 422 for a
// draft with errors, 400 for a bad period or removal, 403 without the editor scope, 503 with
// Retry-After for a second replay while one runs.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { createService } from '../../src/http/app.js';
import { draftedSources } from '../../src/http/routes/replay.js';
import { memoryLogger } from '../../src/http/logger.js';
import { replayFromLedger } from '../../src/reports/replay-ledger.js';
import { compileWithNode } from '../../src/ruleset/load.js';
import { TABLES } from '../../src/store/schema.js';
import { demoCart, EDITOR, errorOf, expectSchema, FRIDAY_HAPPY_HOUR, harness, KEYS, LIMITED_RULE, POS, type Harness, type Res } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await harness({ extraRules: { 'limited.yaml': LIMITED_RULE } });
});
afterEach(async () => h.close());

const STORE = 'green-leaf-la';
const replay = (json: unknown, headers: Record<string, string> = EDITOR) => h.request('/v1/reports/replay', { method: 'POST', headers, json });
const DRAFT = { path: 'limited.yaml', text: LIMITED_RULE.replace('usageLimit: 2', 'usageLimit: 4') };
const BODY = { from: '2026-11-20', to: '2026-11-21', drafts: [DRAFT], remove: ['save5'] };

/** Six sales ten minutes apart, each with LIMITED (2 uses, 1 per customer) and save5 (once per customer: not s4, c1 again); s5 voided. */
async function seed(): Promise<void> {
  const customers = ['c1', 'c2', 'c3', 'c1', 'c4', 'c5'];
  for (const [i, id] of customers.entries()) {
    h.clock.now = FRIDAY_HAPPY_HOUR + i * 600_000;
    const res = await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: `s${i + 1}`, ...demoCart({ customer: { id }, codes: ['save5', 'LIMITED'] }) } });
    expect(res.status).toBe(201);
  }
  expect((await h.request('/v1/redemptions/s5/void', { method: 'POST', headers: POS })).status).toBe(200);
}

function snapshot(path: string): string {
  const raw = new Database(path, { readonly: true });
  try {
    return JSON.stringify(TABLES.map((t) => raw.prepare(`select * from ${t} order by 1, 2, 3`).all()));
  } finally {
    raw.close();
  }
}

describe('POST /v1/reports/replay', () => {
  it('replays the period in a worker: the same report as replayFromLedger, limits binding as drafted, nothing written', async () => {
    await seed();
    const before = snapshot(h.dbPath);
    const res = await replay(BODY);
    expect(res.status).toBe(200);
    const report = await res.json();
    expectSchema('ReplayReport', report);

    const compiled = compileWithNode(draftedSources(h.rulesets.current!, BODY).sources).ruleset!;
    const direct = await replayFromLedger(h.store, { store: STORE, from: BODY.from, to: BODY.to, ruleset: compiled });
    expect(JSON.stringify(report)).toBe(JSON.stringify(direct));

    expect(report.transactions).toBe(5);
    expect(report.rulesetVersion).toBe(compiled.version);
    const limited = report.discounts.find((d: { discountId: string }) => d.discountId === 'limited');
    // Then: s1 (c1) and s2 (c2) used both uses. Drafted with 4: s3 (c3) and s6 (c5) too; s4 is c1 again.
    expect({ usedThen: limited.usedThen, usedNow: limited.usedNow, changed: limited.changed, givenThen: limited.givenThen, givenNow: limited.givenNow }).toEqual({
      usedThen: 2,
      usedNow: 4,
      changed: 2,
      givenThen: 200,
      givenNow: 400,
    });
    const save5 = report.discounts.find((d: { discountId: string }) => d.discountId === 'save5');
    expect({ name: save5.name, usedThen: save5.usedThen, usedNow: save5.usedNow, givenNow: save5.givenNow, changed: save5.changed }).toEqual({ name: null, usedThen: 4, usedNow: 0, givenNow: 0, changed: 4 });
    expect(report.total.difference).toBe(report.total.givenNow - report.total.givenThen);
    // s4 (c1 again) got neither then (both once per customer) nor now: unchanged.
    expect(report.largest.map((c: { transactionId: string }) => c.transactionId).sort()).toEqual(['s1', 's2', 's3', 's6']);
    expect(snapshot(h.dbPath)).toBe(before);
  });

  it('a worker with its own connection to the ledger file gives the same report', async () => {
    await seed();
    const own = createService({ rulesets: h.rulesets, store: h.store, now: () => h.clock.now, keys: KEYS, logger: memoryLogger(), replayDb: h.dbPath });
    const viaMain = await (await replay(BODY)).json();
    const res = (await own.app.request('/v1/reports/replay', { method: 'POST', headers: { ...EDITOR, 'content-type': 'application/json' }, body: JSON.stringify(BODY) })) as Res;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(viaMain);
  });

  it('without drafts, the served ruleset replays to no change', async () => {
    await seed();
    const report = await (await replay({ from: '2026-11-20', to: '2026-11-21', drafts: [] })).json();
    expect(report.total.changed).toBe(0);
    expect(report.total.difference).toBe(0);
    expect(report.largest).toEqual([]);
  });

  it('a second replay while one runs: 503 unavailable with Retry-After, at once', async () => {
    await seed();
    const results = await Promise.all([replay(BODY), replay(BODY)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 503]);
    const refused = results.find((r) => r.status === 503)!;
    expect(refused.headers.get('retry-after')).toBe('5');
    expect((await errorOf(refused, 503, 'unavailable')).message).toMatch(/already running/);
    // Then free again.
    expect((await replay(BODY)).status).toBe(200);
  });

  it('422 invalid_rule with the diagnostics when a draft does not compile', async () => {
    const e = await errorOf(await replay({ ...BODY, drafts: [{ path: 'limited.yaml', text: LIMITED_RULE.replace('value: 1', 'value: lots') }] }), 422, 'invalid_rule');
    expect(e.message).toMatch(/the drafts have 1 error/);
    expect((e.diagnostics as { path: string; code: string }[]).map((d) => [d.path, d.code])).toEqual([['rules/limited.yaml', 'rule_schema_error']]);
  });

  it('400 for a bad period, an unknown removal, a removal that is also a draft, two drafts of one file', async () => {
    expect((await errorOf(await replay({ ...BODY, from: '2026-11-21' }), 400, 'invalid_request')).details).toEqual([{ path: '/from', message: 'from (2026-11-21) must be before to (2026-11-21): to is exclusive' }]);
    expect((await errorOf(await replay({ ...BODY, to: '2026-13-01' }), 400, 'invalid_request')).details[0].path).toBe('/to');
    expect((await errorOf(await replay({ ...BODY, to: '2028-01-01' }), 400, 'invalid_request')).message).toMatch(/at most 366/);
    expect((await errorOf(await replay({ ...BODY, from: 'yesterday' }), 400, 'invalid_request')).details[0].path).toBe('/from');
    expect((await errorOf(await replay({ ...BODY, remove: ['nope'] }), 400, 'invalid_request')).details).toEqual([{ path: '/remove/0', message: 'unknown discount id' }]);
    expect((await errorOf(await replay({ ...BODY, remove: ['limited'] }), 400, 'invalid_request')).details[0].path).toBe('/remove/0');
    expect((await errorOf(await replay({ ...BODY, drafts: [DRAFT, DRAFT] }), 400, 'invalid_request')).details[0].path).toBe('/drafts/1');
    await errorOf(await replay({ from: '2026-11-20', to: '2026-11-21' }), 400, 'invalid_request');
  });

  it('403 without the editor scope', async () => {
    await errorOf(await replay(BODY, POS), 403, 'forbidden');
  });
});
