// The CLI side of rule authoring: validate FILE in place, test files everywhere, `discounts test`
// failure accounting, --usage ids, --version, positional rules directories and no ignored arguments.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repo, run, tempRules } from './helpers.js';

const version = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version as string;


const spring = 'id: spring\nname: Spring sale\ntype: fixed\nvalue: 2\ncode: save5\n';

describe('validate FILE: checked in place against its siblings', () => {
  it('a new file reusing a code sees the clash in itself, and the other file side of it', async () => {
    const dir = tempRules('discounts-authoring-');
    writeFileSync(join(dir, 'rules', 'spring.yaml'), spring + 'perCustomreLimit: 1\n');
    const r = await run(['validate', 'rules/spring.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        "rules/save5.yaml:5:1: error duplicate_code: code 'SAVE5' is also used by rules/spring.yaml as 'save5' (codes are case-insensitive)",
        "rules/spring.yaml:5:1: error duplicate_code: code 'save5' is also used by rules/save5.yaml as 'SAVE5' (codes are case-insensitive)",
        "rules/spring.yaml:6:1: error rule_schema_error: (top level): unknown property 'perCustomreLimit' (did you mean 'perCustomerLimit'?)",
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('1 rule file(s): 3 error(s), 0 warning(s)\n');
    // The older file, validated alone, is told about the clash too.
    const old = await run(['validate', 'rules/save5.yaml'], { cwd: dir });
    expect(old.code).toBe(1);
    expect(old.stdout).toContain("rules/save5.yaml:5:1: error duplicate_code: code 'SAVE5' is also used by rules/spring.yaml");
    expect(old.stdout).not.toContain('perCustomreLimit'); // spring.yaml's own problems are not save5's
  });
  it('a file that is fine in its directory passes, and keeps the path as written', async () => {
    const r = await run(['validate', './rules/save5.yaml']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '1 rule file(s): 0 error(s), 0 warning(s)\n' });
    const bad = await run(['validate', './test/cases/diag-schema/rules/pct-range.yaml']);
    expect(bad.stdout).toBe('./test/cases/diag-schema/rules/pct-range.yaml:4:1: error rule_schema_error: value: must be <= 100\n');
    expect(await run(['validate', 'README.md'])).toEqual({ code: 2, stdout: '', stderr: 'discounts validate: README.md is not a rule file (.yaml, .yml or .json)\n' });
  });
});

describe('test files are recognised everywhere', () => {
  it('validate checks a test file as a test file', async () => {
    expect(await run(['validate', 'rules/tests/demo.test.yaml'])).toEqual({ code: 0, stdout: '', stderr: '0 rule file(s), 1 test file(s): 0 error(s), 0 warning(s)\n' });
    const dir = tempRules('discounts-authoring-');
    writeFileSync(
      join(dir, 'rules', 'tests', 'bad.test.yaml'),
      '- name: no expectations\n  lines:\n    - { id: a, productId: p, category: c, unitPrice: 1, quantity: 1 }\n' +
        '- name: bad request\n  at: 2026-02-30T10:00\n  lines:\n    - { id: a, productId: p, category: c, unitPrice: 1.5, quantity: 1 }\n  expect: { total: 1 }\n' +
        '- name: same line id twice\n  lines:\n    - { id: a, productId: p, category: c, unitPrice: 1, quantity: 1 }\n    - { id: a, productId: p, category: c, unitPrice: 1, quantity: 1 }\n  expect: {}\n' +
        '- name: the request is fine but the date is not real\n  at: 2026-02-30T10:00\n  lines:\n    - { id: a, productId: p, category: c, unitPrice: 1, quantity: 1 }\n  expect: { total: 1 }\n',
    );
    const r = await run(['validate', 'rules/tests/bad.test.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'rules/tests/bad.test.yaml:1:3: error test_schema_error: [0] is missing expect: expect says what the case must give: at least one of subtotal, discountTotal, total, applied, lines and rejected (a case without expectations would always pass)',
        'rules/tests/bad.test.yaml:7:43: error test_schema_error: [1].lines[0].unitPrice is an integer in minor units of the store currency (for USD, 1250 means $12.50), from 0 to 100000000; got 1.5',
        'rules/tests/bad.test.yaml:13:3: error test_schema_error: [2].expect says what the case must give: at least one of subtotal, discountTotal, total, applied, lines and rejected (a case without expectations would always pass); got an empty object',
        "rules/tests/bad.test.yaml:15:3: error test_schema_error: [3].at must be a date-time such as 2026-04-20T16:30:00-07:00 (without an offset: store time); got '2026-02-30T10:00', which is not a real date-time",
        '',
      ].join('\n'),
    );
    // A rules directory is validated with its tests/ folder.
    const all = await run(['validate', 'rules'], { cwd: dir });
    expect(all.code).toBe(1);
    expect(all.stdout.split('\n').filter(Boolean).every((l) => l.startsWith('rules/tests/bad.test.yaml:'))).toBe(true);
    expect(all.stderr).toBe('12 rule file(s), 2 test file(s): 4 error(s), 0 warning(s)\n');
  });
  it('a test file placed directly in rules/ is test_file_misplaced, not id_mismatch', async () => {
    const dir = tempRules('discounts-authoring-');
    cpSync(join(dir, 'rules', 'tests', 'demo.test.yaml'), join(dir, 'rules', 'demo.test.yaml'));
    const expected = "rules/demo.test.yaml:1:1: error test_file_misplaced: 'demo.test.yaml' is a rule test file, not a rule: test files belong in rules/tests/\n";
    for (const argv of [['validate', 'rules'], ['validate', 'rules/demo.test.yaml']]) {
      const r = await run(argv, { cwd: dir });
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.stdout).toBe(expected);
    }
    const compile = await run(['compile', 'rules'], { cwd: dir });
    expect(compile.code).toBe(2);
    expect(compile.stderr).toBe(expected);
  });
  it('fmt formats test files by the rule-test schema (never as rules), in a directory and alone', async () => {
    const dir = tempRules('discounts-authoring-');
    const file = join(dir, 'rules', 'tests', 'demo.test.yaml');
    const canonical = readFileSync(file, 'utf8');
    const messy = canonical.replace('  at: 2026-11-20T12:00:00\n  lines:\n    - { id: l1, productId: og-kush-3.5g, category: flower, unitPrice: 3500, quantity: 2 }\n', '  lines: [{quantity: 2, unitPrice: 3500, category: flower, productId: og-kush-3.5g, id: l1}]\n  at: 2026-11-20T12:00:00\n');
    expect(messy).not.toBe(canonical);
    writeFileSync(file, messy);
    const check = await run(['fmt', '--check', 'rules'], { cwd: dir });
    expect(check).toMatchObject({ code: 1, stdout: 'rules/tests/demo.test.yaml\n' });
    const fix = await run(['fmt', 'rules/tests/demo.test.yaml'], { cwd: dir });
    expect(fix.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(canonical);
    // A misplaced test file is still formatted as a test file.
    writeFileSync(join(dir, 'rules', 'x.test.yaml'), '- expect: { total: 1 }\n  name: first\n  lines: []\n');
    await run(['fmt', 'rules'], { cwd: dir });
    expect(readFileSync(join(dir, 'rules', 'x.test.yaml'), 'utf8')).toBe('- name: first\n  lines: []\n  expect:\n    total: 1\n');
  });
});

describe('discounts test: failures are counted, diagnostics printed once', () => {
  it('a broken rules directory prints its diagnostics once, and its cases count as failed', async () => {
    const dir = tempRules('discounts-authoring-');
    writeFileSync(join(dir, 'rules', 'spring.yaml'), spring);
    writeFileSync(join(dir, 'rules', 'tests', 'more.test.yaml'), '- lines:\n    - { id: a, productId: p, category: c, unitPrice: 100, quantity: 1 }\n  expect: { total: 100 }\n');
    const r = await run(['test'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "rules/save5.yaml:5:1: error duplicate_code: code 'SAVE5' is also used by rules/spring.yaml as 'save5' (codes are case-insensitive)\n" +
        "rules/spring.yaml:5:1: error duplicate_code: code 'save5' is also used by rules/save5.yaml as 'SAVE5' (codes are case-insensitive)\n",
    );
    expect(r.stdout).toBe(
      'FAIL rules/tests/demo.test.yaml: 34 case(s) not run: the rules in rules have errors\n' +
        'FAIL rules/tests/more.test.yaml: 1 case(s) not run: the rules in rules have errors\n' +
        '0 passed, 35 failed\n',
    );
  });
  it('a malformed test file is one failure, with its schema error at file:line:col', async () => {
    const dir = tempRules('discounts-authoring-');
    writeFileSync(join(dir, 'rules', 'tests', 'bad.test.yaml'), '- name: forgot what to expect\n  lines:\n    - { id: a, productId: p, category: c, unitPrice: 100, quantity: 1 }\n');
    writeFileSync(join(dir, 'rules', 'tests', 'syntax.test.yaml'), '- name: [\n');
    const r = await run(['test'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rules/tests/bad.test.yaml:1:3: error test_schema_error: [0] is missing expect: ');
    expect(r.stderr).toMatch(/^rules\/tests\/syntax\.test\.yaml:\d+:\d+: error yaml_syntax_error: /m);
    expect(r.stdout).toBe(
      'FAIL rules/tests/bad.test.yaml: not run: the test file has errors\n' +
        'FAIL rules/tests/syntax.test.yaml: not run: the test file has errors\n' +
        '34 passed, 2 failed\n',
    );
  });
  it('a case without expect can never pass silently', async () => {
    const dir = tempRules('discounts-authoring-');
    writeFileSync(join(dir, 'rules', 'tests', 'demo.test.yaml'), '- name: nothing expected\n  lines:\n    - { id: a, productId: p, category: c, unitPrice: 100, quantity: 1 }\n  expect: {}\n');
    const r = await run(['test'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('FAIL rules/tests/demo.test.yaml: not run: the test file has errors\n0 passed, 1 failed\n');
  });
});

describe('evaluate --usage refuses ids the ruleset does not have', () => {
  it('exit 2, usage_unknown_discount with the closest id', async () => {
    const dir = tempRules('discounts-authoring-');
    writeFileSync(join(dir, 'usage.json'), JSON.stringify({ save6: { used: 1000 }, 'flower-20': { used: 1 } }));
    const r = await run(['evaluate', '--rules', 'rules', '--usage', 'usage.json', 'rules/carts/demo.json'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("usage_unknown_discount: usage.json: usage names discount 'save6', which the ruleset does not have (did you mean 'save5'?)\n");
  });
});

describe('usage in a rule test names only discounts the rules have', () => {
  it('a case whose usage names an unknown id fails, with the closest id', async () => {
    const dir = tempRules('discounts-authoring-');
    writeFileSync(
      join(dir, 'rules', 'tests', 'demo.test.yaml'),
      '- name: limit reached\n  customer: { id: c-1 }\n  codes: [SAVE5]\n  usage: { save55: { used: 1000 } }\n  lines:\n    - { id: a, productId: p, category: c, unitPrice: 3000, quantity: 1 }\n  expect:\n    rejected: [{ code: SAVE5, reason: USAGE_LIMIT_REACHED }]\n',
    );
    const r = await run(['test'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      "FAIL rules/tests/demo.test.yaml:1: limit reached\n  usage: usage names discount 'save55', which the ruleset does not have (did you mean 'save5'?)\n0 passed, 1 failed\n",
    );
  });
});

describe('--version', () => {
  it('prints the package version and exits 0, in-process and from dist/', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `discounts ${version}\n`, stderr: '' });
    const out = execFileSync(process.execPath, [join(repo, 'bin/discounts.js'), '--version'], { cwd: tmpdir(), encoding: 'utf8' });
    expect(out).toBe(`discounts ${version}\n`);
    expect((await run(['--version', 'extra'])).code).toBe(2);
  });
});

describe('arguments are never ignored', () => {
  it('compile and pos-sheet take the rules directory as an argument or --rules, not both', async () => {
    const byArg = await run(['compile', 'test/cases/eval-ties/rules']);
    const byFlag = await run(['compile', '--rules', 'test/cases/eval-ties/rules']);
    expect(byArg.code).toBe(0);
    expect(byArg.stdout).toBe(byFlag.stdout);
    expect(JSON.parse(byArg.stdout).discounts.map((d: { id: string }) => d.id)).toContain('a-five');
    const sheet = await run(['pos-sheet', 'test/cases/diag-pos-mirror/rules']);
    expect(sheet.stdout).toBe(readFileSync(join(repo, 'test/cases/diag-pos-mirror/pos-sheet.csv'), 'utf8'));
    for (const cmd of ['compile', 'pos-sheet']) {
      const both = await run([cmd, 'rules', '--rules', 'rules']);
      expect(both.code).toBe(2);
      expect(both.stderr).toBe(`discounts ${cmd}: the rules directory is given twice ('rules' and --rules rules): use one of them\n`);
      const extra = await run([cmd, 'rules', 'more']);
      expect(extra.code).toBe(2);
      expect(extra.stderr).toBe(`discounts ${cmd}: unexpected argument 'more' (expects at most one rules directory)\n`);
    }
  });
  it('evaluate refuses a second cart; unknown options and commands suggest the closest', async () => {
    const two = await run(['evaluate', 'rules/carts/demo.json', 'rules/carts/demo.json']);
    expect(two).toMatchObject({ code: 2, stderr: "discounts evaluate: unexpected argument 'rules/carts/demo.json' (expects at most one cart file)\n" });
    expect((await run(['evaluate', '--rulez', 'rules'])).stderr).toBe("discounts evaluate: unknown option '--rulez' (did you mean '--rules'?)\n");
    const cmd = await run(['valdate']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr.split('\n')[0]).toBe("discounts: unknown command 'valdate' (did you mean 'validate'?)");
  });
  it('the help text names the new forms', async () => {
    const help = (await run(['--help'])).stdout;
    expect(help).toContain('compile [DIR | --rules DIR]');
    expect(help).toContain('pos-sheet [DIR | --rules DIR]');
    expect(help).toContain('--version');
  });
  it('through the real bin script, a stray argument is exit 2', () => {
    const r = spawnSync(process.execPath, [join(repo, 'bin/discounts.js'), 'pos-sheet', 'rules', 'extra'], { cwd: repo, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('a misplaced test file in a directory of its own is checked as a test file', () => {
  it('a folder holding only test files is a tests folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'discounts-tests-only-'));
    mkdirSync(join(dir, 'cases'));
    writeFileSync(join(dir, 'cases', 'a.test.yaml'), '- lines: []\n  expect: { total: 0 }\n');
    const r = await run(['validate', 'cases'], { cwd: dir });
    expect(r.stdout).toBe('cases/a.test.yaml:1:3: error test_schema_error: [0].lines is a list of 1 to 500 cart lines; got an empty list\n');
    expect(r.stderr).toBe('0 rule file(s), 1 test file(s): 1 error(s), 0 warning(s)\n');
  });
});
