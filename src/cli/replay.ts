// `discounts replay --rules DRAFT_DIR [--db PATH|URL] --from DATE --to DATE [--format text|json]`:
// what-if replay of the ledger's committed, not voided redemptions of [from, to) with the rules of
// DRAFT_DIR (a whole rules directory: the drafted ruleset). Reads the ledger only: the database
// must exist (it is never created or migrated here). --db, else DISCOUNTS_DB, else DATABASE_URL,
// else data/discounts.db. Exit 0 with the report, 2 for bad usage, rules with errors or a ledger
// that cannot be read.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatMoney } from '../domain/money.js';
import { formatDiagnostic } from '../dsl/compile.js';
import { checkPeriod, replayFromLedger } from '../reports/replay-ledger.js';
import type { ReplayReport } from '../reports/replay.js';
import { compileWithNode, readRulesDir } from '../ruleset/load.js';
import { describeStoreLocation, openStore, parseStoreLocation } from '../store/open.js';
import { StoreUnavailableError } from '../store/types.js';
import { SERVE_DEFAULTS } from './serve.js';
import { EXIT, UsageError, type CliIO, storeSettingOrUsage } from './io.js';

export interface ReplayArgs {
  values: { rules?: string; db?: string; from?: string; to?: string; format?: string };
  positionals: string[];
}

export async function replayCommand(args: ReplayArgs, io: CliIO, env: Record<string, string | undefined> = process.env): Promise<number> {
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}' (the draft rules directory is --rules DIR)`);
  const { from, to } = args.values;
  const format = args.values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, not '${format}'`);
  if (args.values.rules === undefined) throw new UsageError('--rules DRAFT_DIR is required (the whole rules directory to replay with)');
  if (from === undefined || to === undefined) throw new UsageError('--from and --to are required (store-local dates YYYY-MM-DD; to is exclusive)');
  try {
    checkPeriod(from, to);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  const setting = storeSettingOrUsage(args.values.db, env);
  const dir = args.values.rules;
  const compiled = compileWithNode(await readRulesDir(resolve(io.cwd, dir), dir));
  if (!compiled.ruleset) {
    for (const d of compiled.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    io.stderr(`discounts replay: the rules in ${dir} have errors\n`);
    return EXIT.usage;
  }
  const db = setting.value ?? SERVE_DEFAULTS.db;
  const location = parseStoreLocation(db);
  const url = location.dialect === 'postgres' ? db : resolve(io.cwd, location.path);
  if (location.dialect === 'sqlite' && !existsSync(url)) throw new UsageError(`no ledger at ${location.path} (replay reads an existing database; give --db)`);
  let report: ReplayReport;
  try {
    const store = await openStore({ url, migrate: false, poolSize: 1, busyTimeoutMs: setting.busyTimeoutMs });
    try {
      report = await replayFromLedger(store, { store: compiled.ruleset.policy.store, from, to, ruleset: compiled.ruleset });
    } finally {
      await store.close();
    }
  } catch (err) {
    if (!(err instanceof StoreUnavailableError) && !/no such table|does not exist/i.test((err as Error).message)) throw err;
    io.stderr(`discounts replay: cannot read the ledger ${describeStoreLocation(db)}: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  io.stdout(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : replayText(report, compiled.ruleset.policy.minorDigits, dir));
  return EXIT.ok;
}

/** The report for a person: a table per discount, the total, the largest changes. */
export function replayText(r: ReplayReport, digits: number, dir: string): string {
  const money = (n: number) => formatMoney(n, r.currency, digits);
  const signed = (n: number) => (n > 0 ? '+' : '') + money(n);
  const out: string[] = [];
  out.push(`replay of ${r.store} from ${r.from} to ${r.to} (exclusive) with ${dir} (ruleset ${r.rulesetVersion}): ${r.transactions} transaction(s), ${r.total.changed} would change`);
  const rows = [
    ['discount', 'changed', 'used then', 'used now', 'given then', 'given now', 'difference'],
    ...r.discounts.map((d) => [d.name === null ? `${d.discountId} (not in the draft)` : d.discountId, String(d.changed), String(d.usedThen), String(d.usedNow), money(d.givenThen), money(d.givenNow), signed(d.difference)]),
    ['total', String(r.total.changed), '', '', money(r.total.givenThen), money(r.total.givenNow), signed(r.total.difference)],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) out.push(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
  if (r.largest.length) {
    out.push('', `largest changes (${r.largest.length}):`);
    for (const c of r.largest)
      out.push(`  ${c.transactionId}  ${c.at}  ${c.customerId ?? '-'}  ${money(c.givenThen)} -> ${money(c.givenNow)} (${signed(c.difference)})  ${c.discounts.map((d) => `${d.discountId} ${money(d.then)} -> ${money(d.now)}`).join(', ')}`);
  }
  if (r.skipped.count) {
    out.push('', `skipped ${r.skipped.count} stored request(s) the request checks now refuse:`);
    for (const s of r.skipped.first) out.push(`  ${s.transactionId}: ${s.message}`);
  }
  return out.join('\n') + '\n';
}
