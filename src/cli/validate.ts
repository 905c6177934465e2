// `discounts validate [paths] [--json]`: a rules directory (with its tests/ folder), a rule file
// checked in place against its siblings, a store policy, or a rule test file.

import { basename, dirname, join, resolve } from 'node:path';
import { checkDraft, formatDiagnostic, sortDiagnostics, TEST_FILE } from '../dsl/compile.js';
import type { Diagnostic } from '../domain/types.js';
import { compileWithNode, isDirectory, listFiles, nodeSha256Hex, readRulesDir, readText, RULE_FILE, STORE_FILE } from '../ruleset/load.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import { checkTestFile } from './test.js';

export interface Diagnosis {
  diagnostics: Diagnostic[];
  /** Rule files checked (the store policy not included). */
  rules: number;
  /** Rule test files checked. */
  tests: number;
}

/**
 * Diagnostics for each path:
 * - a rules directory: every rule file, the store policy, the cross-file checks, and the test files
 *   of its tests/ folder;
 * - a tests folder (named tests, or holding only test files): each test file;
 * - store.yaml: the store policy on its own;
 * - a test file: checked as a test file (one directly in a rules directory is test_file_misplaced);
 * - any other file: checked in place in its directory (its store policy, duplicate ids and codes
 *   against its siblings): the diagnostics located in it and the cross-file ones that involve it.
 */
export async function diagnose(paths: string[], io: CliIO): Promise<Diagnosis> {
  const out: Diagnosis = { diagnostics: [], rules: 0, tests: 0 };
  const testFile = async (display: string) => {
    out.diagnostics.push(...checkTestFile(display, await readText(resolve(io.cwd, display), display)).diagnostics);
    out.tests += 1;
  };
  for (const p of paths) {
    const abs = resolve(io.cwd, p);
    if (await isDirectory(abs)) {
      const names = await listFiles(abs, p, (name) => RULE_FILE.test(name));
      if (isTestsFolder(abs, names)) {
        for (const n of names.filter((n) => TEST_FILE.test(n))) await testFile(join(p, n));
        continue;
      }
      const sources = await readRulesDir(abs, p);
      out.diagnostics.push(...compileWithNode(sources).diagnostics);
      out.rules += sources.rules.filter((r) => !TEST_FILE.test(r.path)).length;
      if (await isDirectory(join(abs, 'tests'))) {
        for (const n of await listFiles(join(abs, 'tests'), join(p, 'tests'), (name) => TEST_FILE.test(name))) await testFile(join(p, 'tests', n));
      }
    } else if (basename(p) === STORE_FILE) {
      out.diagnostics.push(...compileWithNode({ store: { path: p, text: await readText(abs, p) }, storePath: p, rules: [] }).diagnostics);
    } else if (TEST_FILE.test(p) && !(await isRulesFolder(dirname(abs), dirname(p), basename(p)))) {
      await testFile(p);
    } else {
      out.diagnostics.push(...(await diagnoseInPlace(p, abs)));
      if (!TEST_FILE.test(p)) out.rules += 1;
    }
  }
  // One diagnostic once, even when two paths lead to it (a store policy warning, a duplicate).
  const seen = new Set<string>();
  out.diagnostics = out.diagnostics.filter((d) => {
    const k = JSON.stringify(d);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  sortDiagnostics(out.diagnostics);
  return out;
}

/** One rule file checked in place against the other files of its directory. */
async function diagnoseInPlace(p: string, abs: string): Promise<Diagnostic[]> {
  if (!RULE_FILE.test(p)) throw new UsageError(`${p} is not a rule file (.yaml, .yml or .json)`);
  const text = await readText(abs, p);
  const sources = await readRulesDir(dirname(abs), dirname(p));
  const result = checkDraft(sources, { text, path: basename(p) }, { sha256Hex: nodeSha256Hex });
  if (!result.ok) throw new UsageError(result.error.message);
  // Paths as the user wrote this one (the directory listing normalises them).
  return result.diagnostics.map((d) => (d.path === result.path ? { ...d, path: p } : d));
}

function isTestsFolder(abs: string, names: string[]): boolean {
  return basename(abs) === 'tests' || (names.length > 0 && names.every((n) => TEST_FILE.test(n)));
}

/** Whether a directory holds a store policy or rule files (besides `except`). */
async function isRulesFolder(abs: string, display: string, except: string): Promise<boolean> {
  if (basename(abs) === 'tests') return false;
  const names = await listFiles(abs, display, (name) => RULE_FILE.test(name) && name !== except);
  return names.some((n) => !TEST_FILE.test(n));
}

export async function validateCommand(args: { values: { json?: boolean }; positionals: string[] }, io: CliIO): Promise<number> {
  const paths = args.positionals.length ? args.positionals : ['rules'];
  const { diagnostics, rules, tests } = await diagnose(paths, io);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (args.values.json) io.stdout(JSON.stringify(diagnostics, null, 2) + '\n');
  else {
    for (const d of diagnostics) io.stdout(formatDiagnostic(d) + '\n');
    io.stderr(`${rules} rule file(s)${tests ? `, ${tests} test file(s)` : ''}: ${errors} error(s), ${warnings} warning(s)\n`);
  }
  return errors > 0 ? EXIT.failed : EXIT.ok;
}
