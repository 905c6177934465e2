// `npm run bench:report`: GET /v1/reports/discounts's queries on a SQLite ledger of a busy month.
// Seeds N redemptions (default 100,000 over 30 days, 1-3 applied discounts each out of 40, a
// third vendor-funded, 2% voided) straight into the tables in one transaction (the report reads
// rows, it does not care how they were written: the tests check the figures through redeem), then
// times store.discountReport + buildDiscountReport for the whole month, five runs, and prints the
// median. One run of the script, then it exits; the database lives in a temporary directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildDiscountReport } from '../src/reports/discount-report.js';
import { openStore } from '../src/store/open.js';

const N = Number(process.env.BENCH_REDEMPTIONS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
const path = join(dir, 'ledger.db');
try {
  (await openStore({ path })).close();
  const raw = new Database(path);
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
  const insR = raw.prepare(
    `insert into redemptions (store, transaction_id, ruleset_version, request_json, response_json, at_instant, local_date, customer_id, subtotal, discount_total, total, status, committed_at, voided_at, void_reason, void_date)
     values ('s', ?, 'v', '{}', '{}', ?, ?, null, ?, ?, ?, ?, ?, ?, null, ?)`,
  );
  const insD = raw.prepare(
    `insert into redemption_discounts (store, transaction_id, discount_id, position, code, type, amount, took_usage, took_customer_usage, funding_vendor, funding_amount) values ('s', ?, ?, ?, null, 'fixed', ?, 0, 0, ?, ?)`,
  );
  const started = performance.now();
  raw.transaction(() => {
    for (let i = 0; i < N; i++) {
      const day = 1 + Math.floor(rand() * 30);
      const date = `2026-11-${String(day).padStart(2, '0')}`;
      const id = `t${i}`;
      const subtotal = 1000 + Math.floor(rand() * 20000);
      const count = 1 + Math.floor(rand() * 3);
      const ids = new Set<number>();
      while (ids.size < count) ids.add(Math.floor(rand() * 40));
      const amounts = [...ids].map(() => 100 + Math.floor(rand() * 500));
      const given = amounts.reduce((a, b) => a + b, 0);
      const voided = rand() < 0.02;
      const voidDate = voided ? `2026-11-${String(Math.min(30, day + 1)).padStart(2, '0')}` : null;
      insR.run(id, `${date}T18:00:00.000Z`, date, subtotal, given, subtotal - given, voided ? 'voided' : 'committed', `${date}T18:00:00.000Z`, voided ? `${voidDate}T18:00:00.000Z` : null, voidDate);
      [...ids].forEach((d, p) => insD.run(id, `d-${String(d).padStart(2, '0')}`, p, amounts[p], d % 3 === 0 ? `vendor-${d % 4}` : null, d % 3 === 0 ? Math.floor(amounts[p] / 2) : 0));
    }
  })();
  raw.close();
  const seeded = performance.now() - started;
  const store = await openStore({ path });
  const times: number[] = [];
  let report;
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    const agg = await store.discountReport('s', { from: '2026-11-01', to: '2026-12-01' });
    report = buildDiscountReport({ store: 's', timezone: 'UTC', currency: 'USD', minorDigits: 2, discounts: [] }, { from: '2026-11-01', to: '2026-12-01' }, agg);
    times.push(performance.now() - t);
  }
  await store.close();
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({ redemptions: N, seedMs: Math.round(seeded), runsMs: times.map((t) => Math.round(t)), medianMs: Math.round(times[Math.floor(RUNS / 2)]), transactions: report!.totals.transactions, discounts: report!.discounts.length }),
  );
} finally {
  if (process.env.BENCH_KEEP) console.log(`kept ${path}`);
  else rmSync(dir, { recursive: true, force: true });
}
