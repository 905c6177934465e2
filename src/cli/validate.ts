// `discounts validate [paths] [--json]`

import { basename, dirname, join, resolve } from 'node:path';
import { formatDiagnostic, sortDiagnostics } from '../dsl/compile.js';
import type { Diagnostic } from '../domain/types.js';
import { compileWithNode, isDirectory, readRulesDir, readStorePolicy, readText, STORE_FILE } from '../ruleset/load.js';
import { EXIT, type CliIO } from './io.js';

/** Diagnostics for a rules directory, or for single rule files (checked with their directory's store policy). */
export async function diagnose(paths: string[], io: CliIO): Promise<{ diagnostics: Diagnostic[]; rules: number }> {
  const diagnostics: Diagnostic[] = [];
  let rules = 0;
  for (const p of paths) {
    const abs = resolve(io.cwd, p);
    if (await isDirectory(abs)) {
      const sources = await readRulesDir(abs, p);
      diagnostics.push(...compileWithNode(sources).diagnostics);
      rules += sources.rules.length;
    } else if (basename(p) === STORE_FILE) {
      // The store policy on its own.
      diagnostics.push(...compileWithNode({ store: { path: p, text: await readText(abs, p) }, storePath: p, rules: [] }).diagnostics);
    } else {
      const text = await readText(abs, p);
      const storePath = join(dirname(p), STORE_FILE);
      const store = await readStorePolicy(resolve(io.cwd, storePath), storePath);
      diagnostics.push(...compileWithNode({ store, storePath, rules: [{ path: p, text }] }).diagnostics);
      rules += 1;
    }
  }
  // One store policy warning per store file, even when several files share it.
  const seen = new Set<string>();
  const unique = diagnostics.filter((d) => {
    const k = JSON.stringify(d);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { diagnostics: sortDiagnostics(unique), rules };
}

export async function validateCommand(args: { values: { json?: boolean }; positionals: string[] }, io: CliIO): Promise<number> {
  const paths = args.positionals.length ? args.positionals : ['rules'];
  const { diagnostics, rules } = await diagnose(paths, io);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (args.values.json) io.stdout(JSON.stringify(diagnostics, null, 2) + '\n');
  else {
    for (const d of diagnostics) io.stdout(formatDiagnostic(d) + '\n');
    io.stderr(`${rules} rule file(s): ${errors} error(s), ${warnings} warning(s)\n`);
  }
  return errors > 0 ? EXIT.failed : EXIT.ok;
}
