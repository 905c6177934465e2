// Checks a draft rule file against the served ruleset, as `discounts validate` would check the
// rules directory with the draft saved in it: in place of the file `path`, or, without `path`, as a
// new file named after its id. A small local version: the authoring work adds a pure function for
// this to the core, and this module then delegates to it.
//
// The store policy and every other file are compiled once per served ruleset (cached); a draft
// costs one file's compile and the link stage (duplicate ids and codes, version).

import { join } from 'node:path';
import { compileRuleFile, compileStorePolicy, linkRuleset, type FileResult, type StoreResult } from '../dsl/compile.js';
import { parseSource } from '../dsl/source.js';
import type { Diagnostic } from '../domain/types.js';
import { compileWithNode, nodeSha256Hex, STORE_FILE } from '../ruleset/load.js';
import type { ServedRuleset } from './ruleset.js';

const OPTIONS = { sha256Hex: nodeSha256Hex };
const cache = new WeakMap<ServedRuleset, { store: StoreResult; files: Map<string, FileResult> }>();

function compiledParts(served: ServedRuleset) {
  let parts = cache.get(served);
  if (!parts) {
    const store = compileStorePolicy(served.sources.store, served.sources.storePath);
    const files = new Map(served.sources.rules.map((r) => [r.path, compileRuleFile(r, store.effective, OPTIONS)]));
    parts = { store, files };
    cache.set(served, parts);
  }
  return parts;
}

/** The file name a draft without `path` is checked as: `<id>.yaml` (`.json` for a JSON object), or `draft.yaml` without a usable id. */
export function draftFileName(text: string): string {
  const ext = text.trimStart().startsWith('{') ? '.json' : '.yaml';
  const src = parseSource('draft' + ext, text);
  const id = src.value !== null && typeof src.value === 'object' ? (src.value as { id?: unknown }).id : undefined;
  const usable = typeof id === 'string' && /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(id) && id !== 'store';
  return (usable ? id : 'draft') + ext;
}

export function validateDraft(served: ServedRuleset, draft: { text: string; path?: string }): { path: string; diagnostics: Diagnostic[] } {
  const name = draft.path ?? draftFileName(draft.text);
  const path = join(served.displayDir, name);
  const source = { path, text: draft.text };
  if (name === STORE_FILE) {
    // A store policy draft changes how every file compiles: the whole directory again.
    const result = compileWithNode({ store: source, storePath: path, rules: served.sources.rules });
    return { path, diagnostics: result.diagnostics };
  }
  const { store, files } = compiledParts(served);
  const others = [...files.values()].filter((f) => f.path !== path);
  const result = linkRuleset(store, [...others, compileRuleFile(source, store.effective, OPTIONS)], OPTIONS);
  return { path, diagnostics: result.diagnostics };
}
