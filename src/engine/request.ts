// Checks an evaluate request (and a usage snapshot) before pricing: the JSON Schema for shape,
// then what a schema cannot say (unique line ids, a real calendar date in `at`, usage naming only
// discounts the ruleset has). Returns errors as values with a stable code, a JSON pointer and a
// message that says in plain words what the field expects (used by the CLI and the HTTP API).

import { parseDateTime } from '../domain/time.js';
import type { EvaluateRequest, Usage } from '../domain/types.js';
import { fieldProblem, schemas, schemaIssues, suggest, validators } from '../dsl/schemas.js';

export interface InputError {
  code: 'request_schema_error' | 'usage_schema_error' | 'usage_unknown_discount';
  /** JSON pointer to the offending value ('' = the whole document). */
  path: string;
  message: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; errors: InputError[] };

const pointer = (segs: readonly (string | number)[]) => segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

export function checkRequest(body: unknown): Checked<EvaluateRequest> {
  const errors: InputError[] = [];
  if (!validators.request(body)) {
    for (const i of schemaIssues(validators.request.errors, body))
      errors.push({ code: 'request_schema_error', path: pointer(i.pointer), message: i.message });
  } else {
    const req = body as EvaluateRequest;
    const seen = new Map<string, number>();
    req.lines.forEach((l, i) => {
      const first = seen.get(l.id);
      if (first !== undefined)
        errors.push({ code: 'request_schema_error', path: `/lines/${i}/id`, message: `lines[${i}].id: '${l.id}' is also the id of lines[${first}]` });
      else seen.set(l.id, i);
    });
    if (req.at !== undefined && !parseDateTime(req.at))
      errors.push({ code: 'request_schema_error', path: '/at', message: fieldProblem(schemas.requestSchema.properties.at, ['at'], req.at, 'which is not a real date-time') });
  }
  if (errors.length) return { ok: false, errors: sortErrors(errors) };
  return { ok: true, value: body as EvaluateRequest };
}

export function checkUsage(body: unknown): Checked<Usage> {
  if (validators.usage(body)) return { ok: true, value: body as Usage };
  const errors = schemaIssues(validators.usage.errors, body).map(
    (i): InputError => ({ code: 'usage_schema_error', path: pointer(i.pointer), message: i.message }),
  );
  return { ok: false, errors: sortErrors(errors) };
}

/**
 * Usage counts for a discount id the ruleset does not have are refused: a misspelt id would leave
 * a usage limit silently unenforced. Each error suggests the closest id ("did you mean").
 */
export function checkUsageIds(usage: Usage, discountIds: readonly string[]): InputError[] {
  const known = new Set(discountIds);
  const errors: InputError[] = [];
  for (const id of Object.keys(usage)) {
    if (known.has(id)) continue;
    const guess = suggest(id, discountIds);
    errors.push({
      code: 'usage_unknown_discount',
      path: pointer([id]),
      message: `usage names discount '${id}', which the ruleset does not have${guess ? ` (did you mean '${guess}'?)` : ''}`,
    });
  }
  return sortErrors(errors);
}

/** By pointer, segment by segment (numbers numerically: /lines/2 before /lines/10), then message. */
function sortErrors(errors: InputError[]): InputError[] {
  const segs = (p: string) => p.split('/').slice(1);
  const cmpSeg = (a: string, b: string) => {
    const na = /^\d+$/.test(a);
    const nb = /^\d+$/.test(b);
    if (na && nb) return Number(a) - Number(b);
    return a < b ? -1 : a > b ? 1 : 0;
  };
  return errors.sort((x, y) => {
    const a = segs(x.path);
    const b = segs(y.path);
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = cmpSeg(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length || (x.message < y.message ? -1 : x.message > y.message ? 1 : 0);
  });
}
