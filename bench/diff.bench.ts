// `discounts diff` on a large rules directory: N generated rules (bench/generate.ts) and C sample
// carts committed in a temporary git repository, then 1% of the rules changed in the work tree;
// the command runs in-process RUNS times and the median wall time is printed. Bounded and local:
// one temporary directory, removed at the end. Run: npm run build && node dist/bench/diff.bench.js [N] [C]

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { generateCarts, generateRules } from './generate.js';

const N = Number(process.argv[2] ?? 10_000);
const C = Number(process.argv[3] ?? 100);
const RUNS = 3;

const dir = mkdtempSync(join(tmpdir(), 'discounts-diff-bench-'));
try {
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=B', '-c', 'user.email=b@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, stdio: 'ignore' });
  const gen = generateRules(N, 200);
  mkdirSync(join(dir, 'rules', 'carts'), { recursive: true });
  writeFileSync(join(dir, 'rules', 'store.yaml'), gen.store.text);
  const name = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  for (const r of gen.rules) writeFileSync(join(dir, 'rules', name(r.path)), r.text);
  generateCarts(C, 8, 200, gen.codes).forEach((c, i) => writeFileSync(join(dir, 'rules', 'carts', `cart-${i}.json`), JSON.stringify({ at: '2026-11-20T12:00:00', ...c })));
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  // 1% of the rules change value.
  for (const r of gen.rules.filter((_, i) => i % 100 === 0)) writeFileSync(join(dir, 'rules', name(r.path)), r.text.replace(/^value: (\d+)$/m, (_, v) => `value: ${Number(v) + 1}`));
  const times: number[] = [];
  let summary = '';
  for (let i = 0; i < RUNS; i++) {
    let out = '';
    const t0 = performance.now();
    const code = await main(['diff', '--format', 'json'], { stdout: (s) => (out += s), stderr: (s) => process.stderr.write(s), readStdin: async () => '', cwd: dir, now: () => Date.parse('2026-11-20T20:00:00Z') });
    times.push(performance.now() - t0);
    const j = JSON.parse(out);
    summary = `exit ${code}, ${j.discounts.length} discount changes, ${j.money.summary.changed}/${j.money.summary.carts} carts changed`;
  }
  times.sort((a, b) => a - b);
  console.log(`diff: ${N} rules, ${C} carts, 1% changed: median ${(times[Math.floor(RUNS / 2)] / 1000).toFixed(2)} s over ${RUNS} runs (${times.map((t) => (t / 1000).toFixed(2)).join(', ')}); ${summary}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
