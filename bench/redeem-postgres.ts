// The PostgreSQL half of `npm run bench:redeem -- --db postgres://...`: redemptions committed per
// second through the ledger store (pool of DISCOUNTS_DB_POOL, default 10; CONCURRENCY workers)
// against the same run's raw rate of one-row INSERT transactions (BEGIN; INSERT; COMMIT) by the
// same number of connections on the same database: what the server and its disk commit at that
// concurrency, the store's ceiling. Each run uses a schema of its own (created, then dropped with
// everything in it), so the URL's role needs only CREATE on the database, not CREATEDB; the two
// measurements alternate so both see the same conditions. Prints one JSON line:
// {"bench":"redeem","dialect":"postgres","commitsPerSec":..,"baselineCommitsPerSec":..}.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { EvaluateRequest } from '../src/domain/types.js';
import { DEFAULT_POOL_SIZE } from '../src/store/dialects/postgres.js';
import { openStore, resolveStoreSetting } from '../src/store/open.js';
// Type-only: the helpers come in as an argument (a value import of the running script would be an
// import cycle under its top-level await).
import type * as RedeemBench from './redeem.bench.js';

export type BenchHelpers = Pick<typeof RedeemBench, 'benchRuleset' | 'redeemCommitsPerSec' | 'median' | 'CONCURRENCY' | 'RUN_MS' | 'RUNS'>;

/** The URL with every session's search_path set to `schema` (libpq `options`, understood by pg). */
function urlInSchema(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function withSchema<T>(admin: pg.Client, url: string, name: string, fn: (url: string) => Promise<T>): Promise<T> {
  await admin.query(`drop schema if exists ${name} cascade`);
  await admin.query(`create schema ${name}`);
  try {
    return await fn(urlInSchema(url, name));
  } finally {
    await admin.query(`drop schema if exists ${name} cascade`);
  }
}

/** One-row INSERT transactions by `connections` clients for `durationMs`, per second. */
async function baselinePg(url: string, connections: number, durationMs: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: connections });
  pool.on('error', () => undefined);
  try {
    await pool.query('create table bench_baseline (id bigserial primary key, v text not null)');
    const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
    let n = 0;
    const run = async (c: pg.PoolClient, deadline: number, count: boolean) => {
      while (performance.now() < deadline) {
        await c.query('begin');
        await c.query('insert into bench_baseline (v) values ($1)', [`row-${n}`]);
        await c.query('commit');
        if (count) n++;
      }
    };
    // Warm up as the store does, then measure.
    const warm = performance.now() + 200;
    await Promise.all(clients.map((c) => run(c, warm, false)));
    const t0 = performance.now();
    await Promise.all(clients.map((c) => run(c, t0 + durationMs, true)));
    const rate = (n * 1000) / (performance.now() - t0);
    for (const c of clients) c.release();
    return rate;
  } finally {
    await pool.end();
  }
}

export async function postgresRedeemBench(url: string, helpers: BenchHelpers): Promise<void> {
  const { benchRuleset, redeemCommitsPerSec, median, CONCURRENCY, RUN_MS, RUNS } = helpers;
  const { poolSize } = resolveStoreSetting(url, process.env);
  const rs = await benchRuleset();
  const cart = JSON.parse(readFileSync(join(process.cwd(), 'rules/carts/demo.json'), 'utf8')) as EvaluateRequest;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const tag = `${process.pid}_${Date.now().toString(36)}`;
  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      baseline.push(await withSchema(admin, url, `bench_baseline_${tag}_${run}`, (u) => baselinePg(u, CONCURRENCY, RUN_MS)));
      ours.push(
        await withSchema(admin, url, `bench_redeem_${tag}_${run}`, async (u) => {
          const store = await openStore({ url: u, poolSize });
          try {
            return await redeemCommitsPerSec(store, rs, cart, run, RUN_MS);
          } finally {
            await store.close();
          }
        }),
      );
    }
  } finally {
    await admin.end();
  }
  const commitsPerSec = Math.round(median(ours));
  const baselineCommitsPerSec = Math.round(median(baseline));
  process.stderr.write(
    `redeem (postgres): ${commitsPerSec}/s through the store (pool ${poolSize}${poolSize === DEFAULT_POOL_SIZE ? ', the default' : ''}) at concurrency ${CONCURRENCY} ` +
      `vs ${baselineCommitsPerSec}/s raw one-row commits by ${CONCURRENCY} connections ` +
      `(${((100 * commitsPerSec) / baselineCommitsPerSec).toFixed(0)}%; medians of ${RUNS} runs of ${RUN_MS} ms; runs: ${ours.map(Math.round).join(', ')} / ${baseline.map(Math.round).join(', ')})\n`,
  );
  console.log(JSON.stringify({ bench: 'redeem', dialect: 'postgres', commitsPerSec, baselineCommitsPerSec }));
}
