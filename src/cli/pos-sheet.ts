// `discounts pos-sheet [DIR | --rules DIR] [--format csv|json]`

import { resolve } from 'node:path';
import { formatDiagnostic } from '../dsl/compile.js';
import { posSheet, posSheetCsv } from '../pos/sheet.js';
import { compileWithNode, readRulesDir } from '../ruleset/load.js';
import { EXIT, rulesDirArgument, UsageError, type CliIO } from './io.js';

export async function posSheetCommand(args: { values: { rules?: string; format?: string }; positionals: string[] }, io: CliIO): Promise<number> {
  const format = args.values.format ?? 'csv';
  if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, not '${format}'`);
  const dir = rulesDirArgument(args);
  const result = compileWithNode(await readRulesDir(resolve(io.cwd, dir), dir), { posIdChecks: false });
  if (!result.ruleset) {
    for (const d of result.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    return EXIT.usage;
  }
  const sheet = posSheet(result.ruleset);
  io.stdout(format === 'csv' ? posSheetCsv(sheet) : JSON.stringify(sheet, null, 2) + '\n');
  return EXIT.ok;
}
