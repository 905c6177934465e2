import { describe, expect, it } from 'vitest';
import { compileRuleset, formatDiagnostic } from '../../src/dsl/compile.js';

const store = { path: 'rules/store.yaml', text: 'store: s\ntimezone: America/Los_Angeles\ncurrency: USD\nminimumUnitPrice: 0.01\n' };
const rule = (id: string, body: string, ext = 'yaml') => ({ path: `rules/${id}.${ext}`, text: `id: ${id}\nname: ${id}\n${body}` });

describe('compileRuleset', () => {
  it('compiles amounts to minor units and percentages to basis points', () => {
    const { ruleset, diagnostics } = compileRuleset({
      store,
      rules: [
        rule('pct', 'type: percentage\nvalue: 12.5\nmaxDiscount: 19.99\nminPurchase: 0.29\n'),
        rule('fix', 'type: fixed\nvalue: 10.1\n'),
        rule('b2g1', 'type: bogo\nbogo: { buy: 2, get: 1 }\n'),
      ],
    });
    expect(diagnostics).toEqual([]);
    const [b2g1, fix, pct] = ruleset!.discounts;
    expect(pct.action).toEqual({ type: 'percentage', rateBps: 1250, maxDiscount: 1999 });
    expect(pct.minPurchase).toBe(29);
    expect(fix.action).toEqual({ type: 'fixed', amount: 1010, maxDiscount: null });
    expect(b2g1.action).toMatchObject({ type: 'bogo', buy: 2, get: 1, percentOffBps: 10000, maxApplications: null });
    expect(ruleset!.policy).toMatchObject({ minimumUnitPrice: 1, maxDiscountBps: 10000, combine: 'best-for-customer', pos: 'none', minorDigits: 2 });
  });

  it('emits one named json-rules-engine check per eligibility reason, in reason order', () => {
    const { ruleset } = compileRuleset({
      store,
      rules: [
        rule(
          'all-checks',
          [
            'type: bogo',
            'appliesTo: { categories: [edibles], products: [p-1] }',
            'minPurchase: 20',
            'customer: { tiers: [Gold, gold, Silver] }',
            'schedule: { start: 2026-01-01, end: 2026-01-31, days: [fri], hours: { from: "22:00", to: "02:00" } }',
            'usageLimit: 100',
            'perCustomerLimit: 1',
            'bogo: { buy: 2, get: 1 }',
            'conditions: { fact: cart, path: $.itemCount, operator: greaterThan, value: 2 }',
            '',
          ].join('\n'),
        ),
      ],
    });
    const rule0 = ruleset!.discounts[0].rule;
    expect(rule0.conditions.all.map((c) => c.name)).toEqual([
      'NOT_STARTED',
      'EXPIRED',
      'OUTSIDE_SCHEDULE',
      'USAGE_LIMIT_REACHED',
      'CUSTOMER_REQUIRED',
      'TIER_NOT_ELIGIBLE',
      'CUSTOMER_LIMIT_REACHED',
      'MIN_PURCHASE_NOT_MET',
      'NO_ELIGIBLE_ITEMS',
      'QUANTITY_NOT_MET',
      'CONDITIONS_NOT_MET',
    ]);
    // Date-only start = start of that day in store time; date-only end includes that whole day.
    expect(rule0.conditions.all[0]).toMatchObject({ value: Date.parse('2026-01-01T08:00:00Z') });
    expect(rule0.conditions.all[1]).toMatchObject({ operator: 'lessThan', value: Date.parse('2026-02-01T08:00:00Z') });
    expect(rule0.conditions.all[5]).toMatchObject({ value: ['gold', 'silver'] });
    expect(rule0.conditions.all[2]).toEqual({
      name: 'OUTSIDE_SCHEDULE',
      any: [
        { all: [{ fact: 'clock', path: '$.dayOfWeek', operator: 'in', value: ['fri'] }, { fact: 'clock', path: '$.minuteOfDay', operator: 'greaterThanInclusive', value: 1320 }] },
        { all: [{ fact: 'clock', path: '$.previousDayOfWeek', operator: 'in', value: ['fri'] }, { fact: 'clock', path: '$.minuteOfDay', operator: 'lessThan', value: 120 }] },
      ],
    });
  });

  it('version is a content hash: independent of file order, sensitive to content and policy', () => {
    const a = rule('a', 'type: fixed\nvalue: 1\n');
    const b = rule('b', 'type: fixed\nvalue: 2\n');
    const v1 = compileRuleset({ store, rules: [a, b] }).ruleset!.version;
    expect(compileRuleset({ store, rules: [b, a] }).ruleset!.version).toBe(v1);
    expect(compileRuleset({ store, rules: [a, rule('b', 'type: fixed\nvalue: 3\n')] }).ruleset!.version).not.toBe(v1);
    expect(compileRuleset({ store: { ...store, text: store.text + 'maxDiscountPercent: 50\n' }, rules: [a, b] }).ruleset!.version).not.toBe(v1);
    // Formatting and comments do not change the version.
    expect(compileRuleset({ store, rules: [{ ...a, text: '# comment\n' + a.text }, b] }).ruleset!.version).toBe(v1);
  });

  it('reads JSON rule files with positions', () => {
    const { diagnostics } = compileRuleset({ store, rules: [{ path: 'rules/j.json', text: '{\n  "id": "j",\n  "name": "J",\n  "type": "fixed",\n  "value": -1\n}\n' }] });
    expect(diagnostics.map(formatDiagnostic)).toEqual(['rules/j.json:5:3: error rule_schema_error: value: must be > 0']);
  });

  it('never throws on hostile input', () => {
    for (const text of ['', '---\n---\n', '[1, 2]', 'null', '\u0000\u0001', 'id: [', '*unknown', 'a: !!binary x', '{"id": 1e400}']) {
      const { ruleset, diagnostics } = compileRuleset({ store, rules: [{ path: 'rules/x.yaml', text }] });
      expect(ruleset).toBeNull();
      expect(diagnostics.length).toBeGreaterThan(0);
    }
  });

  it('a missing store policy is a warning with safe defaults', () => {
    const { ruleset, diagnostics } = compileRuleset({ store: null, storePath: 'rules/store.yaml', rules: [rule('a', 'type: fixed\nvalue: 1\n')] });
    expect(diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(['warning store_policy_missing']);
    expect(ruleset!.policy).toMatchObject({ timezone: 'UTC', currency: 'USD' });
  });
});

describe('ruleset version digest', () => {
  it("is the same with the core's pure-JS SHA-256 and Node's crypto", async () => {
    const { nodeSha256Hex } = await import('../../src/ruleset/load.js');
    const sources = { store, rules: [rule('a', 'type: fixed\nvalue: 1\n'), rule('b', 'type: percentage\nvalue: 12.5\n')] };
    expect(compileRuleset(sources, { sha256Hex: nodeSha256Hex }).ruleset!.version).toBe(compileRuleset(sources).ruleset!.version);
  });
});
