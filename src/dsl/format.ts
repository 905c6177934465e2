// The canonical form of a rule document, store policy or rule test file (`discounts fmt`): keys in
// the order the JSON Schema lists them (unknown keys last, in their original order), two-space
// block layout, lists of plain values inline (`days: [fri, sat]`), strings quoted only when they
// must be, no blank lines; comments are kept with the key they precede. Test files keep the
// layout of rules/tests: a blank line between cases, one inline line per cart line. JSON files
// get the same key order with two-space indentation. Pure: text in, text out.

import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, Scalar, stringify, type Document, type Node, type YAMLMap, type YAMLSeq } from 'yaml';
import type { Diagnostic } from '../domain/types.js';
import { schemas } from './schemas.js';
import { parseSource } from './source.js';

type JsonSchema = {
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  definitions?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
};

export type FormatResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

const CONDITION = '#/definitions/condition';
const LEAF_ORDER = ['fact', 'path', 'operator', 'value'];

export type DocumentKind = 'rule' | 'store' | 'test';

const ROOTS: Record<DocumentKind, JsonSchema> = {
  rule: schemas.ruleSchema as JsonSchema,
  store: schemas.storeSchema as JsonSchema,
  test: schemas.ruleTestSchema as JsonSchema,
};
/** Schemas other schemas refer to by file name (the rule test file uses the request's fields). */
const BY_FILE: Record<string, JsonSchema> = {
  'evaluate-request.schema.json': schemas.requestSchema as JsonSchema,
  'usage.schema.json': schemas.usageSchema as JsonSchema,
};

export function formatDocument(path: string, text: string, kind: DocumentKind): FormatResult {
  const root = ROOTS[kind];
  const parsed = parseSource(path, text);
  if (parsed.diagnostics.length) return { ok: false, diagnostics: parsed.diagnostics };
  if (/\.json$/i.test(path)) {
    return { ok: true, text: JSON.stringify(orderValue(parsed.value, root, root), null, 2) + '\n' };
  }
  if (parsed.value === null && text.trim() === '') return { ok: true, text }; // an empty file stays empty
  const doc = parseDocument(text, { version: '1.2', schema: 'core' });
  // A comment above the first key is the file's header: it stays at the top, whatever key is first.
  if (isMap(doc.contents) && doc.contents.items.length > 0) {
    const firstKey = doc.contents.items[0].key as Node | null;
    if (firstKey && firstKey.commentBefore) {
      doc.commentBefore = doc.commentBefore ? `${doc.commentBefore}\n${firstKey.commentBefore}` : firstKey.commentBefore;
      firstKey.commentBefore = undefined;
    }
  }
  if (doc.contents) canonicalNode(doc.contents as Node, root, root);
  if (kind === 'test') {
    const out = testFileText(doc);
    // The layout is written here rather than by the YAML library: check it kept the data.
    const again = parseSource(path, out);
    if (again.diagnostics.length === 0 && sameData(again.value, parsed.value)) return { ok: true, text: out };
  }
  const out = doc.toString({ indent: 2, indentSeq: true, lineWidth: 0, flowCollectionPadding: false });
  return { ok: true, text: out };
}

function resolve(schema: JsonSchema | undefined, root: JsonSchema): JsonSchema | undefined {
  if (!schema?.$ref) return schema;
  if (schema.$ref === CONDITION) return { $ref: CONDITION };
  const other = /^([\w.-]+\.json)(?:#\/(.*))?$/.exec(schema.$ref);
  if (other) {
    let node: unknown = Object.hasOwn(BY_FILE, other[1]) ? BY_FILE[other[1]] : undefined;
    for (const seg of other[2] ? other[2].split('/') : []) node = node && typeof node === 'object' && Object.hasOwn(node, seg) ? (node as Record<string, unknown>)[seg] : undefined;
    return node && typeof node === 'object' ? (node as JsonSchema) : undefined;
  }
  const name = schema.$ref.replace('#/definitions/', '');
  return root.definitions && Object.hasOwn(root.definitions, name) ? root.definitions[name] : undefined;
}

function childSchema(schema: JsonSchema | undefined, key: string, root: JsonSchema): JsonSchema | undefined {
  if (!schema) return undefined;
  if (schema.$ref === CONDITION) return key === 'not' || key === 'all' || key === 'any' ? { $ref: CONDITION } : undefined;
  const own = schema.properties && Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
  const p = own ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
  return resolve(p, root);
}

function keyOrder(schema: JsonSchema | undefined, keys: string[]): string[] {
  const known = schema?.$ref === CONDITION ? ['all', 'any', 'not', ...LEAF_ORDER] : Object.keys(schema?.properties ?? {});
  const rank = (k: string) => {
    const i = known.indexOf(k);
    return i < 0 ? known.length + keys.indexOf(k) : i;
  };
  return [...keys].sort((a, b) => rank(a) - rank(b));
}

function canonicalNode(node: Node, schema: JsonSchema | undefined, root: JsonSchema): void {
  node.spaceBefore = false;
  if (isMap(node)) {
    const map = node as YAMLMap;
    map.flow = false;
    const keys = map.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
    const order = keyOrder(schema, keys);
    const pairs = [...map.items];
    map.items = order.map((k) => pairs[keys.indexOf(k)]);
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      if (isScalar(pair.key)) {
        (pair.key as Node).spaceBefore = false;
        (pair.key as Scalar).type = Scalar.PLAIN;
      }
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (pair.value) canonicalNode(pair.value as Node, childSchema(schema, key, root), root);
    }
  } else if (isSeq(node)) {
    const itemSchema = schema?.$ref === CONDITION ? { $ref: CONDITION } : resolve(schema?.items, root);
    node.flow = node.items.length > 0 && node.items.every((i) => isScalar(i) && !(i as Node).commentBefore && !(i as Node).comment);
    for (const item of node.items) canonicalNode(item as Node, itemSchema, root);
  } else if (isScalar(node)) {
    if (typeof node.value === 'string') node.type = stringStyle(node.value);
  }
}

/**
 * Plain where safe; double quotes for text that other YAML readers (YAML 1.1, editors) would take
 * for a number, time or boolean ("16:00", "yes"); a literal block for multi-line text.
 */
function stringStyle(value: string): Scalar.Type | undefined {
  if (value.includes('\n') && !/\s$/.test(value.replace(/\n$/, ''))) return Scalar.BLOCK_LITERAL;
  const looksLikeNumber =
    (/^[-+]?(\d[\d_]*)?(\.\d*)?([eE][-+]?\d+)?$/.test(value) && /\d/.test(value)) || /^[-+]?0[bBoOxX][0-9a-fA-F_]+$/.test(value);
  const looksLikeTime = /^\d{1,2}(:\d{2})+$/.test(value);
  if (looksLikeNumber || looksLikeTime || /^(y|n|yes|no|on|off|true|false|null|~)$/i.test(value)) return Scalar.QUOTE_DOUBLE;
  return undefined;
}

function orderValue(value: unknown, schema: JsonSchema | undefined, root: JsonSchema): unknown {
  if (Array.isArray(value)) {
    const itemSchema = schema?.$ref === CONDITION ? { $ref: CONDITION } : resolve(schema?.items, root);
    return value.map((v) => orderValue(v, itemSchema, root));
  }
  if (value === null || typeof value !== 'object') return value;
  const keys = keyOrder(schema, Object.keys(value));
  const out: Record<string, unknown> = {};
  // defineProperty, not assignment: a "__proto__" key must stay a key (and keep failing validation).
  for (const k of keys)
    Object.defineProperty(out, k, { value: orderValue((value as Record<string, unknown>)[k], childSchema(schema, k, root), root), enumerable: true, writable: true, configurable: true });
  return out;
}

// ---------------------------------------------------------------------------
// Rule test files: written line by line, as the YAML library has one padding setting for all
// flow collections and cannot write `[{ discountId: a, amount: 1 }]`.
//   - the file is a block list of cases with a blank line between cases;
//   - a case and its `expect` are block maps;
//   - the case's `lines` are a block list of inline maps, one cart line per line;
//   - `expect.applied` and `expect.rejected` are inline with one item, else a block list of inline maps;
//   - everything else (customer, codes, usage, expect.lines) is inline;
//   - a collection that holds a comment is written as a block, so the comment keeps its place.

type Layout = 'block' | 'items-inline' | 'inline';

function layoutOf(path: readonly string[], node: Node): Layout {
  let want: Layout = 'inline';
  if (path.length <= 1) want = 'block';
  else if (path.length === 2 && path[1] === 'expect') want = 'block';
  else if (path.length === 2 && path[1] === 'lines') want = 'items-inline';
  else if (path.length === 3 && path[1] === 'expect' && (path[2] === 'applied' || path[2] === 'rejected'))
    want = isSeq(node) && node.items.length > 1 ? 'items-inline' : 'inline';
  if (want === 'inline' && innerComments(node)) return 'block';
  if (want === 'items-inline' && isSeq(node) && node.items.some((i) => innerComments(i as Node))) return 'block';
  return want;
}

/** Whether a node holds comments that an inline rendering would lose (its own trailing one is kept). */
function innerComments(node: Node | null | undefined): boolean {
  if (!node) return false;
  if (isMap(node)) return node.items.some((p) => hasComment(p.key as Node) || hasComment(p.value as Node) || innerComments(p.value as Node));
  if (isSeq(node)) return node.items.some((i) => hasComment(i as Node) || innerComments(i as Node));
  return false;
}

function hasComment(node: Node | null | undefined): boolean {
  return !!node && (!!node.commentBefore || !!node.comment);
}

function commentLines(comment: string | null | undefined, pad: string): string[] {
  if (!comment) return [];
  return comment.split('\n').map((c) => (c === '' ? '' : `${pad}#${c}`));
}

/** Equal JSON data, whatever the key order. */
function sameData(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameData(x, b[i]));
  if (a !== null && typeof a === 'object') {
    if (b === null || typeof b !== 'object' || Array.isArray(b)) return false;
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

function testFileText(doc: Document.Parsed): string {
  const out: string[] = [];
  const root = doc.contents as Node | null;
  let header = doc.commentBefore ?? null;
  if (isSeq(root) && root.items.length > 0) {
    const first = root.items[0] as Node;
    // A comment above the first case is the file's header.
    if (first.commentBefore) {
      header = header ? `${header}\n${first.commentBefore}` : first.commentBefore;
      first.commentBefore = undefined;
    }
    if (isMap(first) && first.items.length && (first.items[0].key as Node | null)?.commentBefore) {
      const key = first.items[0].key as Node;
      header = header ? `${header}\n${key.commentBefore}` : key.commentBefore!;
      key.commentBefore = undefined;
    }
    if (root.commentBefore) {
      header = header ? `${header}\n${root.commentBefore}` : root.commentBefore;
      root.commentBefore = undefined;
    }
  }
  if (header) out.push(...commentLines(header, ''), '');
  if (isSeq(root)) {
    root.items.forEach((item, i) => {
      if (i > 0) out.push('');
      out.push(...seqItem(item as Node, '', ['*']));
    });
    out.push(...commentLines(root.comment, ''));
  } else if (root) out.push(...valueLines(root, '', []));
  out.push(...commentLines(doc.comment, ''));
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

/** A node as the value of `key:`: the text after the colon (same line) and the lines below it. */
function valueAfterKey(node: Node | null, pad: string, path: string[]): { inline: string; below: string[] } {
  if (node === null || node === undefined) return { inline: '', below: [] };
  const trailing = node.comment && !isMap(node) && !isSeq(node) ? ` #${node.comment}` : '';
  if (!isMap(node) && !isSeq(node)) return { inline: ` ${scalarText(node, false)}${trailing}`, below: [] };
  const layout = node.items.length === 0 ? 'inline' : layoutOf(path, node);
  if (layout === 'inline' && !node.commentBefore) return { inline: ` ${inlineText(node)}${node.comment ? ` #${node.comment}` : ''}`, below: [] };
  const child = pad + '  ';
  const below = [...commentLines(node.commentBefore, child), ...valueLines(node, child, path, layout)];
  return { inline: '', below };
}

/** A block map or list at an indentation. */
function valueLines(node: Node, pad: string, path: string[], layout: Layout = layoutOf(path, node)): string[] {
  const out: string[] = [];
  if (isMap(node)) {
    for (const pair of (node as YAMLMap).items) {
      const key = pair.key as Node;
      out.push(...commentLines(key?.commentBefore, pad));
      const name = isScalar(key) ? String(key.value) : '';
      const v = valueAfterKey(pair.value as Node | null, pad, [...path, name]);
      out.push(`${pad}${keyText(key, false)}:${v.inline}`, ...v.below);
    }
    out.push(...commentLines(node.comment, pad));
  } else if (isSeq(node)) {
    for (const item of (node as YAMLSeq).items) out.push(...seqItem(item as Node, pad, [...path, '*'], layout === 'items-inline'));
    out.push(...commentLines(node.comment, pad));
  } else out.push(`${pad}${scalarText(node, false)}`);
  return out;
}

function seqItem(item: Node, pad: string, path: string[], inlineItem = false): string[] {
  const out = commentLines(item?.commentBefore, pad);
  if (isMap(item) || isSeq(item)) {
    if (inlineItem || (layoutOf(path, item) === 'inline' && !innerComments(item))) {
      out.push(`${pad}- ${inlineText(item)}${item.comment ? ` #${item.comment}` : ''}`);
      return out;
    }
    const lines = valueLines(item, pad + '  ', path, 'block');
    if (isMap(item) && lines.length && lines[0].startsWith(pad + '  ') && !lines[0].startsWith(pad + '  #')) lines[0] = `${pad}- ${lines[0].slice(pad.length + 2)}`;
    else lines.unshift(`${pad}-`);
    out.push(...lines);
    return out;
  }
  out.push(`${pad}- ${scalarText(item, false)}${item?.comment ? ` #${item.comment}` : ''}`);
  return out;
}

function inlineText(node: Node): string {
  if (isMap(node)) {
    const pairs = (node as YAMLMap).items.map((p) => `${keyText(p.key as Node, true)}: ${p.value === null || p.value === undefined ? 'null' : inlineText(p.value as Node)}`);
    return pairs.length ? `{ ${pairs.join(', ')} }` : '{}';
  }
  if (isSeq(node)) return `[${(node as YAMLSeq).items.map((i) => inlineText(i as Node)).join(', ')}]`;
  return scalarText(node, true);
}

function keyText(key: Node | null, flow: boolean): string {
  return key ? scalarText(key, flow) : '';
}

function scalarText(node: Node | null, flow: boolean): string {
  if (node === null || node === undefined) return 'null';
  if (isAlias(node)) return `*${node.source}`;
  const value = isScalar(node) ? node.value : null;
  if (typeof value !== 'string') return stringify(value ?? null).trim();
  if (value.includes('\n') || stringStyle(value) === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  const plain = stringify(value, { lineWidth: 0 }).replace(/\n$/, '');
  if (plain !== value) return plain.startsWith("'") || plain.startsWith('"') ? plain : JSON.stringify(value);
  return flow && /[,[\]{}]/.test(value) ? JSON.stringify(value) : value;
}
