// `discounts diff --db`: the stored redemptions re-priced with both rulesets. A ledger seeded
// through the store's redeem path with the demo rules (committed as the base), then SAVE5 worth $7
// instead of $5 in the work tree: the three redemptions that took SAVE5 change by $2 each.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/http/body.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { replayFromLedger } from '../../src/reports/replay-ledger.js';
import { replayWindow } from '../../src/review/replay.js';
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
  dir = tempRules('discounts-diff-replay-');
  db = join(dir, 'ledger.db');
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir });
  git('init', '-q');
  git('add', 'rules');
  git('commit', '-q', '-m', 'demo rules');
  const rs = (await loadRuleset(join(dir, 'rules'))).prepared!;
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

describe('discounts diff --db', () => {
  it('re-prices the last 30 days with both rulesets, from the same stored requests', async () => {
    const r = await run(['diff', '--db', 'ledger.db', '--format', 'json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const replay = JSON.parse(r.stdout).replay;
    // The test clock is 2026-11-20 12:00 Los Angeles: the window is [2026-10-22, 2026-11-21).
    expect(replay).toMatchObject({ days: 30, from: '2026-10-22', to: '2026-11-21', transactions: 4, changed: 3, skipped: 0 });
    expect(replay.perDiscount).toEqual([{ discountId: 'save5', before: 1500, after: 2100, transactions: 3 }]);
    expect(replay.discountAfter - replay.discountBefore).toBe(600);
    // Each side equals the replay of that ruleset alone.
    const store = await openStore({ path: db, migrate: false });
    const period = { store: STORE, from: '2026-10-22', to: '2026-11-21' };
    const head = await replayFromLedger(store, { ...period, ruleset: (await loadRuleset(join(dir, 'rules'))).ruleset! });
    execFileSync('git', ['stash', '-q'], { cwd: dir });
    const base = await replayFromLedger(store, { ...period, ruleset: (await loadRuleset(join(dir, 'rules'))).ruleset! });
    execFileSync('git', ['stash', 'pop', '-q'], { cwd: dir });
    await store.close();
    expect(replay.discountBefore).toBe(base.total.givenNow);
    expect(replay.discountAfter).toBe(head.total.givenNow);
    const text = await run(['diff', '--db', 'ledger.db'], { cwd: dir });
    expect(text.stdout).toContain(`Replay of the last 30 day(s) (2026-10-22 to 2026-11-21): 3 of 4 transaction(s) change; discount given $${(replay.discountBefore / 100).toFixed(2)} -> $${(replay.discountAfter / 100).toFixed(2)} (+$6.00)`);
    expect(text.stdout).toContain('  save5: $15.00 -> $21.00 (+$6.00) in 3 transaction(s)');
    const md = await run(['diff', '--db', 'ledger.db', '--format', 'markdown'], { cwd: dir });
    expect(md.stdout).toContain('| `save5` | $15.00 | $21.00 | +$6.00 | 3 |');
  });
  it('--days narrows the window; a missing ledger is exit 2 and is never created', async () => {
    const r = await run(['diff', '--db', 'ledger.db', '--days', '3', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(r.stdout).replay).toMatchObject({ from: '2026-11-18', to: '2026-11-21', transactions: 0, changed: 0 });
    const missing = await run(['diff', '--db', 'nope.db'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no ledger at nope.db');
    expect(existsSync(join(dir, 'nope.db'))).toBe(false);
  });
  it('the window is store-local, today included', () => {
    expect(replayWindow(Date.parse('2026-11-21T07:30:00Z'), 'America/Los_Angeles', 30)).toEqual({ from: '2026-10-22', to: '2026-11-21' });
    expect(replayWindow(Date.parse('2026-11-21T08:30:00Z'), 'America/Los_Angeles', 1)).toEqual({ from: '2026-11-21', to: '2026-11-22' });
  });
});
