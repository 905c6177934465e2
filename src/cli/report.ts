// `discounts report [--rules DIR] [--db PATH|URL] [--from DATE] [--to DATE] [--format table|csv|json]
// [--section discounts|days|vendors]`: the discount report of the ledger (the same JSON as
// GET /v1/reports/discounts). The store id, timezone and currency come from the rules directory's
// store.yaml; the database from --db, DISCOUNTS_DB, DATABASE_URL, else data/discounts.db (as
// `serve`). A SQLite file that does not exist is an error (never created by a report). Exit 0,
// or 2 for bad input, rules with errors, or a database that cannot be opened.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDiagnostic } from '../dsl/compile.js';
import { localDate } from '../http/context.js';
import { buildDiscountReport, resolvePeriod } from '../reports/discount-report.js';
import { CSV_SECTIONS, reportCsv, reportTable, type CsvSection } from '../reports/render.js';
import { compileWithNode, readRulesDir } from '../ruleset/load.js';
import { describeStoreLocation, openStore, parseStoreLocation } from '../store/open.js';
import { StoreUnavailableError, type LedgerStore } from '../store/types.js';
import { EXIT, UsageError, type CliIO, storeSettingOrUsage } from './io.js';
import { SERVE_DEFAULTS } from './serve.js';

export interface ReportArgs {
  values: { rules?: string; db?: string; from?: string; to?: string; format?: string; section?: string };
  positionals: string[];
}

const FORMATS = ['table', 'csv', 'json'] as const;

export async function reportCommand(args: ReportArgs, io: CliIO, env: Record<string, string | undefined> = process.env): Promise<number> {
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const format = args.values.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be table, csv or json, not '${format}'`);
  const section = args.values.section;
  if (section !== undefined && !(CSV_SECTIONS as readonly string[]).includes(section)) throw new UsageError(`--section must be discounts, days or vendors, not '${section}'`);
  if (section !== undefined && format !== 'csv') throw new UsageError('--section is for --format csv (table prints every section, json holds them all)');

  const dir = args.values.rules ?? 'rules';
  const compiled = compileWithNode(await readRulesDir(resolve(io.cwd, dir), dir), { posIdChecks: false });
  if (!compiled.ruleset) {
    for (const d of compiled.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    io.stderr('discounts report: the rules have errors (the store id and timezone come from them)\n');
    return EXIT.usage;
  }
  const policy = compiled.ruleset.policy;
  const resolved = resolvePeriod({ from: args.values.from, to: args.values.to }, localDate(io.now(), policy.timezone));
  if (!resolved.ok) throw new UsageError(resolved.problems.map((p) => (p.message.startsWith(p.param) ? `--${p.message}` : p.message)).join('; '));

  const setting = storeSettingOrUsage(args.values.db, env);
  const value = setting.value ?? SERVE_DEFAULTS.db;
  const location = parseStoreLocation(value);
  const db = location.dialect === 'postgres' ? value : resolve(io.cwd, location.path);
  if (location.dialect === 'sqlite' && !existsSync(db)) {
    io.stderr(`discounts report: no ledger at ${value} (give --db PATH or a postgres:// URL)\n`);
    return EXIT.usage;
  }
  let store: LedgerStore;
  try {
    store = await openStore({ url: db, poolSize: 2, busyTimeoutMs: setting.busyTimeoutMs });
  } catch (err) {
    io.stderr(`discounts report: cannot open the database ${describeStoreLocation(value)}: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  try {
    const aggregates = await store.discountReport(policy.store, resolved.period);
    const context = { store: policy.store, timezone: policy.timezone, currency: policy.currency, minorDigits: policy.minorDigits, discounts: compiled.ruleset.discounts.map((d) => ({ id: d.id, name: d.name })) };
    const report = buildDiscountReport(context, resolved.period, aggregates);
    io.stdout(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : format === 'csv' ? reportCsv(report, (section ?? 'discounts') as CsvSection) : reportTable(report));
    return EXIT.ok;
  } catch (err) {
    if (err instanceof StoreUnavailableError) {
      io.stderr(`discounts report: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  } finally {
    await store.close();
  }
}
