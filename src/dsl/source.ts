// Text -> value with source positions. Two paths that give the same value and diagnostics:
// - parsePositioned: YAML (and JSON, which the YAML parser reads too) is parsed into a document
//   whose nodes keep their offsets, so any JSON pointer into the value can be mapped back to the
//   line and column of the offending key. Bad YAML never throws; aliases are bounded.
// - parseSource (what the compiler uses): the fast subset parser of fast-parse.ts, about ten times
//   faster, which only knows where the top-level keys are. Positions anywhere else are built on
//   first use by re-parsing the text with parsePositioned, which in practice means only for a file
//   that has a diagnostic. A text outside the subset goes to parsePositioned at once.

import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from '../domain/types.js';
import { fastParseJson, fastParseYaml } from './fast-parse.js';

/** Most alias expansions one document may make (a billion-laughs document needs millions). */
export const MAX_ALIAS_COUNT = 100;

export interface Position {
  line: number;
  col: number;
}

export interface SourceDocument {
  path: string;
  text: string;
  /** The parsed value (plain JSON data), or undefined when the text could not be parsed. */
  value: unknown;
  /** Position of the key (or, for array items and the root, the value) at a JSON pointer path. */
  locate(pointer: readonly (string | number)[]): Position;
  diagnostics: Diagnostic[];
  /** The YAML document (positions, comments); undefined when parsing failed. Built on first use on the fast path. */
  document?: Document.Parsed;
}

/** The positioned parse (`parsePositioned`) or the fast one with positions built on demand (`parseSource`, the default). */
export type ParserKind = 'fast' | 'positioned';

/** Parses a rule, store policy or rule test file; see the header for the two paths. */
export function parseSource(path: string, input: string, parser: ParserKind = 'fast'): SourceDocument {
  if (parser === 'positioned') return parsePositioned(path, input);
  const text = stripBom(input);
  const fast = JSON_FILE.test(path) ? fastParseJson(text) : fastParseYaml(text);
  if (!fast) return parsePositioned(path, input);
  let full: SourceDocument | undefined;
  const positioned = () => (full ??= parsePositioned(path, input));
  const rootKeys = fast.rootKeys;
  return {
    path,
    text,
    value: fast.value,
    diagnostics: [],
    locate(pointer) {
      const at = pointer.length === 1 ? rootKeys?.get(String(pointer[0])) : undefined;
      return at ? { line: at.line, col: at.col } : positioned().locate(pointer);
    },
    get document() {
      return positioned().document;
    },
  };
}

const JSON_FILE = /\.json$/i;

function stripBom(input: string): string {
  return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input; // a UTF-8 byte order mark is not content
}

/** The positioned parser: the `yaml` library's document, with every node's source range. */
export function parsePositioned(path: string, input: string): SourceDocument {
  const text = stripBom(input);
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const at = (offset: number): Position => {
    const p = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line: p.line, col: p.col };
  };
  let doc: Document.Parsed;
  try {
    // logLevel 'error': the library's own console warnings (keys that are collections) are not diagnostics.
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, schema: 'core', version: '1.2', logLevel: 'error' });
  } catch (err) {
    diagnostics.push({ path, line: 1, col: 1, severity: 'error', code: 'yaml_syntax_error', message: String((err as Error).message) });
    return { path, text, value: undefined, locate: () => ({ line: 1, col: 1 }), diagnostics };
  }
  for (const e of doc.errors) {
    const pos = at(e.pos[0]);
    diagnostics.push({ path, ...pos, severity: 'error', code: 'yaml_syntax_error', message: firstLine(e.message) });
  }
  const locate = (pointer: readonly (string | number)[]): Position => {
    let node: unknown = doc.contents;
    let best: Position = node && (node as Node).range ? at((node as Node).range![0]) : { line: 1, col: 1 };
    for (const seg of pointer) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return best;
        const key = pair.key as Node;
        if (key.range) best = at(key.range[0]);
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(seg)] as Node | undefined;
        if (!item) return best;
        if (item.range) best = at(item.range[0]);
        node = item;
      } else {
        return best;
      }
    }
    return best;
  };
  if (diagnostics.length === 0 && JSON_FILE.test(path)) {
    // A .json file must be JSON: no comments, trailing commas or single quotes, which YAML allows.
    try {
      JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      const at = /at position (\d+)/.exec(message);
      const pos = at ? lineCounter.linePos(Math.min(Number(at[1]), text.length)) : { line: 1, col: 1 };
      diagnostics.push({ path, line: pos.line, col: pos.col, severity: 'error', code: 'yaml_syntax_error', message: `invalid JSON: ${firstLine(message)}` });
    }
  }
  if (diagnostics.length > 0) return { path, text, value: undefined, locate, diagnostics, document: doc };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    diagnostics.push({
      path,
      line: 1,
      col: 1,
      severity: 'error',
      code: 'yaml_syntax_error',
      message: `cannot expand document: ${firstLine((err as Error).message)}`,
    });
    return { path, text, value: undefined, locate, diagnostics, document: doc };
  }
  const odd = nonJsonValue(value, []);
  if (odd) {
    diagnostics.push({
      path,
      ...locate(odd.pointer),
      severity: 'error',
      code: 'yaml_syntax_error',
      message: `unsupported value (${odd.kind}): rule files hold only JSON-compatible data`,
    });
    return { path, text, value: undefined, locate, diagnostics, document: doc };
  }
  return { path, text, value: value ?? null, locate, diagnostics, document: doc };
}

/** True when a value is plain JSON data (what almost every file is: checked without allocating). */
function isJsonData(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return typeof v !== 'function' && typeof v !== 'symbol' && typeof v !== 'bigint';
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isJsonData(v[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v) if (!isJsonData((v as Record<string, unknown>)[k])) return false;
  return true;
}

/** The first value that is not plain JSON data (YAML tags such as !!binary, !!set, !!timestamp). */
function nonJsonValue(v: unknown, pointer: (string | number)[]): { pointer: (string | number)[]; kind: string } | null {
  if (pointer.length === 0 && isJsonData(v)) return null;
  if (v === null || v === undefined || typeof v === 'string' || typeof v === 'boolean') return null;
  if (typeof v === 'number') return null; // non-finite numbers are the schema's to reject
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const odd = nonJsonValue(v[i], [...pointer, i]);
      if (odd) return odd;
    }
    return null;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return { pointer, kind: (v as object).constructor?.name ?? 'object' };
    for (const [k, x] of Object.entries(v)) {
      const odd = nonJsonValue(x, [...pointer, k]);
      if (odd) return odd;
    }
    return null;
  }
  return { pointer, kind: typeof v };
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}
