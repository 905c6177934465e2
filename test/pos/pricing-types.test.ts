// Issue 14: which POS modes accept which pricing (data in MODE_CAPABILITIES), reported as
// pos_type_unsupported at the key that needs it; and the POS sheet's value column in words.
import { describe, expect, it } from 'vitest';
import { compileRuleset, type RuleSource } from '../../src/dsl/compile.js';
import { POS_MODES, POS_PROFILES } from '../../src/pos/profiles.js';
import { posSheet } from '../../src/pos/sheet.js';

const RULES: Record<string, string> = {
  'pct.yaml': 'id: pct\nname: Ten percent\ntype: percentage\nvalue: 10\n',
  'each.yaml': 'id: each\nname: Two off each\ntype: fixed\nvalue: 2\nper: unit\nmaxUnits: 3\nappliesTo:\n  categories: [pre-rolls]\n',
  'set.yaml': 'id: set\nname: Pre-rolls five\ntype: price\nvalue: 5\nappliesTo:\n  categories: [pre-rolls]\n',
  'three.yaml': 'id: three\nname: Any three\ntype: bundle\nbundle:\n  quantity: 3\n  price: 20\n  maxApplications: 2\nappliesTo:\n  categories: [pre-rolls]\n',
  'volume.yaml': 'id: volume\nname: Volume\ntype: percentage\ntiers:\n  - minQuantity: 3\n    value: 10\n  - minQuantity: 5\n    value: 15\n',
  'spend.yaml': 'id: spend\nname: Spend\ntype: fixed\ntiers:\n  - minSubtotal: 100\n    value: 15\n  - minSubtotal: 200\n    value: 40\n',
  'each-tiers.yaml': 'id: each-tiers\nname: Each, tiered\ntype: fixed\nper: unit\ntiers:\n  - minQuantity: 2\n    value: 1\n  - minQuantity: 4\n    value: 1.5\n',
  'b1g1.yaml': 'id: b1g1\nname: Five off the second\ntype: bogo\nbogo:\n  buy: 1\n  get: 1\n  amountOff: 5\n',
};

function compileUnder(pos: string, withIds: boolean) {
  const rules: RuleSource[] = Object.entries(RULES).map(([f, text]) => ({ path: `rules/${f}`, text: withIds ? `${text}pos:\n  discountId: X-${f.split('.')[0]}\n` : text }));
  return compileRuleset({ store: { path: 'rules/store.yaml', text: `store: s\ntimezone: UTC\ncurrency: USD\npos: ${pos}\n` }, storePath: 'rules/store.yaml', rules });
}

describe('POS support for the issue 14 types', () => {
  it('mirror, trigger-reward and mirror-no-redemption accept every type and form; static-only and engine-only none of bundle, tiers, set price or per-unit', () => {
    const unsupported: Record<string, string[]> = {};
    for (const mode of POS_MODES) {
      const profile = POS_PROFILES.find((p) => p.mode === mode)!;
      const needsId = mode === 'mirror' || mode === 'trigger-reward' || mode === 'mirror-no-redemption';
      const { diagnostics } = compileUnder(profile.id, needsId);
      unsupported[mode] = diagnostics.filter((d) => d.code === 'pos_type_unsupported').map((d) => `${d.path.replace('rules/', '')}:${d.line}`);
    }
    expect(unsupported).toEqual({
      mirror: [],
      'trigger-reward': [],
      'mirror-no-redemption': [],
      // each: per (line 5); each-tiers: type fixed is fine, per (4) and tiers (5); set and three: type (3);
      // spend and volume: tiers (4); b1g1: type bogo (3).
      'static-only': ['b1g1.yaml:3', 'each-tiers.yaml:4', 'each-tiers.yaml:5', 'each.yaml:5', 'set.yaml:3', 'spend.yaml:4', 'three.yaml:3', 'volume.yaml:4'],
      'engine-only': ['b1g1.yaml:3', 'each-tiers.yaml:4', 'each-tiers.yaml:5', 'each.yaml:5', 'set.yaml:3', 'spend.yaml:4', 'three.yaml:3', 'volume.yaml:4'],
    });
  });
  it('names what the POS cannot do', () => {
    const { diagnostics } = compileUnder('staff-app', false);
    const messages = diagnostics.filter((d) => d.code === 'pos_type_unsupported').map((d) => `${d.path}: ${d.message}`);
    expect(messages).toContain('rules/set.yaml: Staff app (pos: staff-app, engine-only) supports only percentage and fixed discounts, not price');
    expect(messages).toContain('rules/volume.yaml: Staff app (pos: staff-app, engine-only) cannot represent tiered discounts (tiers); the POS can only apply one fixed value');
    expect(messages).toContain('rules/each.yaml: Staff app (pos: staff-app, engine-only) cannot take an amount off each unit (per: unit)');
  });
  it('the POS sheet words each value', () => {
    const { ruleset, diagnostics } = compileUnder('dutchie', true);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const values = Object.fromEntries(posSheet(ruleset!).discounts.map((r) => [r.discountId, r.value]));
    expect(values).toEqual({
      b1g1: 'buy 1 get 1 $5.00 off',
      each: '$2.00 off each (max 3 units)',
      'each-tiers': '2+: $1.00 each, 4+: $1.50 each',
      pct: '10% off',
      set: 'set price $5.00',
      spend: '$100.00+: $15.00, $200.00+: $40.00',
      three: 'any 3 for $20.00 (max 2x)',
      volume: '3+: 10%, 5+: 15%',
    });
  });
});
