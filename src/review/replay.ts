// The replay section of `discounts diff`: the committed redemptions of a period re-priced with
// both rulesets, both from the same stored requests, in one pass over the ledger. The base
// ruleset re-prices each stored redemption first (the replay core, src/reports/replay.ts, counting
// its own uses as it goes); its result takes the place of what was given then, and the redemption
// goes on to replayFromLedger with the new ruleset. So the new ruleset's report compares new with
// base per transaction: `changed` is the transactions whose discounts differ between the two
// rulesets, `givenThen` is the base's figure, `givenNow` the new one's. Reads only.

import { formatDate, nextDay, wallTimeAt } from '../domain/time.js';
import type { Usage } from '../domain/types.js';
import type { CompiledRuleset } from '../dsl/compile.js';
import { prepareRuleset } from '../engine/prepare.js';
import { replayFromLedger, type ReplayLedger } from '../reports/replay-ledger.js';
import { limitedDiscountIds, Replay, type StoredRedemption } from '../reports/replay.js';
import type { ReplayImpact } from './review.js';

export interface ReplayDiffOptions {
  store: string;
  /** Store-local dates: from inclusive, to exclusive. */
  from: string;
  to: string;
  days: number;
  base: CompiledRuleset;
  head: CompiledRuleset;
}

export async function replayDiff(ledger: ReplayLedger, o: ReplayDiffOptions): Promise<ReplayImpact> {
  const start: Usage = await ledger.replayStartUsage(o.store, o.from, limitedDiscountIds(o.base));
  const base = new Replay(prepareRuleset(o.base), start, { from: o.from, to: o.to });
  // Per discount, what the base ruleset has given so far: a redemption's base amounts are the
  // increments of one add().
  // (given and used so far, per discount; a discount applied for 0 still counts as applied).
  let given = new Map<string, { given: number; used: number }>();
  const asBase = (r: StoredRedemption): StoredRedemption => {
    base.add(r);
    const now = new Map(base.report().discounts.map((d) => [d.discountId, { given: d.givenNow, used: d.usedNow }]));
    const out: { discountId: string; amount: number }[] = [];
    for (const [id, total] of now) {
      const before = given.get(id) ?? { given: 0, used: 0 };
      if (total.used !== before.used) out.push({ discountId: id, amount: total.given - before.given });
    }
    given = now;
    return { ...r, given: out };
  };
  const wrapped: ReplayLedger = {
    replayStartUsage: (store, from, ids) => ledger.replayStartUsage(store, from, ids),
    async *replayPages(store, from, to, pageSize) {
      for await (const page of ledger.replayPages(store, from, to, pageSize)) yield page.map(asBase);
    },
  };
  const report = await replayFromLedger(wrapped, { store: o.store, from: o.from, to: o.to, ruleset: prepareRuleset(o.head) });
  return {
    days: o.days,
    from: o.from,
    to: o.to,
    transactions: report.transactions,
    changed: report.total.changed,
    discountBefore: report.total.givenThen,
    discountAfter: report.total.givenNow,
    perDiscount: report.discounts
      .filter((d) => d.changed > 0)
      .map((d) => ({ discountId: d.discountId, before: d.givenThen, after: d.givenNow, transactions: d.changed }))
      .sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before) || (a.discountId < b.discountId ? -1 : 1)),
    skipped: report.skipped.count,
  };
}

/**
 * The replay window of the last `days` days in the store's time zone, today included: store-local
 * dates, `from` inclusive and `to` (tomorrow) exclusive. `now` is the caller's clock reading.
 */
export function replayWindow(now: number, timeZone: string, days: number): { from: string; to: string } {
  const to = nextDay(wallTimeAt(now, timeZone));
  const start = new Date(Date.UTC(2000, 0, 1));
  start.setUTCFullYear(to.year, to.month - 1, to.day - days);
  const from = { ...to, year: start.getUTCFullYear(), month: start.getUTCMonth() + 1, day: start.getUTCDate() };
  return { from: formatDate(from), to: formatDate(to) };
}

