import { describe, expect, it } from 'vitest';
import { compileRuleset, formatDiagnostic } from '../../src/dsl/compile.js';
import { DEFAULT_SETTINGS } from '../../src/dsl/settings.js';

const base = 'store: s\ntimezone: America/Los_Angeles\ncurrency: USD\npos: treez\n';
const hooks = [
  'webhooks:',
  '  - url: https://loyalty.example.com/hooks',
  '    events: [redemption.voided, redemption.committed]',
  '    secretEnv: LOYALTY_SECRET',
  '  - url: http://pos-bridge.example.com:8080/treez',
  '    events: [pos.reward.trigger, pos.reward.reverse]',
  '    secretEnv: BRIDGE_SECRET',
  '    secretEnvPrevious: BRIDGE_SECRET_OLD',
  '    expireMinutes: 5',
  '',
].join('\n');
const rule = { path: 'rules/r.yaml', text: 'id: r\nname: r\ntype: percentage\nvalue: 10\npos: { discountId: "T-1" }\n' };
const store = (text: string) => ({ path: 'rules/store.yaml', text });
// 24 bytes of base64 is 32 characters.
const good = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
const env = { LOYALTY_SECRET: good, BRIDGE_SECRET: good, BRIDGE_SECRET_OLD: 'whsec_' + Buffer.alloc(32, 1).toString('base64') };

describe('store policy webhooks', () => {
  it('compiles into settings with defaults, events in a fixed order', () => {
    const { ruleset, diagnostics } = compileRuleset({ store: store(base + hooks), rules: [rule] }, { env });
    expect(diagnostics).toEqual([]);
    expect(ruleset!.settings.webhooks).toEqual([
      { url: 'https://loyalty.example.com/hooks', events: ['redemption.committed', 'redemption.voided'], secretEnv: 'LOYALTY_SECRET', secretEnvPrevious: null, expireMinutes: 15 },
      {
        url: 'http://pos-bridge.example.com:8080/treez',
        events: ['pos.reward.reverse', 'pos.reward.trigger'],
        secretEnv: 'BRIDGE_SECRET',
        secretEnvPrevious: 'BRIDGE_SECRET_OLD',
        expireMinutes: 5,
      },
    ]);
    expect(DEFAULT_SETTINGS.webhooks).toEqual([]);
  });

  it('stays out of rulesetVersion', () => {
    const without = compileRuleset({ store: store(base), rules: [rule] });
    const withHooks = compileRuleset({ store: store(base + hooks), rules: [rule] }, { env });
    const otherHooks = compileRuleset({ store: store(base + hooks.replace('expireMinutes: 5', 'expireMinutes: 9').replace('loyalty.', 'crm.')), rules: [rule] }, { env });
    expect(without.ruleset!.version).toBe(withHooks.ruleset!.version);
    expect(otherHooks.ruleset!.version).toBe(withHooks.ruleset!.version);
    expect(otherHooks.ruleset!.settings.webhooks[1].expireMinutes).toBe(9);
  });

  it('reports a missing or malformed secret where the store policy names it, never printing the value', () => {
    const bad = { LOYALTY_SECRET: 'whsec_' + Buffer.alloc(16, 1).toString('base64'), BRIDGE_SECRET: 'sk_live_abc', BRIDGE_SECRET_OLD: undefined };
    const { ruleset, diagnostics } = compileRuleset({ store: store(base + hooks), rules: [rule] }, { env: bad });
    expect(ruleset).toBeNull();
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      "rules/store.yaml:8:5: error webhook_secret_invalid: webhooks[0].secretEnv: the environment variable LOYALTY_SECRET holds 16 byte(s) after 'whsec_'; at least 24 are needed",
      "rules/store.yaml:11:5: error webhook_secret_invalid: webhooks[1].secretEnv: the environment variable BRIDGE_SECRET does not start with 'whsec_'",
      'rules/store.yaml:12:5: error webhook_secret_missing: webhooks[1].secretEnvPrevious: the environment variable BRIDGE_SECRET_OLD is not set',
    ]);
    expect(JSON.stringify(diagnostics)).not.toContain('sk_live_abc');
  });

  it('rejects base64 that is not base64, and an empty variable is missing', () => {
    const { diagnostics } = compileRuleset({ store: store(base + hooks), rules: [rule] }, { env: { ...env, LOYALTY_SECRET: 'whsec_' + '!'.repeat(32), BRIDGE_SECRET: '' } });
    expect(diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['webhook_secret_invalid', 8],
      ['webhook_secret_missing', 11],
    ]);
  });

  it('does not check secrets without an environment (validate, the editor)', () => {
    expect(compileRuleset({ store: store(base + hooks), rules: [rule] }).diagnostics).toEqual([]);
  });

  it('checks the URL: http(s) with a host, no credentials; the schema checks the rest', () => {
    const text = base + hooks.replace('https://loyalty.example.com/hooks', 'https://user:pw@loyalty.example.com/').replace('http://pos-bridge.example.com:8080/treez', 'ftp://x');
    const { diagnostics } = compileRuleset({ store: store(text), rules: [rule] }, { env });
    expect(diagnostics.map((d) => `${d.line} ${d.code}`)).toEqual(['6 webhook_url_invalid', '9 rule_schema_error']);
    const schema = compileRuleset({ store: store(base + 'webhooks:\n  - url: https://x.example\n    events: [redemption.paid]\n    secretEnv: "1BAD"\n'), rules: [rule] });
    expect(schema.diagnostics.map((d) => d.code)).toEqual(['rule_schema_error', 'rule_schema_error']);
  });
});
