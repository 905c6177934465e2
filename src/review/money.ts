// What a rule change does to money: every sample cart and every rule-test case priced with both
// rulesets at the cart's own `at` (one clock reading, given as input, for a cart without one):
// totals before and after, the discounts that appear, disappear or change amount, a summary, and
// the rule tests the new rules fail. Pure: prepared rulesets and requests in, an impact out.

import type { EvaluateRequest, EvaluateResponse, Usage } from '../domain/types.js';
import { evaluate } from '../engine/evaluate.js';
import type { PreparedRuleset } from '../engine/prepare.js';
import { checkUsageIds } from '../engine/request.js';

export interface PricedCart {
  kind: 'cart' | 'test';
  /** `rules/carts/demo.json`, or `rules/tests/demo.test.yaml:4: flower is capped at $25`. */
  label: string;
  request: EvaluateRequest;
  usage: Usage;
}

export interface RuleTestCase extends PricedCart {
  kind: 'test';
  /** The case's expectation, compared by the injected `check` (the rule-test semantics of `discounts test`). */
  expect: unknown;
}

export interface AppliedChange {
  discountId: string;
  /** null: the discount did not apply on that side. */
  before: number | null;
  after: number | null;
}

export interface CartImpact {
  kind: 'cart' | 'test';
  label: string;
  /** The request's `at`, or null when it has none (priced at the run's clock on both sides). */
  at: string | null;
  subtotal: number;
  before: { discountTotal: number; total: number };
  after: { discountTotal: number; total: number };
  /** after.total - before.total (negative: the customer pays less). */
  delta: number;
  /** Discounts that appear, disappear or change amount, by id. */
  discounts: AppliedChange[];
  /** Whether anything differs (the total, or which discounts apply and by how much). */
  changed: boolean;
}

export interface FailingTest {
  label: string;
  problems: string[];
  /** Whether the case failed with the base rules too (then the change did not break it). */
  failedBefore: boolean | null;
}

export interface MoneyImpact {
  /** Null when carts could be priced on both sides; otherwise why not. */
  notPriced: string | null;
  /** Every priced cart, largest change first (|delta|, then the amount of discount moved), then by label. */
  carts: CartImpact[];
  summary: { carts: number; changed: number; discountBefore: number; discountAfter: number; totalBefore: number; totalAfter: number };
  /** Null when the rule tests could not run (the new rules have errors). */
  failingTests: FailingTest[] | null;
  /** Rule-test cases run with the new rules. */
  testsRun: number;
}

export interface MoneyInput {
  base: PreparedRuleset | null;
  head: PreparedRuleset | null;
  /** Why a side has no ruleset ("the rules at HEAD have errors"). */
  missing: { base: string | null; head: string | null };
  carts: PricedCart[];
  tests: RuleTestCase[];
  /** The clock for a request without `at`, read once by the caller. */
  now: number;
  /** The rule-test comparison (compareExpectation): differences, none when the case passes. */
  check: (expect: unknown, response: EvaluateResponse) => string[];
}

export function moneyImpact(input: MoneyInput): MoneyImpact {
  const all: PricedCart[] = [...input.carts, ...input.tests];
  const carts: CartImpact[] = [];
  const notPriced = input.missing.head ?? input.missing.base ?? (input.base && input.head ? null : 'a ruleset is missing');
  if (notPriced === null) {
    for (const c of all) carts.push(impact(c, price(input.base!, c, input.now), price(input.head!, c, input.now)));
  }
  carts.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || moved(y) - moved(x) || cmp(x.label, y.label));
  const sum = (f: (c: CartImpact) => number) => carts.reduce((s, c) => s + f(c), 0);
  let failingTests: FailingTest[] | null = null;
  if (input.head) {
    failingTests = [];
    for (const t of input.tests) {
      const problems = runCase(input.head, t, input.now, input.check);
      if (!problems.length) continue;
      failingTests.push({ label: t.label, problems, failedBefore: input.base ? runCase(input.base, t, input.now, input.check).length > 0 : null });
    }
  }
  return {
    notPriced,
    carts,
    summary: {
      carts: carts.length,
      changed: carts.filter((c) => c.changed).length,
      discountBefore: sum((c) => c.before.discountTotal),
      discountAfter: sum((c) => c.after.discountTotal),
      totalBefore: sum((c) => c.before.total),
      totalAfter: sum((c) => c.after.total),
    },
    failingTests,
    testsRun: input.head ? input.tests.length : 0,
  };
}

function price(rs: PreparedRuleset, c: PricedCart, now: number): EvaluateResponse {
  return evaluate(rs, c.request, { now, usage: c.usage });
}

/** A case as `discounts test` runs it: counts for an unknown discount are a failure, not a silent pass. */
function runCase(rs: PreparedRuleset, t: RuleTestCase, now: number, check: MoneyInput['check']): string[] {
  const unknown = checkUsageIds(t.usage, rs.compiled.discounts.map((d) => d.id));
  if (unknown.length) return unknown.map((e) => `usage: ${e.message}`);
  return check(t.expect, price(rs, t, now));
}

function impact(c: PricedCart, b: EvaluateResponse, h: EvaluateResponse): CartImpact {
  const amounts = (r: EvaluateResponse) => {
    const m = new Map<string, number>();
    for (const a of r.applied) m.set(a.discountId, (m.get(a.discountId) ?? 0) + a.amount);
    return m;
  };
  const ab = amounts(b);
  const ah = amounts(h);
  const discounts: AppliedChange[] = [];
  for (const id of [...new Set([...ab.keys(), ...ah.keys()])].sort()) {
    const x = ab.get(id) ?? null;
    const y = ah.get(id) ?? null;
    if (x !== y) discounts.push({ discountId: id, before: x, after: y });
  }
  return {
    kind: c.kind,
    label: c.label,
    at: c.request.at ?? null,
    subtotal: h.subtotal,
    before: { discountTotal: b.discountTotal, total: b.total },
    after: { discountTotal: h.discountTotal, total: h.total },
    delta: h.total - b.total,
    discounts,
    changed: b.total !== h.total || discounts.length > 0,
  };
}

/** The discount moved between discounts on a cart whose total did not change (a tie-break). */
function moved(c: CartImpact): number {
  return c.discounts.reduce((s, d) => s + Math.abs((d.after ?? 0) - (d.before ?? 0)), 0);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
