// GET /healthz (alive), GET /readyz (a ruleset is loaded; the ledger's state is reported, not
// required: evaluate keeps serving through a database outage), GET /metrics (admin),
// GET /openapi.json.

import type { AppHono, RouteContext } from '../context.js';
import { unavailable } from '../errors.js';

export function healthRoutes(app: AppHono, ctx: RouteContext, openapi: () => unknown): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }, 200));

  app.get('/readyz', async (c) => {
    const served = ctx.rulesets.current;
    if (!served) throw unavailable('no ruleset is loaded');
    const ledger = await ctx.store.ping().then(
      () => 'up' as const,
      () => 'down' as const,
    );
    return c.json({ rulesetVersion: served.version, ledger }, 200);
  });

  app.get('/metrics', ctx.scope('admin'), async (c) => {
    const text = await ctx.metrics.registry.metrics();
    return c.body(text, 200, { 'Content-Type': ctx.metrics.registry.contentType });
  });

  app.get('/openapi.json', (c) => c.json(openapi(), 200));
}
