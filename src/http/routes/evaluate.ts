// POST /v1/evaluate: price a cart with the usage counts read from the ledger. Never writes to the
// ledger (its unknown codes are counted as telemetry, src/http/code-attempts.ts, and past the
// code-guessing limit a request with codes gets 429). When the ledger cannot be read, the cart is
// priced with usage 0 and `limitsChecked: false`: the redemption checks the limits.

import type { EvaluateRequest, Usage } from '../../domain/types.js';
import { normalizeCode } from '../../dsl/compile.js';
import { evaluate } from '../../engine/evaluate.js';
import { StoreUnavailableError, type DiscountLimit } from '../../store/types.js';
import { readJsonBody } from '../body.js';
import { customerIdOf, type AppHono, type RouteContext } from '../context.js';
import type { ServedRuleset } from '../ruleset.js';
import { parseEvaluateRequest } from '../schemas.js';

/** The limited discounts this cart could use: automatic ones and those whose code was entered. */
export function limitsFor(served: ServedRuleset, req: EvaluateRequest): DiscountLimit[] {
  if (served.limits.length === 0) return [];
  const ids = new Set(served.limitedAutomatic);
  for (const code of req.codes ?? []) {
    const id = served.limitedByCode.get(normalizeCode(code));
    if (id !== undefined) ids.add(id);
  }
  return served.limits.filter((l) => ids.has(l.discountId));
}

/** The ids of the limits that are budgets (their `given` is read with the usage). */
export function budgetIds(limits: readonly DiscountLimit[]): string[] {
  return limits.filter((l) => (l.budget ?? null) !== null).map((l) => l.discountId);
}

export function evaluateRoutes(app: AppHono, ctx: RouteContext): void {
  app.post('/v1/evaluate', ctx.scope('pos', 'editor'), async (c) => {
    const body = await readJsonBody(c);
    const req = parseEvaluateRequest(body);
    const served = ctx.ruleset();
    const settings = served.compiled.settings.abuse;
    const store = served.compiled.policy.store;
    // Before pricing: past the code-guessing limit a request with codes is refused (429).
    const counters = await ctx.codeAttempts.check(store, c.get('keyId'), req, settings);
    const now = ctx.now();
    const limits = limitsFor(served, req);
    let usage: Usage = {};
    let limitsChecked = true;
    if (limits.length) {
      try {
        usage = await ctx.store.readUsage(
          served.compiled.policy.store,
          limits.map((l) => l.discountId),
          customerIdOf(req),
          budgetIds(limits),
        );
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        limitsChecked = false;
        ctx.logger.warn('ledger unavailable: evaluating with usage 0', { error: err.message });
      }
    }
    const response = evaluate(served.prepared, req, { now, usage });
    ctx.metrics.evaluations.inc({ limits_checked: String(limitsChecked) });
    ctx.metrics.countRejections(response.rejected);
    ctx.codeAttempts.record(store, counters, response.rejected, settings);
    return c.json(limitsChecked ? response : { ...response, limitsChecked: false });
  });
}
