import { describe, expect, it } from 'vitest';
import { resolveWebhookConfig, WebhookConfigError } from '../../src/events/config.js';
import { DEFAULT_RETRY } from '../../src/events/retry.js';
import { resolveServeConfig } from '../../src/cli/serve.js';
import { UsageError } from '../../src/cli/io.js';

describe('webhook dispatcher settings from the environment', () => {
  it('has defaults: sending on, 10 s timeout, 60 s lease, 1 s poll, 8 at once, the standard schedule, nothing allowed', () => {
    const c = resolveWebhookConfig({});
    expect(c).toMatchObject({ dispatch: true, timeoutMs: 10_000, leaseMs: 60_000, pollMs: 1_000, concurrency: 8, retry: DEFAULT_RETRY });
    expect(c.allow.cidrs).toEqual([]);
  });

  it('reads every DISCOUNTS_WEBHOOKS_* variable', () => {
    const c = resolveWebhookConfig({
      DISCOUNTS_WEBHOOKS_ALLOW: '127.0.0.1/32,hooks.internal',
      DISCOUNTS_WEBHOOKS_DISPATCH: 'off',
      DISCOUNTS_WEBHOOKS_LEASE_MS: '3000',
      DISCOUNTS_WEBHOOKS_TIMEOUT_MS: '1000',
      DISCOUNTS_WEBHOOKS_POLL_MS: '100',
      DISCOUNTS_WEBHOOKS_CONCURRENCY: '2',
      DISCOUNTS_WEBHOOKS_BACKOFF_MS: '200,400',
    });
    expect(c).toMatchObject({ dispatch: false, leaseMs: 3000, timeoutMs: 1000, pollMs: 100, concurrency: 2, retry: { delaysMs: [200, 400] } });
    expect([...c.allow.hosts]).toEqual(['hooks.internal']);
    // A longer timeout alone moves the default lease with it.
    expect(resolveWebhookConfig({ DISCOUNTS_WEBHOOKS_TIMEOUT_MS: '45000' }).leaseMs).toBe(90_000);
  });

  it('refuses bad values by name, and serve turns them into usage errors (exit 2)', () => {
    expect(() => resolveWebhookConfig({ DISCOUNTS_WEBHOOKS_LEASE_MS: '5000', DISCOUNTS_WEBHOOKS_TIMEOUT_MS: '5000' })).toThrow(/must be longer than the send timeout/);
    expect(() => resolveWebhookConfig({ DISCOUNTS_WEBHOOKS_POLL_MS: '0' })).toThrow(WebhookConfigError);
    expect(() => resolveWebhookConfig({ DISCOUNTS_WEBHOOKS_DISPATCH: 'maybe' })).toThrow(/on or off/);
    expect(() => resolveWebhookConfig({ DISCOUNTS_WEBHOOKS_BACKOFF_MS: 'soon' })).toThrow(/DISCOUNTS_WEBHOOKS_BACKOFF_MS/);
    expect(() => resolveWebhookConfig({ DISCOUNTS_WEBHOOKS_ALLOW: '10.0.0.0/99' })).toThrow(/DISCOUNTS_WEBHOOKS_ALLOW/);
    expect(() => resolveServeConfig({}, { DISCOUNTS_WEBHOOKS_CONCURRENCY: 'x' }, '/tmp')).toThrow(UsageError);
    const env = { DISCOUNTS_WEBHOOKS_POLL_MS: '250', HOOK: 'whsec_x' };
    const served = resolveServeConfig({}, env, '/tmp');
    expect(served.webhooks!.pollMs).toBe(250);
    expect(served.env).toBe(env);
  });
});
