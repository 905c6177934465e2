// `discounts report`: a ledger seeded through the real redeem and void path, then the JSON checked
// against an independent computation over the stored rows and byte for byte against the API's
// body; CSV (header row, minor units) and the table (store currency, aligned) against the JSON;
// flags and failures (exit 2).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService } from '../../src/http/app.js';
import { memoryLogger } from '../../src/http/logger.js';
import { loadServedRuleset, RulesetHolder } from '../../src/http/ruleset.js';
import { openStore } from '../../src/store/open.js';
import { expectedReport, REPORT_RULES, REPORT_STORE_YAML, reportContext, reportRuleset, seedReportLedger } from '../store/reports-contract.js';
import { run } from './helpers.js';

let dir: string;
let db: string;
let rulesDir: string;
const rs = reportRuleset();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'discounts-report-'));
  rulesDir = join(dir, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(join(rulesDir, 'store.yaml'), REPORT_STORE_YAML);
  for (const r of REPORT_RULES) writeFileSync(join(rulesDir, r.path), r.text);
  db = join(dir, 'ledger.db');
  const store = await openStore({ path: db });
  await seedReportLedger(store, rs, 60, 3);
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rows = () => {
  const raw = new Database(db, { readonly: true });
  try {
    return (raw.prepare('select * from redemptions').all() as Record<string, unknown>[]).map((r) => ({ ...r }));
  } finally {
    raw.close();
  }
};
/** RFC 4180 fields of one line (quoted fields may hold commas and doubled quotes). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  const re = /("(?:[^"]|"")*"|[^,]*)(,|$)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    out.push(m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1]);
    if (m[2] === '') break;
  }
  return out;
}
const report = (...extra: string[]) => run(['report', '--rules', rulesDir, '--db', db, ...extra], { cwd: dir });

describe('discounts report', () => {
  it('prints the JSON of the API, every figure as the stored redemptions give it', async () => {
    const out = await report('--from', '2026-11-01', '--to', '2026-11-11', '--format', 'json');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const body = JSON.parse(out.stdout);
    // The CLI reads the rules from disk: the names come from there (the same texts as the test ruleset).
    expect(body).toEqual(expectedReport(rows(), reportContext(rs), { from: '2026-11-01', to: '2026-11-11' }));

    const loaded = await loadServedRuleset(rulesDir, 'rules');
    if (!loaded.ok) throw new Error(loaded.message);
    const store = await openStore({ path: db });
    try {
      const app = createService({ rulesets: new RulesetHolder(loaded.ruleset, { dir: rulesDir, displayDir: 'rules' }), store, now: () => Date.parse('2026-11-20T20:00:00Z'), keys: [], logger: memoryLogger() }).app;
      const api = await app.request('/v1/reports/discounts?from=2026-11-01&to=2026-11-11');
      expect(api.status).toBe(200);
      expect(JSON.stringify(await api.json(), null, 2) + '\n').toBe(out.stdout);
    } finally {
      await store.close();
    }
  });

  it('defaults to the last 30 days at the clock (2026-11-20 in Los Angeles)', async () => {
    const body = JSON.parse((await report('--format', 'json')).stdout);
    expect([body.from, body.to]).toEqual(['2026-10-22', '2026-11-21']);
  });

  it('prints CSV with a header row, minor units, one section at a time', async () => {
    const json = JSON.parse((await report('--from', '2026-11-01', '--to', '2026-11-11', '--format', 'json')).stdout);
    const csv = await report('--from', '2026-11-01', '--to', '2026-11-11', '--format', 'csv');
    expect(csv.code).toBe(0);
    const lines = csv.stdout.split('\r\n');
    expect(lines.pop()).toBe('');
    expect(lines[0]).toBe('rank,discountId,name,timesUsed,voids,discountGiven,grossSales,netSales,shareBps,averageDiscount');
    const num = (v: string) => (v === '' ? null : Number(v));
    expect(
      lines.slice(1).map((l) => {
        const c = csvFields(l);
        return { rank: Number(c[0]), discountId: c[1], name: c[2], timesUsed: num(c[3]), voids: num(c[4]), discountGiven: num(c[5]), grossSales: num(c[6]), netSales: num(c[7]), shareBps: num(c[8]), averageDiscount: num(c[9]) };
      }),
    ).toEqual(json.discounts);
    const days = (await report('--from', '2026-11-01', '--to', '2026-11-11', '--format', 'csv', '--section', 'days')).stdout.split('\r\n');
    expect(days[0]).toBe('date,transactions,discountedTransactions,discountGiven,grossSales,netSales,voids');
    expect(days.slice(1, -1).map((l) => l.split(',').map((c, i) => (i ? Number(c) : c)))).toEqual(
      json.days.map((d: Record<string, unknown>) => [d.date, d.transactions, d.discountedTransactions, d.discountGiven, d.grossSales, d.netSales, d.voids]),
    );
    const vendors = (await report('--from', '2026-11-01', '--to', '2026-11-11', '--format', 'csv', '--section', 'vendors')).stdout.split('\r\n');
    expect(vendors[0]).toBe('vendor,discountId,applications,fundedAmount');
    const funded = vendors.slice(1, -1).map((l) => l.split(','));
    for (const v of json.vendors) expect(funded.filter((c) => c[0] === v.vendor).reduce((s, c) => s + Number(c[3]), 0)).toBe(v.fundedAmount);
  });

  it('prints an aligned table with money in the store currency', async () => {
    const json = JSON.parse((await report('--from', '2026-11-01', '--to', '2026-11-11', '--format', 'json')).stdout);
    const out = await report('--from', '2026-11-01', '--to', '2026-11-11');
    expect(out.code).toBe(0);
    const text = out.stdout;
    expect(text.split('\n')[0]).toBe('Discount report for report-store: 2026-11-01 to 2026-11-11 (exclusive), America/Los_Angeles, USD');
    const dollars = (m: number) => `$${(m / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    expect(text).toContain(`discount given ${dollars(json.totals.discountGiven)} of gross sales ${dollars(json.totals.grossSales)}`);
    // Discount rows: the right edge of every numeric column lines up with its header.
    const block = text.split('\n\n')[1].split('\n').slice(1);
    const [head, rule, ...body] = block.filter(Boolean);
    expect(rule).toMatch(/^[- ]+$/);
    const end = head.indexOf('Given') + 'Given'.length;
    expect(body).toHaveLength(json.discounts.length);
    for (const [i, line] of body.entries()) {
      const d = json.discounts[i];
      expect(line.startsWith(String(d.rank).padStart(4))).toBe(true);
      expect(line.slice(0, end).endsWith(dollars(d.discountGiven))).toBe(true);
    }
    expect(text).toContain('Vendor funding to bill back');
  });

  it('refuses bad flags and a missing ledger with exit 2', async () => {
    expect(await report('--format', 'xml')).toMatchObject({ code: 2, stderr: "discounts report: --format must be table, csv or json, not 'xml'\n" });
    expect(await report('--from', '2026-11-31')).toMatchObject({ code: 2, stderr: "discounts report: --from must be a store-local date YYYY-MM-DD, not '2026-11-31'\n" });
    expect(await report('--from', '2026-11-05', '--to', '2026-11-05')).toMatchObject({ code: 2, stderr: 'discounts report: --from (2026-11-05) must be before to (2026-11-05): to is exclusive\n' });
    expect(await report('--section', 'days')).toMatchObject({ code: 2 });
    expect(await report('--format', 'csv', '--section', 'weeks')).toMatchObject({ code: 2 });
    const missing = await run(['report', '--rules', rulesDir, '--db', join(dir, 'nope.db')], { cwd: dir });
    expect(missing).toMatchObject({ code: 2, stderr: `discounts report: no ledger at ${join(dir, 'nope.db')} (give --db PATH or a postgres:// URL)\n` });
    expect(await run(['report', '--rules', join(dir, 'no-rules'), '--db', db], { cwd: dir })).toMatchObject({ code: 2 });
  });
});
