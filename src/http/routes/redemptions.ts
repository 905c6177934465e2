// Redemptions: commit a priced cart to the ledger (idempotent on transactionId), void it, read it.
// Order of checks for POST /v1/redemptions: body shape -> stored transaction (replay or conflict,
// before the clock, so a retry of an old sale still replays) -> the code-guessing throttle (429
// rate_limited for a request with codes past the limit) -> clock skew of `at` -> the store's
// transaction (price again with the usage read there, take usage with conditional updates).

import type { Context } from 'hono';
import { parseDateTime, toEpoch } from '../../domain/time.js';
import { evaluate } from '../../engine/evaluate.js';
import { committedEvents, voidedEvents } from '../../events/build.js';
import type { EventsBuilder, RedemptionRecord } from '../../store/types.js';
import type { ServedRuleset } from '../ruleset.js';
import { canonicalJson, readJsonBody } from '../body.js';
import { customerIdOf, isoInstant, localDate, type AppHono, type RouteContext } from '../context.js';
import { ApiError } from '../errors.js';
import { parseBody, parseRedemptionRequest, PATTERNS } from '../schemas.js';
import { limitsFor } from './evaluate.js';

export const TRANSACTION_ID = PATTERNS.transactionId.test;

export function redemptionRoutes(app: AppHono, ctx: RouteContext): void {
  /** The events builder of a ledger change (issue 15): none when no subscription is configured. */
  const eventsOf = (served: ServedRuleset, build: typeof committedEvents): { events?: EventsBuilder } => {
    const subscriptions = ctx.webhooks(served);
    if (!subscriptions.length) return {};
    const context = { store: served.compiled.policy.store, subscriptions, newId: () => ctx.newEventId() };
    return { events: (change) => build(change, context) };
  };
  const replay = (c: Context, record: RedemptionRecord) => {
    ctx.metrics.redemptions.inc({ outcome: 'replay' });
    c.header('Idempotent-Replay', 'true');
    return c.json(record, 200);
  };
  const conflict = (transactionId: string) => {
    ctx.metrics.redemptions.inc({ outcome: 'conflict' });
    return new ApiError('idempotency_conflict', `transaction '${transactionId}' was already redeemed with a different request`, {
      details: [{ path: '/transactionId', message: 'send a new transactionId for a different sale, or the identical body to replay' }],
    });
  };

  app.post('/v1/redemptions', ctx.scope('pos'), async (c) => {
    const body = await readJsonBody(c);
    const r = parseRedemptionRequest(body);
    const served = ctx.ruleset();
    const policy = served.compiled.policy;
    const canonical = canonicalJson(body);

    const found = await ctx.ledger('find redemption', () => ctx.store.findRequest(policy.store, r.transactionId));
    if (found) {
      if (found.requestCanonical === canonical) return replay(c, found.record);
      throw conflict(r.transactionId);
    }
    // A replay is answered whatever the throttle says (the sale happened); a new sale with codes
    // past the code-guessing limit is refused before pricing.
    const abuse = served.compiled.settings.abuse;
    const counters = await ctx.codeAttempts.check(policy.store, c.get('keyId'), r.request, abuse);

    const now = ctx.now();
    let atMs = now;
    if (r.request.at !== undefined) {
      atMs = toEpoch(parseDateTime(r.request.at)!, policy.timezone);
      const skew = atMs - now;
      if (Math.abs(skew) > ctx.maxClockSkewMs) {
        ctx.metrics.redemptions.inc({ outcome: 'clock_skew' });
        throw new ApiError('clock_skew', `at is ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'behind' : 'ahead of'} the server's clock (at most ${ctx.maxClockSkewMs / 1000} s allowed)`, {
          details: [{ path: '/at', message: `must be within ${ctx.maxClockSkewMs / 60000} minutes of ${isoInstant(now)}; omit it to use the server's clock` }],
        });
      }
    }
    // Priced at the instant decided here (never the client's amounts), with the usage the store
    // reads inside its transaction.
    const { at: _at, ...cart } = r.request;
    const outcome = await ctx.ledger('redeem', () =>
      ctx.store.redeem({
        store: policy.store,
        transactionId: r.transactionId,
        requestCanonical: canonical,
        at: isoInstant(atMs),
        localDate: localDate(atMs, policy.timezone),
        rulesetVersion: served.version,
        customerId: customerIdOf(cart),
        limits: limitsFor(served, cart),
        price: (usage) => evaluate(served.prepared, cart, { now: atMs, usage }),
        ...(r.expectedTotal === undefined ? {} : { expectedTotal: r.expectedTotal }),
        now: isoInstant(now),
        ...eventsOf(served, committedEvents),
      }),
    );
    switch (outcome.kind) {
      case 'committed':
        ctx.metrics.redemptions.inc({ outcome: 'committed' });
        ctx.metrics.countRejections(outcome.record.rejected);
        ctx.codeAttempts.record(policy.store, counters, outcome.record.rejected, abuse);
        return c.json(outcome.record, 201);
      case 'replay':
        return replay(c, outcome.record);
      case 'conflict':
        throw conflict(r.transactionId);
      case 'price_changed':
        ctx.metrics.redemptions.inc({ outcome: 'price_changed' });
        throw new ApiError('price_changed', `the total is now ${outcome.evaluation.total}, not the expected ${r.expectedTotal}; nothing was stored`, {
          details: [{ path: '/expectedTotal', message: `expected ${r.expectedTotal}, the server priced ${outcome.evaluation.total}` }],
          extra: { evaluation: outcome.evaluation },
        });
    }
  });

  app.post('/v1/redemptions/:transactionId/void', ctx.scope('pos'), async (c) => {
    const transactionId = c.req.param('transactionId');
    const body = await readJsonBody(c, { optional: true });
    const { reason } = body === undefined ? {} : parseBody<{ reason?: string }>('VoidRequest', body);
    const served = ctx.ruleset();
    const policy = served.compiled.policy;
    if (!TRANSACTION_ID.test(transactionId)) throw notFound(transactionId);
    const now = ctx.now();
    const nowIso = isoInstant(now);
    const record = await ctx.ledger('void', () =>
      ctx.store.voidRedemption({
        store: policy.store,
        transactionId,
        reason: reason ?? null,
        now: nowIso,
        localDate: localDate(now, policy.timezone),
        ...eventsOf(served, voidedEvents),
      }),
    );
    if (!record) throw notFound(transactionId);
    ctx.metrics.voids.inc({ outcome: record.voidedAt === nowIso ? 'voided' : 'already_voided' });
    return c.json(record, 200);
  });

  app.get('/v1/redemptions/:transactionId', ctx.scope('pos'), async (c) => {
    const transactionId = c.req.param('transactionId');
    const served = ctx.ruleset();
    if (!TRANSACTION_ID.test(transactionId)) throw notFound(transactionId);
    const record = await ctx.ledger('read redemption', () => ctx.store.getRedemption(served.compiled.policy.store, transactionId));
    if (!record) throw notFound(transactionId);
    return c.json(record, 200);
  });
}

function notFound(transactionId: string): ApiError {
  return new ApiError('not_found', `no redemption with transactionId '${transactionId.slice(0, 128)}'`, { details: [{ path: 'transactionId', message: 'unknown transaction' }] });
}
