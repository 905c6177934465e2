// `npm run bench:http`: the service under load on 127.0.0.1 with autocannon (bounded runs; not part
// of the test command). Servers are child processes (`discounts serve` and the bare Hono baseline
// of bench/http-bare.ts); the load generator runs here. Prints one JSON line per measurement:
//   {"bench":"http","scenario":"a"|"b","reqPerSec":..,"p99Ms":..,"baselineReqPerSec":..}
//     evaluate at concurrency 10: (a) the demo rules, a 5-line cart; (b) the 1,000-rule benchmark
//     ruleset, 20-line carts; each against the bare endpoint returning a fixed body of the same
//     size, alternated in the same run (medians of BENCH_HTTP_ROUNDS rounds, default 3).
//   {"bench":"http","scenario":"b-fixed","reqPerSec":..,"p99Ms":..,"baselineReqPerSec":..}
//     p99 at a fixed 1,000 requests/s on (b) (baselineReqPerSec: the bare endpoint at the same rate).
//   {"bench":"redeem","dialect":"sqlite","commitsPerSec":..,"baselineCommitsPerSec":..}
//     POST /v1/redemptions at concurrency 10 (distinct transaction ids, synchronous=FULL) against
//     the same run's raw one-row commit rate on a SQLite file with the same settings.
//   {"bench":"http-breakdown","scenario":..,...} where the time of one request goes in-process
//     (parse, validate, evaluate, serialise), in microseconds.
// BENCH_HTTP_SECONDS (default 5) is the length of each run.

import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import autocannon from 'autocannon';
import type { EvaluateRequest } from '../src/domain/types.js';
import { evaluate } from '../src/engine/evaluate.js';
import { checkRequest } from '../src/engine/request.js';
import { loadServedRuleset } from '../src/http/ruleset.js';
import { generateCarts, generateRules } from './generate.js';
import { baselineCommitsPerSec } from './redeem.bench.js';

const ROOT = process.cwd();
const SECONDS = Math.max(2, Number(process.env.BENCH_HTTP_SECONDS ?? 5));
const ROUNDS = Math.max(1, Number(process.env.BENCH_HTTP_ROUNDS ?? 3));
const CONNECTIONS = 10;
const children = new Set<ChildProcess>();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Starts a server child and waits for `ready` on its output. With `logsToNull`, its stdout (the
 * JSON request log) goes straight to /dev/null: a pipe read by this busy load generator would fill
 * up and block the server's log writes, measuring the pipe instead of the service.
 */
function spawnChild(args: string[], env: Record<string, string>, ready: RegExp, logsToNull = false): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', logsToNull ? 'ignore' : 'pipe', 'pipe'] });
  children.add(child);
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start: ${text}`)), 30_000);
    const onData = (d: Buffer) => {
      text += d.toString();
      const m = ready.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1].startsWith('http') ? m[1] : `http://127.0.0.1:${m[1]}`, child });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${text}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  });
}

/** `discounts serve` on a rules directory, logging at info (one JSON line per request) to /dev/null. */
async function serveRules(rulesDir: string, db: string) {
  return spawnChild([join(ROOT, 'bin', 'discounts.js'), 'serve', '--rules', rulesDir, '--db', db, '--port', '0'], {}, / on (http:\/\/127\.0\.0\.1:\d+)/, true);
}

async function bare(bodyFile: string) {
  return spawnChild([join(ROOT, 'dist', 'bench', 'http-bare.js'), bodyFile], {}, /listening (\d+)/);
}

interface Load {
  url: string;
  bodies: string[];
  seconds?: number;
  rate?: number;
}

async function run(load: Load): Promise<{ reqPerSec: number; p99Ms: number; non2xx: number; count: number; seconds: number }> {
  let i = 0;
  const result = await autocannon({
    url: load.url,
    connections: CONNECTIONS,
    duration: load.seconds ?? SECONDS,
    ...(load.rate ? { overallRate: load.rate } : {}),
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: load.bodies[i++ % load.bodies.length] }) }],
  });
  return { reqPerSec: result.requests.average, p99Ms: result.latency.p99, non2xx: result.non2xx + result.errors + result.timeouts, count: result.requests.total, seconds: load.seconds ?? SECONDS };
}

/** Where one request's time goes in-process (median µs of each stage over the carts). */
async function breakdown(scenario: string, rulesDir: string, bodies: string[]) {
  const loaded = await loadServedRuleset(rulesDir);
  if (!loaded.ok) throw new Error(loaded.message);
  const rs = loaded.ruleset.prepared;
  const stage = { parseUs: [] as number[], validateUs: [] as number[], evaluateUs: [] as number[], serializeUs: [] as number[] };
  for (let k = 0; k < 2000; k++) {
    const text = bodies[k % bodies.length];
    const t0 = performance.now();
    const body = JSON.parse(text);
    const t1 = performance.now();
    const checked = checkRequest(body);
    const t2 = performance.now();
    const res = evaluate(rs, checked.ok ? checked.value : (body as EvaluateRequest), { now: Date.now() });
    const t3 = performance.now();
    JSON.stringify(res);
    const t4 = performance.now();
    if (k < 200) continue; // warm-up
    stage.parseUs.push((t1 - t0) * 1000);
    stage.validateUs.push((t2 - t1) * 1000);
    stage.evaluateUs.push((t3 - t2) * 1000);
    stage.serializeUs.push((t4 - t3) * 1000);
  }
  const out: Record<string, unknown> = { bench: 'http-breakdown', scenario };
  for (const [k, v] of Object.entries(stage)) out[k] = Math.round(median(v) * 10) / 10;
  return out;
}

async function evaluateScenario(name: 'a' | 'b', rulesDir: string, carts: EvaluateRequest[], tmp: string) {
  const bodies = carts.map((c) => JSON.stringify(c));
  const server = await serveRules(rulesDir, join(tmp, `${name}.db`));
  const sample = await (await fetch(`${server.url}/v1/evaluate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[0] })).text();
  if (!sample.startsWith('{"rulesetVersion"')) throw new Error(`unexpected response: ${sample.slice(0, 200)}`);
  const bodyFile = join(tmp, `${name}-fixed.json`);
  writeFileSync(bodyFile, sample);
  const baseline = await bare(bodyFile);
  const ours: { reqPerSec: number; p99Ms: number }[] = [];
  const base: { reqPerSec: number; p99Ms: number }[] = [];
  try {
    await run({ url: `${server.url}/v1/evaluate`, bodies, seconds: 1 }); // warm-up
    await run({ url: baseline.url, bodies, seconds: 1 });
    for (let r = 0; r < ROUNDS; r++) {
      const o = await run({ url: `${server.url}/v1/evaluate`, bodies });
      if (o.non2xx) throw new Error(`${o.non2xx} failed evaluate requests`);
      ours.push(o);
      base.push(await run({ url: baseline.url, bodies }));
    }
    const line: Record<string, unknown> = {
      bench: 'http',
      scenario: name,
      reqPerSec: Math.round(median(ours.map((o) => o.reqPerSec))),
      p99Ms: median(ours.map((o) => o.p99Ms)),
      baselineReqPerSec: Math.round(median(base.map((o) => o.reqPerSec))),
    };
    console.log(JSON.stringify(line));
    process.stderr.write(`${name}: ${line.reqPerSec}/s vs bare ${line.baselineReqPerSec}/s (${((100 * (line.reqPerSec as number)) / (line.baselineReqPerSec as number)).toFixed(0)}%), p99 ${line.p99Ms} ms; runs ${ours.map((o) => Math.round(o.reqPerSec)).join(', ')} / ${base.map((o) => Math.round(o.reqPerSec)).join(', ')}\n`);
    if (name === 'b') {
      const fixed = await run({ url: `${server.url}/v1/evaluate`, bodies, rate: 1000, seconds: Math.max(SECONDS, 5) });
      const fixedBase = await run({ url: baseline.url, bodies, rate: 1000, seconds: Math.max(SECONDS, 5) });
      console.log(JSON.stringify({ bench: 'http', scenario: 'b-fixed', reqPerSec: Math.round(fixed.reqPerSec), p99Ms: fixed.p99Ms, baselineReqPerSec: Math.round(fixedBase.reqPerSec) }));
      process.stderr.write(`b-fixed: ${Math.round(fixed.reqPerSec)}/s offered 1000/s, p99 ${fixed.p99Ms} ms (bare p99 ${fixedBase.p99Ms} ms)\n`);
    }
    console.log(JSON.stringify(await breakdown(name, rulesDir, bodies)));
  } finally {
    await stop(server.child);
    await stop(baseline.child);
  }
}

async function redeemScenario(tmp: string) {
  const rules = join(tmp, 'redeem-rules');
  cpSync(join(ROOT, 'rules'), rules, { recursive: true });
  // save5 (1 per customer, 1,000 in total) must not run out during the runs: every request is a new customer.
  writeFileSync(join(rules, 'save5.yaml'), readFileSync(join(ROOT, 'rules', 'save5.yaml'), 'utf8').replace(/usageLimit: \d+/, 'usageLimit: 100000000'));
  const cart = JSON.parse(readFileSync(join(ROOT, 'rules', 'carts', 'demo.json'), 'utf8')) as EvaluateRequest & { at?: string };
  delete cart.at; // priced at the server clock (an old `at` would be refused as clock skew)
  const ours: number[] = [];
  const base: number[] = [];
  let seq = 0;
  for (let r = 0; r < ROUNDS; r++) {
    base.push(baselineCommitsPerSec(join(tmp, `raw-${r}.db`), 1500));
    const server = await serveRules(rules, join(tmp, `redeem-${r}.db`));
    try {
      const result = await autocannon({
        url: `${server.url}/v1/redemptions`,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => {
              const n = seq++;
              return { ...req, body: JSON.stringify({ transactionId: `bench-${r}-${n}`, ...cart, customer: { id: `bench-c-${r}-${n}` } }) };
            },
          },
        ],
      });
      const created = result['2xx'];
      if (result.non2xx || result.errors) throw new Error(`redeem: ${result.non2xx} non-2xx, ${result.errors} errors`);
      ours.push(created / SECONDS);
    } finally {
      await stop(server.child);
    }
  }
  const line = { bench: 'redeem', dialect: 'sqlite', commitsPerSec: Math.round(median(ours)), baselineCommitsPerSec: Math.round(median(base)) };
  console.log(JSON.stringify(line));
  process.stderr.write(`redeem over HTTP: ${line.commitsPerSec}/s vs raw ${line.baselineCommitsPerSec}/s (${((100 * line.commitsPerSec) / line.baselineCommitsPerSec).toFixed(0)}%); runs ${ours.map(Math.round).join(', ')} / ${base.map(Math.round).join(', ')}\n`);
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-http-'));
  try {
    const demoCart = JSON.parse(readFileSync(join(ROOT, 'rules', 'carts', 'demo.json'), 'utf8')) as EvaluateRequest;
    await evaluateScenario('a', join(ROOT, 'rules'), [demoCart], tmp);
    const b = generateRules(1000, 200, 11);
    const bDir = join(tmp, 'b-rules');
    mkdirSync(bDir);
    writeFileSync(join(bDir, 'store.yaml'), b.store.text);
    for (const r of b.rules) writeFileSync(join(bDir, basename(r.path)), r.text);
    await evaluateScenario('b', bDir, generateCarts(200, 20, 200, b.codes, 12), tmp);
    await redeemScenario(tmp);
  } finally {
    for (const c of children) c.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
