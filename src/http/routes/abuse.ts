// GET /v1/reports/abuse (editor or admin): the abuse signals of a period, computed by the pure
// src/reports/abuse.ts from what src/store/abuse.ts reads (the ledger and the code-attempt
// telemetry). The period: `from` and `to` (a date, store-local midnight, or a date-time; without an
// offset store time; `to` exclusive), or `window` (e.g. 24h, 7d, 90m) ending at `to` or now.
// Default: the last 7 days. Reads only.

import { parseDateTime, toEpoch } from '../../domain/time.js';
import { abuseSignals } from '../../reports/abuse.js';
import { windowOf } from '../code-attempts.js';
import { isoInstant, type AppHono, type RouteContext } from '../context.js';
import { ApiError } from '../errors.js';

const DAY = 86_400_000;
/** The longest period one report covers. */
export const MAX_PERIOD_DAYS = 366;
const WINDOW = /^([1-9]\d{0,4})([mhd])$/;
const UNIT = { m: 60_000, h: 3_600_000, d: DAY } as const;

export function abuseRoutes(app: AppHono, ctx: RouteContext): void {
  app.get('/v1/reports/abuse', ctx.scope('editor'), async (c) => {
    const served = ctx.ruleset();
    const policy = served.compiled.policy;
    const settings = served.compiled.settings.abuse;
    const { from, to } = period(c.req.query('from'), c.req.query('to'), c.req.query('window'), ctx.now(), policy.timezone);
    const fromIso = isoInstant(from);
    const toIso = isoInstant(to);
    const abuse = ctx.store.abuse();
    const perCustomerLimited = new Set(served.compiled.discounts.filter((d) => d.perCustomerLimit !== null).map((d) => d.id));
    const cg = settings.codeGuessing;
    const [uses, voids, heavy, codeAttempts] = await ctx.ledger('abuse report', () =>
      Promise.all([
        abuse.repeatedUses(policy.store, fromIso, toIso, settings.repeatUse.uses),
        abuse.voidedSales(policy.store, fromIso, toIso),
        abuse.heavyDiscounts(policy.store, fromIso, toIso, settings.discountShare.bps),
        // Windows that overlap the period.
        abuse.listCodeAttempts(policy.store, isoInstant(windowOf(from, cg.windowMinutes).start), toIso, Math.min(cg.perTerminal, cg.perKey)),
      ]),
    );
    return c.json(abuseSignals({ store: policy.store, from: fromIso, to: toIso, settings, perCustomerLimited, uses, voids, heavy, codeAttempts }), 200);
  });
}

/** The period of the query, or 400 invalid_request naming the parameter. */
export function period(fromText: string | undefined, toText: string | undefined, windowText: string | undefined, now: number, timeZone: string): { from: number; to: number } {
  const bad = (name: string, message: string) => new ApiError('invalid_request', `${name}: ${message}`, { details: [{ path: name, message }] });
  const instant = (name: string, text: string) => {
    const p = parseDateTime(text);
    if (!p) throw bad(name, 'must be a date such as 2026-11-20 (store-local midnight) or a date-time such as 2026-11-20T16:30:00 (without an offset: store time)');
    return toEpoch(p, timeZone);
  };
  if (windowText !== undefined && fromText !== undefined) throw bad('window', 'give either from or window, not both');
  const to = toText === undefined ? now : instant('to', toText);
  let from: number;
  if (windowText !== undefined) {
    const m = WINDOW.exec(windowText);
    if (!m) throw bad('window', 'must be a whole number of minutes, hours or days such as 90m, 24h or 7d');
    from = to - Number(m[1]) * UNIT[m[2] as keyof typeof UNIT];
  } else from = fromText === undefined ? to - 7 * DAY : instant('from', fromText);
  if (from >= to) throw bad(fromText !== undefined ? 'from' : 'window', 'the period must end after it starts (to is exclusive)');
  if (to - from > MAX_PERIOD_DAYS * DAY) throw bad(fromText !== undefined ? 'from' : 'window', `the period may be at most ${MAX_PERIOD_DAYS} days`);
  return { from, to };
}
