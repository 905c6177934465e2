// The store policy's abuse: and cleanup: settings: defaults, values, schema errors, and that they
// stay out of rulesetVersion.
import { describe, expect, it } from 'vitest';
import { compileRuleset, formatDiagnostic } from '../../src/dsl/compile.js';
import { DEFAULT_SETTINGS } from '../../src/dsl/settings.js';

const store = { path: 'rules/store.yaml', text: 'store: s1\ntimezone: America/Los_Angeles\ncurrency: USD\n' };
const rules = [{ path: 'rules/a.yaml', text: 'id: a\nname: A\ntype: fixed\nvalue: 1\n' }];

describe('abuse and cleanup settings', () => {
  it('defaults: 20 per key and terminal, 60 per key, an hour; cleanup after 30 days, no daily run', () => {
    const r = compileRuleset({ store, rules }).ruleset!;
    expect(r.settings.abuse).toEqual({
      throttle: true,
      codeGuessing: { windowMinutes: 60, perTerminal: 20, perKey: 60 },
      repeatUse: { uses: 3, windowHours: 24 },
      voidCycling: { voids: 3, windowHours: 24 },
      discountShare: { bps: 5000 },
    });
    expect(r.settings.cleanup).toEqual({ graceDays: 30, daily: null });
    expect(DEFAULT_SETTINGS.abuse).toEqual(r.settings.abuse);
  });

  it('reads every key, and changing them leaves rulesetVersion equal', () => {
    const plain = compileRuleset({ store, rules }).ruleset!;
    const text =
      store.text +
      'abuse:\n  throttle: false\n  codeGuessing: { windowMinutes: 15, perTerminal: 5, perKey: 9 }\n  repeatUse: { uses: 2, windowHours: 48 }\n' +
      '  voidCycling: { voids: 1, windowHours: 12 }\n  discountShare: { percent: 33.33 }\ncleanup:\n  graceDays: 0\n  daily: "03:00"\n';
    const r = compileRuleset({ store: { ...store, text }, rules });
    expect(r.diagnostics).toEqual([]);
    expect(r.ruleset!.settings.abuse).toEqual({
      throttle: false,
      codeGuessing: { windowMinutes: 15, perTerminal: 5, perKey: 9 },
      repeatUse: { uses: 2, windowHours: 48 },
      voidCycling: { voids: 1, windowHours: 12 },
      discountShare: { bps: 3333 },
    });
    expect(r.ruleset!.settings.cleanup).toEqual({ graceDays: 0, daily: '03:00' });
    expect(r.ruleset!.version).toBe(plain.version);
  });

  it('refuses bad values with located diagnostics', () => {
    const text = store.text + 'abuse:\n  codeGuessing:\n    perKey: 0\n  repeatUse: { usez: 2 }\ncleanup:\n  daily: "3am"\n';
    const r = compileRuleset({ store: { ...store, text }, rules });
    expect(r.ruleset).toBeNull();
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([
      'rules/store.yaml:6:5: error rule_schema_error: abuse.codeGuessing.perKey: must be >= 1',
      "rules/store.yaml:7:16: error rule_schema_error: abuse.repeatUse: unknown property 'usez' (did you mean 'uses'?)",
      'rules/store.yaml:9:3: error rule_schema_error: cleanup.daily: must be a 24-hour time HH:MM, e.g. "09:00"',
    ]);
  });
});
