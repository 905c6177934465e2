// The canonical form of a rule document or store policy (`discounts fmt`): keys in the order the
// JSON Schema lists them (unknown keys last, in their original order), two-space block layout,
// lists of plain values inline (`days: [fri, sat]`), strings quoted only when they must be, no
// blank lines; comments are kept with the key they precede. JSON files get the same key order
// with two-space indentation. Pure: text in, text out.

import { isMap, isPair, isScalar, isSeq, parseDocument, Scalar, type Node, type YAMLMap } from 'yaml';
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

export function formatDocument(path: string, text: string, kind: 'rule' | 'store'): FormatResult {
  const root = (kind === 'rule' ? schemas.ruleSchema : schemas.storeSchema) as JsonSchema;
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
  const out = doc.toString({ indent: 2, indentSeq: true, lineWidth: 0, flowCollectionPadding: false });
  return { ok: true, text: out };
}

function resolve(schema: JsonSchema | undefined, root: JsonSchema): JsonSchema | undefined {
  if (!schema?.$ref) return schema;
  if (schema.$ref === CONDITION) return { $ref: CONDITION };
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
