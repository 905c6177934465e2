// The discount report (issue 12) built from the ledger's aggregates: pure, no clock or database.
// The store (src/store/reports.ts) counts and sums in the database; this module derives the
// ratios, ranks, fills the per-day series and puts everything in one total order, so the same
// aggregates always give the same bytes (the API and `discounts report --format json` share it).
//
// Definitions, over a period [from, to) of store-local dates (docs/reports.md):
// - timesUsed: redemptions committed in the period (by their stored local date) that applied the
//   discount and were not voided before `to`.
// - voids: redemptions carrying the discount voided in the period (counted on the void's date).
// - discountGiven: the sum of the discount's own amount over those redemptions.
// - grossSales: the sum of those transactions' subtotals (sum of line subtotals);
//   netSales: grossSales minus all discounts of those transactions (not only this one).
// - shareBps: discountGiven / grossSales in basis points, rounded half up; null when grossSales is 0.
// - averageDiscount: discountGiven / timesUsed in minor units, rounded half up; null when unused.
// - rank: 1 = most used; ties by discountGiven (larger first), then discount id (code unit order).

// The ledger's side (src/store/reports.ts) returns these aggregates; they are defined here so the
// editor page can import the report's types without reaching store code.
export interface ReportPeriod {
  /** Store-local date YYYY-MM-DD, inclusive. */
  from: string;
  /** Store-local date YYYY-MM-DD, exclusive. */
  to: string;
}

/** The sums and counts the discount report is built from (all integers; minor units for money). */
export interface DiscountReportAggregates {
  /** Per discount over the used redemptions: applications, amount given, and the sums of those transactions. */
  discounts: { discountId: string; used: number; given: number; gross: number; allDiscounts: number }[];
  /** Per discount: redemptions voided in the period that carried it. */
  discountVoids: { discountId: string; voids: number }[];
  /** Per commit date, over every used redemption (with or without a discount). */
  days: { date: string; transactions: number; discounted: number; gross: number; given: number }[];
  /** Per commit date and discount. */
  dayDiscounts: { date: string; discountId: string; used: number; given: number }[];
  /** Per void date: redemptions voided that day. */
  dayVoids: { date: string; voids: number }[];
  /** Per vendor and discount: funded applications and the vendor's share. */
  vendorDiscounts: { vendor: string; discountId: string; applications: number; funded: number }[];
  /** Per vendor. */
  vendors: { vendor: string; applications: number; funded: number }[];
  /** Over the whole period. */
  totals: { transactions: number; discounted: number; gross: number; given: number; voids: number };
}

export interface DiscountReportRow {
  rank: number;
  discountId: string;
  /** The discount's name in the ruleset the report was made with; null when it is not there (archived, deleted). */
  name: string | null;
  timesUsed: number;
  voids: number;
  discountGiven: number;
  grossSales: number;
  netSales: number;
  shareBps: number | null;
  averageDiscount: number | null;
}

export interface DiscountReportDay {
  date: string;
  /** Redemptions committed that day and not voided before `to` (with or without a discount). */
  transactions: number;
  /** Of those, the ones with a discount total above 0. */
  discountedTransactions: number;
  discountGiven: number;
  grossSales: number;
  netSales: number;
  /** Redemptions voided that day. */
  voids: number;
  /** Per discount used that day, by id. */
  discounts: { discountId: string; timesUsed: number; discountGiven: number }[];
}

export interface DiscountReportVendor {
  vendor: string;
  /** The vendor's funded share to bill back, minor units. */
  fundedAmount: number;
  /** Funded discount applications. */
  applications: number;
  discounts: { discountId: string; applications: number; fundedAmount: number }[];
}

export interface DiscountReport {
  store: string;
  timezone: string;
  currency: string;
  minorDigits: number;
  from: string;
  to: string;
  totals: {
    transactions: number;
    discountedTransactions: number;
    discountGiven: number;
    grossSales: number;
    netSales: number;
    shareBps: number | null;
    voids: number;
  };
  discounts: DiscountReportRow[];
  days: DiscountReportDay[];
  vendors: DiscountReportVendor[];
}

export interface ReportContext {
  store: string;
  timezone: string;
  currency: string;
  minorDigits: number;
  /** The ruleset's discounts (id and name): each gets a row, used or not. */
  discounts: readonly { id: string; name: string }[];
}

/** Longest period a report covers, in days (a bounded per-day series). */
export const MAX_REPORT_DAYS = 366;

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** round-half-up(a / b) for a >= 0, b > 0, exact for any size (BigInt). */
export function divHalfUp(a: number, b: number): number {
  const A = BigInt(a);
  const B = BigInt(b);
  return Number((2n * A + B) / (2n * B));
}

export function buildDiscountReport(context: ReportContext, period: ReportPeriod, agg: DiscountReportAggregates): DiscountReport {
  const names = new Map(context.discounts.map((d) => [d.id, d.name]));
  const voids = new Map(agg.discountVoids.map((v) => [v.discountId, v.voids]));
  const usedBy = new Map(agg.discounts.map((d) => [d.discountId, d]));
  const ids = [...new Set([...names.keys(), ...usedBy.keys(), ...voids.keys()])];
  const rows = ids.map((discountId): Omit<DiscountReportRow, 'rank'> => {
    const u = usedBy.get(discountId);
    const timesUsed = u?.used ?? 0;
    const given = u?.given ?? 0;
    const gross = u?.gross ?? 0;
    return {
      discountId,
      name: names.get(discountId) ?? null,
      timesUsed,
      voids: voids.get(discountId) ?? 0,
      discountGiven: given,
      grossSales: gross,
      netSales: gross - (u?.allDiscounts ?? 0),
      shareBps: shareBpsOf(given, gross),
      averageDiscount: timesUsed > 0 ? divHalfUp(given, timesUsed) : null,
    };
  });
  rows.sort((a, b) => b.timesUsed - a.timesUsed || b.discountGiven - a.discountGiven || byString(a.discountId, b.discountId));

  const dayRows = new Map(agg.days.map((d) => [d.date, d]));
  const dayVoids = new Map(agg.dayVoids.map((d) => [d.date, d.voids]));
  const dayDiscounts = new Map<string, DiscountReportDay['discounts']>();
  for (const d of agg.dayDiscounts) {
    let list = dayDiscounts.get(d.date);
    if (!list) dayDiscounts.set(d.date, (list = []));
    list.push({ discountId: d.discountId, timesUsed: d.used, discountGiven: d.given });
  }
  const days = datesOf(period).map((date): DiscountReportDay => {
    const d = dayRows.get(date);
    return {
      date,
      transactions: d?.transactions ?? 0,
      discountedTransactions: d?.discounted ?? 0,
      discountGiven: d?.given ?? 0,
      grossSales: d?.gross ?? 0,
      netSales: (d?.gross ?? 0) - (d?.given ?? 0),
      voids: dayVoids.get(date) ?? 0,
      discounts: (dayDiscounts.get(date) ?? []).sort((a, b) => byString(a.discountId, b.discountId)),
    };
  });

  const perVendor = new Map<string, DiscountReportVendor['discounts']>();
  for (const v of agg.vendorDiscounts) {
    let list = perVendor.get(v.vendor);
    if (!list) perVendor.set(v.vendor, (list = []));
    list.push({ discountId: v.discountId, applications: v.applications, fundedAmount: v.funded });
  }
  const vendors = agg.vendors
    .map((v) => ({ vendor: v.vendor, fundedAmount: v.funded, applications: v.applications, discounts: (perVendor.get(v.vendor) ?? []).sort((a, b) => byString(a.discountId, b.discountId)) }))
    .sort((a, b) => byString(a.vendor, b.vendor));

  const t = agg.totals;
  return {
    store: context.store,
    timezone: context.timezone,
    currency: context.currency,
    minorDigits: context.minorDigits,
    from: period.from,
    to: period.to,
    totals: {
      transactions: t.transactions,
      discountedTransactions: t.discounted,
      discountGiven: t.given,
      grossSales: t.gross,
      netSales: t.gross - t.given,
      shareBps: shareBpsOf(t.given, t.gross),
      voids: t.voids,
    },
    discounts: rows.map((r, i) => ({ rank: i + 1, ...r })),
    days,
    vendors,
  };
}

/** round-half-up(given * 10000 / gross), or null when gross is 0. */
export function shareBpsOf(given: number, gross: number): number | null {
  if (gross <= 0) return null;
  const G = BigInt(gross);
  return Number((2n * BigInt(given) * 10000n + G) / (2n * G));
}

// ---------------------------------------------------------------------------
// Store-local dates (YYYY-MM-DD): checked, stepped, and the default period.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether text is a real calendar date YYYY-MM-DD (years 1000-9999). */
export function isReportDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1000 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** The date `days` days after `date` (negative: before). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(2000, 0, 1));
  t.setUTCFullYear(y, m - 1, d + days);
  return t.toISOString().slice(0, 10);
}

/** Days from `from` to `to` (to exclusive). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

function datesOf({ from, to }: ReportPeriod): string[] {
  const out: string[] = [];
  for (let d = from; d < to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** Default length of a report period, in days. */
export const DEFAULT_REPORT_DAYS = 30;

export type PeriodProblem = { param: 'from' | 'to'; message: string };

/**
 * The period from optional `from` and `to` and today's store-local date: both given as they are;
 * neither: the last 30 days, today included ([today - 29, today + 1)); only `from`: up to today
 * included; only `to`: the 30 days before it. Problems (bad dates, from >= to, over 366 days) are
 * returned, sorted by parameter.
 */
export function resolvePeriod(input: { from?: string; to?: string }, today: string): { ok: true; period: ReportPeriod } | { ok: false; problems: PeriodProblem[] } {
  const problems: PeriodProblem[] = [];
  for (const param of ['from', 'to'] as const) {
    const v = input[param];
    if (v !== undefined && !isReportDate(v)) problems.push({ param, message: `${param} must be a store-local date YYYY-MM-DD, not '${v.slice(0, 40)}'` });
  }
  if (problems.length) return { ok: false, problems };
  const to = input.to ?? addDays(today, 1);
  const from = input.from ?? addDays(to, -DEFAULT_REPORT_DAYS);
  if (from >= to) return { ok: false, problems: [{ param: 'from', message: `from (${from}) must be before to (${to}): to is exclusive` }] };
  if (daysBetween(from, to) > MAX_REPORT_DAYS) return { ok: false, problems: [{ param: 'to', message: `the period ${from} to ${to} is ${daysBetween(from, to)} days; at most ${MAX_REPORT_DAYS}` }] };
  return { ok: true, period: { from, to } };
}
