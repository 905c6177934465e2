// What-if replay, the pure core: re-prices stored redemptions, one by one in commit order, with a
// drafted ruleset, counting the draft's uses (store-wide, per customer, and the amount given for a
// budget) as it goes from the counts at the period's start, so usage limits bind as they would
// have. Takes values and returns values: no clock (each redemption is priced at its own stored
// instant), no database, no worker. The ledger side is src/store/replay.ts; the orchestration
// (pages from the ledger, in a worker for the service) is src/reports/replay-ledger.ts.
//
// Determinism: the figures are integer sums; discounts are listed by id; the largest changes are
// ranked by |difference| (desc), then transaction id; nothing depends on the engine's result order.

import type { CompiledDiscount, EvaluateRequest, Usage, UsageCounts } from '../domain/types.js';
import type { CompiledRuleset } from '../dsl/compile.js';
import { evaluate } from '../engine/evaluate.js';
import { prepareRuleset, type PreparedRuleset } from '../engine/prepare.js';
import { checkRequest } from '../engine/request.js';

/** How many of the largest per-transaction changes a report lists. */
export const LARGEST_CHANGES = 10;
/** How many stored requests that no longer pass the request checks a report names (all are counted). */
export const SKIPPED_LISTED = 10;

/** One committed, not voided redemption as the ledger stores it (src/store/replay.ts reads them). */
export interface StoredRedemption {
  transactionId: string;
  customerId: string | null;
  /** The evaluate request as received (the redemption body without transactionId and expectedTotal). */
  request: unknown;
  /** The instant it was priced (ISO 8601, UTC): the stored `at`, whatever the request said. */
  at: string;
  /** Commit instant (ISO 8601, UTC). */
  committedAt: string;
  /** What each discount gave then (minor units), from the stored applied discounts. */
  given: readonly { discountId: string; amount: number }[];
}

/** Counts per discount at the period's start (store-wide uses, per customer uses, amount given). */
export type StartUsage = Usage;

export interface ReplayFigures {
  /** Transactions in which this (any) discount would give a different amount. */
  changed: number;
  /** Minor units given then (as committed) and now (re-priced with the draft), and now - then. */
  givenThen: number;
  givenNow: number;
  difference: number;
}

export interface ReplayDiscount extends ReplayFigures {
  discountId: string;
  /** The name in the drafted ruleset; null for a discount the draft no longer has. */
  name: string | null;
  /** Transactions it applied to then and now. */
  usedThen: number;
  usedNow: number;
}

export interface ReplayChange {
  transactionId: string;
  customerId: string | null;
  at: string;
  givenThen: number;
  givenNow: number;
  difference: number;
  /** The discounts whose amount differs in this transaction, by id. */
  discounts: { discountId: string; then: number; now: number }[];
}

export interface ReplaySkipped {
  transactionId: string;
  message: string;
}

export interface ReplayReport {
  store: string;
  currency: string;
  /** The period: store-local dates, `from` inclusive, `to` exclusive. */
  from: string;
  to: string;
  /** The drafted ruleset's version. */
  rulesetVersion: string;
  /** Redemptions re-priced (committed in the period, not voided). */
  transactions: number;
  /** Every discount given then or now, by id. */
  discounts: ReplayDiscount[];
  total: ReplayFigures;
  /** The largest per-transaction changes (at most LARGEST_CHANGES): |difference| descending, then transaction id. */
  largest: ReplayChange[];
  /** Stored requests the current request checks refuse (not re-priced, not in the figures). */
  skipped: { count: number; first: ReplaySkipped[] };
}

interface Counter {
  used: number;
  given: number;
  customers: Map<string, number>;
}

interface Row {
  name: string | null;
  changed: number;
  givenThen: number;
  givenNow: number;
  usedThen: number;
  usedNow: number;
}

/** Whether the engine reads this discount's usage (a usage, per-customer or budget limit). */
function isLimited(d: CompiledDiscount): boolean {
  const budget = (d as { budget?: unknown }).budget;
  return d.usageLimit !== null || d.perCustomerLimit !== null || (budget !== undefined && budget !== null);
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Ranks changes: the larger |difference| first, then transaction id (unique in a store): a total order. */
export function compareChanges(a: ReplayChange, b: ReplayChange): number {
  return Math.abs(b.difference) - Math.abs(a.difference) || byString(a.transactionId, b.transactionId);
}

/**
 * An incremental replay: add() the redemptions in commit order (in pages, as the ledger gives
 * them), then report(). The ruleset may be compiled or already prepared.
 */
export class Replay {
  readonly #rs: PreparedRuleset;
  readonly #limited: readonly string[];
  readonly #counters = new Map<string, Counter>();
  readonly #rows = new Map<string, Row>();
  readonly #names = new Map<string, string>();
  readonly #largest: ReplayChange[] = [];
  readonly #skipped: ReplaySkipped[] = [];
  #skippedCount = 0;
  #transactions = 0;
  #changed = 0;
  #givenThen = 0;
  #givenNow = 0;
  #lastKey: string | null = null;

  constructor(ruleset: CompiledRuleset | PreparedRuleset, start: StartUsage, readonly period: { from: string; to: string }) {
    this.#rs = 'compiled' in ruleset ? ruleset : prepareRuleset(ruleset);
    const discounts = this.#rs.compiled.discounts;
    for (const d of discounts) this.#names.set(d.id, d.name);
    this.#limited = discounts.filter(isLimited).map((d) => d.id);
    for (const id of this.#limited) {
      const s: UsageCounts | undefined = Object.hasOwn(start, id) ? start[id] : undefined;
      const customers = new Map<string, number>();
      for (const [c, n] of Object.entries(s?.customers ?? {})) customers.set(c, n);
      this.#counters.set(id, { used: s?.used ?? 0, given: s?.given ?? 0, customers });
    }
  }

  /** The usage the engine sees for this customer now: only the drafted ruleset's limited discounts. */
  #usage(customerId: string | null): Usage {
    // Discount ids are safe property names (the rule schema's id pattern); customer ids are client
    // text, so "__proto__" gets an own property the slow way.
    const usage: Usage = {};
    for (const id of this.#limited) {
      const c = this.#counters.get(id)!;
      const counts: UsageCounts = { used: c.used, given: c.given };
      if (customerId !== null) {
        const n = c.customers.get(customerId) ?? 0;
        if (customerId === '__proto__') defineOwn((counts.customers = {}), customerId, n);
        else counts.customers = { [customerId]: n };
      }
      usage[id] = counts;
    }
    return usage;
  }

  #row(id: string): Row {
    let r = this.#rows.get(id);
    if (!r) {
      r = { name: this.#names.get(id) ?? null, changed: 0, givenThen: 0, givenNow: 0, usedThen: 0, usedNow: 0 };
      this.#rows.set(id, r);
    }
    return r;
  }

  /** Re-prices one redemption (the next in commit order) and counts the uses the draft takes. */
  add(r: StoredRedemption): void {
    const key = `${r.committedAt}\u0000${r.transactionId}`;
    if (this.#lastKey !== null && key <= this.#lastKey) throw new RangeError(`replay: ${r.transactionId} is out of commit order`);
    this.#lastKey = key;

    const checked = checkRequest(stripAt(r.request));
    if (!checked.ok) {
      this.#skippedCount++;
      if (this.#skipped.length < SKIPPED_LISTED)
        this.#skipped.push({ transactionId: r.transactionId, message: checked.errors.map((e) => `${e.path || '/'}: ${e.message}`).join('; ') });
      return;
    }
    const at = Date.parse(r.at);
    if (!Number.isFinite(at)) throw new RangeError(`replay: ${r.transactionId} has no valid instant '${r.at}'`);
    const customerId = r.customerId;
    const response = evaluate(this.#rs, checked.value, { now: at, usage: this.#usage(customerId) });
    this.#transactions++;

    const then = new Map<string, number>();
    for (const g of r.given) then.set(g.discountId, (then.get(g.discountId) ?? 0) + g.amount);
    const now = new Map<string, number>();
    for (const a of response.applied) {
      now.set(a.discountId, (now.get(a.discountId) ?? 0) + a.amount);
      // The uses this redemption would have taken under the draft (as redeem takes them).
      const c = this.#counters.get(a.discountId);
      if (c) {
        c.used++;
        c.given += a.amount;
        if (customerId !== null) c.customers.set(customerId, (c.customers.get(customerId) ?? 0) + 1);
      }
    }

    let totalThen = 0;
    let totalNow = 0;
    const differs: ReplayChange['discounts'] = [];
    const ids = [...then.keys()];
    for (const id of now.keys()) if (!then.has(id)) ids.push(id);
    if (ids.length > 1) ids.sort(byString);
    for (const id of ids) {
      const t = then.get(id);
      const n = now.get(id);
      const row = this.#row(id);
      if (t !== undefined) {
        row.givenThen += t;
        row.usedThen++;
        totalThen += t;
      }
      if (n !== undefined) {
        row.givenNow += n;
        row.usedNow++;
        totalNow += n;
      }
      if (t !== n) {
        row.changed++;
        differs.push({ discountId: id, then: t ?? 0, now: n ?? 0 });
      }
    }
    this.#givenThen += totalThen;
    this.#givenNow += totalNow;
    if (differs.length === 0) return;
    this.#changed++;
    this.#offer({ transactionId: r.transactionId, customerId, at: r.at, givenThen: totalThen, givenNow: totalNow, difference: totalNow - totalThen, discounts: differs });
  }

  /** Keeps the LARGEST_CHANGES largest changes, sorted. */
  #offer(change: ReplayChange): void {
    const list = this.#largest;
    if (list.length === LARGEST_CHANGES && compareChanges(change, list[list.length - 1]) >= 0) return;
    let i = list.length;
    while (i > 0 && compareChanges(change, list[i - 1]) < 0) i--;
    list.splice(i, 0, change);
    if (list.length > LARGEST_CHANGES) list.pop();
  }

  report(): ReplayReport {
    const policy = this.#rs.compiled.policy;
    const discounts: ReplayDiscount[] = [...this.#rows.entries()]
      .sort(([a], [b]) => byString(a, b))
      .map(([discountId, r]) => ({
        discountId,
        name: r.name,
        changed: r.changed,
        givenThen: r.givenThen,
        givenNow: r.givenNow,
        difference: r.givenNow - r.givenThen,
        usedThen: r.usedThen,
        usedNow: r.usedNow,
      }));
    return {
      store: policy.store,
      currency: policy.currency,
      from: this.period.from,
      to: this.period.to,
      rulesetVersion: this.#rs.compiled.version,
      transactions: this.#transactions,
      discounts,
      total: { changed: this.#changed, givenThen: this.#givenThen, givenNow: this.#givenNow, difference: this.#givenNow - this.#givenThen },
      largest: this.#largest.map((c) => ({ ...c, discounts: c.discounts.map((d) => ({ ...d })) })),
      skipped: { count: this.#skippedCount, first: this.#skipped.map((s) => ({ ...s })) },
    };
  }
}

/** The whole replay at once: the redemptions must be in commit order. */
export function replayRedemptions(
  ruleset: CompiledRuleset | PreparedRuleset,
  redemptions: Iterable<StoredRedemption>,
  start: StartUsage,
  period: { from: string; to: string },
): ReplayReport {
  const replay = new Replay(ruleset, start, period);
  for (const r of redemptions) replay.add(r);
  return replay.report();
}

/** The discounts whose counts the replay needs at the period's start (the draft's limited ones), by id. */
export function limitedDiscountIds(ruleset: CompiledRuleset): string[] {
  return ruleset.discounts.filter(isLimited).map((d) => d.id).sort(byString);
}

/** The request without `at`: a redemption is priced at its stored instant. */
function stripAt(request: unknown): unknown {
  if (request === null || typeof request !== 'object' || Array.isArray(request) || !('at' in request)) return request;
  const { at: _at, ...rest } = request as EvaluateRequest;
  return rest;
}

/** Sets an own enumerable property even for keys such as "__proto__" (customer ids are client text). */
function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
