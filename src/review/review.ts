// The review of a rule change (`discounts diff`): both revisions of a rules directory compiled,
// then what changed in words, the new and fixed diagnostics, the POS sheet rows that change, the
// money impact on carts and rule tests, the replay of stored redemptions when given, and the
// --fail-on gate. Pure: texts, parsed carts and a clock reading in; one Review value out, which
// render.ts prints as text, markdown or JSON.

import {
  compileRuleFile,
  compileRuleset,
  compileStorePolicy,
  type CompileOptions,
  type CompiledRuleset,
  type RuleSource,
} from '../dsl/compile.js';
import type { CompiledDiscount, Diagnostic, StorePolicy } from '../domain/types.js';
import { prepareRuleset, type PreparedRuleset } from '../engine/prepare.js';
import { posSheet } from '../pos/sheet.js';
import { diffDiagnostics, type DiagnosticsDiff } from './diagnostics.js';
import { diffDiscounts, diffPolicy, diffSettings, type DiscountChange, type FieldChange } from './discounts.js';
import { evaluateGate, type GateResult, type GateRule } from './gate.js';
import { moneyImpact, type MoneyImpact, type MoneyInput, type PricedCart, type RuleTestCase } from './money.js';
import { diffPosSheets, type PosDiff } from './pos.js';

export interface ReviewSideInput {
  /** `HEAD (1a2b3c4)`, `work tree`. */
  label: string;
  /** The revision as given and the commit it names (null for the work tree). */
  revision: string | null;
  commit: string | null;
  sources: { store: RuleSource | null; storePath: string; rules: RuleSource[] };
  /** Diagnostics of the side's rule test files (checked as `discounts validate` does). */
  testDiagnostics: Diagnostic[];
}

export interface ReviewInput {
  base: ReviewSideInput;
  head: ReviewSideInput;
  /** The work tree's sample carts, parsed and checked. */
  carts: PricedCart[];
  /** Sample carts that could not be priced (unreadable, not JSON, not a valid request). */
  unpriced: { label: string; reason: string }[];
  /** The work tree's rule-test cases. */
  tests: RuleTestCase[];
  now: number;
  check: MoneyInput['check'];
  gate: GateRule[];
  replay?: ReplayImpact | null;
  /** Why the replay did not run when it was asked for (a side's rules have errors). */
  replayNotRun?: string | null;
  options?: CompileOptions;
  /** Both sides already compiled by compileSide (the CLI compiles first when it replays). */
  compiled?: { base: CompiledSide; head: CompiledSide };
}

export interface SideSummary {
  label: string;
  revision: string | null;
  commit: string | null;
  /** Null when the rules at that side have errors (no ruleset). */
  rulesetVersion: string | null;
  discounts: number;
  errors: number;
  warnings: number;
}

/** The redemptions of the last N days re-priced with both rulesets (the replay of issue 12). */
export interface ReplayImpact {
  days: number;
  /** The window, ISO instants. */
  from: string;
  to: string;
  transactions: number;
  changed: number;
  discountBefore: number;
  discountAfter: number;
  perDiscount: { discountId: string; before: number; after: number; transactions: number }[];
  /** Redemptions that could not be re-priced, with why (counted, never dropped silently). */
  skipped: number;
}

export interface Review {
  base: SideSummary;
  head: SideSummary;
  /** The currency money is shown in (the new store policy's; the base's when the new one is broken). */
  currency: string;
  minorDigits: number;
  discounts: DiscountChange[];
  /** Rule files with errors on one side, whose discount is not compared. */
  notCompared: string[];
  /** Null when store.yaml has errors on a side. */
  store: FieldChange[] | null;
  settings: FieldChange[];
  diagnostics: DiagnosticsDiff;
  /** Null when a side has no POS sheet (rules with errors). */
  pos: PosDiff | null;
  money: MoneyImpact;
  unpriced: { label: string; reason: string }[];
  replay: ReplayImpact | null;
  /** Set when --db was given and the replay could not run, with why. */
  replayNotRun: string | null;
  gate: GateResult[];
}

export interface CompiledSide {
  diagnostics: Diagnostic[];
  /** The ruleset to price and sheet with (POS ID checks off, as the POS sheet does), or null. */
  ruleset: CompiledRuleset | null;
  prepared: PreparedRuleset | null;
  /** Discounts of the files that compile on their own (all of them when `ruleset` is set). */
  discounts: CompiledDiscount[];
  /** Rule files with errors of their own. */
  broken: Set<string>;
  policy: StorePolicy | null;
  effective: StorePolicy;
  settings: unknown;
}

/** One side compiled: diagnostics, the ruleset to price with, the discounts to compare. */
export function compileSide(side: ReviewSideInput, options: CompileOptions = {}): CompiledSide {
  const full = compileRuleset(side.sources, options);
  const diagnostics = [...full.diagnostics, ...side.testDiagnostics];
  let ruleset = full.ruleset;
  // Missing POS discount IDs keep a ruleset from being served, not from being priced or sheeted.
  if (!ruleset) ruleset = compileRuleset(side.sources, { ...options, posIdChecks: false }).ruleset;
  const store = compileStorePolicy(side.sources.store, side.sources.storePath);
  let discounts: CompiledDiscount[];
  const broken = new Set<string>();
  if (ruleset) discounts = ruleset.discounts;
  else {
    const seen = new Set<string>();
    discounts = [];
    for (const r of [...side.sources.rules].sort((a, b) => cmp(a.path, b.path))) {
      const f = compileRuleFile(r, store.effective, { ...options, posIdChecks: false });
      if (!f.discount || seen.has(f.discount.id)) {
        broken.add(r.path);
        continue;
      }
      seen.add(f.discount.id);
      discounts.push(f.discount);
    }
    discounts.sort((a, b) => cmp(a.id, b.id));
  }
  return {
    diagnostics,
    ruleset,
    prepared: ruleset ? prepareRuleset(ruleset) : null,
    discounts,
    broken,
    policy: store.policy,
    effective: store.effective,
    settings: ruleset?.settings ?? store.settings,
  };
}

export function buildReview(input: ReviewInput): Review {
  const options = input.options ?? {};
  const b = input.compiled?.base ?? compileSide(input.base, options);
  const h = input.compiled?.head ?? compileSide(input.head, options);
  // A file broken on one side: its discount is neither added nor removed, just not compared.
  const notCompared = [...new Set([...b.broken, ...h.broken])].sort();
  const skip = new Set(notCompared);
  const discounts = diffDiscounts(
    b.discounts.filter((d) => !skip.has(d.source)),
    h.discounts.filter((d) => !skip.has(d.source)),
    { base: { policy: b.effective }, head: { policy: h.effective } },
  );
  const renamed = new Map(discounts.filter((d) => d.kind === 'renamed').map((d) => [d.id, d.from!]));
  const pos = b.ruleset && h.ruleset ? diffPosSheets(posSheet(b.ruleset), posSheet(h.ruleset), renamed) : null;
  const errorsIn = (s: ReviewSideInput) => `the rules at ${s.label} have errors`;
  const money = moneyImpact({
    base: b.prepared,
    head: h.prepared,
    missing: { base: b.prepared ? null : errorsIn(input.base), head: h.prepared ? null : errorsIn(input.head) },
    carts: input.carts,
    tests: input.tests,
    now: input.now,
    check: input.check,
  });
  // Largest changes first: the discount moved on the priced carts, then kind and id.
  for (const d of discounts) {
    const ids = new Set([d.id, d.from ?? d.id]);
    d.moneyMoved = money.carts.reduce((s, c) => s + c.discounts.filter((x) => ids.has(x.discountId)).reduce((t, x) => t + Math.abs((x.after ?? 0) - (x.before ?? 0)), 0), 0);
  }
  discounts.sort((x, y) => y.moneyMoved - x.moneyMoved);
  const shown = h.policy ?? b.policy ?? h.effective;
  const summary = (s: ReviewSideInput, c: CompiledSide): SideSummary => ({
    label: s.label,
    revision: s.revision,
    commit: s.commit,
    rulesetVersion: c.ruleset?.version ?? null,
    discounts: c.discounts.length,
    errors: c.diagnostics.filter((d) => d.severity === 'error').length,
    warnings: c.diagnostics.filter((d) => d.severity !== 'error').length,
  });
  const review: Omit<Review, 'gate'> = {
    base: summary(input.base, b),
    head: summary(input.head, h),
    currency: shown.currency,
    minorDigits: shown.minorDigits,
    discounts,
    notCompared,
    store: b.policy && h.policy ? diffPolicy(b.policy, h.policy) : null,
    settings: diffSettings(b.settings, h.settings),
    diagnostics: diffDiagnostics(b.diagnostics, h.diagnostics),
    pos,
    money,
    unpriced: input.unpriced,
    replay: input.replay ?? null,
    replayNotRun: input.replayNotRun ?? null,
  };
  return { ...review, gate: evaluateGate(input.gate, review) };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
