// Rule authoring: did-you-mean, plain-words request errors, duplicates on every file, a draft
// checked in place, misplaced test files and the canonical form of test files.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDraft, compileRuleset, crossFileChecks, compileRuleFile, compileStorePolicy, formatDiagnostic } from '../../src/dsl/compile.js';
import { formatDocument } from '../../src/dsl/format.js';
import { editDistance, hasFieldHint, patternHints, schemas, suggest } from '../../src/dsl/schemas.js';
import { parseSource } from '../../src/dsl/source.js';
import { checkRequest, checkUsage, checkUsageIds } from '../../src/engine/request.js';

const repo = join(import.meta.dirname, '..', '..');
const store = { path: 'rules/store.yaml', text: 'store: s\ntimezone: UTC\ncurrency: USD\n' };
const rule = (id: string, extra = '', file = id) => ({ path: `rules/${file}.yaml`, text: `id: ${id}\nname: ${id}\ntype: fixed\nvalue: 1\n${extra}` });
const lines = (ds: { message: string; path: string; line: number; col: number; severity: string; code: string }[]) => ds.map((d) => formatDiagnostic(d as never));

describe('suggest (did you mean)', () => {
  it('picks the closest candidate within 2 edits or a third of the length', () => {
    const props = ['usageLimit', 'perCustomerLimit', 'priority', 'stackable', 'value'];
    expect(suggest('perCustomreLimit', props)).toBe('perCustomerLimit'); // a swap is one edit
    expect(suggest('percustomerlimit', props)).toBe('perCustomerLimit'); // letter case is free
    expect(suggest('perCstmrLmit', props)).toBe('perCustomerLimit'); // 4 edits, length 12: a third
    expect(suggest('prCstmrLmt', props)).toBeNull(); // 6 edits, length 10: beyond a third
    expect(suggest('vlaue', props)).toBe('value');
    expect(suggest('colour', props)).toBeNull();
    expect(suggest('xy', ['id'])).toBeNull(); // never a complete rewrite
    expect(suggest('anything', [])).toBeNull();
  });
  it('breaks ties alphabetically', () => {
    expect(suggest('cat', ['cut', 'bat', 'cot'])).toBe('bat');
    expect(suggest('cat', ['cut', 'cot'])).toBe('cot');
  });
  it('edit distance counts insertions, deletions, substitutions and adjacent swaps', () => {
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', 'abc')).toBe(0);
    expect(editDistance('abc', 'acb')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('unknown properties', () => {
  const diags = (body: string) => lines(compileRuleset({ store, rules: [{ path: 'rules/r.yaml', text: `id: r\nname: r\n${body}` }] }).diagnostics);
  it('name the closest property the schema allows at that place', () => {
    expect(diags('type: fixed\nvalue: 1\nperCustomreLimit: 1\n')).toEqual([
      "rules/r.yaml:5:1: error rule_schema_error: (top level): unknown property 'perCustomreLimit' (did you mean 'perCustomerLimit'?)",
    ]);
    expect(diags('type: bogo\nbogo: { buy: 1, get: 1, precentOff: 50 }\n')).toEqual([
      "rules/r.yaml:4:25: error rule_schema_error: bogo: unknown property 'precentOff' (did you mean 'percentOff'?)",
    ]);
    expect(diags('type: fixed\nvalue: 1\nschedule: { hours: { from: "10:00", til: "11:00" } }\n')).toContain(
      "rules/r.yaml:5:37: error rule_schema_error: schedule.hours: unknown property 'til' (did you mean 'to'?)",
    );
    expect(diags('type: fixed\nvalue: 1\nconditions: { fact: cart, operater: equal, value: 1 }\n')).toContain(
      "rules/r.yaml:5:27: error rule_schema_error: conditions: unknown property 'operater' (did you mean 'operator'?)",
    );
  });
  it('suggest nothing when nothing is close, or when the close one is already there', () => {
    expect(diags('type: fixed\nvalue: 1\nflavour: mint\n')).toEqual(["rules/r.yaml:5:1: error rule_schema_error: (top level): unknown property 'flavour'"]);
    expect(diags('type: fixed\nvalue: 1\nusageLimit: 2\nusageLimt: 3\n')).toEqual(["rules/r.yaml:6:1: error rule_schema_error: (top level): unknown property 'usageLimt'"]);
  });
  it('"(top level)" replaces "document" in every message', () => {
    expect(diags('type: bogo\n')).toEqual(["rules/r.yaml:1:1: error rule_schema_error: (top level): missing required property 'bogo' (type is bogo)"]);
  });
});

describe('request and usage errors in plain words', () => {
  const line = { id: 'a', productId: 'p', category: 'flower', unitPrice: 1250, quantity: 1 };
  const messages = (body: unknown) => {
    const r = checkRequest(body);
    return r.ok ? [] : r.errors.map((e) => `${e.code} ${e.path}: ${e.message}`);
  };
  it('say what the field expects, with its bounds and the value received', () => {
    expect(messages({ lines: [{ ...line, unitPrice: 12.5 }] })).toEqual([
      'request_schema_error /lines/0/unitPrice: lines[0].unitPrice is an integer in minor units of the store currency (for USD, 1250 means $12.50), from 0 to 100000000; got 12.5',
    ]);
    expect(messages({ at: '20/04/2026 4pm', lines: [line] })).toEqual([
      "request_schema_error /at: at must be a date-time such as 2026-04-20T16:30:00-07:00 (without an offset: store time); got '20/04/2026 4pm'",
    ]);
    expect(messages({ at: '2026-02-30T10:00', lines: [line] })).toEqual([
      "request_schema_error /at: at must be a date-time such as 2026-04-20T16:30:00-07:00 (without an offset: store time); got '2026-02-30T10:00', which is not a real date-time",
    ]);
    expect(messages({ lines: [{ ...line, quantity: 0 }] })).toEqual(['request_schema_error /lines/0/quantity: lines[0].quantity is a whole number of units, from 1 to 10000; got 0']);
    expect(messages({ lines: [{ id: 'a', productId: 'p', category: 'c', quantity: 1 }] })).toEqual([
      'request_schema_error /lines/0: lines[0] is missing unitPrice: unitPrice is an integer in minor units of the store currency (for USD, 1250 means $12.50), from 0 to 100000000',
    ]);
    expect(messages({ lines: [{ ...line, qty: 1 }] })).toEqual(["request_schema_error /lines/0/qty: lines[0]: unknown property 'qty'"]);
    expect(messages([])).toEqual([
      'request_schema_error : the request must be a JSON object with lines (required) and optionally at, customer, codes and explain; got an empty list',
    ]);
    expect(messages({})).toEqual(['request_schema_error : the request is missing lines: lines is a list of 1 to 500 cart lines']);
  });
  it('never show a regular expression or "document"', () => {
    const bad = { at: 'x', customer: { id: '', tier: 7 }, codes: ['x'.repeat(65)], explain: 'yes', lines: [{ id: '', productId: '', category: '', unitPrice: -1, quantity: 1.5, cannabis: 'no' }] };
    const all = messages(bad);
    expect(all.length).toBe(11);
    for (const m of all) {
      expect(m).not.toMatch(/\^|\$\)|\\d|document|must match/);
      expect(m).toMatch(/ (is|must be) /);
    }
  });
  it('cover every field of the request, usage and rule-test schemas', () => {
    const walk = (node: Record<string, unknown>, path: string, out: string[]) => {
      if (!node || typeof node !== 'object' || node.$ref) return;
      if (!hasFieldHint(node)) out.push(path || '(root)');
      for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(v, `${path}/${k}`, out);
      if (node.items) walk(node.items as Record<string, unknown>, `${path}/items`, out);
      if (node.additionalProperties && typeof node.additionalProperties === 'object') walk(node.additionalProperties as Record<string, unknown>, `${path}/*`, out);
    };
    const missing: string[] = [];
    walk(schemas.requestSchema as never, 'request', missing);
    walk(schemas.usageSchema as never, 'usage', missing);
    const testCase = (schemas.ruleTestSchema as unknown as { items: { properties: Record<string, object> } }).items;
    for (const [k, v] of Object.entries(testCase.properties)) if (!hasFieldHint(v)) missing.push(`rule-test/items/${k}`);
    if (!hasFieldHint(testCase)) missing.push('rule-test/items');
    expect(missing).toEqual([]);
  });
  it('describe every pattern of every schema in words', () => {
    const patterns = new Set<string>();
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) k === 'pattern' && typeof x === 'string' ? patterns.add(x) : walk(x);
    };
    Object.values(schemas).forEach(walk);
    expect([...patterns].filter((p) => !Object.hasOwn(patternHints(), p))).toEqual([]);
  });
  it('usage errors keep the {code, path, message} shape', () => {
    const u = checkUsage({ save5: { used: -1, customers: { c1: 1.5 } }, x: 3 });
    expect(u.ok ? [] : u.errors).toEqual([
      { code: 'usage_schema_error', path: '/save5/customers/c1', message: "save5.customers.c1 is the customer's number of redemptions so far, a whole number 0 or more; got 1.5" },
      { code: 'usage_schema_error', path: '/save5/used', message: 'save5.used is the number of redemptions so far, a whole number 0 or more; got -1' },
      { code: 'usage_schema_error', path: '/x', message: 'x must be an object with an optional used, customers and given, such as {"used": 3, "customers": {"c-42": 1}}; got 3' },
    ]);
  });
  it('usage naming an unknown discount is refused with the closest id', () => {
    expect(checkUsageIds({ save5: { used: 1 }, SAVE5: {}, sav6: {}, zzz: {} }, ['flower-20', 'save5'])).toEqual([
      { code: 'usage_unknown_discount', path: '/SAVE5', message: "usage names discount 'SAVE5', which the ruleset does not have (did you mean 'save5'?)" },
      { code: 'usage_unknown_discount', path: '/sav6', message: "usage names discount 'sav6', which the ruleset does not have (did you mean 'save5'?)" },
      { code: 'usage_unknown_discount', path: '/zzz', message: "usage names discount 'zzz', which the ruleset does not have" },
    ]);
    expect(checkUsageIds({ save5: {} }, ['save5'])).toEqual([]);
  });
});

describe('duplicates across files', () => {
  it('a duplicate code is reported on every file that uses it, naming the others', () => {
    const r = compileRuleset({ store, rules: [rule('a', 'code: SPRING\n'), rule('b', 'code: spring\n'), rule('c', 'code: SPRING\n'), rule('d', 'code: OTHER\n')] });
    expect(r.ruleset).toBeNull();
    expect(lines(r.diagnostics)).toEqual([
      "rules/a.yaml:5:1: error duplicate_code: code 'SPRING' is also used by rules/b.yaml as 'spring' and rules/c.yaml (codes are case-insensitive)",
      "rules/b.yaml:5:1: error duplicate_code: code 'spring' is also used by rules/a.yaml as 'SPRING' and rules/c.yaml as 'SPRING' (codes are case-insensitive)",
      "rules/c.yaml:5:1: error duplicate_code: code 'SPRING' is also used by rules/a.yaml and rules/b.yaml as 'spring' (codes are case-insensitive)",
    ]);
  });
  it('so is a duplicate id, and the result does not depend on file order', () => {
    const files = [rule('a'), rule('a', '', 'b')];
    const forward = compileRuleset({ store, rules: files }).diagnostics;
    expect(lines(forward)).toEqual([
      "rules/a.yaml:1:1: error duplicate_id: id 'a' is also used by rules/b.yaml",
      "rules/b.yaml:1:1: error duplicate_id: id 'a' is also used by rules/a.yaml",
      "rules/b.yaml:1:1: error id_mismatch: id 'a' does not match the file name 'b'",
    ]);
    expect(compileRuleset({ store, rules: [...files].reverse() }).diagnostics).toEqual(forward);
  });
  it('crossFileChecks says which files each diagnostic involves', () => {
    const policy = compileStorePolicy(store, store.path).effective;
    const files = [rule('a', 'code: X1Y\n'), rule('b', 'code: x1y\n'), rule('c')].map((f) => compileRuleFile(f, policy));
    const checks = crossFileChecks(files);
    expect(checks.map((c) => [c.file.path, c.files.map((f) => f.path)])).toEqual([
      ['rules/a.yaml', ['rules/a.yaml', 'rules/b.yaml']],
      ['rules/b.yaml', ['rules/a.yaml', 'rules/b.yaml']],
    ]);
  });
});

describe('checkDraft: a file checked in place against its siblings', () => {
  const sources = { store, storePath: 'rules/store.yaml', rules: [rule('save5', 'code: SAVE5\n'), rule('other', 'code: OTHER\n'), { path: 'rules/frac.yaml', text: 'id: frac\nname: f\ntype: fixed\nvalue: 1.5\n' }] };
  it('an edited file does not clash with itself, and other files problems are not its', () => {
    const r = checkDraft(sources, { path: 'save5.yaml', text: 'id: save5\nname: Save 5\ntype: fixed\nvalue: 5\ncode: SAVE5\n' });
    expect(r).toEqual({ ok: true, path: 'rules/save5.yaml', diagnostics: [] });
  });
  it('returns the draft own diagnostics and the cross-file ones that involve it, on both files', () => {
    const r = checkDraft(sources, { path: 'save5.yaml', text: 'id: save5\nname: Save 5\ntype: fixed\nvalue: 5\ncode: other\nusageLimt: 3\n' });
    expect(r.ok && lines(r.diagnostics)).toEqual([
      "rules/other.yaml:5:1: error duplicate_code: code 'OTHER' is also used by rules/save5.yaml as 'other' (codes are case-insensitive)",
      "rules/save5.yaml:5:1: error duplicate_code: code 'other' is also used by rules/other.yaml as 'OTHER' (codes are case-insensitive)",
      "rules/save5.yaml:6:1: error rule_schema_error: (top level): unknown property 'usageLimt' (did you mean 'usageLimit'?)",
    ]);
  });
  it('without a path, the draft is a new file named after its id (YAML or JSON)', () => {
    const fresh = checkDraft(sources, { text: 'id: spring\nname: Spring\ntype: fixed\nvalue: 2\ncode: save5\n' });
    expect(fresh.ok && fresh.path).toBe('rules/spring.yaml');
    expect(fresh.ok && lines(fresh.diagnostics)).toEqual([
      "rules/save5.yaml:5:1: error duplicate_code: code 'SAVE5' is also used by rules/spring.yaml as 'save5' (codes are case-insensitive)",
      "rules/spring.yaml:5:1: error duplicate_code: code 'save5' is also used by rules/save5.yaml as 'SAVE5' (codes are case-insensitive)",
    ]);
    const json = checkDraft(sources, { text: '{"id": "jj", "name": "J", "type": "fixed", "value": 1}' });
    expect(json).toEqual({ ok: true, path: 'rules/jj.json', diagnostics: [] });
    // A new file whose id is taken: it is told so (it does not replace the existing file).
    const taken = checkDraft(sources, { text: 'id: save5\nname: Again\ntype: fixed\nvalue: 1\n' });
    expect(taken.ok && lines(taken.diagnostics)).toEqual(["rules/save5.yaml:1:1: error duplicate_id: id 'save5' is also used by rules/save5.yaml"]);
    const noId = checkDraft(sources, { text: 'name: x\ntype: fixed\nvalue: 1\n' });
    expect(noId.ok && noId.path).toBe('rules/draft.yaml');
  });
  it('a draft named store.yaml replaces the store policy; a test file is misplaced; paths stay inside the directory', () => {
    const pol = checkDraft(sources, { path: 'store.yaml', text: 'store: s\ntimezone: UTC\ncurrency: JPY\n' });
    expect(pol.ok && lines(pol.diagnostics)).toEqual(['rules/frac.yaml:4:1: error rule_schema_error: value: 1.5 has more decimals than JPY allows (0)']);
    const t = checkDraft(sources, { path: 'x.test.yaml', text: '- lines: []\n' });
    expect(t.ok && t.diagnostics.map((d) => d.code)).toEqual(['test_file_misplaced']);
    expect(checkDraft(sources, { path: '../etc/passwd', text: '' })).toMatchObject({ ok: false, error: { code: 'draft_path_invalid' } });
    expect(checkDraft(sources, { path: '..', text: '' }).ok).toBe(false);
    expect(checkDraft(sources, { path: 'notes.txt', text: '' })).toEqual({
      ok: false,
      error: { code: 'draft_path_invalid', message: "path must be a file name in the rules directory ending in .yaml, .yml or .json, not 'notes.txt'" },
    });
  });
});

describe('test files in a rules directory', () => {
  it('get test_file_misplaced instead of id_mismatch and schema errors', () => {
    const r = compileRuleset({ store, rules: [rule('a'), { path: 'rules/demo.test.yaml', text: '- name: x\n  lines: []\n' }] });
    expect(lines(r.diagnostics)).toEqual(["rules/demo.test.yaml:1:1: error test_file_misplaced: 'demo.test.yaml' is a rule test file, not a rule: test files belong in rules/tests/"]);
  });
});

describe('formatDocument on rule test files', () => {
  it('the demo test file is canonical', () => {
    const text = readFileSync(join(repo, 'rules/tests/demo.test.yaml'), 'utf8');
    expect(formatDocument('rules/tests/demo.test.yaml', text, 'test')).toEqual({ ok: true, text });
  });
  it('orders keys by the rule-test schema, one case per block, cart lines inline, comments kept', () => {
    const messy = [
      '# header',
      '- expect:',
      '    applied: [{amount: 1, discountId: d}, {discountId: e, amount: 2}]',
      '    # the total',
      '    total: 1',
      '  lines:',
      '    - quantity: 1',
      '      id: a',
      '      productId: "x, y"',
      '      category: c',
      '      unitPrice: 100',
      '  customer:',
      '    tier: "yes"',
      '    id: c',
      '  name: first',
      '- {name: second, lines: [{id: b, productId: p, category: c, unitPrice: 1, quantity: 1}], expect: {rejected: [{reason: R, code: X}]}, codes: [A]}',
      '',
    ].join('\n');
    const r = formatDocument('t.test.yaml', messy, 'test');
    expect(r.ok && r.text).toBe(
      [
        '# header',
        '',
        '- name: first',
        '  customer: { id: c, tier: "yes" }',
        '  lines:',
        '    - { id: a, productId: "x, y", category: c, unitPrice: 100, quantity: 1 }',
        '  expect:',
        '    # the total',
        '    total: 1',
        '    applied:',
        '      - { discountId: d, amount: 1 }',
        '      - { discountId: e, amount: 2 }',
        '',
        '- name: second',
        '  codes: [A]',
        '  lines:',
        '    - { id: b, productId: p, category: c, unitPrice: 1, quantity: 1 }',
        '  expect:',
        '    rejected: [{ code: X, reason: R }]',
        '',
      ].join('\n'),
    );
    if (r.ok) {
      expect(parseSource('t.test.yaml', r.text).value).toEqual(parseSource('t.test.yaml', messy).value);
      expect(formatDocument('t.test.yaml', r.text, 'test')).toEqual(r); // idempotent
    }
  });
  it('JSON test files get the same key order', () => {
    const r = formatDocument('t.test.json', '[{"expect": {"total": 1}, "lines": [{"quantity": 1, "id": "a"}], "name": "n"}]', 'test');
    expect(r.ok && r.text).toBe('[\n  {\n    "name": "n",\n    "lines": [\n      {\n        "id": "a",\n        "quantity": 1\n      }\n    ],\n    "expect": {\n      "total": 1\n    }\n  }\n]\n');
  });
});
