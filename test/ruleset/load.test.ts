// RulesetLoader: a reload re-compiles only the files whose content changed (same compiled
// objects for the others), a store policy change re-compiles everything, removed files leave
// the cache, the cross-file checks always re-run, and every load equals a cold compile.

import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { checkDraftFile } from '../../src/dsl/compile.js';
import { compileWithNode, nodeSha256Hex, readRulesDir, RulesetLoader, type LoadedRuleset } from '../../src/ruleset/load.js';

const STORE = 'store: s\ntimezone: America/Los_Angeles\ncurrency: USD\nminimumUnitPrice: 0.01\n';
const rule = (id: string, value: number, extra = '') => `id: ${id}\nname: ${id} ${value}% off\ntype: percentage\nvalue: ${value}\nstackable: true\n${extra}`;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loader-'));
  await writeFile(join(dir, 'store.yaml'), STORE);
  for (let i = 0; i < 20; i++) await writeFile(join(dir, `r${String(i).padStart(2, '0')}.yaml`), rule(`r${String(i).padStart(2, '0')}`, 5 + i));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The loaded result must be the one a cold compile of the directory gives. */
async function expectCold(loaded: LoadedRuleset): Promise<void> {
  const cold = compileWithNode(await readRulesDir(dir));
  expect(loaded.diagnostics).toEqual(cold.diagnostics);
  expect(loaded.ruleset).toEqual(cold.ruleset);
  expect(loaded.prepared === null).toBe(cold.ruleset === null);
}

const byId = (l: LoadedRuleset) => new Map(l.ruleset!.discounts.map((d) => [d.id, d]));

describe('RulesetLoader', () => {
  it('compiles everything once, then only the file whose content changed', async () => {
    const loader = new RulesetLoader(dir);
    const first = await loader.load();
    expect(loader.lastLoad).toEqual({ files: 20, compiled: 20, reused: 0 });
    await expectCold(first);

    const again = await loader.load();
    expect(loader.lastLoad).toEqual({ files: 20, compiled: 0, reused: 20 });
    expect(again.ruleset!.version).toBe(first.ruleset!.version);

    await writeFile(join(dir, 'r03.yaml'), rule('r03', 40));
    await writeFile(join(dir, 'r04.yaml'), rule('r04', 9)); // rewritten with the same content
    const changed = await loader.load();
    expect(loader.lastLoad).toEqual({ files: 20, compiled: 1, reused: 19 });
    await expectCold(changed);
    expect(changed.ruleset!.version).not.toBe(first.ruleset!.version);
    const before = byId(first);
    const after = byId(changed);
    // The unchanged files' compiled discounts are the very same objects; the changed one is new.
    for (const [id, d] of after) expect(d === before.get(id), id).toBe(id !== 'r03');
    expect(after.get('r03')!.action).toEqual({ type: 'percentage', rateBps: 4000, maxDiscount: null });
  });

  it('re-compiles every file when the effective store policy changes, not for a comment', async () => {
    const loader = new RulesetLoader(dir);
    await loader.load();
    await writeFile(join(dir, 'store.yaml'), `# a comment\n${STORE}`);
    await loader.load();
    expect(loader.lastLoad.compiled).toBe(0);

    // Another currency: the same texts are checked against a different policy.
    await writeFile(join(dir, 'store.yaml'), STORE.replace('USD', 'EUR'));
    const eur = await loader.load();
    expect(loader.lastLoad).toEqual({ files: 20, compiled: 20, reused: 0 });
    await expectCold(eur);
    expect(eur.ruleset!.policy.currency).toBe('EUR');

    // A broken store policy: the rules are checked against the defaults, and the load fails as cold.
    await writeFile(join(dir, 'store.yaml'), 'store: s\ntimezone: Nowhere/City\ncurrency: USD\n');
    const broken = await loader.load();
    expect(loader.lastLoad.compiled).toBe(20);
    expect(broken.ruleset).toBeNull();
    await expectCold(broken);
  });

  it('evicts removed files and compiles added ones', async () => {
    const loader = new RulesetLoader(dir);
    await loader.load();
    await unlink(join(dir, 'r05.yaml'));
    await unlink(join(dir, 'r06.yaml'));
    const removed = await loader.load();
    expect(loader.cachedFiles).toBe(18);
    expect(loader.lastLoad).toEqual({ files: 18, compiled: 0, reused: 18 });
    await expectCold(removed);
    expect(byId(removed).has('r05')).toBe(false);

    // A file that comes back with its old content is compiled again (it was evicted).
    await writeFile(join(dir, 'r05.yaml'), rule('r05', 10));
    await writeFile(join(dir, 'new.yaml'), rule('new', 12));
    const added = await loader.load();
    expect(loader.lastLoad).toEqual({ files: 20, compiled: 2, reused: 18 });
    expect(loader.cachedFiles).toBe(20);
    await expectCold(added);
  });

  it('always re-runs the cross-file checks, on cached results too', async () => {
    const loader = new RulesetLoader(dir);
    await writeFile(join(dir, 'r01.yaml'), rule('r01', 6, 'code: SAVE\n'));
    await loader.load();
    await writeFile(join(dir, 'r02.yaml'), rule('r02', 7, 'code: save\n'));
    const dup = await loader.load();
    expect(loader.lastLoad.compiled).toBe(1);
    expect(dup.ruleset).toBeNull();
    expect(dup.diagnostics.some((d) => d.code === 'duplicate_code')).toBe(true);
    await expectCold(dup);

    // Only r01 changes; r02 comes from the cache, and its duplicate is gone.
    await writeFile(join(dir, 'r01.yaml'), rule('r01', 6, 'code: OTHER\n'));
    const fixed = await loader.load();
    expect(loader.lastLoad.compiled).toBe(1);
    expect(fixed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    await expectCold(fixed);
  });

  it('caches files with diagnostics like any other, with the same diagnostics as a cold compile', async () => {
    const loader = new RulesetLoader(dir);
    await writeFile(join(dir, 'r07.yaml'), 'id: r07\nname: x\ntype: percentage\nvalue: 12.345\nstackble: true\n');
    await writeFile(join(dir, 'r08.yaml'), 'id: r08\nname: "unterminated\n');
    const first = await loader.load();
    await expectCold(first);
    expect(first.diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual(expect.arrayContaining(['4:1 rule_schema_error', '5:1 rule_schema_error']));
    const again = await loader.load();
    expect(loader.lastLoad.compiled).toBe(0);
    expect(again.diagnostics).toEqual(first.diagnostics);
  });

  it('gives the same results with the positioned parser, and with options that change per-file results', async () => {
    const fast = await new RulesetLoader(dir).load();
    const positioned = await new RulesetLoader(dir, dir, { parser: 'positioned' }).load();
    expect(positioned.ruleset).toEqual(fast.ruleset);
    expect(positioned.diagnostics).toEqual(fast.diagnostics);
  });

  it('compiles given sources without the file system, and reports an unreadable directory', async () => {
    const loader = new RulesetLoader(join(dir, 'missing'));
    await expect(loader.load()).rejects.toThrow(/cannot read directory/);
    const sources = await readRulesDir(dir);
    expect(loader.results).toBeNull();
    const once = loader.compile(sources);
    expect(once).toEqual(compileWithNode(sources));
    // The last results serve a draft check without compiling the siblings again.
    const { store, files } = loader.results!;
    expect(files).toHaveLength(20);
    const draft = checkDraftFile(store, files.filter((f) => !f.path.endsWith('r01.yaml')), { path: join(dir, 'r01.yaml'), text: rule('r01', 6, 'code: XYZ\n') });
    expect(draft).toEqual([]);
    const clash = checkDraftFile(store, files, { path: join(dir, 'r99.yaml'), text: rule('r02', 6) });
    expect(clash.map((d) => d.code)).toEqual(expect.arrayContaining(['id_mismatch', 'duplicate_id']));
    loader.compile(sources);
    expect(loader.lastLoad.compiled).toBe(0);
  });

  it('hashes with SHA-256 of the UTF-8 text', () => {
    expect(nodeSha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const text = 'name: Café 🌿\n';
    expect(nodeSha256Hex(text)).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
  });

  it('equals compileRuleset on every golden case and on the shipped rules (first load and reload)', async () => {
    const repo = join(import.meta.dirname, '..', '..');
    const cases = join(repo, 'test', 'cases');
    const dirs = [join(repo, 'rules'), ...readdirSync(cases).map((c) => join(cases, c, 'rules'))];
    let checked = 0;
    for (const d of dirs) {
      const sources = await readRulesDir(d).catch(() => null);
      if (!sources) continue;
      const loader = new RulesetLoader(d);
      const cold = compileWithNode(sources);
      expect(loader.compile(sources), d).toEqual(cold);
      expect(loader.compile(sources), d).toEqual(cold);
      expect(loader.lastLoad.compiled, d).toBe(0);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('runs concurrent loads one after another; a failed load does not block the next', async () => {
    const loader = new RulesetLoader(dir);
    const order: number[] = [];
    const loads = [1, 2, 3].map((n) => loader.load().then((r) => (order.push(n), r)));
    const [a, b, c] = await Promise.all(loads);
    expect(order).toEqual([1, 2, 3]);
    expect(loader.lastLoad).toEqual({ files: 20, compiled: 0, reused: 20 }); // the third reused what the first compiled
    expect(b.ruleset!.version).toBe(a.ruleset!.version);
    expect(c.ruleset!.version).toBe(a.ruleset!.version);
    await expectCold(c);

    const later = join(dir, 'later');
    const pending = new RulesetLoader(later);
    await expect(pending.load()).rejects.toThrow(/cannot read directory/);
    await mkdir(later);
    await writeFile(join(later, 'store.yaml'), STORE);
    await writeFile(join(later, 'x.yaml'), rule('x', 5));
    expect((await pending.load()).ruleset!.discounts.map((d) => d.id)).toEqual(['x']);
  });
});
