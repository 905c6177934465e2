// Budgets through the CLI: `evaluate --usage` with `given`, the usage schema, `fmt` key order,
// `pos-sheet` words, and rule tests with usage.given.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run, tempRules } from './helpers.js';

const RULE = 'id: vend\nname: $5 off with VEND, $12 in all\ntype: fixed\nvalue: 5\ncode: VEND\nbudget: 12\nstackable: true\n';
const CART = JSON.stringify({
  at: '2026-11-20T12:00:00',
  codes: ['VEND'],
  lines: [{ id: 'a', productId: 'grinder', category: 'accessories', unitPrice: 2500, quantity: 1, cannabis: false }],
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function withRule(): string {
  const dir = tempRules();
  dirs.push(dir);
  writeFileSync(join(dir, 'rules', 'vend.yaml'), RULE);
  writeFileSync(join(dir, 'cart.json'), CART);
  return dir;
}
const vend = (stdout: string) => JSON.parse(stdout) as { applied: { discountId: string; amount: number }[]; rejected: { discountId: string; reason: string; message: string }[] };

describe('budgets in the CLI', () => {
  it('evaluate --usage: given caps the discount at what is left; at the budget it is BUDGET_EXHAUSTED', async () => {
    const dir = withRule();
    const priced = async (usage: unknown) => {
      writeFileSync(join(dir, 'usage.json'), JSON.stringify(usage));
      const r = await run(['evaluate', '--rules', 'rules', '--usage', 'usage.json', 'cart.json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      return vend(r.stdout);
    };
    expect((await priced({})).applied.find((a) => a.discountId === 'vend')?.amount).toBe(500);
    expect((await priced({ vend: { given: 1199 } })).applied.find((a) => a.discountId === 'vend')?.amount).toBe(1);
    const out = await priced({ vend: { used: 0, given: 1200 } });
    expect(out.applied.some((a) => a.discountId === 'vend')).toBe(false);
    expect(out.rejected).toContainEqual({ discountId: 'vend', code: 'VEND', reason: 'BUDGET_EXHAUSTED', message: '$5 off with VEND, $12 in all has used up its budget of $12.00' });
  });

  it('a usage file with a given that is not a non-negative integer is usage_schema_error, exit 2', async () => {
    const dir = withRule();
    writeFileSync(join(dir, 'usage.json'), JSON.stringify({ vend: { given: -1 } }));
    const r = await run(['evaluate', '--rules', 'rules', '--usage', 'usage.json', 'cart.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^usage\.json: usage_schema_error at \/vend\/given: /);
    writeFileSync(join(dir, 'usage.json'), JSON.stringify({ vend: { given: 1.5 } }));
    expect((await run(['evaluate', '--rules', 'rules', '--usage', 'usage.json', 'cart.json'], { cwd: dir })).code).toBe(2);
  });

  it('fmt writes budget right after maxDiscount; pos-sheet says "budget $12.00"', async () => {
    const dir = withRule();
    writeFileSync(join(dir, 'rules', 'vend.yaml'), 'id: vend\nbudget: 12\nname: $5 off with VEND, $12 in all\nstackable: true\ntype: fixed\nmaxDiscount: 5\nvalue: 5\ncode: VEND\n');
    expect((await run(['fmt', 'rules/vend.yaml'], { cwd: dir })).code).toBe(0);
    expect(readFileSync(join(dir, 'rules', 'vend.yaml'), 'utf8')).toBe(
      'id: vend\nname: $5 off with VEND, $12 in all\ntype: fixed\nvalue: 5\ncode: VEND\nmaxDiscount: 5\nbudget: 12\nstackable: true\n',
    );
    const sheet = await run(['pos-sheet', 'rules'], { cwd: dir });
    expect(sheet.code, sheet.stderr).toBe(0);
    expect(sheet.stdout.split('\r\n').find((l) => l.startsWith('vend,'))).toContain(',fixed,$5.00 off; budget $12.00,');
  });

  it('rule tests take usage.given', async () => {
    const dir = withRule();
    writeFileSync(
      join(dir, 'rules', 'tests', 'vend.test.yaml'),
      [
        '- name: 1 cent left',
        '  at: 2026-11-20T12:00:00',
        '  codes: [VEND]',
        '  usage: { vend: { given: 1199 } }',
        '  lines:',
        '    - { id: a, productId: grinder, category: accessories, unitPrice: 2500, quantity: 1, cannabis: false }',
        '  expect:',
        '    applied: [{ discountId: vend, amount: 1 }]',
        '- name: exhausted',
        '  at: 2026-11-20T12:00:00',
        '  codes: [VEND]',
        '  usage: { vend: { given: 1200 } }',
        '  lines:',
        '    - { id: a, productId: grinder, category: accessories, unitPrice: 2500, quantity: 1, cannabis: false }',
        '  expect:',
        '    applied: []',
        '    rejected: [{ discountId: vend, reason: BUDGET_EXHAUSTED }]',
        '',
      ].join('\n'),
    );
    const r = await run(['test', 'rules/tests/vend.test.yaml'], { cwd: dir });
    expect(r.stdout).toBe('2 passed, 0 failed\n');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
