// `npm run bench:compile`: compile time for the 10,000 generated rule files of the evaluate
// benchmark's scenario (c) (bench/generate.ts, same seed), as medians over BENCH_RUNS runs
// (default 5), one JSON line per case:
//   first-run            the first compile in this process (what `discounts compile` pays: JIT and
//                        schema compilation included), fast parser
//   baseline-positioned  today's path before the fast parser: every file parsed into a yaml document
//   cold                 compileRuleset with the fast parser (texts in memory)
//   cold-prepared        the same plus prepareRuleset (what bench:evaluate's compileMs measures)
//   reload-one-changed   RulesetLoader.compile with one file changed since the last compile
//   disk-cold / disk-reload-one-changed  RulesetLoader.load() on a temporary directory holding the
//                        files: reading, hashing, compiling, linking and preparing
// Each case reports the median wall time (medianMs) and the median CPU time of the process during
// the run (medianCpuMs: user + system, GC threads included): on a shared, oversubscribed machine
// the CPU time is the steadier estimate of what a quiet machine's wall time would be.
// The JSON lines carry the figures; a table follows.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RuleSource } from '../src/dsl/compile.js';
import { prepareRuleset } from '../src/engine/prepare.js';
import { compileWithNode, RulesetLoader } from '../src/ruleset/load.js';
import { generateRules } from './generate.js';

const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
const FILES = 10_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

interface Sample {
  ms: number;
  cpuMs: number;
}

function time(fn: () => unknown): Sample {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (out === undefined) throw new Error('no result');
  return { ms, cpuMs: (c.user + c.system) / 1000 };
}

async function timeAsync(fn: () => Promise<unknown>): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000 };
}

function ok<T extends { ruleset: unknown; diagnostics: { message: string }[] }>(r: T): T {
  if (!r.ruleset) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r;
}

/** The sources with file `i` given one of two contents, so that every reload sees a change. */
function withChange(sources: { store: RuleSource; rules: RuleSource[] }, i: number, round: number) {
  const rules = [...sources.rules];
  const r = rules[i];
  rules[i] = { path: r.path, text: r.text.replace(/^name: (.*)$/m, `name: $1 (edit ${round % 2})`) };
  return { store: sources.store, rules };
}

async function main(): Promise<void> {
  const c = generateRules(FILES, 200, 13);
  const sources = { store: c.store, rules: c.rules };
  const rows: { case: string; ms: number; cpuMs: number; runs: number }[] = [];
  const round = (x: number) => Math.round(x * 10) / 10;
  const add = (name: string, samples: Sample[]) =>
    rows.push({ case: name, ms: round(median(samples.map((x) => x.ms))), cpuMs: round(median(samples.map((x) => x.cpuMs))), runs: samples.length });

  add('first-run', [time(() => ok(compileWithNode(sources)))]);

  const samples = (fn: () => unknown) => {
    const out: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      gc();
      out.push(time(fn));
    }
    return out;
  };
  add('baseline-positioned', samples(() => ok(compileWithNode(sources, { parser: 'positioned' }))));
  add('cold', samples(() => ok(compileWithNode(sources))));
  add('cold-prepared', samples(() => prepareRuleset(ok(compileWithNode(sources)).ruleset!)));

  const loader = new RulesetLoader('unused');
  ok(loader.compile(sources));
  let edit = 0;
  add(
    'reload-one-changed',
    samples(() => {
      const r = ok(loader.compile(withChange(sources, 1234, edit++)));
      if (loader.lastLoad.compiled !== 1) throw new Error(`expected one file compiled, got ${loader.lastLoad.compiled}`);
      return r;
    }),
  );

  const dir = await mkdtemp(join(tmpdir(), 'bench-compile-'));
  try {
    await writeFile(join(dir, 'store.yaml'), c.store.text);
    for (const r of c.rules) await writeFile(join(dir, r.path.replace(/^bench\//, '')), r.text);
    const disk: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      gc();
      disk.push(await timeAsync(async () => ok(await new RulesetLoader(dir).load())));
    }
    add('disk-cold', disk);
    const diskLoader = new RulesetLoader(dir);
    ok(await diskLoader.load());
    const reload: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const changed = withChange(sources, 1234, i).rules[1234];
      await writeFile(join(dir, changed.path.replace(/^bench\//, '')), changed.text);
      gc();
      reload.push(await timeAsync(async () => ok(await diskLoader.load())));
      if (diskLoader.lastLoad.compiled !== 1) throw new Error(`expected one file compiled, got ${diskLoader.lastLoad.compiled}`);
    }
    add('disk-reload-one-changed', reload);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  for (const r of rows) console.log(JSON.stringify({ bench: 'compile', case: r.case, files: FILES, medianMs: r.ms, medianCpuMs: r.cpuMs, runs: r.runs }));
  console.log('');
  console.log(`| case (${FILES} files) | median ms | median CPU ms | runs |`);
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.case} | ${r.ms} | ${r.cpuMs} | ${r.runs} |`);
}

await main();
