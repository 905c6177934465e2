// `discounts cleanup [--rules DIR] [--db PATH|URL] [--dry-run]`: moves the rule files of finished
// discounts to DIR/archive/ and prints what it moved and why (docs/cleanup.md). With --db the
// ledger says when usage limits were used up; without it only ended schedules count. Exit 0 when
// done (nothing to do included), 1 when the rules have errors or a file could not be moved, 2 for
// bad usage or a database that cannot be opened.

import { resolve } from 'node:path';
import { formatDiagnostic } from '../dsl/compile.js';
import { cleanupRulesDir, formatCleanup } from '../ruleset/archive.js';
import { isDirectory, loadRuleset } from '../ruleset/load.js';
import { describeStoreLocation, openStore, parseStoreLocation } from '../store/open.js';
import type { LedgerStore } from '../store/types.js';
import { EXIT, UsageError, type CliIO } from './io.js';

export async function cleanupCommand(args: { values: { rules?: string; db?: string; 'dry-run'?: boolean }; positionals: string[] }, io: CliIO): Promise<number> {
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}' (use --rules DIR)`);
  const display = args.values.rules ?? 'rules';
  const dir = resolve(io.cwd, display);
  if (!(await isDirectory(dir))) throw new UsageError(`${display} is not a directory`);
  const loaded = await loadRuleset(dir, display);
  if (!loaded.ruleset) {
    for (const d of loaded.diagnostics) io.stderr(formatDiagnostic(d) + '\n');
    io.stderr(`discounts cleanup: ${display} has errors; nothing moved\n`);
    return EXIT.failed;
  }
  let store: LedgerStore | null = null;
  if (args.values.db !== undefined) {
    const db = args.values.db;
    const url = parseStoreLocation(db).dialect === 'postgres' ? db : resolve(io.cwd, db);
    try {
      store = await openStore({ url });
    } catch (err) {
      io.stderr(`discounts cleanup: cannot open the database ${describeStoreLocation(db)}: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
  }
  try {
    const ruleset = loaded.ruleset;
    const result = await cleanupRulesDir({
      dir,
      displayDir: display,
      store: ruleset.policy.store,
      discounts: ruleset.discounts,
      graceDays: ruleset.settings.cleanup.graceDays,
      now: io.now(),
      dryRun: args.values['dry-run'] === true,
      usageEnds: store ? (s, ids) => store.cleanup().usageEnds(s, ids) : null,
    });
    io.stdout(formatCleanup(result));
    return result.discounts.some((d) => d.problem) ? EXIT.failed : EXIT.ok;
  } finally {
    await store?.close();
  }
}
