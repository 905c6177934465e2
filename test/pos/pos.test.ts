import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { compileRuleset } from '../../src/dsl/compile.js';
import { evaluate } from '../../src/engine/evaluate.js';
import { prepareRuleset } from '../../src/engine/prepare.js';
import { checkRequest } from '../../src/engine/request.js';
import { MODE_CAPABILITIES, POS_MODES, POS_PROFILES } from '../../src/pos/profiles.js';
import { posSheet, posSheetCsv } from '../../src/pos/sheet.js';
import { readRulesDir } from '../../src/ruleset/load.js';

const repo = join(import.meta.dirname, '..', '..');
const cases = join(repo, 'test/cases');

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), readStdin: async () => '', cwd: repo, now: () => 0 });
  return { code, stdout, stderr };
}

describe('POS profiles', () => {
  it('cover every POS system named in the integration table, each in one mode', () => {
    const byMode = Object.fromEntries(POS_MODES.map((m) => [m, POS_PROFILES.filter((p) => p.mode === m).map((p) => p.id)]));
    expect(byMode).toEqual({
      mirror: ['dutchie', 'biotrack', 'jane', 'posabit'],
      'trigger-reward': ['flowhub', 'blaze', 'flourish', 'treez'],
      'static-only': ['ecommerce', 'alleaves'],
      'mirror-no-redemption': ['meadow', 'korona', 'mjfreeway', 'mjfreeway-pa', 'square'],
      'engine-only': ['cova', 'staff-app'],
    });
    expect(new Set(POS_PROFILES.map((p) => p.id)).size).toBe(POS_PROFILES.length);
  });
  it('map each mode to the action an integrator performs', () => {
    expect(Object.fromEntries(POS_MODES.map((m) => [m, MODE_CAPABILITIES[m].action]))).toEqual({
      mirror: 'apply-pos-discount',
      'trigger-reward': 'trigger-reward',
      'static-only': 'apply-manual-amount',
      'mirror-no-redemption': 'record-only',
      'engine-only': 'apply-manual-amount',
    });
  });
  it('under pos: none, applied discounts carry pos: null', async () => {
    const rs = compileRuleset(await readRulesDir(join(repo, 'rules'))).ruleset!;
    const res = evaluate(prepareRuleset(rs), JSON.parse(readFileSync(join(repo, 'rules/carts/demo.json'), 'utf8')), { now: 0 });
    expect(res.applied.length).toBeGreaterThan(0);
    expect(res.applied.every((a) => a.pos === null)).toBe(true);
  });
  it('evaluate carries the POS instruction of every mode (the eval-pos-* rules and requests, priced here)', async () => {
    const actions = await Promise.all(
      POS_MODES.map(async (m) => {
        const compiled = compileRuleset(await readRulesDir(join(cases, `eval-pos-${m}/rules`)));
        expect(compiled.diagnostics.filter((d) => d.severity === 'error'), m).toEqual([]);
        const request = checkRequest(JSON.parse(readFileSync(join(cases, `eval-pos-${m}/request.json`), 'utf8')));
        if (!request.ok) throw new Error(JSON.stringify(request.errors));
        const res = evaluate(prepareRuleset(compiled.ruleset!), request.value, { now: 0 });
        expect(res.applied.length, m).toBe(2);
        return [m, res.applied.map((a) => a.pos)];
      }),
    );
    expect(Object.fromEntries(actions)).toEqual({
      mirror: [
        { system: 'dutchie', mode: 'mirror', discountId: 'DUT-15', action: 'apply-pos-discount' },
        { system: 'dutchie', mode: 'mirror', discountId: 'DUT-3', action: 'apply-pos-discount' },
      ],
      'trigger-reward': [
        { system: 'flowhub', mode: 'trigger-reward', discountId: 'FH-REWARD-15', action: 'trigger-reward' },
        { system: 'flowhub', mode: 'trigger-reward', discountId: 'FH-REWARD-3', action: 'trigger-reward' },
      ],
      'static-only': [
        { system: 'alleaves', mode: 'static-only', action: 'apply-manual-amount' },
        { system: 'alleaves', mode: 'static-only', action: 'apply-manual-amount' },
      ],
      'mirror-no-redemption': [
        { system: 'korona', mode: 'mirror-no-redemption', discountId: 'KOR-15', action: 'record-only' },
        { system: 'korona', mode: 'mirror-no-redemption', action: 'record-only' },
      ],
      'engine-only': [
        { system: 'staff-app', mode: 'engine-only', action: 'apply-manual-amount' },
        { system: 'staff-app', mode: 'engine-only', action: 'apply-manual-amount' },
      ],
    });
  });
});

describe('POS sheet', () => {
  const dir = join(cases, 'diag-pos-mirror/rules');
  it('lists every discount with its POS ID or "missing", even while missing IDs fail validation', async () => {
    expect((await run(['validate', 'test/cases/diag-pos-mirror/rules'])).code).toBe(1);
    const csv = await run(['pos-sheet', '--rules', 'test/cases/diag-pos-mirror/rules']);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(readFileSync(join(cases, 'diag-pos-mirror/pos-sheet.csv'), 'utf8'));
    const ids = csv.stdout.trim().split('\r\n').slice(1).map((l) => [l.split(',')[0], l.split(',').at(-2)]);
    expect(ids).toEqual([
      ['big-cart', 'missing'],
      ['bogo-edibles', 'POS-2002'],
      ['linked', 'POS-1001'],
      ['unlinked', 'missing'],
    ]);
  });
  it('renders the same rows as JSON', async () => {
    const json = await run(['pos-sheet', '--rules', 'test/cases/diag-pos-mirror/rules', '--format', 'json']);
    const sheet = JSON.parse(json.stdout);
    expect(sheet.pos).toEqual({ system: 'dutchie', name: 'Dutchie POS', mode: 'mirror' });
    const direct = posSheet(compileRuleset(await readRulesDir(dir), { posIdChecks: false }).ruleset!);
    expect(sheet).toEqual(direct);
    expect(posSheetCsv(direct)).toBe(readFileSync(join(cases, 'diag-pos-mirror/pos-sheet.csv'), 'utf8'));
  });
  it('quotes CSV cells with commas and quotes', async () => {
    const out = await run(['pos-sheet']);
    expect(out.stdout).toContain('edibles-b2g1,"Buy 2 edibles, get 1 free",true,bogo,buy 2 get 1 free (max 3x)');
  });
  it('rejects an unknown format and broken rules', async () => {
    expect((await run(['pos-sheet', '--format', 'xml'])).code).toBe(2);
    expect((await run(['pos-sheet', '--rules', 'test/cases/diag-schema/rules'])).code).toBe(2);
  });
  it('still refuses rules the POS cannot honour (only missing IDs are tolerated)', async () => {
    const r = await run(['pos-sheet', '--rules', 'test/cases/diag-pos-static-only/rules']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error pos_type_unsupported');
    expect(r.stderr).not.toContain('pos_discount_id');
  });
});

describe('POS sheet CSV', () => {
  it('defuses cells a spreadsheet would run as formulas', async () => {
    const rules = [{ path: 'r/evil.yaml', text: "id: evil\nname: '=HYPERLINK(\"http://x\",\"y\")'\ntype: fixed\nvalue: 1\n" }];
    const rs = compileRuleset({ store: { path: 'r/store.yaml', text: 'store: s\ntimezone: UTC\ncurrency: USD\n' }, rules }).ruleset!;
    expect(posSheetCsv(posSheet(rs)).split('\r\n')[1]).toBe(`evil,"'=HYPERLINK(""http://x"",""y"")",true,fixed,$1.00 off,all items,anyone,,,always,,,,not needed,none (no POS integration)`);
  });
});

describe('POS sheet and the selectors', () => {
  const sheetFor = (files: Record<string, string>) => {
    const rules = Object.entries(files).map(([name, text]) => ({ path: `rules/${name}`, text }));
    const store = { path: 'rules/store.yaml', text: 'store: s\ntimezone: UTC\ncurrency: USD\npos: dutchie\nneverDiscount:\n  categories: [gift-cards]\n' };
    const { ruleset, diagnostics } = compileRuleset({ store, rules });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return posSheet(ruleset!);
  };
  it("shows a bogo's own reward set with its exclusions, every selector list, groups, funding (JSON) and the store's neverDiscount", () => {
    const sheet = sheetFor({
      'b2g1.yaml':
        'id: b2g1\nname: B2G1\ntype: bogo\nappliesTo: { categories: [edibles] }\nbogo: { buy: 2, get: 1, rewardAppliesTo: { categories: [edibles], exclude: { tags: [sale-shelf] } } }\npos: { discountId: P-1 }\n',
      'vendor-day.yaml':
        'id: vendor-day\nname: Vendor day\ntype: percentage\nvalue: 20\nappliesTo: { brands: [stiiizy], exclude: { tags: [sale-shelf] } }\ncustomer: { groups: [veteran] }\nfunding: { vendor: stiiizy, percent: 50 }\npos: { discountId: P-2 }\n',
    });
    expect(sheet.neverDiscount).toEqual({ categories: ['gift-cards'], countTowardMinimum: false });
    const [bogo, vendor] = sheet.discounts;
    expect(bogo.value).toBe('buy 2 get 1 free; reward: categories: edibles; except tags: sale-shelf');
    expect(bogo.funding).toBeNull();
    expect(vendor.appliesTo).toBe('brands: stiiizy; except tags: sale-shelf');
    expect(vendor.customer).toBe('groups: veteran');
    expect(vendor.funding).toEqual({ vendor: 'stiiizy', percent: 50 });
    // The CSV keeps its columns: no funding column.
    expect(posSheetCsv(sheet).split('\n')[0]).not.toContain('funding');
  });
});

describe('POS reward webhooks (issue 15)', () => {
  it('Flowhub, Blaze, Flourish and Treez get pos.reward.trigger and pos.reward.reverse; no other profile does', async () => {
    const { posRewardEvents } = await import('../../src/pos/profiles.js');
    const getting = POS_PROFILES.filter((p) => posRewardEvents(p.id).length > 0).map((p) => p.id);
    expect(getting).toEqual(['flowhub', 'blaze', 'flourish', 'treez']);
    expect(posRewardEvents('treez')).toEqual(['pos.reward.trigger', 'pos.reward.reverse']);
    expect(posRewardEvents('none')).toEqual([]);
    // The events follow the action the response carries (what the event builder selects on).
    for (const m of POS_MODES) expect(MODE_CAPABILITIES[m].rewardEvents.length > 0).toBe(MODE_CAPABILITIES[m].action === 'trigger-reward');
  });
});
