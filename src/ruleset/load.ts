// The ruleset loader: the one place that reads a rules directory from disk. It collects
// *.yaml, *.yml and *.json directly in the directory (not store.yaml, and not the tests/, carts/
// and archive/ subfolders), in sorted order, and hands the texts to the pure compiler.

import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compileRuleset, type CompileOptions, type CompileResult, type RuleSource } from '../dsl/compile.js';
import { prepareRuleset, type PreparedRuleset } from '../engine/prepare.js';

/** Node's SHA-256 for the ruleset version (the same digest as the core's pure-JS default). */
export function nodeSha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** compileRuleset with the options the Node edges use. */
export function compileWithNode(sources: Parameters<typeof compileRuleset>[0], options: CompileOptions = {}): CompileResult {
  return compileRuleset(sources, { sha256Hex: nodeSha256Hex, ...options });
}

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
  const names = await listFiles(dir, displayDir, (name) => RULE_FILE.test(name) && name !== STORE_FILE);
  const rules = await Promise.all(names.map(async (name) => ({ path: join(displayDir, name), text: await readText(join(dir, name), join(displayDir, name)) })));
  const storePath = join(displayDir, STORE_FILE);
  return { store: await readStorePolicy(join(dir, STORE_FILE), storePath), storePath, rules };
}

/**
 * The names of the files directly in `dir` that `want` accepts, sorted; symbolic links count when
 * they point at a file. An unreadable directory is a RulesDirError.
 */
export async function listFiles(dir: string, displayDir: string, want: (name: string) => boolean): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new RulesDirError(`cannot read directory ${displayDir}: ${errorCode(err)}`);
  }
  const candidates = entries.filter((e) => want(e.name) && (e.isFile() || e.isSymbolicLink()));
  const names = await Promise.all(
    candidates.map(async (e) => (e.isFile() || (await stat(join(dir, e.name)).then((s) => s.isFile(), () => false)) ? e.name : null)),
  );
  return names.filter((n): n is string => n !== null).sort();
}

/** A store policy file: null when it does not exist; any other read error is a RulesDirError. */
export async function readStorePolicy(path: string, displayPath: string): Promise<RuleSource | null> {
  try {
    return { path: displayPath, text: await readFile(path, 'utf8') };
  } catch (err) {
    // Only a missing store policy falls back to the defaults; one that exists but cannot be read is an error.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RulesDirError(`cannot read ${displayPath}: ${errorCode(err)}`);
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

export async function readText(path: string, display: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new RulesDirError(`cannot read ${display}: ${errorCode(err)}`);
  }
}

/** A rules directory (or a file in it) that cannot be read: an input error, not a rule diagnostic. */
export class RulesDirError extends Error {}

export interface LoadedRuleset extends CompileResult {
  prepared: PreparedRuleset | null;
}

/** Reads, compiles and prepares a rules directory. */
export async function loadRuleset(dir: string, displayDir: string = dir): Promise<LoadedRuleset> {
  const sources = await readRulesDir(dir, displayDir);
  const result = compileWithNode(sources);
  return { ...result, prepared: result.ruleset ? prepareRuleset(result.ruleset) : null };
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
