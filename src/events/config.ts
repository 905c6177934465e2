// The dispatcher's settings from the environment (`discounts serve`): lease, timeout, poll interval,
// concurrency, retry delays, the address allow list, and whether this instance sends at all. Each
// is checked here, so a bad value stops the service at start with a message (exit 2).

import { checkDispatcherTimes, DISPATCHER_DEFAULTS, DispatcherConfigError } from './dispatcher.js';
import { AllowListError, parseAllowList, type AllowList } from './guard.js';
import { DEFAULT_RETRY, parseBackoff, type RetryPolicy } from './retry.js';

export interface WebhookConfig {
  /** false: this instance writes events but sends none (another instance, or a dedicated one, does). */
  dispatch: boolean;
  leaseMs: number;
  timeoutMs: number;
  pollMs: number;
  concurrency: number;
  retry: RetryPolicy;
  allow: AllowList;
}

export const WEBHOOK_ENV = {
  allow: 'DISCOUNTS_WEBHOOKS_ALLOW',
  dispatch: 'DISCOUNTS_WEBHOOKS_DISPATCH',
  leaseMs: 'DISCOUNTS_WEBHOOKS_LEASE_MS',
  timeoutMs: 'DISCOUNTS_WEBHOOKS_TIMEOUT_MS',
  pollMs: 'DISCOUNTS_WEBHOOKS_POLL_MS',
  concurrency: 'DISCOUNTS_WEBHOOKS_CONCURRENCY',
  backoff: 'DISCOUNTS_WEBHOOKS_BACKOFF_MS',
} as const;

/** Throws WebhookConfigError with the variable's name for a bad value. */
export function resolveWebhookConfig(env: Readonly<Record<string, string | undefined>>): WebhookConfig {
  const value = (name: string) => (env[name] !== undefined && env[name]!.trim() !== '' ? env[name]!.trim() : null);
  const int = (name: string, fallback: number) => {
    const v = value(name);
    if (v === null) return fallback;
    if (!/^\d{1,10}$/.test(v) || Number(v) < 1) throw new WebhookConfigError(`${name} must be a positive integer, not '${v}'`);
    return Number(v);
  };
  const dispatchText = value(WEBHOOK_ENV.dispatch) ?? 'on';
  if (dispatchText !== 'on' && dispatchText !== 'off') throw new WebhookConfigError(`${WEBHOOK_ENV.dispatch} must be on or off, not '${dispatchText}'`);
  const timeoutMs = int(WEBHOOK_ENV.timeoutMs, DISPATCHER_DEFAULTS.timeoutMs);
  // The default lease follows a longer timeout, so raising the timeout alone stays valid.
  const leaseMs = int(WEBHOOK_ENV.leaseMs, Math.max(DISPATCHER_DEFAULTS.leaseMs, timeoutMs * 2));
  const pollMs = int(WEBHOOK_ENV.pollMs, DISPATCHER_DEFAULTS.pollMs);
  const concurrency = int(WEBHOOK_ENV.concurrency, DISPATCHER_DEFAULTS.concurrency);
  try {
    checkDispatcherTimes({ leaseMs, timeoutMs, pollMs, concurrency });
  } catch (err) {
    if (err instanceof DispatcherConfigError) throw new WebhookConfigError(`${WEBHOOK_ENV.leaseMs}/${WEBHOOK_ENV.timeoutMs}: ${err.message.replace(/^webhooks: /, '')}`);
    throw err;
  }
  const backoffText = value(WEBHOOK_ENV.backoff);
  const retry = backoffText === null ? DEFAULT_RETRY : parseBackoff(backoffText);
  if (!retry) throw new WebhookConfigError(`${WEBHOOK_ENV.backoff} must be comma-separated positive delays in ms (the last repeats), not '${backoffText}'`);
  let allow: AllowList;
  try {
    allow = parseAllowList(env[WEBHOOK_ENV.allow]);
  } catch (err) {
    if (err instanceof AllowListError) throw new WebhookConfigError(err.message);
    throw err;
  }
  return { dispatch: dispatchText === 'on', leaseMs, timeoutMs, pollMs, concurrency, retry, allow };
}

export class WebhookConfigError extends Error {}
