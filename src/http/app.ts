// The Hono app factory. Wiring only: request ids, the request log line and metrics, the error
// mapping (app.onError is the one place errors become responses: an ApiError answers itself,
// anything else is logged and answered 500 with the error body), 404/405, and the routes
// (src/http/routes/*). No clock, database or filesystem is touched here except through `deps`.

import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { matchedRoutes } from 'hono/route';
import { subscriptionsOf } from '../events/build.js';
import { randomEventId } from '../events/ids.js';
import type { OutboxStore, WebhookSubscription } from '../events/types.js';
import type { LedgerStore } from '../store/types.js';
import { Keyring, type ApiKey } from './auth.js';
import { ServerCleanup } from './cleanup.js';
import { CodeAttempts } from './code-attempts.js';
import { makeContext, type AppEnv, type AppHono, type RouteContext } from './context.js';
import { ApiError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { countingOutbox, createMetrics, type Metrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import type { LoadOutcome, RulesetHolder, ServedRuleset } from './ruleset.js';
import { abuseRoutes } from './routes/abuse.js';
import { cleanupRoutes } from './routes/cleanup.js';
import { discountRoutes } from './routes/discounts.js';
import { discountReportRoutes } from './routes/discount-report.js';
import { editorRoutes } from './routes/editor.js';
import { editorPageRoutes } from './routes/editor-page.js';
import { eventRoutes } from './routes/events.js';
import { evaluateRoutes } from './routes/evaluate.js';
import { healthRoutes } from './routes/health.js';
import { posSheetRoutes } from './routes/pos-sheet.js';
import { redemptionRoutes } from './routes/redemptions.js';
import { replayRoutes } from './routes/replay.js';
import { rulesRoutes } from './routes/rules.js';

export interface AppDeps {
  rulesets: RulesetHolder;
  store: LedgerStore;
  /** The clock (ms since epoch). */
  now: () => number;
  /** No keys: development mode, every route open (the caller binds 127.0.0.1 only). */
  keys: readonly ApiKey[];
  logger?: Logger;
  metrics?: Metrics;
  /** How far a redemption's `at` may be from the clock (default 5 minutes). */
  maxClockSkewMs?: number;
  /** The built editor page served at /editor (default editor/dist in the package). */
  editorDir?: string;
  /** The webhook subscriptions of a served ruleset (default: its settings' `webhooks`). */
  webhooks?: (served: ServedRuleset) => readonly WebhookSubscription[];
  /** New event ids (default random `evt_` ids). */
  newEventId?: () => string;
  /** The ledger's location, for the replay worker's own read connection (absent: it reads through this thread). */
  replayDb?: string;
}

export interface Service {
  app: AppHono;
  metrics: Metrics;
  /** Reloads the rules directory (the admin route and SIGHUP). */
  reload(trigger: 'http' | 'signal'): Promise<LoadOutcome>;
  /** The store's outbox counting each recorded attempt into /metrics: the one to give the dispatcher. */
  outbox: OutboxStore;
  /** The code-guessing telemetry (flushed in batches). */
  codeAttempts: CodeAttempts;
  /** The cleanup (POST /v1/admin/cleanup) and its daily run (cleanup.daily): start() it in the server. */
  cleanup: ServerCleanup;
  /** Flushes the telemetry and stops background work; call before closing the store. */
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function createApp(deps: AppDeps): AppHono {
  return createService(deps).app;
}

export function createService(deps: AppDeps): Service {
  const logger = deps.logger ?? createLogger();
  const metrics = deps.metrics ?? createMetrics();
  const keyring = new Keyring(deps.keys);
  if (deps.rulesets.current) metrics.setRuleset(deps.rulesets.current.version);
  metrics.watchOutbox(() => deps.store.outbox.stats(), deps.now);

  const reload = async (trigger: 'http' | 'signal'): Promise<LoadOutcome> => {
    const previous = deps.rulesets.current?.version ?? null;
    const outcome = await deps.rulesets.reload();
    if (outcome.ok) {
      metrics.reloads.inc({ outcome: 'ok' });
      metrics.setRuleset(outcome.ruleset.version);
      logger.info('ruleset reloaded', { trigger, rulesetVersion: outcome.ruleset.version, previousVersion: previous, warnings: outcome.ruleset.diagnostics.length });
    } else {
      metrics.reloads.inc({ outcome: 'refused' });
      logger.error('ruleset reload refused', {
        trigger,
        reason: outcome.message,
        servingVersion: previous,
        errors: outcome.diagnostics.filter((d) => d.severity === 'error').length,
      });
    }
    return outcome;
  };

  const codeAttempts = new CodeAttempts({ store: deps.store.abuse(), now: deps.now, logger });
  const ctx: RouteContext = makeContext({
    rulesets: deps.rulesets,
    store: deps.store,
    now: deps.now,
    logger,
    metrics,
    maxClockSkewMs: deps.maxClockSkewMs ?? 5 * 60_000,
    codeAttempts,
    keyring,
    reload,
    webhooks: deps.webhooks ?? ((served) => subscriptionsOf(served.compiled.settings)),
    newEventId: deps.newEventId ?? randomEventId,
  });

  const app = new Hono<AppEnv>();
  const registered: { method: string; path: RegExp }[] = [];

  app.use('*', async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    await next();
    c.header('X-Request-Id', requestId);
    const route = routeOf(c);
    const status = String(c.res.status);
    const seconds = (performance.now() - started) / 1000;
    metrics.requests.inc({ method: c.req.method, route, status });
    metrics.duration.observe({ method: c.req.method, route, status }, seconds);
    logger.info('request', { requestId, method: c.req.method, route, path: c.req.path, status: c.res.status, durationMs: Math.round(seconds * 1e6) / 1e3 });
  });

  editorPageRoutes(app, deps.editorDir);
  evaluateRoutes(app, ctx);
  redemptionRoutes(app, ctx);
  eventRoutes(app, ctx);
  discountRoutes(app, ctx);
  posSheetRoutes(app, ctx);
  rulesRoutes(app, ctx);
  editorRoutes(app, ctx);
  abuseRoutes(app, ctx);
  const cleanup = new ServerCleanup(ctx);
  cleanupRoutes(app, ctx, cleanup);
  replayRoutes(app, ctx, { db: deps.replayDb });
  discountReportRoutes(app, ctx);
  let openapi: unknown = null;
  healthRoutes(app, ctx, () => (openapi ??= buildOpenApi()));

  for (const r of app.routes) if (r.method !== 'ALL') registered.push({ method: r.method, path: new RegExp('^' + r.path.replace(/:[^/]+/g, '[^/]+') + '$') });

  app.notFound((c) => {
    const allowed = [...new Set(registered.filter((r) => r.path.test(c.req.path)).map((r) => r.method))];
    if (allowed.length) {
      const e = new ApiError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}`, { headers: { Allow: allowed.join(', ') } });
      return respond(c, e);
    }
    return respond(c, new ApiError('not_found', `no route ${c.req.method} ${c.req.path}`));
  });

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      if (err.status >= 500) logger.warn('request failed', { requestId: c.get('requestId'), code: err.code, error: err.message });
      return respond(c, err);
    }
    if (err instanceof HTTPException && err.status < 500) return respond(c, new ApiError('invalid_request', err.message || 'bad request'));
    logger.error('unexpected error', { requestId: c.get('requestId'), method: c.req.method, path: c.req.path, error: err });
    return respond(c, new ApiError('internal_error', 'an unexpected error occurred; it has been logged with this request id'));
  });

  const close = async () => {
    await cleanup.stop();
    await codeAttempts.close();
  };
  return { app, metrics, reload, outbox: countingOutbox(deps.store.outbox, metrics), codeAttempts, cleanup, close };
}

function respond(c: Context<AppEnv>, err: ApiError): Response {
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  return c.json(err.body(), err.status);
}

/** The route pattern that answered (e.g. /v1/redemptions/:transactionId), or "unmatched". */
function routeOf(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c).filter((r) => r.method !== 'ALL');
  return routes.length ? routes[routes.length - 1].path : 'unmatched';
}
