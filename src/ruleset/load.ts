// The ruleset loader: the one place that reads a rules directory from disk. It collects
// *.yaml, *.yml and *.json directly in the directory (not store.yaml, and not the tests/, carts/
// and archive/ subfolders), in sorted order, and hands the texts to the pure compiler.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compileRuleset, type CompileResult, type RuleSource } from '../dsl/compile.js';
import { prepareRuleset, type PreparedRuleset } from '../engine/prepare.js';

export const RULE_FILE = /\.(ya?ml|json)$/i;
export const STORE_FILE = 'store.yaml';

export interface LoadedSources {
  store: RuleSource | null;
  storePath: string;
  rules: RuleSource[];
}

/**
 * Reads the rule sources of a directory. Paths in the sources (and so in diagnostics) are
 * `displayDir` joined with the file name: pass the directory as the user wrote it.
 */
export async function readRulesDir(dir: string, displayDir: string = dir): Promise<LoadedSources> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && RULE_FILE.test(e.name) && e.name !== STORE_FILE)
    .map((e) => e.name)
    .sort();
  const rules = await Promise.all(names.map(async (name) => ({ path: join(displayDir, name), text: await readFile(join(dir, name), 'utf8') })));
  const storePath = join(displayDir, STORE_FILE);
  const store = await readFile(join(dir, STORE_FILE), 'utf8').then(
    (text) => ({ path: storePath, text }),
    () => null,
  );
  return { store, storePath, rules };
}

export interface LoadedRuleset extends CompileResult {
  prepared: PreparedRuleset | null;
}

/** Reads, compiles and prepares a rules directory. */
export async function loadRuleset(dir: string, displayDir: string = dir): Promise<LoadedRuleset> {
  const sources = await readRulesDir(dir, displayDir);
  const result = compileRuleset(sources);
  return { ...result, prepared: result.ruleset ? prepareRuleset(result.ruleset) : null };
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
