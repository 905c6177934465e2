// POST /v1/admin/cleanup (admin): the server's cleanup of its rules directory (src/http/cleanup.ts).
// Body optional: {"dryRun": true} lists what would move without moving it.

import { readJsonBody } from '../body.js';
import type { ServerCleanup } from '../cleanup.js';
import type { AppHono, RouteContext } from '../context.js';
import { parseBody } from '../schemas.js';

export function cleanupRoutes(app: AppHono, ctx: RouteContext, cleanup: ServerCleanup): void {
  app.post('/v1/admin/cleanup', ctx.scope('admin'), async (c) => {
    const body = await readJsonBody(c, { optional: true });
    const { dryRun } = body === undefined ? {} : parseBody<{ dryRun?: boolean }>('CleanupRequest', body);
    return c.json(await cleanup.run(dryRun === true, 'http'), 200);
  });
}
