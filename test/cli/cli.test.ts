// The `discounts` CLI, run in-process through main() with captured output, and once through the
// real bin script.

import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo, run, tempRules } from './helpers.js';

/** The number of cases in rules/tests/demo.test.yaml. */
const DEMO_CASES = 34;


describe('discounts validate', () => {
  it('passes the demo rules', async () => {
    const r = await run(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('12 rule file(s), 1 test file(s): 0 error(s), 0 warning(s)\n');
  });
  it('prints sorted diagnostics and exits 1 on errors; --json gives the same as data', async () => {
    const cwd = join(repo, 'test/cases/diag-meaning');
    const text = await run(['validate', 'rules'], { cwd });
    expect(text.code).toBe(1);
    expect(text.stdout).toBe(readFileSync(join(cwd, 'expected.txt'), 'utf8'));
    const json = await run(['validate', '--json', 'rules'], { cwd });
    expect(json.code).toBe(1);
    const list = JSON.parse(json.stdout);
    expect(list[0]).toEqual({ path: 'rules/alpha.json', line: 1, col: 3, severity: 'error', code: 'duplicate_id', message: "id 'alpha' is also used by rules/alpha.yaml and rules/beta.yaml" });
    expect(list.map((d: any) => `${d.path}:${d.line}:${d.col}`)).toEqual(
      text.stdout.trim().split('\n').map((l) => l.split(': ')[0]),
    );
  });
  it('warnings alone exit 0', async () => {
    const r = await run(['validate', 'rules'], { cwd: join(repo, 'test/cases/diag-no-store') });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning store_policy_missing/);
  });
  it('checks a single file against its directory store policy', async () => {
    const r = await run(['validate', 'test/cases/diag-schema/rules/pct-range.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('test/cases/diag-schema/rules/pct-range.yaml:4:1: error rule_schema_error: value: must be <= 100\n');
  });
});

describe('discounts fmt', () => {
  it('the demo rules are canonical', async () => {
    const r = await run(['fmt', '--check']);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });
  it('--check lists files that would change and exits 1; without it, rewrites them keeping comments', async () => {
    const dir = tempRules();
    const file = join(dir, 'rules', 'save5.yaml');
    writeFileSync(file, "# promo for the newsletter\nstackable: true\ncode: SAVE5\nvalue: 5\ntype: 'fixed'\nname: $5 off\nid: save5\n");
    const check = await run(['fmt', '--check', 'rules'], { cwd: dir });
    expect(check.code).toBe(1);
    expect(check.stdout).toBe('rules/save5.yaml\n');
    expect(readFileSync(file, 'utf8')).toContain("type: 'fixed'"); // --check writes nothing
    const fix = await run(['fmt', 'rules'], { cwd: dir });
    expect(fix.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('# promo for the newsletter\n\nid: save5\nname: $5 off\ntype: fixed\nvalue: 5\ncode: SAVE5\nstackable: true\n');
    expect((await run(['fmt', '--check', 'rules'], { cwd: dir })).code).toBe(0);
  });
  it('reports files it cannot parse', async () => {
    const dir = tempRules();
    writeFileSync(join(dir, 'rules', 'bad.yaml'), 'id: [\n');
    const r = await run(['fmt', '--check', 'rules'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rules\/bad\.yaml:\d+:\d+: error yaml_syntax_error/m);
  });
});

describe('discounts test', () => {
  it('runs the demo rule tests: every case, and nothing else', async () => {
    const cases = (readFileSync(join(repo, 'rules/tests/demo.test.yaml'), 'utf8').match(/^- /gm) ?? []).length;
    expect(cases).toBe(DEMO_CASES); // a case added or removed must be counted here on purpose
    for (const argv of [['test'], ['test', 'rules/tests'], ['test', 'rules/tests/demo.test.yaml']]) {
      const r = await run(argv);
      expect(r.stdout, argv.join(' ')).toBe(`${DEMO_CASES} passed, 0 failed\n`);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  });
  it('prints each failing case with a diff and exits 1', async () => {
    const dir = tempRules();
    const file = join(dir, 'rules', 'tests', 'demo.test.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('lines: { a: 167, b: 333, c: 500 }', 'lines: { a: 166, b: 333, c: 500 }'));
    const r = await run(['test', 'rules/tests'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL rules/tests/demo.test.yaml:');
    expect(r.stdout).toContain('lines.a: expected discount 166, got 167');
    expect(r.stdout).toMatch(/\d+ passed, 1 failed\n$/);
  });
  it('reports a malformed test file with its position', async () => {
    const dir = tempRules();
    writeFileSync(join(dir, 'rules', 'tests', 'bad.test.yaml'), '- name: x\n  lines: []\n  expect: { totl: 1 }\n');
    const r = await run(['test', 'rules/tests/bad.test.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rules/tests/bad.test.yaml:3:13: error test_schema_error: [0].expect: unknown property 'totl' (did you mean 'total'?)");
    expect(r.stdout).toBe('FAIL rules/tests/bad.test.yaml: not run: the test file has errors\n0 passed, 1 failed\n');
  });
});

describe('discounts evaluate', () => {
  it('prices a cart file', async () => {
    const r = await run(['evaluate', '--rules', 'rules', 'rules/carts/demo.json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ currency: 'USD', subtotal: 10200 });
    expect(res.applied.map((a: any) => a.discountId)).toEqual(['edibles-b2g1', 'happy-hour-prerolls', 'ten-off-fifty', 'save5']);
  });
  it('reads the cart from stdin and uses the clock when there is no `at`', async () => {
    const cart = { lines: [{ id: 'p', productId: 'pr', category: 'pre-rolls', unitPrice: 800, quantity: 2 }] };
    // The clock says Friday 2026-11-20 12:00 in Los Angeles: no happy hour, but Friday's $5 pre-rolls.
    const r = await run(['evaluate', '--rules', 'rules', '-'], { stdin: JSON.stringify(cart) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).applied.map((a: { discountId: string; amount: number }) => [a.discountId, a.amount])).toEqual([['prerolls-5-fridays', 600]]);
  });
  it('applies --usage counts', async () => {
    const dir = tempRules();
    writeFileSync(join(dir, 'usage.json'), JSON.stringify({ save5: { used: 1000 } }));
    const r = await run(['evaluate', '--rules', 'rules', '--usage', 'usage.json', 'rules/carts/demo.json'], { cwd: dir });
    expect(JSON.parse(r.stdout).rejected[0]).toMatchObject({ discountId: 'save5', code: 'save5', reason: 'USAGE_LIMIT_REACHED' });
  });
  it('bad input exits 2 with a clear message', async () => {
    const notJson = await run(['evaluate', '--rules', 'rules', '-'], { stdin: '{ lines: ' });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/stdin is not valid JSON/);
    const bad = await run(['evaluate', '--rules', 'rules', '-'], {
      stdin: JSON.stringify({ lines: [{ id: 'a', productId: 'p', category: 'c', unitPrice: 1.5, quantity: 0 }, { id: 'a', productId: 'p', category: 'c', unitPrice: 1, quantity: 1 }] }),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('stdin: request_schema_error at /lines/0/quantity: lines[0].quantity is a whole number of units, from 1 to 10000; got 0\n');
    expect(bad.stderr).toContain(
      'stdin: request_schema_error at /lines/0/unitPrice: lines[0].unitPrice is an integer in minor units of the store currency (for USD, 1250 means $12.50), from 0 to 100000000; got 1.5\n',
    );
    const missing = await run(['evaluate', '--rules', 'rules', 'no-such-cart.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read no-such-cart\.json/);
    const badUsage = await run(['evaluate', '--rules', 'rules', '--usage', 'rules/store.yaml', 'rules/carts/demo.json']);
    expect(badUsage.code).toBe(2);
    const badRules = await run(['evaluate', '--rules', 'test/cases/diag-schema/rules', 'rules/carts/demo.json']);
    expect(badRules.code).toBe(2);
    expect(badRules.stderr).toContain('error rule_schema_error');
    const badFlag = await run(['evaluate', '--rulez', 'rules']);
    expect(badFlag.code).toBe(2);
  });
});

describe('discounts compile', () => {
  it('prints the json-rules-engine rules and pricing actions', async () => {
    const r = await run(['compile', '--rules', 'rules']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.version).toMatch(/^[0-9a-f]{16}$/);
    const flower = out.discounts.find((d: any) => d.id === 'flower-20');
    expect(flower.action).toEqual({ type: 'percentage', rateBps: 2000, maxDiscount: 2500 });
    expect(flower.rule).toMatchObject({ name: 'flower-20', event: { type: 'eligible', params: { discountId: 'flower-20' } } });
  });
});

describe('usage errors', () => {
  it('unknown commands exit 2', async () => {
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
    expect((await run(['--help'])).code).toBe(0);
  });
});

describe('bin/discounts.js', () => {
  it('runs as a real process (built by npm run build)', () => {
    const out = execFileSync(process.execPath, [join(repo, 'bin/discounts.js'), 'evaluate', '--rules', 'rules', 'rules/carts/demo.json'], { cwd: repo, encoding: 'utf8' });
    expect(JSON.parse(out).total).toBe(7101);
    const bad = spawnSync(process.execPath, [join(repo, 'bin/discounts.js'), 'evaluate', '--rules', 'rules', '-'], { cwd: repo, input: 'nope', encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/not valid JSON/);
  });
});

describe('hostile names', () => {
  it('commands named after Object.prototype members are unknown commands', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expect((await run([name])).code).toBe(2);
  });
  it('a rule with a condition on $.__proto__ validates and evaluates without throwing', async () => {
    const dir = tempRules();
    writeFileSync(join(dir, 'rules', 'proto.yaml'), 'id: proto\nname: Proto\ntype: fixed\nvalue: 1\nstackable: true\nconditions:\n  all:\n    - { fact: cart, path: $.__proto__, operator: notEqual, value: 1 }\n    - { fact: customer, path: $.constructor, operator: notEqual, value: 1 }\n');
    expect((await run(['validate', 'rules'], { cwd: dir })).code).toBe(0);
    const r = await run(['evaluate', '--rules', 'rules', 'rules/carts/demo.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).applied.map((a: any) => a.discountId)).toContain('proto');
  });
  it('customer ids such as "constructor" have no usage unless the usage file says so', async () => {
    const dir = tempRules();
    writeFileSync(join(dir, 'usage.json'), JSON.stringify({ save5: { used: 0, customers: { someone: 1 } } }));
    for (const id of ['constructor', '__proto__', 'toString']) {
      const cart = JSON.parse(readFileSync(join(dir, 'rules/carts/demo.json'), 'utf8'));
      cart.customer = { id };
      writeFileSync(join(dir, 'cart.json'), JSON.stringify(cart));
      const r = await run(['evaluate', '--rules', 'rules', '--usage', 'usage.json', 'cart.json'], { cwd: dir });
      expect(JSON.parse(r.stdout).applied.map((a: any) => a.discountId), id).toContain('save5');
    }
  });
});

describe('rules directories that are missing, unreadable or linked', () => {
  it('a missing rules directory is exit 2 with a message, for every command that reads one', async () => {
    for (const argv of [
      ['evaluate', '--rules', 'nope', 'rules/carts/demo.json'],
      ['compile', '--rules', 'nope'],
      ['pos-sheet', '--rules', 'nope'],
      ['compile', '--rules', 'rules/store.yaml'],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/cannot read directory nope|cannot read directory rules\/store.yaml/);
    }
  });
  it('a store.yaml that exists but cannot be read is an error, not the defaults', async () => {
    const dir = tempRules();
    const { rmSync, mkdirSync } = await import('node:fs');
    rmSync(join(dir, 'rules', 'store.yaml'));
    mkdirSync(join(dir, 'rules', 'store.yaml'));
    const r = await run(['compile', '--rules', 'rules'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read rules\/store\.yaml: EISDIR/);
  });
  it('follows symbolic links to rule files', async () => {
    const dir = tempRules();
    const { symlinkSync, renameSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'shared'));
    renameSync(join(dir, 'rules', 'save5.yaml'), join(dir, 'shared', 'save5.yaml'));
    symlinkSync(join(dir, 'shared', 'save5.yaml'), join(dir, 'rules', 'save5.yaml'));
    const r = await run(['compile', '--rules', 'rules'], { cwd: dir });
    expect(JSON.parse(r.stdout).discounts.map((d: any) => d.id)).toContain('save5');
  });
  it('`discounts test` finds the rules above the test file however the path is written', async () => {
    const dir = tempRules();
    const r = await run(['test', 'demo.test.yaml'], { cwd: join(dir, 'rules', 'tests') });
    expect(r.stdout).toBe(`${DEMO_CASES} passed, 0 failed\n`);
  });
  it('`fmt` treats only store.yaml as the store policy', async () => {
    const dir = tempRules();
    writeFileSync(join(dir, 'rules', 'restore.yaml'), 'type: fixed\nvalue: 1\nname: Restore\nid: restore\n');
    const r = await run(['fmt', '--check', 'rules'], { cwd: dir });
    expect(r.stdout).toBe('rules/restore.yaml\n');
  });
});

describe('request errors', () => {
  it('are sorted by pointer with array indices compared as numbers', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => ({ id: `l${i}`, productId: 'p', category: 'c', unitPrice: 1, quantity: i === 2 || i === 10 ? 0 : 1 }));
    const r = await run(['evaluate', '--rules', 'rules', '-'], { stdin: JSON.stringify({ lines }) });
    expect(r.code).toBe(2);
    const paths = r.stderr.trim().split('\n').map((l) => l.split(' at ')[1].split(':')[0]);
    expect(paths).toEqual(['/lines/2/quantity', '/lines/10/quantity']);
  });
});

describe('fmt, test and validate on awkward paths', () => {
  it('fmt formats symlinked rule files in a directory', async () => {
    const dir = tempRules();
    const { symlinkSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'shared', 'ugly.yaml'), 'type: fixed\nvalue: 1\nname: Ugly\nid: ugly\n');
    symlinkSync(join(dir, 'shared', 'ugly.yaml'), join(dir, 'rules', 'ugly.yaml'));
    const r = await run(['fmt', '--check', 'rules'], { cwd: dir });
    expect(r.stdout).toBe('rules/ugly.yaml\n');
  });
  it('fmt and test on a missing directory exit 2', async () => {
    expect((await run(['fmt', 'nope/'])).code).toBe(2);
    const t = await run(['test', 'nope/']);
    expect(t.code).toBe(2);
  });
  it('validate checks a store.yaml given on its own as the store policy', async () => {
    const r = await run(['validate', 'rules/store.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const bad = await run(['validate', 'test/cases/diag-store/rules/store.yaml']);
    expect(bad.stdout).toContain('error rule_schema_error: timezone: unknown IANA time zone');
  });
});
