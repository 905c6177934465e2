// The JSON Schemas under schemas/ compiled once with ajv, and the mapping of ajv errors to
// diagnostics (stable, readable messages that point at the offending key).

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

const ajv = new Ajv({ allErrors: true, strict: false, strictNumbers: true, multipleOfPrecision: 9 });
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

/** Turns ajv's errors into one readable issue per problem, in a stable order. */
export function schemaIssues(errors: readonly ErrorObject[] | null | undefined, data: unknown): SchemaIssue[] {
  if (!errors) return [];
  // Alternatives (anyOf/oneOf) report every failed branch; keep only the summary error.
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.schemaPath + '/');
  const out: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (alternatives.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
    const pointer = splitPointer(e.instancePath);
    let message: string;
    const where = pointer.length ? describe(pointer) : 'document';
    switch (e.keyword) {
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        const type = (valueAt(data, pointer) as { type?: unknown } | undefined)?.type;
        const because = pointer.length === 0 && (missing === 'bogo' || missing === 'value') && typeof type === 'string' ? ` (type is ${type})` : '';
        message = `${where}: missing required property '${missing}'${because}`;
        break;
      }
      case 'additionalProperties': {
        const prop = (e.params as { additionalProperty: string }).additionalProperty;
        pointer.push(prop);
        message = `${where}: unknown property '${prop}'`;
        break;
      }
      case 'false schema': {
        const parent = valueAt(data, pointer.slice(0, -1)) as { type?: unknown } | undefined;
        const type = parent && typeof parent === 'object' ? parent.type : undefined;
        message = `${where}: not allowed${typeof type === 'string' ? ` when type is ${type}` : ''}`;
        break;
      }
      case 'enum':
        message = `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'pattern': {
        const pattern = (e.params as { pattern: string }).pattern;
        message = `${where}: ${PATTERN_HINTS[pattern] ?? `must match pattern "${pattern}"`}`;
        break;
      }
      case 'multipleOf':
        message = `${where}: must have at most ${decimalsOf((e.params as { multipleOf: number }).multipleOf)} decimals`;
        break;
      case 'anyOf':
      case 'oneOf':
        message = `${where}: has an unsupported shape`;
        break;
      default:
        message = `${where}: ${e.message ?? e.keyword}`;
    }
    const key = JSON.stringify(pointer) + message;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer, message });
  }
  return out;
}

/** Readable descriptions of the schemas' patterns (ajv would print the regular expression). */
const PATTERN_HINTS: Record<string, string> = {
  '^[a-z0-9][a-z0-9-]{0,63}$': 'must be 1-64 lower-case letters, digits or hyphens, starting with a letter or digit',
  '^[A-Za-z0-9_-]{3,32}$': 'must be 3-32 letters, digits, underscores or hyphens',
  '^([01]\\d|2[0-3]):[0-5]\\d$': 'must be a 24-hour time HH:MM, e.g. "09:00"',
  '^[A-Z]{3}$': 'must be an ISO 4217 currency code such as USD',
};

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
