import { describe, expect, it } from 'vitest';
import { compileCondition, PredicateCache } from '../../src/engine/conditions.js';
import { prepareRuleset } from '../../src/engine/prepare.js';
import { compileRuleset } from '../../src/dsl/compile.js';
import type { EngineCondition } from '../../src/domain/types.js';

// prepareRuleset shares compiled leaves between rules (PredicateCache): a shared leaf must decide
// exactly what compiling the same condition on its own decides, for values JSON cannot tell apart.
const values: unknown[] = [null, Number.NaN, 0, -0, '0', '', false, 'null', Number.POSITIVE_INFINITY, 1, '1', true, undefined];

describe('PredicateCache', () => {
  it('a shared leaf decides as the leaf compiled alone, for every operator and value', () => {
    const cache = new PredicateCache();
    const operators = ['equal', 'notEqual', 'lessThan', 'greaterThanInclusive', 'contains', 'doesNotContain'];
    for (const operator of operators) {
      for (const value of values) {
        const c: EngineCondition = { fact: 'customer', path: '$.x', operator, value };
        const shared = compileCondition(c, cache);
        const alone = compileCondition(c);
        for (const x of [...values, [value], ['other']]) {
          const facts = { customer: { x } };
          expect(shared(facts), `${operator} ${String(value)} on ${String(x)}`).toBe(alone(facts));
        }
      }
    }
  });

  it('shares leaves only between equal conditions', () => {
    const cache = new PredicateCache();
    const leaf = (value: unknown, operator = 'equal') => compileCondition({ fact: 'customer', path: '$.x', operator, value }, cache);
    expect(leaf('cat-1')).toBe(leaf('cat-1'));
    expect(leaf(Number.NaN)).toBe(leaf(Number.NaN));
    expect(leaf(null)).not.toBe(leaf(Number.NaN));
    expect(leaf(0)).not.toBe(leaf('0'));
    expect(leaf(1)).not.toBe(leaf(1, 'notEqual'));
    // A leaf with params or an object value is never shared.
    const withParams: EngineCondition = { fact: 'usage', params: { discountId: 'a' }, path: '$.used', operator: 'lessThan', value: 5 };
    expect(compileCondition(withParams, cache)).not.toBe(compileCondition(withParams, cache));
  });

  it('rules of one category share one selector', () => {
    const store = { path: 'r/store.yaml', text: 'store: s\ntimezone: UTC\ncurrency: USD\n' };
    const rule = (id: string, cat: string) => ({
      path: `r/${id}.yaml`,
      text: `id: ${id}\nname: ${id}\ntype: percentage\nvalue: 10\nappliesTo:\n  categories: [${cat}]\nstackable: true\n`,
    });
    const { ruleset, diagnostics } = compileRuleset({ store, rules: [rule('a', 'flower'), rule('b', 'flower'), rule('c', 'edibles')] });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const [a, b, c] = prepareRuleset(ruleset!).discounts;
    // NO_ELIGIBLE_ITEMS reads the lines the discount's own selector matches (the `items` fact with
    // its discountId), so the check lists are per discount; equal one-category selectors are shared.
    expect(a.checks.map((x) => x.reason)).toEqual(['NO_ELIGIBLE_ITEMS']);
    expect(a.appliesTo).toBe(b.appliesTo);
    expect(a.appliesTo).not.toBe(c.appliesTo);
  });
});
