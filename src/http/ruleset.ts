// The ruleset being served: read, compiled and prepared from a rules directory with the CLI's
// stages (src/ruleset/load.ts, POS checks included), held as one frozen snapshot and replaced by
// an atomic swap. A request reads `holder.current` once and uses that snapshot to the end, so it
// never sees half of two rulesets; reloads run one at a time.

import type { CompiledRuleset } from '../dsl/compile.js';
import type { Diagnostic } from '../domain/types.js';
import { prepareRuleset, type PreparedRuleset } from '../engine/prepare.js';
import { compileWithNode, readRulesDir, RulesDirError, type LoadedSources } from '../ruleset/load.js';
import type { DiscountLimit } from '../store/types.js';

export interface ServedRuleset {
  readonly version: string;
  /** The directory (absolute) and how diagnostics name it (as the operator wrote it). */
  readonly dir: string;
  readonly displayDir: string;
  readonly sources: LoadedSources;
  readonly compiled: CompiledRuleset;
  readonly prepared: PreparedRuleset;
  /** Warnings of the compile (a served ruleset has no errors). */
  readonly diagnostics: readonly Diagnostic[];
  /** Discounts with a usage or per-customer limit or a budget, by id. */
  readonly limits: readonly DiscountLimit[];
  /** Ids of limited automatic discounts, and limited code discounts by normalised code. */
  readonly limitedAutomatic: readonly string[];
  readonly limitedByCode: ReadonlyMap<string, string>;
}

export type LoadOutcome =
  | { ok: true; ruleset: ServedRuleset }
  | { ok: false; message: string; diagnostics: Diagnostic[] };

/** The environment a served ruleset's webhook secrets are checked against (see CompileOptions.env). */
export type ServeEnv = Readonly<Record<string, string | undefined>>;

/**
 * Reads and compiles a rules directory; never throws for bad rules or an unreadable directory.
 * With `env`, every webhook secret the store policy names must be set there and well formed.
 */
export async function loadServedRuleset(dir: string, displayDir: string = dir, env?: ServeEnv): Promise<LoadOutcome> {
  let sources: LoadedSources;
  try {
    sources = await readRulesDir(dir, displayDir);
  } catch (err) {
    if (err instanceof RulesDirError) return { ok: false, message: err.message, diagnostics: [] };
    throw err;
  }
  const result = compileWithNode(sources, env ? { env } : {});
  if (!result.ruleset) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    return { ok: false, message: `the rules in ${displayDir} have ${errors} error(s)`, diagnostics: result.diagnostics };
  }
  return { ok: true, ruleset: serve(dir, displayDir, sources, result.ruleset, result.diagnostics) };
}

/** A served snapshot of compiled sources (the editor's simulate builds one from drafts). */
export function serve(dir: string, displayDir: string, sources: LoadedSources, compiled: CompiledRuleset, diagnostics: Diagnostic[]): ServedRuleset {
  const limited = compiled.discounts.filter((d) => d.usageLimit !== null || d.perCustomerLimit !== null || d.budget !== undefined);
  const limitedByCode = new Map<string, string>();
  for (const d of limited) if (d.code !== null) limitedByCode.set(d.code, d.id);
  return Object.freeze({
    version: compiled.version,
    dir,
    displayDir,
    sources,
    compiled,
    prepared: prepareRuleset(compiled),
    diagnostics: Object.freeze([...diagnostics]),
    limits: Object.freeze(
      limited.map((d) => Object.freeze({ discountId: d.id, usageLimit: d.usageLimit, perCustomerLimit: d.perCustomerLimit, budget: d.budget ?? null })),
    ),
    limitedAutomatic: Object.freeze(limited.filter((d) => d.code === null).map((d) => d.id)),
    limitedByCode,
  });
}

export class RulesetHolder {
  #current: ServedRuleset | null;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners: ((r: ServedRuleset) => void)[] = [];

  constructor(
    initial: ServedRuleset | null,
    readonly source: { dir: string; displayDir: string; env?: ServeEnv } | null = initial && { dir: initial.dir, displayDir: initial.displayDir },
  ) {
    this.#current = initial;
  }

  get current(): ServedRuleset | null {
    return this.#current;
  }

  /** Replaces the served ruleset in one assignment. */
  swap(next: ServedRuleset): void {
    this.#current = next;
    for (const l of this.#listeners) l(next);
  }

  onSwap(listener: (r: ServedRuleset) => void): void {
    this.#listeners.push(listener);
  }

  /** Reloads the rules directory (one reload at a time); swaps only when it compiles without errors. */
  reload(): Promise<LoadOutcome> {
    const run = async (): Promise<LoadOutcome> => {
      if (!this.source) return { ok: false, message: 'no rules directory to reload from', diagnostics: [] };
      const outcome = await loadServedRuleset(this.source.dir, this.source.displayDir, this.source.env);
      if (outcome.ok) this.swap(outcome.ruleset);
      return outcome;
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => undefined);
    return p;
  }
}
