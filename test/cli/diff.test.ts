// `discounts diff` on a temporary git repository: a few commits (a value change that breaks a rule
// test, a new discount, a pause, a reformat-only change, a POS ID change, a rename, a broken file),
// each section checked in text, markdown and JSON, and every --fail-on rule's exit code.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateGate, parseGate, share } from '../../src/review/gate.js';
import { run } from './helpers.js';

let repo: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
}

function write(path: string, text: string): void {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
}

function commit(message: string): void {
  git('add', '-A');
  git('commit', '-q', '-m', message);
}

/** The three formats of one diff, with the exit codes. */
async function diff(...extra: string[]) {
  const text = await run(['diff', ...extra], { cwd: repo });
  const markdown = await run(['diff', '--format', 'markdown', ...extra], { cwd: repo });
  const json = await run(['diff', '--format', 'json', ...extra], { cwd: repo });
  return { text, markdown, json, data: JSON.parse(json.stdout) };
}

const STORE = `store: test-store
timezone: America/Los_Angeles
currency: USD
pos: dutchie
`;

const FLOWER = `id: flower-20
name: 20% off all flower
type: percentage
value: 20
appliesTo:
  categories: [flower]
maxDiscount: 25
schedule:
  end: 2026-12-31
pos:
  discountId: DUT-100
`;

const SAVE5 = `id: save5
name: $5 off with code SAVE5
type: fixed
value: 5
code: SAVE5
stackable: true
pos:
  discountId: DUT-200
`;

const cart = (lines: unknown[], codes?: string[]) => JSON.stringify({ at: '2026-11-20T12:00:00', ...(codes ? { codes } : {}), lines }, null, 2) + '\n';
const flower = (quantity: number) => ({ id: 'f', productId: 'og-kush', category: 'flower', unitPrice: 3500, quantity });

beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'discounts-diff-'));
  git('init', '-q');
  write('rules/store.yaml', STORE);
  write('rules/flower-20.yaml', FLOWER);
  write('rules/save5.yaml', SAVE5);
  write('rules/carts/big.json', cart([flower(10)]));
  write('rules/carts/small.json', cart([flower(1)]));
  write('rules/carts/code.json', cart([{ id: 'a', productId: 'grinder', category: 'accessories', unitPrice: 3000, quantity: 1, cannabis: false }], ['SAVE5']));
  write(
    'rules/tests/flower.test.yaml',
    `- name: one flower
  at: 2026-11-20T12:00:00
  lines:
    - { id: f, productId: og-kush, category: flower, unitPrice: 3500, quantity: 1 }
  expect:
    discountTotal: 700
`,
  );
  commit('base');
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
});

describe('discounts diff on a git repository', () => {
  it('no change: every section says so, and every gate passes', async () => {
    const r = await diff('--fail-on', 'errors', '--fail-on', 'pos,money:0');
    for (const f of [r.text, r.markdown, r.json]) expect(f.code).toBe(0);
    expect(r.data.discounts).toEqual([]);
    expect(r.data.base.rulesetVersion).toBe(r.data.head.rulesetVersion);
    expect(r.data.money.summary).toMatchObject({ carts: 4, changed: 0 });
    expect(r.markdown.stdout).toContain('No change in meaning');
    expect(r.text.stdout).toContain('Gate: pass');
  });

  it('a value change: each field in words, the POS row to edit, the money on every cart, the rule test it breaks', async () => {
    write(
      'rules/flower-20.yaml',
      FLOWER.replace('value: 20', 'value: 25').replace('maxDiscount: 25\n', '').replace('2026-12-31', '2027-01-31').replace('[flower]', '[flower, pre-rolls]'),
    );
    const r = await diff();
    const phrases = ['value: 20% -> 25%', 'maxDiscount: $25.00 -> none', 'schedule: ends 2026-12-31 -> ends 2027-01-31', 'appliesTo: categories flower -> flower, pre-rolls'];
    for (const p of phrases) {
      expect(r.text.stdout).toContain(p);
      expect(r.markdown.stdout).toContain(`  - ${p}`);
    }
    expect(r.data.discounts).toEqual([
      expect.objectContaining({
        kind: 'changed',
        id: 'flower-20',
        changes: [
          { field: 'value', before: '20%', after: '25%' },
          { field: 'appliesTo', before: 'categories flower', after: 'flower, pre-rolls' },
          { field: 'maxDiscount', before: '$25.00', after: 'none' },
          { field: 'schedule', before: 'ends 2026-12-31', after: 'ends 2027-01-31' },
        ],
      }),
    ]);
    // POS: the row to edit, with its POS discount ID.
    expect(r.data.pos.system).toEqual({ before: 'dutchie (mirror)', after: 'dutchie (mirror)' });
    expect(r.data.pos.rows).toEqual([
      expect.objectContaining({ action: 'edit', discountId: 'flower-20', posDiscountId: { before: 'DUT-100', after: 'DUT-100' } }),
    ]);
    expect(r.data.pos.rows[0].columns.map((c: { field: string }) => c.field)).toEqual(['value', 'appliesTo', 'maxDiscount', 'schedule']);
    expect(r.text.stdout).toContain('edit   flower-20 (POS discount ID DUT-100): edit POS discount DUT-100: value, appliesTo, maxDiscount, schedule');
    expect(r.markdown.stdout).toMatch(/\| edit \| `flower-20` \| DUT-100 \| value: 20% off -> 25% off<br>/);
    // Money: 10 flowers lose the $25 cap (32500 -> 26250), one flower 2800 -> 2625; largest first.
    const carts = r.data.money.carts.filter((c: { changed: boolean }) => c.changed);
    expect(carts.map((c: { label: string; before: { total: number }; after: { total: number } }) => [c.label, c.before.total, c.after.total])).toEqual([
      ['rules/carts/big.json', 32500, 26250],
      ['rules/carts/small.json', 2800, 2625],
      ['rules/tests/flower.test.yaml:1: one flower', 2800, 2625],
    ]);
    expect(carts[0].discounts).toEqual([{ discountId: 'flower-20', before: 2500, after: 8750 }]);
    expect(r.data.money.summary).toEqual({ carts: 4, changed: 3, discountBefore: 4400, discountAfter: 11000, totalBefore: 40600, totalAfter: 34000 });
    expect(r.text.stdout).toContain('rules/carts/big.json: total $325.00 -> $262.50 (-$62.50, -19.23%); flower-20 $25.00 -> $87.50');
    expect(r.text.stdout).toContain('total discount $44.00 -> $110.00 (+$66.00)');
    expect(r.markdown.stdout).toContain('| `rules/carts/big.json` | 2026-11-20T12:00:00 | $325.00 | $262.50 | -$62.50 (-19.23%) | flower-20 $25.00 -> $87.50 |');
    expect(r.markdown.stdout).toContain('### Money impact on carts: 3 of 4 change');
    // The rule test the new rules fail.
    expect(r.data.money.failingTests).toEqual([
      { label: 'rules/tests/flower.test.yaml:1: one flower', problems: ['discountTotal: expected 700, got 875'], failedBefore: false },
    ]);
    expect(r.text.stdout).toContain('Rule tests the new rules fail: 1 of 1\n  FAIL rules/tests/flower.test.yaml:1: one flower (newly failing)\n    discountTotal: expected 700, got 875');
    expect(r.markdown.stdout).toContain('### Rule tests the new rules fail: 1 of 1');
    // The gates: money by the share of the total before (6.25% and 19.23% here), pos, errors.
    expect((await run(['diff', '--fail-on', 'money:19.23'], { cwd: repo })).code).toBe(1);
    expect((await run(['diff', '--fail-on', 'money:19.24'], { cwd: repo })).code).toBe(0);
    expect((await run(['diff', '--fail-on', 'pos'], { cwd: repo })).code).toBe(1);
    const errors = await run(['diff', '--fail-on', 'errors', '--format', 'json'], { cwd: repo });
    expect(errors.code).toBe(0);
    expect(JSON.parse(errors.stdout).gate).toEqual([{ rule: 'errors', holds: false, because: 'no new errors' }]);
    const gated = await run(['diff', '--fail-on', 'money:5', '--format', 'markdown'], { cwd: repo });
    expect(gated.code).toBe(1);
    // Sample carts only (big -19.23%, small -6.25%): the rule-test case has its own verdict above.
    expect(gated.stdout).toContain('**Gate failed**: `money:5` (2 sample cart(s) change by more than 5%, largest: rules/carts/big.json (-19.23%))');
    write('rules/tests/flower.test.yaml', "- name: one flower\n  at: 2026-11-20T12:00:00\n  lines:\n    - { id: f, productId: og-kush, category: flower, unitPrice: 3500, quantity: 1 }\n  expect:\n    discountTotal: 875\n");
    expect((await diff()).data.money.failingTests).toEqual([]);
    commit('flower 25%, uncapped, into January, pre-rolls too');
  });

  it('a new discount: added with its terms, a POS row to create, carts without it unchanged', async () => {
    write('rules/vapes-15.yaml', 'id: vapes-15\nname: 15% off vapes\ntype: percentage\nvalue: 15\nappliesTo:\n  categories: [vapes]\nstackable: true\npos:\n  discountId: DUT-300\n');
    const r = await diff();
    expect(r.data.discounts).toEqual([
      expect.objectContaining({
        kind: 'added',
        id: 'vapes-15',
        terms: ['type: percentage', 'value: 15%', 'appliesTo: categories vapes', 'stackable: yes', 'pos.discountId: DUT-300'],
      }),
    ]);
    expect(r.text.stdout).toContain('added vapes-15 ("15% off vapes")\n    type: percentage; value: 15%; appliesTo: categories vapes; stackable: yes; pos.discountId: DUT-300');
    expect(r.markdown.stdout).toContain('- **added** `vapes-15` (15% off vapes): type: percentage; value: 15%; appliesTo: categories vapes; stackable: yes; pos.discountId: DUT-300');
    expect(r.data.pos.rows).toEqual([expect.objectContaining({ action: 'create', discountId: 'vapes-15', posDiscountId: { before: null, after: 'DUT-300' } })]);
    expect(r.text.stdout).toContain('create vapes-15 (POS discount ID DUT-300): create in the POS and link by ID (POS discount ID: DUT-300)');
    expect(r.data.money.summary.changed).toBe(0);
    expect(r.markdown.stdout).toContain('### Money impact on carts: 0 of 4 change');
    expect((await run(['diff', '--fail-on', 'money:0'], { cwd: repo })).code).toBe(0);
    expect((await run(['diff', '--fail-on', 'money:0', '--fail-on', 'pos'], { cwd: repo })).code).toBe(1);
    commit('vapes 15%');
  });

  it('a pause: the enabled flag, the code cart loses the discount', async () => {
    write('rules/save5.yaml', SAVE5.replace('stackable: true\n', 'stackable: true\nenabled: false\n'));
    const r = await diff();
    expect(r.data.discounts).toEqual([expect.objectContaining({ kind: 'paused', id: 'save5', changes: [] })]);
    expect(r.text.stdout).toContain('paused save5 ("$5 off with code SAVE5")');
    expect(r.markdown.stdout).toContain('- **paused** `save5` ($5 off with code SAVE5)');
    expect(r.data.pos.rows).toEqual([expect.objectContaining({ action: 'edit', discountId: 'save5', columns: [{ field: 'enabled', before: 'true', after: 'false' }] })]);
    const code = r.data.money.carts.find((c: { label: string }) => c.label === 'rules/carts/code.json');
    expect(code).toMatchObject({ changed: true, delta: 500, discounts: [{ discountId: 'save5', before: 500, after: null }] });
    expect(r.text.stdout).toContain('rules/carts/code.json: total $25.00 -> $30.00 (+$5.00, +20.00%); -save5 $5.00');
    commit('pause save5');
    write('rules/save5.yaml', SAVE5);
    const resumed = await diff();
    expect(resumed.data.discounts).toEqual([expect.objectContaining({ kind: 'resumed', id: 'save5' })]);
    expect(resumed.markdown.stdout).toContain('- **resumed** `save5`');
    commit('resume save5');
  });

  it('a reformat-only change: comments, key order and list style change nothing', async () => {
    write(
      'rules/flower-20.yaml',
      `# Flower promotion (reviewed by the merchandising team)
pos: { discountId: DUT-100 }
schedule: { end: "2027-01-31" }
appliesTo:
  categories:
    - pre-rolls
    - flower
value: 25.0
type: percentage
name: "20% off all flower"
id: flower-20
`,
    );
    const r = await diff('--fail-on', 'errors,pos,money:0');
    for (const f of [r.text, r.markdown, r.json]) expect(f.code).toBe(0);
    expect(r.data.discounts).toEqual([]);
    expect(r.data.pos.rows).toEqual([]);
    expect(r.data.money.summary.changed).toBe(0);
    expect(r.data.diagnostics).toEqual({ new: [], fixed: [] });
    expect(r.text.stdout).toContain('What changed: no discount changes');
    expect(r.markdown.stdout).toContain('No change in meaning: the discounts and the store policy compile to the same thing.');
    expect(r.markdown.stdout).toContain('No row of the POS sheet changes.');
    commit('reformat flower-20');
  });

  it('a POS ID change: the discount field and the POS row to relink', async () => {
    write('rules/save5.yaml', SAVE5.replace('DUT-200', 'DUT-201'));
    const r = await diff();
    expect(r.data.discounts).toEqual([expect.objectContaining({ kind: 'changed', id: 'save5', changes: [{ field: 'pos.discountId', before: 'DUT-200', after: 'DUT-201' }] })]);
    expect(r.text.stdout).toContain('pos.discountId: DUT-200 -> DUT-201');
    expect(r.data.pos.rows).toEqual([expect.objectContaining({ action: 'edit', discountId: 'save5', posDiscountId: { before: 'DUT-200', after: 'DUT-201' }, todo: 'relink: POS discount ID DUT-200 -> DUT-201' })]);
    expect(r.text.stdout).toContain('edit   save5 (POS discount ID DUT-200 -> DUT-201): relink: POS discount ID DUT-200 -> DUT-201');
    expect(r.markdown.stdout).toContain('| edit | `save5` | DUT-200 -> DUT-201 | posDiscountId: DUT-200 -> DUT-201 | relink: POS discount ID DUT-200 -> DUT-201 |');
    expect(r.data.money.summary.changed).toBe(0);
    expect((await run(['diff', '--fail-on', 'pos'], { cwd: repo })).code).toBe(1);
    expect((await run(['diff', '--fail-on', 'errors,money:0'], { cwd: repo })).code).toBe(0);
    commit('save5 relinked');
  });

  it('a rename: same content under a new id, with its POS row edited rather than deleted and created', async () => {
    renameSync(join(repo, 'rules/vapes-15.yaml'), join(repo, 'rules/vapes-sale.yaml'));
    write('rules/vapes-sale.yaml', 'id: vapes-sale\nname: 15% off vapes\ntype: percentage\nvalue: 15\nappliesTo:\n  categories: [vapes]\nstackable: true\npos:\n  discountId: DUT-300\n');
    const r = await diff();
    expect(r.data.discounts).toEqual([expect.objectContaining({ kind: 'renamed', id: 'vapes-sale', from: 'vapes-15', changes: [] })]);
    expect(r.text.stdout).toContain('renamed vapes-15 -> vapes-sale ("15% off vapes"), same terms');
    expect(r.markdown.stdout).toContain('- **renamed** `vapes-15` → `vapes-sale` (15% off vapes), same terms');
    expect(r.data.pos.rows).toEqual([expect.objectContaining({ action: 'edit', discountId: 'vapes-sale', columns: [{ field: 'discountId', before: 'vapes-15', after: 'vapes-sale' }] })]);
    commit('rename vapes-15');
  });

  it('a broken file and a store policy change: new errors first, carts not priced, the errors gate', async () => {
    write('rules/broken.yaml', 'id: broken\nname: Broken\ntype: percentage\nvalue: 150\n');
    write('rules/store.yaml', STORE + 'maxDiscountPercent: 40\n');
    const r = await diff();
    expect(r.data.diagnostics.new.map((d: { line: number; severity: string; code: string }) => `${d.line} ${d.severity} ${d.code}`)).toEqual([
      '1 error pos_discount_id_required',
      '4 error rule_schema_error',
    ]);
    expect(r.data.diagnostics.new[1]).toEqual({ path: 'rules/broken.yaml', line: 4, col: 1, severity: 'error', code: 'rule_schema_error', message: 'value: must be <= 100' });
    expect(r.text.stdout).toContain('new   rules/broken.yaml:4:1: error rule_schema_error: value: must be <= 100');
    expect(r.markdown.stdout).toContain('| new | error | `rules/broken.yaml:4:1` | `rule_schema_error` | value: must be <= 100 |');
    expect(r.data.store).toEqual([{ field: 'maxDiscountPercent', before: 'none (100%)', after: '40%' }]);
    expect(r.text.stdout).toContain('maxDiscountPercent: none (100%) -> 40%');
    expect(r.data.notCompared).toEqual(['rules/broken.yaml']);
    expect(r.data.money.notPriced).toBe('the rules at work tree have errors');
    expect(r.markdown.stdout).toContain('Not priced: the rules at work tree have errors.');
    expect((await run(['diff', '--fail-on', 'errors'], { cwd: repo })).code).toBe(1);
    // A gate that cannot be decided fails: money and pos need both rulesets.
    expect((await run(['diff', '--fail-on', 'money:50'], { cwd: repo })).code).toBe(1);
    commit('broken');
    rmSync(join(repo, 'rules/broken.yaml'));
    const fixed = await diff('--fail-on', 'errors');
    expect(fixed.text.code).toBe(0);
    expect(fixed.data.diagnostics.fixed.map((d: { code: string }) => d.code)).toEqual(['pos_discount_id_required', 'rule_schema_error']);
    expect(fixed.text.stdout).toContain('fixed rules/broken.yaml:4:1: error rule_schema_error');
    commit('fix');
  });

  it('--base compares with any revision, and leaves the work tree and the index as they were', async () => {
    write('rules/save5.yaml', SAVE5.replace('value: 5', 'value: 7.5'));
    const status = git('status', '--porcelain');
    const r = await diff('--base', 'HEAD~9');
    expect(git('status', '--porcelain')).toBe(status);
    const ids = r.data.discounts.map((d: { kind: string; id: string }) => `${d.kind} ${d.id}`).sort();
    expect(ids).toEqual(['added vapes-sale', 'changed flower-20', 'changed save5']);
    expect(r.text.stdout).toContain('value: $5.00 -> $7.50');
    expect(r.data.base.revision).toBe('HEAD~9');
    expect(r.data.base.commit).toBe(git('rev-parse', 'HEAD~9').trim());
    rmSync(join(repo, 'rules/save5.yaml'));
    const removed = await diff();
    expect(removed.data.discounts).toEqual([expect.objectContaining({ kind: 'removed', id: 'save5' })]);
    expect(removed.data.pos.rows).toEqual([expect.objectContaining({ action: 'delete', discountId: 'save5', todo: 'delete POS discount DUT-201' })]);
    git('checkout', '-q', '--', 'rules/save5.yaml');
  });

  it('from a subdirectory, the rules path is resolved inside the repository', async () => {
    write('rules/save5.yaml', SAVE5.replace('DUT-200', 'DUT-202'));
    const r = await run(['diff', '--rules', '.', '--format', 'json'], { cwd: join(repo, 'rules') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).discounts).toEqual([expect.objectContaining({ id: 'save5', changes: [{ field: 'pos.discountId', before: 'DUT-201', after: 'DUT-202' }] })]);
    git('checkout', '-q', '--', 'rules/save5.yaml');
  });
});

describe('discounts diff: bad input exits 2 with the reason', () => {
  it('outside a git repository', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'discounts-nogit-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'store.yaml'), STORE);
    const r = await run(['diff'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^discounts diff: .* is not in a git repository/);
    rmSync(dir, { recursive: true, force: true });
  });
  it('an unknown revision', async () => {
    const r = await run(['diff', '--base', 'no-such-branch'], { cwd: repo });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("discounts diff: unknown revision 'no-such-branch'");
    expect((await run(['diff', '--base', '--upload-pack=x'], { cwd: repo })).code).toBe(2);
  });
  it('bad options', async () => {
    for (const [args, message] of [
      [['--format', 'html'], '--format must be text, markdown or json'],
      [['--fail-on', 'money'], "--fail-on 'money': expected errors, pos or money:<percent>"],
      [['--fail-on', 'money:abc'], '--fail-on money:abc: the share must be a percentage'],
      [['--days', '7'], '--days needs --db'],
      [['--carts', 'nowhere'], 'cannot read directory nowhere (--carts)'],
      [['extra'], "unexpected argument 'extra'"],
    ] as const) {
      const r = await run(['diff', ...args], { cwd: repo });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });
});

describe('the gate and its arithmetic', () => {
  it('parses several rules, comma-separated or repeated', () => {
    expect(parseGate(['errors,pos', 'money:2.5'])).toEqual({ ok: true, rules: [{ kind: 'errors' }, { kind: 'pos' }, { kind: 'money', percent: '2.5', bps: 250 }] });
    expect(parseGate(['money:1.234']).ok).toBe(false);
  });
  it('money:<percent> is about the sample carts; a rule-test case has its own verdict', () => {
    const review = (kind: 'cart' | 'test', delta: number, before: number) =>
      ({ money: { notPriced: null, carts: [{ kind, label: 'x', delta, before: { total: before } }] } }) as unknown as Parameters<typeof evaluateGate>[1];
    const money = (percent: string) => (parseGate([`money:${percent}`]) as { rules: Parameters<typeof evaluateGate>[0] }).rules;
    expect(evaluateGate(money('1'), review('test', -500, 1000))[0].holds).toBe(false);
    expect(evaluateGate(money('1'), review('cart', -500, 1000))[0].holds).toBe(true);
    expect(evaluateGate(money('50'), review('cart', -500, 1000))[0].holds).toBe(false);
    expect(evaluateGate(money('49.99'), review('cart', 500, 1000))[0].holds).toBe(true);
    expect(evaluateGate(money('1000'), review('cart', 1, 0))[0].holds).toBe(true);
  });
  it('shares are signed, half-up to 0.01%', () => {
    expect(share(-625, 10000)).toBe('-6.25%');
    expect(share(1, 3)).toBe('+33.33%');
    expect(share(2, 3)).toBe('+66.67%');
    expect(share(5, 0)).toBe('from 0');
  });
});

describe('discounts diff --format markdown stays a comment', () => {
  it('hundreds of changes: within a few hundred lines, the largest first, the rest counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'discounts-diff-big-'));
    const g = (...args: string[]) => execFileSync('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir });
    g('init', '-q');
    mkdirSync(join(dir, 'rules/carts'), { recursive: true });
    writeFileSync(join(dir, 'rules/store.yaml', ), 'store: s\ntimezone: UTC\ncurrency: USD\n');
    for (let i = 0; i < 200; i++) {
      writeFileSync(join(dir, `rules/c${i}.yaml`), `id: c${i}\nname: C${i}\ntype: percentage\nvalue: 10\nappliesTo: { categories: [cat${i}] }\nstackable: true\n`);
      writeFileSync(join(dir, `rules/carts/cart${String(i).padStart(3, '0')}.json`), cart([{ id: 'l', productId: 'p', category: `cat${i}`, unitPrice: 1000 * (i + 1), quantity: 1 }]));
    }
    g('add', '-A');
    g('commit', '-q', '-m', 'base');
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, `rules/c${i}.yaml`), `id: c${i}\nname: C${i}\ntype: percentage\nvalue: 20\nappliesTo: { categories: [cat${i}] }\nstackable: true\n`);
    for (let i = 0; i < 150; i++) writeFileSync(join(dir, `rules/n${i}.yaml`), `id: n${i}\nname: N${i}\ntype: fixed\nvalue: 1\n`);
    const r = await run(['diff', '--format', 'markdown'], { cwd: dir });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.length).toBeLessThanOrEqual(400);
    // The discount that moved the most money (c199: 10% more of $2,000.00) comes first.
    expect(r.stdout.indexOf('**changed** `c199`')).toBeLessThan(r.stdout.indexOf('**changed** `c198`'));
    expect(r.stdout).toMatch(/…and \d+ more discount change\(s\)/);
    expect(r.stdout).toMatch(/…and \d+ more changed cart\(s\)/);
    expect(r.stdout).toContain('### Money impact on carts: 200 of 200 change');
    const json = JSON.parse((await run(['diff', '--format', 'json'], { cwd: dir })).stdout);
    expect(json.discounts).toHaveLength(350);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('discounts diff: where git runs', () => {
  it('an absolute --rules in a repository, from a directory outside it', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'discounts-outside-'));
    const r = await run(['diff', '--rules', join(repo, 'rules'), '--format', 'json'], { cwd: outside });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).base.commit).toBe(git('rev-parse', 'HEAD').trim());
    rmSync(outside, { recursive: true, force: true });
  });
});
