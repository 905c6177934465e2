// The JSON Schemas under schemas/ compiled once with ajv, and the mapping of ajv errors to
// diagnostics (stable, readable messages that point at the offending key): unknown properties
// with the closest allowed one ("did you mean"), the request and usage fields in plain words,
// patterns described, never printed as regular expressions.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsImport from 'ajv-formats';
import ruleSchema from '../../schemas/rule.schema.json' with { type: 'json' };
import storeSchema from '../../schemas/store.schema.json' with { type: 'json' };
import requestSchema from '../../schemas/evaluate-request.schema.json' with { type: 'json' };
import responseSchema from '../../schemas/evaluate-response.schema.json' with { type: 'json' };
import usageSchema from '../../schemas/usage.schema.json' with { type: 'json' };
import ruleTestSchema from '../../schemas/rule-test.schema.json' with { type: 'json' };

export const schemas = { ruleSchema, storeSchema, requestSchema, responseSchema, usageSchema, ruleTestSchema };

const addFormats = addFormatsImport as unknown as (ajv: Ajv) => Ajv;

// verbose: errors carry the schema object they come from (`parentSchema`), which names the
// properties allowed at that place and keys the plain-words field hints below.
const ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true, multipleOfPrecision: 9, verbose: true });
addFormats(ajv);
for (const s of Object.values(schemas)) ajv.addSchema(s);

function get(schema: { $id: string }): ValidateFunction {
  return ajv.getSchema(schema.$id)!;
}

export const validators = {
  rule: get(ruleSchema),
  store: get(storeSchema),
  request: get(requestSchema),
  response: get(responseSchema),
  usage: get(usageSchema),
  ruleTest: get(ruleTestSchema),
};

export interface SchemaIssue {
  /** JSON pointer segments to the offending key or value. */
  pointer: (string | number)[];
  message: string;
}

/** Where a problem is, for messages: `bogo.buy`, `lines[2].unitPrice`, or `(top level)`. */
export function where(pointer: readonly (string | number)[]): string {
  return pointer.length ? describe(pointer) : TOP_LEVEL;
}
export const TOP_LEVEL = '(top level)';

/** Turns ajv's errors into one readable issue per problem, in a stable order. */
export function schemaIssues(errors: readonly ErrorObject[] | null | undefined, data: unknown): SchemaIssue[] {
  if (!errors) return [];
  // Alternatives (anyOf/oneOf) report every failed branch; keep only the summary error.
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.schemaPath + '/');
  const out: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    // Decimals (multipleOf) are checked exactly by the compiler's meaning checks, with the value in
    // the message; the schema keeps multipleOf for editors, but reporting both would say it twice.
    if (e.keyword === 'multipleOf') continue;
    if (alternatives.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
    const pointer = splitPointer(e.instancePath);
    const at = where(pointer);
    const parent = (e.parentSchema ?? {}) as JsonSchemaNode;
    const hint = FIELD_HINTS.get(parent);
    let message: string;
    switch (e.keyword) {
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        const missingHint = FIELD_HINTS.get(parent.properties?.[missing] as object);
        if (missingHint) {
          message = `${subject(pointer, hint)} is missing ${missing}: ${missing} ${missingHint.text}`;
          break;
        }
        const type = (valueAt(data, pointer) as { type?: unknown } | undefined)?.type;
        const tiered = missing === 'value' && (type === 'percentage' || type === 'fixed') ? ': give value or tiers' : '';
        const because = pointer.length === 0 && (missing === 'bogo' || missing === 'bundle' || missing === 'value') && typeof type === 'string' ? ` (type is ${type}${tiered})` : '';
        message = `${at}: missing required property '${missing}'${because}`;
        break;
      }
      case 'additionalProperties': {
        const prop = (e.params as { additionalProperty: string }).additionalProperty;
        const present = e.data !== null && typeof e.data === 'object' ? (e.data as Record<string, unknown>) : {};
        const allowed = Object.keys(parent.properties ?? {}).filter((k) => !Object.hasOwn(present, k));
        const guess = suggest(prop, allowed);
        pointer.push(prop);
        message = `${at}: unknown property '${prop}'${guess ? ` (did you mean '${guess}'?)` : ''}`;
        break;
      }
      case 'false schema': {
        const parentValue = valueAt(data, pointer.slice(0, -1)) as { type?: unknown } | undefined;
        const type = parentValue && typeof parentValue === 'object' ? parentValue.type : undefined;
        message = `${at}: not allowed${typeof type === 'string' ? ` when type is ${type}` : ''}`;
        break;
      }
      case 'anyOf':
      case 'oneOf':
        message = `${at}: has an unsupported shape`;
        break;
      default:
        if (hint) {
          message = `${subject(pointer, hint)} ${hint.text}; got ${show(e.data)}`;
          break;
        }
        message = `${at}: ${plainMessage(e)}`;
    }
    const key = JSON.stringify(pointer) + message;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer, message });
  }
  return out;
}

function plainMessage(e: ErrorObject): string {
  switch (e.keyword) {
    case 'enum':
      return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return PATTERN_HINTS[(e.params as { pattern: string }).pattern] ?? 'is not in the expected format';
    case 'multipleOf':
      return `must have at most ${decimalsOf((e.params as { multipleOf: number }).multipleOf)} decimals`;
    case 'minProperties':
      return (e.params as { limit: number }).limit === 1 ? 'must not be empty' : `must have at least ${(e.params as { limit: number }).limit} properties`;
    default:
      return e.message ?? e.keyword;
  }
}

/**
 * A field problem in plain words, for checks a schema cannot express (a real calendar date):
 * the same sentence the schema errors use, with a note on what was wrong.
 */
export function fieldProblem(schema: object, pointer: readonly (string | number)[], value: unknown, note: string): string {
  const hint = FIELD_HINTS.get(schema);
  const because = note ? `, ${note}` : '';
  return hint ? `${subject(pointer, hint)} ${hint.text}; got ${show(value)}${because}` : `${where(pointer)}: ${show(value)}${because}`;
}

// ---------------------------------------------------------------------------
// Did you mean

/**
 * The candidate closest to `word` by edit distance (insertions, deletions, substitutions and
 * swaps of adjacent letters, letter case ignored), if it is at most 2 edits away or at most a
 * third of the word's length, and not a complete rewrite of the word. Ties: alphabetical.
 */
export function suggest(word: string, candidates: Iterable<string>): string | null {
  const w = word.toLowerCase();
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of [...new Set(candidates)].sort()) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === null || bestDistance >= Math.max(w.length, 1)) return null;
  return bestDistance <= 2 || bestDistance * 3 <= w.length ? best : null;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}

// ---------------------------------------------------------------------------
// Plain words for the fields of an evaluate request, a usage snapshot and a rule test file
// (what an integrator or a test author sends): each says what the field expects, including its
// bounds. Keyed by the schema object, so they apply wherever that schema is used ($ref).

type JsonSchemaNode = {
  properties?: Record<string, JsonSchemaNode | boolean>;
  items?: JsonSchemaNode;
  additionalProperties?: JsonSchemaNode | boolean;
  $ref?: string;
};
interface FieldHint {
  /** What follows the field's name: "is an integer in minor units ...". */
  text: string;
  /** The name used at the top level ("the request") instead of "(top level)". */
  topLevel?: string;
}

const FIELD_HINTS = new Map<object, FieldHint>();

function subject(pointer: readonly (string | number)[], hint: FieldHint | undefined): string {
  return pointer.length ? describe(pointer) : (hint?.topLevel ?? TOP_LEVEL);
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return v.length ? `a list of ${v.length} item(s)` : 'an empty list';
  if (v !== null && typeof v === 'object') return Object.keys(v).length ? 'an object' : 'an empty object';
  if (typeof v === 'string') {
    const short = v.length > 40 ? v.slice(0, 40) + '...' : v;
    return /['\\\u0000-\u001f\u007f]/.test(short) ? JSON.stringify(short) : `'${short}'`;
  }
  return String(v);
}

function addHints(root: JsonSchemaNode, hints: Record<string, FieldHint | string>): void {
  for (const [path, h] of Object.entries(hints)) {
    let node: unknown = root;
    for (const seg of path ? path.split('/') : []) node = (node as Record<string, unknown> | undefined)?.[seg];
    if (node === null || typeof node !== 'object') throw new Error(`schema hint for a missing schema node: ${path}`);
    FIELD_HINTS.set(node, typeof h === 'string' ? { text: h } : h);
  }
}

const line = 'properties/lines/items/properties';
addHints(requestSchema as JsonSchemaNode, {
  '': { text: 'must be a JSON object with lines (required) and optionally at, customer, codes and explain', topLevel: 'the request' },
  'properties/at': 'must be a date-time such as 2026-04-20T16:30:00-07:00 (without an offset: store time)',
  'properties/terminalId': 'is the POS terminal (register) id, a string of 1 to 128 characters (it never changes a price)',
  'properties/customer': 'must be an object with an optional id, tier and groups (any other attribute is passed to conditions)',
  'properties/customer/properties/id': "is the customer's id, a string of 1 to 128 characters (needed for per-customer limits)",
  'properties/customer/properties/tier': "is the customer's loyalty tier, a string of up to 64 characters (compared case-insensitively)",
  'properties/customer/properties/groups': 'is a list of at most 32 customer groups such as medical, veteran or senior (compared case-insensitively)',
  'properties/customer/properties/groups/items': 'is a customer group such as veteran, a string of 1 to 64 characters',
  'properties/codes': 'is a list of at most 10 promo codes as entered',
  'properties/codes/items': 'is a promo code as entered, a string of up to 64 characters',
  'properties/explain': 'is true or false (true also lists every automatic discount that did not apply)',
  'properties/lines': 'is a list of 1 to 500 cart lines',
  'properties/lines/items': 'is a cart line: an object with id, productId, category, unitPrice and quantity, and optionally brand, vendor, tags and cannabis',
  [`${line}/id`]: "is the line's id, a string of 1 to 128 characters, unique in the cart",
  [`${line}/productId`]: 'is a product id, a string of 1 to 128 characters',
  [`${line}/category`]: 'is a product category such as flower, a string of 1 to 128 characters',
  [`${line}/brand`]: 'is the brand such as stiiizy, a string of 1 to 128 characters',
  [`${line}/vendor`]: 'is the vendor (the supplier who may fund a discount), a string of 1 to 128 characters',
  [`${line}/tags`]: 'is a list of at most 64 different tags such as indica or sale-shelf',
  [`${line}/tags/items`]: 'is a tag such as indica, a string of 1 to 128 characters',
  [`${line}/unitPrice`]: 'is an integer in minor units of the store currency (for USD, 1250 means $12.50), from 0 to 100000000',
  [`${line}/quantity`]: 'is a whole number of units, from 1 to 10000',
  [`${line}/cannabis`]: "is true or false (default true: the unit is subject to the store's minimum unit price)",
});
addHints(usageSchema as JsonSchemaNode, {
  '': { text: 'must be a JSON object mapping discount ids to their redemption counts, such as {"save5": {"used": 3}}', topLevel: 'the usage' },
  additionalProperties: 'must be an object with an optional used, customers and given, such as {"used": 3, "customers": {"c-42": 1}}',
  'additionalProperties/properties/used': 'is the number of redemptions so far, a whole number 0 or more',
  'additionalProperties/properties/customers': 'must be an object mapping customer ids to their redemption counts, such as {"c-42": 1}',
  'additionalProperties/properties/customers/additionalProperties': "is the customer's number of redemptions so far, a whole number 0 or more",
  'additionalProperties/properties/given': 'is what the discount has given so far, in minor units (for USD, 1250 means $12.50), a whole number 0 or more',
});
addHints(ruleTestSchema as JsonSchemaNode, {
  '': { text: 'must be a list of test cases', topLevel: 'the test file' },
  items: 'is a test case: an object with lines and expect, and optionally name, at, explain, customer, codes and usage',
  'items/properties/name': 'is the name of the case, a string',
  'items/properties/expect':
    'says what the case must give: at least one of subtotal, discountTotal, total, applied, lines and rejected (a case without expectations would always pass)',
});

// The rule-test case refers to the request's fields ($ref): the same words when one is missing.
{
  const request = (requestSchema as { properties: Record<string, object> }).properties;
  const caseFields = (ruleTestSchema as unknown as { items: { properties: Record<string, object> } }).items.properties;
  for (const k of ['at', 'explain', 'customer', 'codes', 'lines']) FIELD_HINTS.set(caseFields[k], FIELD_HINTS.get(request[k])!);
  FIELD_HINTS.set(caseFields.usage, { text: FIELD_HINTS.get(usageSchema)!.text });
}

/** True when a schema node has a plain-words hint (for the test that every request field has one). */
export function hasFieldHint(schema: object): boolean {
  return FIELD_HINTS.has(schema);
}

/** Readable descriptions of the schemas' patterns (never the regular expression itself). */
const PATTERN_HINTS: Record<string, string> = {
  '^[a-z0-9][a-z0-9-]{0,63}$': 'must be 1-64 lower-case letters, digits or hyphens, starting with a letter or digit',
  '^[A-Za-z0-9_-]{3,32}$': 'must be 3-32 letters, digits, underscores or hyphens',
  '^([01]\\d|2[0-3]):[0-5]\\d$': 'must be a 24-hour time HH:MM, e.g. "09:00"',
  '^[A-Z]{3}$': 'must be an ISO 4217 currency code such as USD',
  '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$': 'must be 1-64 letters, digits, dots, underscores or hyphens, starting with a letter or digit',
  '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|z|[+-]\\d{2}:\\d{2})?)?$':
    'must be a date such as 2026-04-20 or a date-time such as 2026-04-20T16:30:00 (without an offset: store time)',
  '^\\$(\\.[A-Za-z_][A-Za-z0-9_]*|\\[[0-9]+\\])*$': 'must be a simple JSONPath such as $.subtotal, $.tier or $.items[0]',
  '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|z|[+-]\\d{2}:\\d{2})?$':
    'must be a date-time such as 2026-04-20T16:30:00-07:00 (without an offset: store time)',
  '^[Hh][Tt][Tt][Pp][Ss]?://': 'must be an http:// or https:// URL',
  '^[A-Za-z_][A-Za-z0-9_]{0,127}$': 'must be the name of an environment variable (letters, digits and underscores, not starting with a digit)',
};

/** Every pattern the schemas use, for the test that none is ever printed raw. */
export function patternHints(): Readonly<Record<string, string>> {
  return PATTERN_HINTS;
}

function decimalsOf(step: number): number {
  const s = String(step);
  return s.includes('.') ? s.length - s.indexOf('.') - 1 : 0;
}

function splitPointer(p: string): (string | number)[] {
  if (!p) return [];
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** bogo.buy, lines[2].unitPrice */
export function describe(pointer: readonly (string | number)[]): string {
  let s = '';
  for (const seg of pointer) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  return s;
}

function valueAt(data: unknown, pointer: readonly (string | number)[]): unknown {
  let v = data;
  for (const seg of pointer) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}
