// `discounts compile [DIR | --rules DIR]`

import { resolve } from 'node:path';
import { formatDiagnostic } from '../dsl/compile.js';
import { loadRuleset } from '../ruleset/load.js';
import { EXIT, rulesDirArgument, type CliIO } from './io.js';

export async function compileCommand(args: { values: { rules?: string }; positionals: string[] }, io: CliIO): Promise<number> {
  const dir = rulesDirArgument(args);
  const loaded = await loadRuleset(resolve(io.cwd, dir), dir);
  if (!loaded.ruleset) {
    for (const d of loaded.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    return EXIT.usage;
  }
  io.stdout(JSON.stringify(loaded.ruleset, null, 2) + '\n');
  return EXIT.ok;
}
