// What-if replay over the ledger: the orchestration other code calls (the replay worker, the
// `discounts replay` command, the diff of issue 13). Reads the usage at the period's start and the
// period's redemptions page by page from the ledger (src/store/replay.ts) and feeds them to the
// pure core (src/reports/replay.ts) in commit order. Reads only; runs on whatever thread calls it
// (the service calls it inside a worker: src/http/replay-worker.ts).

import { parseDateTime } from '../domain/time.js';
import type { Usage } from '../domain/types.js';
import type { CompiledRuleset } from '../dsl/compile.js';
import type { PreparedRuleset } from '../engine/prepare.js';
import { limitedDiscountIds, Replay, type ReplayReport, type StoredRedemption } from './replay.js';

/** The part of LedgerStore a replay reads (a LedgerStore is one). */
export interface ReplayLedger {
  replayPages(store: string, from: string, to: string, pageSize?: number): AsyncIterable<StoredRedemption[]>;
  replayStartUsage(store: string, from: string, discountIds: readonly string[]): Promise<Usage>;
}

export interface ReplayOptions {
  /** The store id whose redemptions are replayed (the ruleset's `policy.store`, normally). */
  store: string;
  /** Store-local dates (YYYY-MM-DD): `from` inclusive, `to` exclusive. */
  from: string;
  to: string;
  /** The drafted ruleset (compiled, or already prepared). */
  ruleset: CompiledRuleset | PreparedRuleset;
  /** Stored requests read per page (default REPLAY_PAGE_SIZE). */
  pageSize?: number;
  /** Called after each page (progress, cancellation by throwing). */
  onPage?: (replayed: number) => void;
}

/** Re-prices the period's committed, not voided redemptions with `ruleset`. Never writes. */
export async function replayFromLedger(ledger: ReplayLedger, options: ReplayOptions): Promise<ReplayReport> {
  const { store, from, to } = options;
  checkPeriod(from, to);
  const compiled = 'compiled' in options.ruleset ? options.ruleset.compiled : options.ruleset;
  const start = await ledger.replayStartUsage(store, from, limitedDiscountIds(compiled));
  const replay = new Replay(options.ruleset, start, { from, to });
  let replayed = 0;
  for await (const page of ledger.replayPages(store, from, to, options.pageSize)) {
    for (const r of page) replay.add(r);
    replayed += page.length;
    options.onPage?.(replayed);
  }
  return replay.report();
}

/** A real calendar date written YYYY-MM-DD. */
export function isCalendarDate(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && parseDateTime(text) !== null;
}

/** A replay period: two real calendar dates, from before to. */
export function checkPeriod(from: string, to: string): void {
  if (!isCalendarDate(from)) throw new RangeError(`from must be a date (YYYY-MM-DD), not '${from}'`);
  if (!isCalendarDate(to)) throw new RangeError(`to must be a date (YYYY-MM-DD), not '${to}'`);
  if (!(from < to)) throw new RangeError(`from (${from}) must be before to (${to}): to is exclusive`);
}
