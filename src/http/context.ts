// What every route gets: the dependencies, the scope guard, the served ruleset (or a 503), and the
// helpers that turn store failures into 503s. Routes stay thin over these.

import type { Hono, MiddlewareHandler } from 'hono';
import type { WebhookSubscription } from '../events/types.js';
import { formatDate, wallTimeAt } from '../domain/time.js';
import { StoreUnavailableError, type LedgerStore } from '../store/types.js';
import { requireScope, type Keyring, type Scope } from './auth.js';
import { unavailable } from './errors.js';
import type { CodeAttempts } from './code-attempts.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { RulesetHolder, ServedRuleset } from './ruleset.js';

/** The app's Hono environment: the request id every handler and the error mapping can read. */
export type AppEnv = { Variables: { requestId: string; /** Set by the scope guard: an id derived from the API key (src/http/auth.ts). */ keyId: string } };
export type AppHono = Hono<AppEnv>;

export interface RouteContext {
  rulesets: RulesetHolder;
  store: LedgerStore;
  now: () => number;
  logger: Logger;
  metrics: Metrics;
  maxClockSkewMs: number;
  /** The code-guessing throttle and its telemetry (src/http/code-attempts.ts). */
  codeAttempts: CodeAttempts;
  scope(...allowed: Scope[]): MiddlewareHandler;
  /** The snapshot this request works on (read once); 503 when none is loaded. */
  ruleset(): ServedRuleset;
  /** Runs a store call; a StoreUnavailableError becomes 503 unavailable with Retry-After. */
  ledger<T>(what: string, call: () => Promise<T>): Promise<T>;
  /** Reloads the rules directory (admin route and SIGHUP). */
  reload(trigger: 'http' | 'signal'): Promise<import('./ruleset.js').LoadOutcome>;
  /** The webhook subscriptions of a served ruleset (its settings' `webhooks`). */
  webhooks(served: ServedRuleset): readonly WebhookSubscription[];
  /** A new event id (random; tests may count). */
  newEventId(): string;
}

export function makeContext(parts: Omit<RouteContext, 'scope' | 'ruleset' | 'ledger'> & { keyring: Keyring }): RouteContext {
  const { keyring, ...rest } = parts;
  return {
    ...rest,
    scope: (...allowed) => requireScope(keyring, allowed),
    ruleset() {
      const r = parts.rulesets.current;
      if (!r) throw unavailable('no ruleset is loaded');
      return r;
    },
    async ledger(what, call) {
      try {
        return await call();
      } catch (err) {
        if (err instanceof StoreUnavailableError) {
          parts.logger.warn('ledger unavailable', { operation: what, error: err.message });
          throw unavailable(`the ledger is unavailable (${what}); retry shortly`, err);
        }
        throw err;
      }
    },
  };
}

export const isoInstant = (ms: number) => new Date(ms).toISOString();

/** The store-local calendar date of an instant (YYYY-MM-DD). */
export const localDate = (ms: number, timeZone: string) => formatDate(wallTimeAt(ms, timeZone));

/** The customer id the engine counts per-customer limits by (a non-empty string), else null. */
export function customerIdOf(req: { customer?: { id?: unknown } }): string | null {
  const id = req.customer?.id;
  return typeof id === 'string' && id !== '' ? id : null;
}
