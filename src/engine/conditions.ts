// json-rules-engine condition trees compiled to plain synchronous closures, once per ruleset.
//
// The closures reproduce json-rules-engine 7's semantics exactly (operators and their fact
// validators, path resolution only on non-null objects, missing paths -> undefined), so the
// engine stays the reference: test/engine/differential.test.ts checks them against it on random
// trees and facts. Facts are a plain object; a function-valued fact is called with the
// condition's params (json-rules-engine's dynamic facts).

import type { EngineCondition } from '../domain/types.js';

export type Facts = Record<string, unknown>;
export type Predicate = (facts: Facts) => boolean;

type OperatorFn = (factValue: any, jsonValue: any) => boolean;

const numberValidator = (factValue: unknown): boolean => Number.parseFloat(factValue as string).toString() !== 'NaN';

// Membership in a long fact array (cart.categories of a big cart, asked by thousands of rules) is
// answered from a Set built once per array. Same answers as indexOf (===) for everything a fact
// can hold (JSON has no NaN, the one value where === and a Set disagree).
const LONG_ARRAY = 16;
const arraySets = new WeakMap<readonly unknown[], Set<unknown>>();
function arrayHas(a: readonly unknown[], b: unknown): boolean {
  if (a.length < LONG_ARRAY || (typeof b === 'number' && Number.isNaN(b))) return a.indexOf(b) > -1;
  let set = arraySets.get(a);
  if (!set) arraySets.set(a, (set = new Set(a)));
  return set.has(b);
}

/** The default operators of json-rules-engine 7 (callback guarded by its fact validator). */
export const OPERATOR_IMPLS: Record<string, OperatorFn> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  in: (a, b) => b.indexOf(a) > -1,
  notIn: (a, b) => b.indexOf(a) === -1,
  contains: (a, b) => Array.isArray(a) && arrayHas(a, b),
  doesNotContain: (a, b) => Array.isArray(a) && !arrayHas(a, b),
  lessThan: (a, b) => numberValidator(a) && a < b,
  lessThanInclusive: (a, b) => numberValidator(a) && a <= b,
  greaterThan: (a, b) => numberValidator(a) && a > b,
  greaterThanInclusive: (a, b) => numberValidator(a) && a >= b,
};

/** Parses the schema's simple JSONPath subset: $, $.name, $.a.b, $.list[0]. */
export function parsePath(path: string): (string | number)[] {
  const segs: (string | number)[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]/gy;
  re.lastIndex = 1;
  if (path[0] !== '$') throw new Error(`unsupported path '${path}'`);
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw new Error(`unsupported path '${path}'`);
    segs.push(m[1] !== undefined ? m[1] : Number(m[2]));
  }
  return segs;
}

function resolvePath(value: unknown, segs: readonly (string | number)[]): unknown {
  // json-rules-engine applies a path only to non-null objects; anything else is returned as is.
  if (value === null || typeof value !== 'object') return value;
  // Below the top, JSONPath (jsonpath-plus) follows own properties of any truthy value, strings
  // included: $.tier.length and $.tier[0] read into a string.
  let v: any = value;
  for (const s of segs) {
    if (!v || !Object.prototype.hasOwnProperty.call(v, s)) return undefined;
    v = v[s];
  }
  return v;
}

/**
 * Compiled leaves by fact, path, operator and (primitive) value, for leaves without params: one
 * ruleset's thousands of "category is cat-k" or "subtotal at least v" checks then share a few
 * closures. The closures are pure, so sharing them is safe; a cache lives as long as one prepare.
 */
export class PredicateCache {
  private readonly leaves = new Map<string, Map<string, Map<string, Map<unknown, Predicate>>>>();

  leaf(fact: string, path: string, operator: string, value: unknown, make: () => Predicate): Predicate {
    let byPath = this.leaves.get(fact);
    if (!byPath) this.leaves.set(fact, (byPath = new Map()));
    let byOp = byPath.get(path);
    if (!byOp) byPath.set(path, (byOp = new Map()));
    let byValue = byOp.get(operator);
    if (!byValue) byOp.set(operator, (byValue = new Map()));
    let p = byValue.get(value);
    if (!p) byValue.set(value, (p = make()));
    return p;
  }
}

/**
 * Compiles a condition tree to a closure. With a cache, leaves whose value is a primitive and that
 * have no params are shared (Map keys compare by SameValueZero: NaN is one key, and 0 and -0, which
 * every operator treats alike, are one key).
 */
export function compileCondition(c: EngineCondition, cache?: PredicateCache): Predicate {
  if ('all' in c) {
    const subs = c.all.map((x) => compileCondition(x, cache));
    if (subs.length === 1) return subs[0];
    return (f) => {
      for (let i = 0; i < subs.length; i++) if (!subs[i](f)) return false;
      return true;
    };
  }
  if ('any' in c) {
    const subs = c.any.map((x) => compileCondition(x, cache));
    if (subs.length === 1) return subs[0];
    return (f) => {
      for (let i = 0; i < subs.length; i++) if (subs[i](f)) return true;
      return false;
    };
  }
  if ('not' in c) {
    const sub = compileCondition(c.not, cache);
    return (f) => !sub(f);
  }
  const v = c.value;
  if (cache && c.params === undefined && (v === null || (typeof v !== 'object' && typeof v !== 'function')))
    return cache.leaf(c.fact, c.path ?? '', c.operator, v, () => compileLeaf(c));
  return compileLeaf(c);
}

function compileLeaf(c: Extract<EngineCondition, { fact: string }>): Predicate {
  const op = Object.hasOwn(OPERATOR_IMPLS, c.operator) ? OPERATOR_IMPLS[c.operator] : undefined;
  if (!op) throw new Error(`unknown operator '${c.operator}'`);
  const fact = c.fact;
  const value = c.value;
  const params = c.params ?? {};
  const segs = c.path ? parsePath(c.path) : null;
  const read = (f: Facts): unknown => {
    if (!(fact in f)) throw new Error(`Undefined fact: ${fact}`);
    let v = f[fact];
    if (typeof v === 'function') v = (v as (p: unknown) => unknown)(params);
    return segs ? resolvePath(v, segs) : v;
  };
  // Specialised fast paths for the shapes the compiler emits most.
  if (segs && segs.length === 1 && typeof segs[0] === 'string') {
    const key = segs[0];
    // Own properties only: a path such as $.__proto__ or $.toString must not find Object.prototype.
    const readers = Object.hasOwn(FIELD_READERS, fact) ? FIELD_READERS[fact] : undefined;
    const get = readers && Object.hasOwn(readers, key) ? readers[key] : undefined;
    if (get && c.params === undefined) {
      // A reader written for this fact and field: its property loads stay monomorphic.
      if (c.operator === 'contains') return (f) => { const a = get(f); return Array.isArray(a) && arrayHas(a, value); };
      return (f) => op(get(f), value);
    }
    return (f) => {
      let v = f[fact];
      if (v === undefined && !(fact in f)) throw new Error(`Undefined fact: ${fact}`);
      if (typeof v === 'function') v = (v as (p: unknown) => unknown)(params);
      if (v !== null && typeof v === 'object') v = Object.prototype.hasOwnProperty.call(v, key) ? (v as any)[key] : undefined;
      return op(v, value);
    };
  }
  return (f) => op(read(f), value);
}

// One reader per (fact, field) the compiler emits or authors commonly use. Each is its own function
// so V8 keeps a monomorphic inline cache per field; each keeps json-rules-engine's semantics
// (undefined fact -> error; non-object fact -> the fact itself; missing own field -> undefined).
type Reader = (f: Facts) => unknown;
const own = Object.prototype.hasOwnProperty;
function missingFact(fact: string): never {
  throw new Error(`Undefined fact: ${fact}`);
}
const FIELD_READERS: Record<string, Record<string, Reader>> = {
  cart: {
    subtotal: (f) => { const v: any = f.cart; if (v === undefined && !('cart' in f)) missingFact('cart'); return v !== null && typeof v === 'object' ? (own.call(v, 'subtotal') ? v.subtotal : undefined) : v; },
    itemCount: (f) => { const v: any = f.cart; if (v === undefined && !('cart' in f)) missingFact('cart'); return v !== null && typeof v === 'object' ? (own.call(v, 'itemCount') ? v.itemCount : undefined) : v; },
    lineCount: (f) => { const v: any = f.cart; if (v === undefined && !('cart' in f)) missingFact('cart'); return v !== null && typeof v === 'object' ? (own.call(v, 'lineCount') ? v.lineCount : undefined) : v; },
    categories: (f) => { const v: any = f.cart; if (v === undefined && !('cart' in f)) missingFact('cart'); return v !== null && typeof v === 'object' ? (own.call(v, 'categories') ? v.categories : undefined) : v; },
    productIds: (f) => { const v: any = f.cart; if (v === undefined && !('cart' in f)) missingFact('cart'); return v !== null && typeof v === 'object' ? (own.call(v, 'productIds') ? v.productIds : undefined) : v; },
  },
  clock: {
    epochMs: (f) => { const v: any = f.clock; if (v === undefined && !('clock' in f)) missingFact('clock'); return v !== null && typeof v === 'object' ? (own.call(v, 'epochMs') ? v.epochMs : undefined) : v; },
    dayOfWeek: (f) => { const v: any = f.clock; if (v === undefined && !('clock' in f)) missingFact('clock'); return v !== null && typeof v === 'object' ? (own.call(v, 'dayOfWeek') ? v.dayOfWeek : undefined) : v; },
    previousDayOfWeek: (f) => { const v: any = f.clock; if (v === undefined && !('clock' in f)) missingFact('clock'); return v !== null && typeof v === 'object' ? (own.call(v, 'previousDayOfWeek') ? v.previousDayOfWeek : undefined) : v; },
    minuteOfDay: (f) => { const v: any = f.clock; if (v === undefined && !('clock' in f)) missingFact('clock'); return v !== null && typeof v === 'object' ? (own.call(v, 'minuteOfDay') ? v.minuteOfDay : undefined) : v; },
  },
  session: {
    hasCustomer: (f) => { const v: any = f.session; if (v === undefined && !('session' in f)) missingFact('session'); return v !== null && typeof v === 'object' ? (own.call(v, 'hasCustomer') ? v.hasCustomer : undefined) : v; },
    hasCustomerId: (f) => { const v: any = f.session; if (v === undefined && !('session' in f)) missingFact('session'); return v !== null && typeof v === 'object' ? (own.call(v, 'hasCustomerId') ? v.hasCustomerId : undefined) : v; },
    tier: (f) => { const v: any = f.session; if (v === undefined && !('session' in f)) missingFact('session'); return v !== null && typeof v === 'object' ? (own.call(v, 'tier') ? v.tier : undefined) : v; },
  },
};

/** The json-rules-engine reference: decides one rule's named top-level checks with the real engine. */
export async function runWithEngine(
  rules: readonly { name: string; conditions: unknown; priority: number; event: unknown }[],
  facts: Facts,
): Promise<Map<string, { passed: boolean; failed: string[] }>> {
  const { Engine } = await import('json-rules-engine');
  // A fresh engine per run: its status is engine-wide, so runs must never share one.
  const engine = new Engine([], { allowUndefinedFacts: false });
  for (const r of rules) engine.addRule(structuredClone(r) as any);
  const runtime: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(facts)) {
    if (typeof v === 'function') engine.addFact(k, (params: unknown) => (v as (p: unknown) => unknown)(params));
    else runtime[k] = v;
  }
  const { results, failureResults } = await engine.run(runtime);
  const out = new Map<string, { passed: boolean; failed: string[] }>();
  for (const r of [...results, ...failureResults]) {
    const all = ((r.conditions as any).all ?? []) as { name?: string; result?: boolean }[];
    out.set(String(r.name), { passed: r.result === true, failed: all.filter((c) => c.result === false).map((c) => String(c.name)) });
  }
  return out;
}
