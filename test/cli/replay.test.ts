// `discounts replay`: a ledger file seeded through the store's redeem path with the demo rules, then
// replayed with a drafted copy of the rules directory (SAVE5 worth $7 instead of $5), as JSON (the
// report replayFromLedger gives) and as text; usage errors exit 2 and never create a database.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/http/body.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { replayFromLedger } from '../../src/reports/replay-ledger.js';
import { loadRuleset } from '../../src/ruleset/load.js';
import { openStore } from '../../src/store/open.js';
import { run, tempRules } from './helpers.js';

let dir: string;
let db: string;
const STORE = 'green-leaf-la';

const cart = (customer: string) => ({
  customer: { id: customer },
  codes: ['save5'],
  lines: [
    { id: 'l1', productId: 'gummies-10pk', category: 'edibles', unitPrice: 1800, quantity: 2 },
    { id: 'l2', productId: 'lighter', category: 'accessories', unitPrice: 300, quantity: 1, cannabis: false },
  ],
});

beforeAll(async () => {
  dir = tempRules('discounts-replay-');
  db = join(dir, 'ledger.db');
  const served = await loadRuleset(join(dir, 'rules'));
  const rs = served.prepared!;
  const store = await openStore({ path: db });
  const limits = rs.compiled.discounts.filter((d) => d.usageLimit !== null || d.perCustomerLimit !== null).map((d) => ({ discountId: d.id, usageLimit: d.usageLimit, perCustomerLimit: d.perCustomerLimit }));
  // Tuesday 2026-11-17, 11:00 Los Angeles, a sale an hour; c1 twice (SAVE5 is once per customer).
  for (const [i, customer] of ['c1', 'c2', 'c1', 'c3'].entries()) {
    const at = Date.parse('2026-11-17T19:00:00Z') + i * 3_600_000;
    const req = cart(customer);
    const outcome = await store.redeem({
      store: STORE,
      transactionId: `t${i + 1}`,
      requestCanonical: canonicalJson({ transactionId: `t${i + 1}`, ...req }),
      at: new Date(at).toISOString(),
      localDate: '2026-11-17',
      rulesetVersion: rs.version,
      customerId: customer,
      limits,
      price: (usage) => evaluate(rs, req, { now: at, usage }),
      now: new Date(at + 100).toISOString(),
    });
    expect(outcome.kind).toBe('committed');
  }
  await store.close();
  const save5 = join(dir, 'rules', 'save5.yaml');
  writeFileSync(save5, readFileSync(save5, 'utf8').replace('value: 5', 'value: 7'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('discounts replay', () => {
  const args = (...extra: string[]) => ['replay', '--rules', 'rules', '--db', 'ledger.db', '--from', '2026-11-01', '--to', '2026-12-01', ...extra];

  it('--format json prints the report replayFromLedger gives', async () => {
    const r = await run(args('--format', 'json'), { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const store = await openStore({ path: db, migrate: false });
    const drafted = await loadRuleset(join(dir, 'rules'));
    const direct = await replayFromLedger(store, { store: STORE, from: '2026-11-01', to: '2026-12-01', ruleset: drafted.ruleset! });
    await store.close();
    expect(report).toEqual(direct);
    // SAVE5 was given three times (t3 is c1 again): each now gives $2 more.
    const save5 = report.discounts.find((d: { discountId: string }) => d.discountId === 'save5');
    expect(save5).toMatchObject({ changed: 3, usedThen: 3, usedNow: 3, givenNow: save5.givenThen + 600, difference: 600 });
    expect(report.transactions).toBe(4);
  });

  it('prints a table by default', async () => {
    const r = await run(args(), { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^replay of green-leaf-la from 2026-11-01 to 2026-12-01 \(exclusive\) with rules \(ruleset [0-9a-f]{16}\): 4 transaction\(s\), 3 would change\n/);
    expect(r.stdout).toMatch(/\nsave5 +3 +3 +3 +\$15\.00 +\$21\.00 +\+\$6\.00\n/);
    expect(r.stdout).toMatch(/\ntotal +3 +\$[\d.,]+ +\$[\d.,]+ +\+\$6\.00\n/);
    expect(r.stdout).toContain('largest changes (3):\n  t1  ');
  });

  it('exits 2 for missing or bad flags and a ledger that is not there (and creates none)', async () => {
    expect((await run(['replay', '--rules', 'rules', '--from', '2026-11-01'], { cwd: dir })).code).toBe(2);
    const bad = await run(args('--from', '2026-11-31'), { cwd: dir });
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 2, stderr: "discounts replay: from must be a date (YYYY-MM-DD), not '2026-11-31'\n" });
    expect((await run(args('--format', 'csv'), { cwd: dir })).code).toBe(2);
    const missing = await run(['replay', '--rules', 'rules', '--db', 'nope.db', '--from', '2026-11-01', '--to', '2026-12-01'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no ledger at nope\.db/);
    expect(existsSync(join(dir, 'nope.db'))).toBe(false);
  });
});
