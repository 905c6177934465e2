// GET /v1/reports/discounts?from&to: the discount report of the served store (editor or admin
// scope). Dates are store-local YYYY-MM-DD, from inclusive, to exclusive, both optional (default:
// the last 30 days, today included, in the store's timezone at the injected clock). The ledger
// counts and sums (src/store/reports.ts); src/reports/discount-report.ts builds the body, the same
// JSON as `discounts report --format json`.

import { buildDiscountReport, resolvePeriod } from '../../reports/discount-report.js';
import { localDate, type AppHono, type RouteContext } from '../context.js';
import { ApiError } from '../errors.js';

const PARAMS = new Set(['from', 'to']);

export function discountReportRoutes(app: AppHono, ctx: RouteContext): void {
  app.get('/v1/reports/discounts', ctx.scope('editor'), async (c) => {
    const query = c.req.queries();
    const details: { path: string; message: string }[] = [];
    for (const [name, values] of Object.entries(query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!PARAMS.has(name)) details.push({ path: name.slice(0, 64), message: `unknown query parameter '${name.slice(0, 64)}' (expects from and to)` });
      else if (values.length > 1) details.push({ path: name, message: `${name} is given ${values.length} times` });
    }
    if (details.length) throw new ApiError('invalid_request', details.length === 1 ? details[0].message : `the request has ${details.length} errors`, { details });
    const served = ctx.ruleset();
    const policy = served.compiled.policy;
    const resolved = resolvePeriod({ from: query.from?.[0], to: query.to?.[0] }, localDate(ctx.now(), policy.timezone));
    if (!resolved.ok) {
      const problems = resolved.problems.map((p) => ({ path: p.param, message: p.message }));
      throw new ApiError('invalid_request', problems.length === 1 ? problems[0].message : `the request has ${problems.length} errors`, { details: problems });
    }
    const aggregates = await ctx.ledger('read report', () => ctx.store.discountReport(policy.store, resolved.period));
    const context = { store: policy.store, timezone: policy.timezone, currency: policy.currency, minorDigits: policy.minorDigits, discounts: served.compiled.discounts.map((d) => ({ id: d.id, name: d.name })) };
    return c.json(buildDiscountReport(context, resolved.period, aggregates), 200);
  });
}
