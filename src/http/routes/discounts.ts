// GET /v1/discounts and /v1/discounts/{id}: the served discounts with their state at the server's
// clock. The schedule checks are the engine's own compiled predicates (NOT_STARTED, EXPIRED,
// OUTSIDE_SCHEDULE) run on the clock facts, so the listing never disagrees with evaluate.

import type { EligibilityReason } from '../../domain/types.js';
import { evaluationFacts } from '../../engine/evaluate.js';
import { posSheet } from '../../pos/sheet.js';
import { budgetLeft } from '../../pricing/budget.js';
import { ApiError } from '../errors.js';
import { isoInstant, type AppHono, type RouteContext } from '../context.js';
import type { ServedRuleset } from '../ruleset.js';
import { budgetIds } from './evaluate.js';

import type { DiscountState } from '../../domain/rule-files.js';

export type { DiscountState };

export interface DiscountView {
  id: string;
  name: string;
  type: string;
  code: string | null;
  enabled: boolean;
  stackable: boolean;
  priority: number;
  schedule: { start: string | null; end: string | null; days: string[] | null; hours: { from: string; to: string } | null; summary: string } | null;
  usageLimit: number | null;
  perCustomerLimit: number | null;
  /** Uses counted against usageLimit; null without a usageLimit (the ledger counts only limited uses). */
  used: number | null;
  remaining: number | null;
  /** The budget (minor units) and what is left of it in this store; both null without a budget. */
  budget: number | null;
  budgetRemaining: number | null;
  state: DiscountState;
  activeNow: boolean;
  posDiscountId: string | null;
}

const summaries = new WeakMap<ServedRuleset, Map<string, string>>();

function scheduleSummaries(served: ServedRuleset): Map<string, string> {
  let m = summaries.get(served);
  if (!m) {
    m = new Map(posSheet(served.compiled).discounts.map((row) => [row.discountId, row.schedule]));
    summaries.set(served, m);
  }
  return m;
}

export function discountViews(served: ServedRuleset, nowMs: number, used: ReadonlyMap<string, number>, given: ReadonlyMap<string, number> = new Map()): DiscountView[] {
  const facts = evaluationFacts(served.prepared, { lines: [] }, { now: nowMs });
  const summary = scheduleSummaries(served);
  return served.prepared.discounts.map((pd) => {
    const d = pd.discount;
    const fails = (reason: EligibilityReason) => pd.checks.some((ch) => ch.reason === reason && !ch.test(facts));
    const n = used.get(d.id) ?? 0;
    const budgetRemaining = d.budget === undefined ? null : budgetLeft(d.budget, given.get(d.id) ?? 0);
    const state: DiscountState = !d.enabled
      ? 'paused'
      : fails('NOT_STARTED')
        ? 'scheduled'
        : fails('EXPIRED')
          ? 'expired'
          : (d.usageLimit !== null && n >= d.usageLimit) || budgetRemaining === 0
            ? 'exhausted'
            : 'active';
    const s = d.schedule;
    return {
      id: d.id,
      name: d.name,
      type: d.type,
      code: d.displayCode,
      enabled: d.enabled,
      stackable: d.stackable,
      priority: d.priority,
      schedule: s && { start: s.start, end: s.end, days: s.days, hours: s.hours, summary: summary.get(d.id) ?? '' },
      usageLimit: d.usageLimit,
      perCustomerLimit: d.perCustomerLimit,
      used: d.usageLimit === null ? null : n,
      remaining: d.usageLimit === null ? null : Math.max(0, d.usageLimit - n),
      budget: d.budget ?? null,
      budgetRemaining,
      state,
      activeNow: !fails('OUTSIDE_SCHEDULE'),
      posDiscountId: d.posDiscountId,
    };
  });
}

export function discountRoutes(app: AppHono, ctx: RouteContext): void {
  const usedCounts = async (served: ServedRuleset, ids: readonly string[]): Promise<Map<string, number>> => {
    if (!ids.length) return new Map();
    const rows = await ctx.ledger('read usage', () => ctx.store.usageTotals(served.compiled.policy.store));
    return new Map(rows.map((r) => [r.discountId, r.used]));
  };

  /** What each of these discounts with a budget has given in this store. */
  const givenAmounts = async (served: ServedRuleset, ids: readonly string[]): Promise<Map<string, number>> => {
    if (!ids.length) return new Map();
    const usage = await ctx.ledger('read usage', () => ctx.store.readUsage(served.compiled.policy.store, [], null, ids));
    return new Map(Object.entries(usage).map(([id, u]) => [id, u.given ?? 0]));
  };
  const budgeted = (served: ServedRuleset) => budgetIds(served.limits);

  app.get('/v1/discounts', ctx.scope('pos', 'editor'), async (c) => {
    const served = ctx.ruleset();
    const now = ctx.now();
    const used = await usedCounts(served, served.limits.filter((l) => l.usageLimit !== null).map((l) => l.discountId));
    const given = await givenAmounts(served, budgeted(served));
    return c.json({ rulesetVersion: served.version, at: isoInstant(now), discounts: discountViews(served, now, used, given) });
  });

  app.get('/v1/discounts/:id', ctx.scope('pos', 'editor'), async (c) => {
    const served = ctx.ruleset();
    const id = c.req.param('id');
    const pd = served.prepared.byId.get(id);
    if (!pd) throw new ApiError('not_found', `no discount with id '${id.slice(0, 64)}' in ruleset ${served.version}`, { details: [{ path: 'id', message: 'unknown discount' }] });
    const now = ctx.now();
    const used = await usedCounts(served, pd.discount.usageLimit !== null ? [id] : []);
    const given = await givenAmounts(served, pd.discount.budget !== undefined ? [id] : []);
    return c.json(discountViews(served, now, used, given).find((v) => v.id === id)!);
  });
}
