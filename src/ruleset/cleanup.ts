// Which discounts are finished at an instant (docs/cleanup.md). Pure: the instant, the grace
// period and the ledger's usage come in as values. A discount is finished when its schedule ended,
// or its usage limit was used up (at its last use, from the ledger), more than graceDays days
// before `now`; meanwhile a customer still hears EXPIRED or USAGE_LIMIT_REACHED rather than
// UNKNOWN_CODE. Without usage (no database) only ended schedules count.

import type { CompiledDiscount } from '../domain/types.js';

export type FinishedReason = 'schedule_ended' | 'usage_limit_reached';

/** A limited discount's uses in the ledger, and when the last use still counted was committed. */
export interface UsageEnd {
  used: number;
  /** ISO 8601 instant of the last committed, not voided use; null when none. */
  lastUseAt: string | null;
}

export interface FinishedDiscount {
  id: string;
  /** The rule file the discount came from, as the ruleset names it. */
  source: string;
  reason: FinishedReason;
  /** When it finished: the schedule's end, or the last use that used the limit up (ISO 8601). */
  since: string;
  message: string;
}

const DAY = 86_400_000;

export function finishedDiscounts(
  discounts: readonly Pick<CompiledDiscount, 'id' | 'source' | 'schedule' | 'usageLimit'>[],
  now: number,
  graceDays: number,
  usage: ReadonlyMap<string, UsageEnd> | null,
): FinishedDiscount[] {
  const grace = graceDays * DAY;
  const out: FinishedDiscount[] = [];
  for (const d of discounts) {
    const candidates: { reason: FinishedReason; at: number; message: string }[] = [];
    const end = d.schedule?.endMs ?? null;
    if (end !== null && now - end > grace) candidates.push({ reason: 'schedule_ended', at: end, message: `its schedule ended ${iso(end)}` });
    const u = usage?.get(d.id);
    if (d.usageLimit !== null && u && u.used >= d.usageLimit && u.lastUseAt !== null) {
      const at = Date.parse(u.lastUseAt);
      if (now - at > grace) candidates.push({ reason: 'usage_limit_reached', at, message: `its usage limit of ${d.usageLimit} was used up ${iso(at)}` });
    }
    if (candidates.length === 0) continue;
    // The earlier ending is the reason (a tie: the schedule).
    const first = candidates.sort((a, b) => a.at - b.at)[0];
    out.push({ id: d.id, source: d.source, reason: first.reason, since: iso(first.at), message: `${first.message}, more than ${graceDays} day${graceDays === 1 ? '' : 's'} ago` });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

const iso = (ms: number) => new Date(ms).toISOString();
