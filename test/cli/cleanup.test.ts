// `discounts cleanup` on a temporary rules directory: --dry-run moves nothing, a run moves finished
// files to archive/ (which the loader ignores), --db adds used-up usage limits, references in
// tests/ and carts/ are listed, and a void of an archived discount's redemption still works.

import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoCart, harness, POS, type Harness } from '../http/helpers.js';
import { run } from './helpers.js';

let h: Harness;
const OLD = 'id: old\nname: Old promo\ntype: fixed\nvalue: 1\ncode: OLD\nschedule:\n  end: 2026-10-01\n';
const RECENT = 'id: recent\nname: Recent promo\ntype: fixed\nvalue: 1\ncode: RECENT\nschedule:\n  end: 2026-11-01\n';
const USED = 'id: used\nname: One use\ntype: fixed\nvalue: 1\ncode: USED\nusageLimit: 1\nstackable: true\n';
beforeEach(async () => {
  h = await harness({ extraRules: { 'old.yaml': OLD, 'recent.yaml': RECENT, 'used.yaml': USED } });
  writeFileSync(join(h.rulesDir, 'tests', 'old.test.yaml'), '- name: the old code is expired\n  at: 2026-11-20T12:00:00\n  codes: [OLD]\n  lines:\n    - { id: l1, productId: p, category: flower, unitPrice: 1000, quantity: 1 }\n  expect:\n    rejected: [{ discountId: old, reason: EXPIRED }]\n');
  writeFileSync(join(h.rulesDir, 'carts', 'old.json'), JSON.stringify({ codes: ['old'], lines: [{ id: 'l1', productId: 'p', category: 'flower', unitPrice: 1000, quantity: 1 }] }, null, 2) + '\n');
  // The one use of USED, on 2026-10-01 (the CLI's clock is 2026-11-20).
  h.clock.now = Date.parse('2026-10-01T18:00:00Z');
  const res = await h.request('/v1/redemptions', { method: 'POST', headers: POS, json: { transactionId: 'u-1', ...demoCart({ codes: ['USED'] }) } });
  expect(res.status).toBe(201);
  expect((await res.json()).applied.map((a: { discountId: string }) => a.discountId)).toContain('used');
});
afterEach(async () => {
  await h.service.close();
  await h.close();
});

const files = (sub = '') => readdirSync(join(h.rulesDir, sub)).filter((n) => n.endsWith('.yaml')).sort();

describe('discounts cleanup', () => {
  it('--dry-run lists the finished discounts and the references to them, and moves nothing', async () => {
    const before = files();
    const r = await run(['cleanup', '--rules', h.rulesDir, '--dry-run']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([
      `would move ${h.rulesDir}/old.yaml -> ${h.rulesDir}/archive/old.yaml: old: its schedule ended 2026-10-02T07:00:00.000Z, more than 30 days ago`,
      'no database: usage limits were not checked, only ended schedules',
    ]);
    expect(r.stdout).toContain(`${h.rulesDir}/tests/old.test.yaml:3: names old: update or remove it (codes: [OLD])`);
    expect(r.stdout).toContain(`${h.rulesDir}/tests/old.test.yaml:7: names old: update or remove it (rejected: [{ discountId: old, reason: EXPIRED }])`);
    expect(r.stdout).toContain(`${h.rulesDir}/carts/old.json:3: names old: update or remove it ("old")`);
    expect(files()).toEqual(before);
    expect(existsSync(join(h.rulesDir, 'archive'))).toBe(false);
  });

  it('moves the finished files to archive/, which is never loaded; --db adds the used-up limit; a second run finds nothing', async () => {
    const r = await run(['cleanup', '--rules', h.rulesDir, '--db', h.dbPath]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 2)).toEqual([
      `moved ${h.rulesDir}/old.yaml -> ${h.rulesDir}/archive/old.yaml: old: its schedule ended 2026-10-02T07:00:00.000Z, more than 30 days ago`,
      `moved ${h.rulesDir}/used.yaml -> ${h.rulesDir}/archive/used.yaml: used: its usage limit of 1 was used up 2026-10-01T18:00:00.000Z, more than 30 days ago`,
    ]);
    expect(files('archive')).toEqual(['old.yaml', 'used.yaml']);
    expect(files()).not.toContain('old.yaml');
    expect(files()).toContain('recent.yaml');
    // The loader ignores archive/: the served ruleset no longer has them; the rules still validate.
    expect((await h.service.reload('http')).ok).toBe(true);
    const ids = h.rulesets.current!.compiled.discounts.map((d) => d.id);
    expect(ids).not.toContain('old');
    expect(ids).not.toContain('used');
    expect(ids).toContain('recent');
    // Redemption history stays; a void of the archived discount's redemption still releases its use.
    h.clock.now = Date.parse('2026-11-20T20:00:00Z');
    const v = await h.request('/v1/redemptions/u-1/void', { method: 'POST', headers: POS });
    expect(v.status).toBe(200);
    expect((await v.json()).applied.map((a: { discountId: string }) => a.discountId)).toContain('used');
    expect(await h.store.usageTotals('green-leaf-la')).toContainEqual({ discountId: 'used', used: 0 });
    const again = await run(['cleanup', '--rules', h.rulesDir, '--db', h.dbPath]);
    expect(again).toEqual({ code: 0, stdout: 'no finished discounts (grace 30 days)\n', stderr: '' });
  });

  it('a name taken in archive/ is not overwritten (exit 1); broken rules move nothing (exit 1); bad usage exits 2', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(h.rulesDir, 'archive'));
    writeFileSync(join(h.rulesDir, 'archive', 'old.yaml'), 'an older old\n');
    const r = await run(['cleanup', '--rules', h.rulesDir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${h.rulesDir}/old.yaml: not moved: ${h.rulesDir}/archive/old.yaml already exists: not overwritten (rename one of them)`);
    expect(files()).toContain('old.yaml');
    writeFileSync(join(h.rulesDir, 'broken.yaml'), 'id: broken\n');
    const b = await run(['cleanup', '--rules', h.rulesDir]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('has errors; nothing moved');
    expect((await run(['cleanup', 'extra'])).code).toBe(2);
  });
});
