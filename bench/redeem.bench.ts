// `npm run bench:redeem [-- --db PATH|postgres://URL] [-- --no-group-commit]`: redemptions committed per second through the ledger
// store at concurrency 10 (SQLite, WAL, synchronous=FULL), against the same run's raw rate of
// one-row insert transactions on a SQLite file with the same settings (one fsync per commit: the
// disk's limit). Each run is bounded in time and uses a fresh database file next to PATH (default:
// a temporary directory); figures are medians over BENCH_RUNS runs (default 5). Prints one JSON
// line: {"bench":"redeem","dialect":"sqlite","commitsPerSec":..,"baselineCommitsPerSec":..}.
//
// The redemptions price the demo rules (rules/) with the demo cart, a new customer each time, so
// every redemption takes usage of save5 (store-wide and per customer) and of the automatic
// discounts' allocations: save5's usageLimit is raised so it never runs out during a run.
// A postgres:// URL runs the PostgreSQL variant (bench/redeem-postgres.ts).
// BENCH_WEBHOOKS=N (default 0): each redemption also writes its redemption.committed event with N
// deliveries (N subscriptions), in the same transaction (issue 15's outbox).

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import type { EvaluateRequest } from '../src/domain/types.js';
import { evaluate } from '../src/engine/evaluate.js';
import { prepareRuleset, type PreparedRuleset } from '../src/engine/prepare.js';
import { compileWithNode, readRulesDir } from '../src/ruleset/load.js';
import { applyPragmas, DEFAULT_BUSY_TIMEOUT_MS } from '../src/store/dialects/sqlite.js';
import { openStore, parseStoreLocation } from '../src/store/open.js';
import type { LedgerStore, RedeemInput } from '../src/store/types.js';
import { committedEvents } from '../src/events/build.js';
import { randomEventId } from '../src/events/ids.js';
import type { WebhookSubscription } from '../src/events/types.js';

export const RUNS = Math.max(3, Number(process.env.BENCH_RUNS ?? 5));
export const RUN_MS = Math.max(200, Number(process.env.BENCH_RUN_MS ?? 1500));
export const CONCURRENCY = 10;
export const WEBHOOKS = Math.max(0, Math.min(20, Number(process.env.BENCH_WEBHOOKS ?? 0) || 0));
const SUBSCRIPTIONS: WebhookSubscription[] = Array.from({ length: WEBHOOKS }, (_, i) => ({
  url: `https://hooks.example.com/${i}`,
  events: ['redemption.committed'],
  secretEnv: `HOOK_${i}`,
  secretEnvPrevious: null,
  expireMinutes: 15,
}));
const WARMUP_MS = 500;

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * The disk's commit rate: one-row INSERT transactions (BEGIN IMMEDIATE ... COMMIT) on a new SQLite
 * file with the ledger's settings, for `durationMs`. Removes the file afterwards. Exported for the
 * HTTP benchmark.
 */
export function baselineCommitsPerSec(path: string, durationMs = RUN_MS): number {
  mkdirSync(dirname(path), { recursive: true });
  removeDb(path);
  const db = new BetterSqlite3(path);
  try {
    applyPragmas(db, DEFAULT_BUSY_TIMEOUT_MS);
    db.exec('create table t (id integer primary key, v text not null)');
    const begin = db.prepare('begin immediate');
    const insert = db.prepare('insert into t (v) values (?)');
    const commit = db.prepare('commit');
    let n = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < durationMs) {
      begin.run();
      insert.run(`row-${n}`);
      commit.run();
      n++;
      elapsed = performance.now() - t0;
    }
    return (n * 1000) / elapsed;
  } finally {
    db.close();
    removeDb(path);
  }
}

function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

/** Sorted-key JSON (the idempotency comparison the HTTP layer makes). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export async function benchRuleset(): Promise<PreparedRuleset> {
  const sources = await readRulesDir(join(process.cwd(), 'rules'));
  const rules = sources.rules.map((r) => (r.path.endsWith('save5.yaml') ? { ...r, text: r.text.replace(/usageLimit: \d+/, 'usageLimit: 100000000') } : r));
  const { ruleset, diagnostics } = compileWithNode({ ...sources, rules });
  if (!ruleset) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return prepareRuleset(ruleset);
}

/** Redemptions committed per second by CONCURRENCY workers for `durationMs` on a new file. */
async function storeCommitsPerSec(
  path: string,
  rs: PreparedRuleset,
  cart: EvaluateRequest,
  run: number,
  durationMs: number,
  groupCommit: boolean,
): Promise<number> {
  removeDb(path);
  const store: LedgerStore = await openStore({ path, groupCommit });
  try {
    return await redeemCommitsPerSec(store, rs, cart, run, durationMs);
  } finally {
    await store.close();
    removeDb(path);
  }
}

/** Redemptions committed per second through `store` by CONCURRENCY workers for `durationMs` (after a warm-up). */
export async function redeemCommitsPerSec(store: LedgerStore, rs: PreparedRuleset, cart: EvaluateRequest, run: number, durationMs: number): Promise<number> {
  const limits = rs.compiled.discounts
    .filter((d) => d.usageLimit !== null || d.perCustomerLimit !== null)
    .map((d) => ({ discountId: d.id, usageLimit: d.usageLimit, perCustomerLimit: d.perCustomerLimit }));
  const now = Date.now();
  let seq = 0;
  const input = (): RedeemInput => {
    const i = seq++;
    const transactionId = `bench-${run}-${i}`;
    const req: EvaluateRequest = { ...cart, customer: { id: `cust-${run}-${i}`, tier: 'silver' } };
    return {
      store: rs.compiled.policy.store,
      transactionId,
      requestCanonical: canonicalJson({ transactionId, ...req }),
      at: '2026-11-21T00:30:00.000Z',
      localDate: '2026-11-20',
      rulesetVersion: rs.version,
      customerId: `cust-${run}-${i}`,
      limits,
      price: (usage) => evaluate(rs, req, { now, usage }),
      now: new Date().toISOString(),
      ...(WEBHOOKS ? { events: (c) => committedEvents(c, { store: rs.compiled.policy.store, subscriptions: SUBSCRIPTIONS, newId: randomEventId }) } : {}),
    };
  };
  const load = async (ms: number): Promise<number> => {
    let committed = 0;
    const t0 = performance.now();
    const deadline = t0 + ms;
    const worker = async () => {
      while (performance.now() < deadline) {
        const out = await store.redeem(input());
        if (out.kind !== 'committed') throw new Error(`unexpected ${out.kind}`);
        if (out.record.applied.length === 0) throw new Error('nothing applied: the benchmark would not take usage');
        committed++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return (committed * 1000) / (performance.now() - t0);
  };
  await load(WARMUP_MS); // JIT, statement and query shape caches: not measured
  return await load(durationMs);
}

async function main(): Promise<void> {
  // --no-group-commit: one commit per redemption, to see what sharing commits buys.
  const { values } = parseArgs({ options: { db: { type: 'string' }, 'no-group-commit': { type: 'boolean' } }, allowPositionals: false });
  const groupCommit = !values['no-group-commit'];
  const location = values.db ? parseStoreLocation(values.db) : null;
  if (location?.dialect === 'postgres') {
    const { postgresRedeemBench } = await import('./redeem-postgres.js');
    return postgresRedeemBench(location.url, { benchRuleset, redeemCommitsPerSec, median, CONCURRENCY, RUN_MS, RUNS });
  }
  const tmp = location ? null : mkdtempSync(join(tmpdir(), 'bench-redeem-'));
  const base = location ? resolve(location.path) : join(tmp!, 'ledger.db');
  const rs = await benchRuleset();
  const cart = JSON.parse(readFileSync(join(process.cwd(), 'rules/carts/demo.json'), 'utf8')) as EvaluateRequest;
  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      // Alternate so both see the same disk conditions.
      baseline.push(baselineCommitsPerSec(`${base}.baseline`, RUN_MS));
      ours.push(await storeCommitsPerSec(`${base}.bench`, rs, cart, run, RUN_MS, groupCommit));
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  const commitsPerSec = Math.round(median(ours));
  const baselineCommitsPerSec_ = Math.round(median(baseline));
  process.stderr.write(
    `redeem: ${commitsPerSec}/s through the store at concurrency ${CONCURRENCY}${groupCommit ? '' : ' without group commit'}${WEBHOOKS ? ` with ${WEBHOOKS} webhook deliveries each` : ''} vs ${baselineCommitsPerSec_}/s raw one-row commits ` +
      `(${((100 * commitsPerSec) / baselineCommitsPerSec_).toFixed(0)}%; medians of ${RUNS} runs of ${RUN_MS} ms; runs: ${ours.map(Math.round).join(', ')} / ${baseline.map(Math.round).join(', ')})\n`,
  );
  console.log(JSON.stringify({ bench: 'redeem', dialect: 'sqlite', webhooks: WEBHOOKS, commitsPerSec, baselineCommitsPerSec: baselineCommitsPerSec_ }));
}

// Run only as a script (the HTTP benchmark imports baselineCommitsPerSec).
if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) await main();
