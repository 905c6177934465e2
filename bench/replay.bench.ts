// `npm run bench:replay`: what-if replay of a month of a busy store. Seeds a SQLite ledger file with
// BENCH_REPLAY_N redemptions (default 100,000: November 2026, 08:00-22:00 Los Angeles, evenly
// spread, plus 5% in the days before for the start counts) priced by the engine from the seeded
// carts of bench/generate.ts (5 lines, 0-2 codes, 1,000 customers) over the generated 200-rule
// ruleset plus a limited automatic discount (store-wide and per-customer limits, so the replay
// counts uses). The rows are written in one transaction with the shapes redeem writes (request,
// response, discounts, allocations, usage), which is much faster than redeeming them one by one.
//
// Then, each bounded in time:
//   1. replay time: replayFromLedger in this process over the file, the draft doubling the limited
//      discount's limit and raising its rate from 5% to 8%; median of BENCH_RUNS runs (default 5);
//   2. POS latency: `discounts serve` on 127.0.0.1 (a child process) with the same rules and file;
//      POST /v1/evaluate from CONNECTIONS keep-alive clients in this process, p50 and p99 over
//      BENCH_REPLAY_SECONDS (default 5) without a replay, then while POST /v1/reports/replay runs
//      in the server's worker (replays back to back until the time is up), as a ratio.
// BENCH_REPLAY_SKIP_HTTP=1 stops after step 1. Prints one JSON line per measurement.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { EvaluateRequest, Usage } from '../src/domain/types.js';
import { compileRuleset } from '../src/dsl/compile.js';
import { evaluate } from '../src/engine/evaluate.js';
import { prepareRuleset } from '../src/engine/prepare.js';
import { canonicalJson } from '../src/http/body.js';
import { localDate } from '../src/http/context.js';
import { replayFromLedger } from '../src/reports/replay-ledger.js';
import { nodeSha256Hex } from '../src/ruleset/load.js';
import { openStore } from '../src/store/open.js';
import { generateCarts, generateRules } from './generate.js';

const N = Math.max(1000, Number(process.env.BENCH_REPLAY_N ?? 100_000));
const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 5));
const SECONDS = Math.max(2, Number(process.env.BENCH_REPLAY_SECONDS ?? 5));
const CONNECTIONS = 4;
const CATEGORIES = 20;
/** Rules in the generated ruleset: about two per category, so carts stack a few discounts, not the store cap. */
const RULES = 40;
const STORE = 'bench';
const children = new Set<ChildProcess>();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

const LIMITED = (limit: number, value = 5) => `id: members-5
name: ${value}% off, limited
type: percentage
value: ${value}
usageLimit: ${limit}
perCustomerLimit: 60
stackable: true
`;

function writeRules(dir: string, extra: Record<string, string>): void {
  const generated = generateRules(RULES, CATEGORIES);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'store.yaml'), generated.store.text);
  for (const r of generated.rules) writeFileSync(join(dir, basename(r.path)), r.text);
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text);
}

function sources(dir: string, extra: Record<string, string>) {
  const generated = generateRules(RULES, CATEGORIES);
  const rules = generated.rules.map((r) => ({ path: join(dir, basename(r.path)), text: r.text })).filter((r) => !(basename(r.path) in extra));
  for (const [name, text] of Object.entries(extra)) rules.push({ path: join(dir, name), text });
  return { store: { path: join(dir, 'store.yaml'), text: generated.store.text }, storePath: join(dir, 'store.yaml'), rules };
}

/** N redemptions (plus 5% before the period) written as redeem writes them, in commit order. */
async function seed(path: string, rulesDir: string): Promise<void> {
  (await openStore({ path })).close();
  const compiled = compileRuleset(sources(rulesDir, { 'members-5.yaml': LIMITED(Math.floor(N * 0.4)) }), { sha256Hex: nodeSha256Hex }).ruleset!;
  const rs = prepareRuleset(compiled);
  const codes = generateRules(RULES, CATEGORIES).codes;
  const before = Math.floor(N * 0.05);
  const carts = generateCarts(N + before, 5, CATEGORIES, codes, 7);
  const db = new BetterSqlite3(path);
  db.pragma('journal_mode = WAL');
  const insR = db.prepare(
    `insert into redemptions (store, transaction_id, ruleset_version, request_json, response_json, at_instant, local_date, customer_id, subtotal, discount_total, total, status, committed_at, voided_at, void_reason, void_date) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'committed', ?, null, null, null)`,
  );
  const insD = db.prepare(`insert into redemption_discounts (store, transaction_id, discount_id, position, code, type, amount, took_usage, took_customer_usage) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insA = db.prepare(`insert into redemption_allocations (store, transaction_id, discount_id, line_id, amount) values (?, ?, ?, ?, ?)`);
  const used = { total: 0, customers: new Map<string, number>() };
  // 08:00 Los Angeles on 2026-10-31 (5% before the period), then November: 14 h a day, evenly.
  const dayStart = (d: number) => Date.parse(`2026-11-01T08:00:00-07:00`) + (d - 1) * 86_400_000 + (d > 1 ? 3_600_000 : 0);
  const perDay = Math.ceil(N / 30);
  db.transaction(() => {
    carts.forEach((cart, i) => {
      const { at: _at, ...req } = cart as EvaluateRequest;
      const n = i - before;
      const at = n < 0 ? dayStart(0) + Math.floor(((i + 1) / (before + 1)) * 14 * 3_600_000) : dayStart(1 + Math.floor(n / perDay)) + Math.floor(((n % perDay) / perDay) * 14 * 3_600_000);
      const customer = req.customer!.id as string;
      const usage: Usage = { 'members-5': { used: used.total, customers: { [customer]: used.customers.get(customer) ?? 0 } } };
      const response = evaluate(rs, req, { now: at, usage });
      const tx = `pos1:${String(i).padStart(7, '0')}`;
      insR.run(STORE, tx, rs.compiled.version, canonicalJson({ transactionId: tx, ...req }), JSON.stringify(response), new Date(at).toISOString(), localDate(at, 'America/Los_Angeles'), customer, response.subtotal, response.discountTotal, response.total, new Date(at + 50).toISOString());
      response.applied.forEach((a, p) => {
        const limited = a.discountId === 'members-5';
        if (limited) {
          used.total++;
          used.customers.set(customer, (used.customers.get(customer) ?? 0) + 1);
        }
        insD.run(STORE, tx, a.discountId, p, a.code, a.type, a.amount, limited ? 1 : 0, limited ? 1 : 0);
        for (const l of a.allocations) insA.run(STORE, tx, a.discountId, l.lineId, l.amount);
      });
    });
    db.prepare('insert into usage (store, discount_id, used) values (?, ?, ?)').run(STORE, 'members-5', used.total);
    const cu = db.prepare('insert into customer_usage (store, customer_id, discount_id, used) values (?, ?, ?, ?)');
    for (const [c, u] of used.customers) cu.run(STORE, c, 'members-5', u);
  })();
  db.close();
}

function spawnServe(rulesDir: string, dbPath: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['bin/discounts.js', 'serve', '--rules', rulesDir, '--db', dbPath, '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', DISCOUNTS_LOG_LEVEL: 'error', DISCOUNTS_REPLAY_TIMEOUT_MS: '900000' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${text}`)), 60_000);
    child.stderr!.on('data', (b: Buffer) => {
      text += b.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${text}`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS + 2 });
function post(url: string, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Evaluate latencies (ms) from CONNECTIONS sequential clients until `until()` says stop. */
async function evaluateLatencies(url: string, bodies: string[], until: () => boolean): Promise<number[]> {
  const out: number[] = [];
  let k = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (!until()) {
        const body = bodies[k++ % bodies.length];
        const t0 = performance.now();
        const r = await post(url, '/v1/evaluate', body);
        if (r.status !== 200) throw new Error(`evaluate ${r.status}: ${r.text.slice(0, 200)}`);
        out.push(performance.now() - t0);
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
  try {
    const rulesDir = join(dir, 'rules');
    writeRules(rulesDir, { 'members-5.yaml': LIMITED(Math.floor(N * 0.4)) });
    const dbPath = join(dir, 'ledger.db');
    const t0 = performance.now();
    await seed(dbPath, rulesDir);
    const seedMs = performance.now() - t0;
    if (process.env.BENCH_SEED_ONLY) return void console.error(`seeded ${dbPath} in ${Math.round(seedMs)} ms`);

    const codes = generateRules(RULES, CATEGORIES).codes;
    const draftExtra = { 'members-5.yaml': LIMITED(Math.floor(N * 0.8), 8) };
    const draft = compileRuleset(sources(rulesDir, draftExtra), { sha256Hex: nodeSha256Hex }).ruleset!;
    const store = await openStore({ path: dbPath, migrate: false });
    const times: number[] = [];
    const cpu: number[] = [];
    let report = null;
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      const c = process.cpuUsage();
      report = await replayFromLedger(store, { store: STORE, from: '2026-11-01', to: '2026-12-01', ruleset: draft });
      const used = process.cpuUsage(c);
      times.push(performance.now() - s);
      cpu.push((used.user + used.system) / 1000);
    }
    await store.close();
    console.log(
      JSON.stringify({
        bench: 'replay',
        redemptions: report!.transactions,
        seedMs: Math.round(seedMs),
        replayMsMedian: Math.round(median(times)),
        replayMsRuns: times.map(Math.round),
        // CPU time of this process during a replay: what the replay costs, whatever else the machine runs.
        replayCpuMsMedian: Math.round(median(cpu)),
        loadAverage: Math.round(loadavg()[0] * 10) / 10,
        changed: report!.total.changed,
        difference: report!.total.difference,
      }),
    );

    if (process.env.BENCH_REPLAY_SKIP_HTTP) return;
    // POS latency with and without a replay running in the server's worker.
    const { url, child } = await spawnServe(rulesDir, dbPath);
    const bodies = generateCarts(500, 5, CATEGORIES, codes, 11).map((c) => JSON.stringify(c));
    const warm = performance.now();
    await evaluateLatencies(url, bodies, () => performance.now() - warm > 1000);
    const quietStart = performance.now();
    const quiet = await evaluateLatencies(url, bodies, () => performance.now() - quietStart > SECONDS * 1000);
    const draftBody = JSON.stringify({ from: '2026-11-01', to: '2026-12-01', drafts: [{ path: 'members-5.yaml', text: draftExtra['members-5.yaml'] }] });
    let replaying = true;
    const replayTimes: number[] = [];
    const busyStart = performance.now();
    const replays = (async () => {
      while (performance.now() - busyStart < SECONDS * 1000) {
        const s = performance.now();
        const r = await post(url, '/v1/reports/replay', draftBody);
        if (r.status !== 200) throw new Error(`replay ${r.status}: ${r.text.slice(0, 300)}`);
        replayTimes.push(performance.now() - s);
      }
      replaying = false;
    })();
    const busy = await evaluateLatencies(url, bodies, () => !replaying);
    await replays;
    child.kill('SIGTERM');
    const p = (xs: number[], q: number) => Math.round(quantile(xs, q) * 100) / 100;
    console.log(
      JSON.stringify({
        bench: 'replay-pos-latency',
        connections: CONNECTIONS,
        quiet: { requests: quiet.length, p50Ms: p(quiet, 0.5), p99Ms: p(quiet, 0.99) },
        duringReplay: { requests: busy.length, p50Ms: p(busy, 0.5), p99Ms: p(busy, 0.99), replays: replayTimes.length, replayHttpMsMedian: Math.round(median(replayTimes)) },
        p50Ratio: Math.round((quantile(busy, 0.5) / quantile(quiet, 0.5)) * 100) / 100,
        p99Ratio: Math.round((quantile(busy, 0.99) / quantile(quiet, 0.99)) * 100) / 100,
      }),
    );
  } finally {
    for (const c of children) c.kill('SIGKILL');
    agent.destroy();
    if (process.env.BENCH_KEEP) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
