// `npm run bench:evaluate`: evaluations per second, heap and compile time for
//   (a) the demo rules with a 5-line cart,
//   (b) 1,000 generated rules with a 20-line cart,
//   (c) 10,000 generated rules with a 200-line cart,
// against a baseline measured in the same run: the same compiled json-rules-engine rules run by
// one plain json-rules-engine Engine (eligibility only, no pricing). Figures are medians over
// BENCH_RUNS runs (default 5). Prints a table and one JSON line per scenario. BENCH_SCENARIOS picks
// scenarios by name (a, b, c, c-wide, b-selectors, b-types; default all).

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Engine } from 'json-rules-engine';
import type { RuleSource } from '../src/dsl/compile.js';
import { evaluate, evaluationFacts } from '../src/engine/evaluate.js';
import { prepareRuleset, type PreparedRuleset } from '../src/engine/prepare.js';
import type { EvaluateRequest } from '../src/domain/types.js';
import { compileWithNode, readRulesDir } from '../src/ruleset/load.js';
import { generateCarts, generateRules, generateSelectorCarts, generateSelectorRules, generateTypeRules, rng } from './generate.js';

const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs `fn` over the carts for at least `minMs` (and at least `minCount` calls); returns calls per second. */
async function rate(carts: EvaluateRequest[], fn: (c: EvaluateRequest) => unknown, minMs: number, minCount: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < minMs || n < minCount) {
    const r = fn(carts[n % carts.length]);
    if (r instanceof Promise) await r;
    n++;
    elapsed = performance.now() - t0;
  }
  return (n * 1000) / elapsed;
}

interface Scenario {
  /** a, b, c are the scenarios of the benchmark issue; c-wide, b-selectors and b-types are extras, reported separately. */
  name: 'a' | 'b' | 'c' | 'c-wide' | 'b-selectors' | 'b-types';
  describe: string;
  sources: { store: RuleSource | null; rules: RuleSource[] };
  carts: EvaluateRequest[];
}

/** Scenarios are generated one at a time, so one scenario's data never weighs on another's heap figure. */
async function scenarios(): Promise<(() => Scenario)[]> {
  const demo = await readRulesDir(join(process.cwd(), 'rules'));
  const demoCart = JSON.parse(readFileSync(join(process.cwd(), 'rules/carts/demo.json'), 'utf8')) as EvaluateRequest;
  const r = rng(7);
  const demoCarts = Array.from({ length: 100 }, () => ({
    ...demoCart,
    lines: demoCart.lines.map((l) => ({ ...l, quantity: 1 + Math.floor(r() * 3) })),
  }));
  return [
    () => ({ name: 'a', describe: 'demo rules, 5-line cart', sources: demo, carts: demoCarts }),
    () => {
      const b = generateRules(1000, 200, 11);
      return { name: 'b', describe: '1,000 rules, 20-line cart', sources: b, carts: generateCarts(200, 20, 200, b.codes, 12) };
    },
    () => {
      const c = generateRules(10000, 200, 13);
      return { name: 'c', describe: '10,000 rules, 200-line cart', sources: c, carts: generateCarts(50, 200, 200, c.codes, 14) };
    },
    // The same mix over 2,000 categories: about 4 rules per category as in (b), so a cart meets
    // hundreds of discounts instead of thousands. Shows cost following applicable rules, not rule count.
    () => {
      const wide = generateRules(10000, 2000, 15);
      return {
        name: 'c-wide',
        describe: '10,000 rules over 2,000 categories, 200-line cart',
        sources: wide,
        carts: generateCarts(50, 200, 2000, wide.codes, 16),
      };
    },
    // The selectors issue's scenario, the size of (b): brand, tag and exclusion selectors, a store
    // that never discounts gift cards, carts with brands, vendors and tags.
    () => {
      const sel = generateSelectorRules(1000, 200, 100, 17);
      return {
        name: 'b-selectors',
        describe: '1,000 brand/tag/exclusion rules, 20-line cart',
        sources: sel,
        carts: generateSelectorCarts(200, 20, 200, 100, sel.codes, 18),
      };
    },
    // Issue 14's scenario, the size of (b): per-unit, set price, bundle, both tier kinds, bogo
    // amountOff and percentage rules over (b)'s categories, with (b)'s carts.
    () => {
      const t = generateTypeRules(1000, 200, 19);
      return { name: 'b-types', describe: '1,000 rules mixing the issue 14 types, 20-line cart', sources: t, carts: generateCarts(200, 20, 200, t.codes, 12) };
    },
  ];
}

function compileOnce(sources: Scenario['sources']): PreparedRuleset {
  const { ruleset, diagnostics } = compileWithNode(sources);
  if (!ruleset) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return prepareRuleset(ruleset);
}

/** Runs this script in `--heap <scenario>` mode in a new process and reads the heap it reports. */
function heapInFreshProcess(name: string): number {
  const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--heap', name], { encoding: 'utf8' });
  return Number(out.trim());
}

/** `--heap <scenario>`: compile and prepare one scenario, collect garbage, print the heap in MB. */
async function heapOnly(name: string): Promise<void> {
  const make = (await scenarios())[NAMES.indexOf(name)];
  const s = make();
  const rs = compileOnce(s.sources);
  gc!();
  gc!();
  console.log((process.memoryUsage().heapUsed / MB).toFixed(3));
  if (rs.discounts.length < 0) console.log(s.carts.length); // keep both alive until measured
}

/** BENCH_SCENARIOS=b,b-types runs only those scenarios (default: all). */
const ONLY = process.env.BENCH_SCENARIOS ? new Set(process.env.BENCH_SCENARIOS.split(',').map((x) => x.trim())) : null;
const NAMES = ['a', 'b', 'c', 'c-wide', 'b-selectors', 'b-types'];

async function main() {
  const rows: Record<string, unknown>[] = [];
  const all = await scenarios();
  for (let i = 0; i < all.length; i++) {
    if (ONLY && !ONLY.has(NAMES[i])) continue;
    const make = all[i];
    gc!();
    const s = make();
    // Compile time (texts -> prepared ruleset) and the heap the prepared ruleset retains.
    const compileTimes: number[] = [];
    let rs!: PreparedRuleset;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      rs = compileOnce(s.sources);
      compileTimes.push(performance.now() - t0);
    }
    rs = undefined as unknown as PreparedRuleset;
    gc!();
    gc!();
    const before = process.memoryUsage().heapUsed;
    rs = compileOnce(s.sources);
    gc!();
    gc!();
    // heapMB: the whole heap after GC of a fresh process holding this scenario's prepared ruleset
    // (plus its rule texts and carts); rulesetMB: the part the prepared ruleset itself retains.
    const rulesetMB = (process.memoryUsage().heapUsed - before) / MB;
    const heapMB = heapInFreshProcess(s.name);

    const opts = { now: Date.parse('2026-11-21T00:30:00Z') };
    for (let i = 0; i < 200; i++) evaluate(rs, s.carts[i % s.carts.length], opts); // warm up

    const ours: number[] = [];
    for (let i = 0; i < RUNS; i++) ours.push(await rate(s.carts, (c) => evaluate(rs, c, opts), 1000, 50));

    // Baseline: one json-rules-engine Engine with every compiled rule, run sequentially.
    const engine = new Engine([], { allowUndefinedFacts: false });
    for (const d of rs.compiled.discounts) engine.addRule(structuredClone(d.rule) as never);
    const baselineRun = async (c: EvaluateRequest) => {
      const facts = evaluationFacts(rs, c, opts);
      const almanacFacts: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(facts)) if (typeof v !== 'function') almanacFacts[k] = v;
      // The per-discount internal facts (usage, items, bogo, units, minimum) are functions of their params.
      for (const name of ['usage', 'items', 'bogo', 'units', 'minimum'] as const) {
        engine.removeFact(name);
        engine.addFact(name, (p: unknown) => (facts[name] as (p: unknown) => unknown)(p));
      }
      return engine.run(almanacFacts);
    };
    await rate(s.carts, baselineRun, 200, 3); // warm up
    const base: number[] = [];
    for (let i = 0; i < RUNS; i++) base.push(await rate(s.carts, baselineRun, s.name === 'c' ? 2000 : 1000, 3));

    // Applicable discounts: those that passed eligibility on the cart (applied, or left out as
    // NOT_COMBINABLE / NO_REMAINING_VALUE), averaged over the scenario's carts.
    let applicable = 0;
    for (const c of s.carts) {
      const r = evaluate(rs, c, opts);
      applicable += r.applied.length + r.rejected.filter((x) => x.reason === 'NOT_COMBINABLE' || x.reason === 'NO_REMAINING_VALUE').length;
    }
    applicable /= s.carts.length;

    const row = {
      bench: 'evaluate',
      scenario: s.name,
      rules: rs.discounts.length,
      lines: s.carts[0].lines.length,
      evalsPerSec: Math.round(median(ours)),
      baselineEvalsPerSec: Math.round(median(base) * 10) / 10,
      heapMB: Math.round(heapMB * 10) / 10,
      rssMB: Math.round((process.memoryUsage().rss / MB) * 10) / 10,
      compileMs: Math.round(median(compileTimes)),
      usPerApplicable: Math.round((1e6 / median(ours) / applicable) * 1000) / 1000,
    };
    const r0 = evaluate(rs, s.carts[0], opts);
    rows.push({
      ...row,
      describe: s.describe,
      ratio: Math.round(median(ours) / median(base)),
      applied: r0.applied.length,
      rejected: r0.rejected.length,
      applicable: Math.round(applicable),
      rulesetMB: Math.round(rulesetMB * 10) / 10,
    });
    // One JSON line per issue scenario (a, b, c); the extra scenario is tagged so it cannot be mistaken for one.
    console.log(JSON.stringify(s.name === 'c-wide' || s.name === 'b-selectors' || s.name === 'b-types' ? { ...row, bench: 'evaluate-extra' } : row));
  }
  console.log('');
  console.log(
    `| scenario | rules | lines | applied / rejected (first cart) | evals/s (median of ${RUNS}) | json-rules-engine evals/s | ratio | heap MB after GC (ruleset alone) | rss MB | compile ms | applicable per cart | us per applicable |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.scenario}: ${r.describe} | ${r.rules} | ${r.lines} | ${r.applied} / ${r.rejected} | ${r.evalsPerSec} | ${r.baselineEvalsPerSec} | ${r.ratio}x | ${r.heapMB} (${r.rulesetMB}) | ${r.rssMB} | ${r.compileMs} | ${r.applicable} | ${r.usPerApplicable} |`,
    );
}

if (process.argv[2] === '--heap') await heapOnly(process.argv[3]);
else await main();
