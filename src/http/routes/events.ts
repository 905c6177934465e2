// The outbox's admin routes (issue 15): GET /v1/events (newest first, at most 100 per page, an
// opaque cursor), GET /v1/events/{id} (the body as sent, its deliveries and their attempts) and
// POST /v1/events/{id}/retry (failed deliveries pending again). Events of the served store only.

import type { DeliveryStatus, EventType } from '../../events/types.js';
import type { AppHono, RouteContext } from '../context.js';
import { isoInstant } from '../context.js';
import { ApiError, type ErrorDetail } from '../errors.js';

export const EVENT_TYPES: readonly EventType[] = ['pos.reward.reverse', 'pos.reward.trigger', 'redemption.committed', 'redemption.voided'];
const STATUSES: readonly DeliveryStatus[] = ['delivered', 'failed', 'pending'];
export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 50;
const EVENT_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const QUERY_KEYS = new Set(['status', 'type', 'cursor', 'limit']);

export function eventRoutes(app: AppHono, ctx: RouteContext): void {
  app.get('/v1/events', ctx.scope('admin'), async (c) => {
    const served = ctx.ruleset();
    const query = c.req.queries();
    const details: ErrorDetail[] = [];
    const one = (key: string): string | undefined => {
      const v = query[key];
      if (v && v.length > 1) details.push({ path: key, message: `${key}: give it once` });
      return v?.[0];
    };
    for (const key of Object.keys(query).sort()) if (!QUERY_KEYS.has(key)) details.push({ path: key, message: `unknown query parameter '${key}' (status, type, cursor, limit)` });
    const status = one('status');
    if (status !== undefined && !STATUSES.includes(status as DeliveryStatus)) details.push({ path: 'status', message: `status: one of ${STATUSES.join(', ')}` });
    const type = one('type');
    if (type !== undefined && !EVENT_TYPES.includes(type as EventType)) details.push({ path: 'type', message: `type: one of ${EVENT_TYPES.join(', ')}` });
    const limitText = one('limit');
    let limit = DEFAULT_PAGE;
    if (limitText !== undefined) {
      limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
      if (!(limit >= 1 && limit <= MAX_PAGE)) details.push({ path: 'limit', message: `limit: an integer from 1 to ${MAX_PAGE}` });
    }
    const cursorText = one('cursor');
    const after = cursorText === undefined ? undefined : decodeCursor(cursorText);
    if (after === null) details.push({ path: 'cursor', message: 'cursor: not a cursor of this API (pass nextCursor as it came)' });
    if (details.length) throw new ApiError('invalid_request', details.length === 1 ? details[0].message : `the query has ${details.length} errors`, { details });

    const page = await ctx.ledger('list events', () =>
      ctx.store.outbox.listEvents({
        store: served.compiled.policy.store,
        limit,
        ...(status === undefined ? {} : { status: status as DeliveryStatus }),
        ...(type === undefined ? {} : { type: type as EventType }),
        ...(after ? { after } : {}),
      }),
    );
    return c.json({ events: page.events, nextCursor: page.next ? encodeCursor(page.next) : null }, 200);
  });

  app.get('/v1/events/:id', ctx.scope('admin'), async (c) => {
    const id = c.req.param('id');
    const served = ctx.ruleset();
    if (!EVENT_ID.test(id)) throw notFound(id);
    const event = await ctx.ledger('read event', () => ctx.store.outbox.getEvent(served.compiled.policy.store, id));
    if (!event) throw notFound(id);
    return c.json(event, 200);
  });

  app.post('/v1/events/:id/retry', ctx.scope('admin'), async (c) => {
    const id = c.req.param('id');
    const served = ctx.ruleset();
    if (!EVENT_ID.test(id)) throw notFound(id);
    const outcome = await ctx.ledger('retry event', () => ctx.store.outbox.retryEvent(served.compiled.policy.store, id, isoInstant(ctx.now())));
    switch (outcome.kind) {
      case 'not_found':
        throw notFound(id);
      case 'not_failed':
        throw new ApiError('not_retryable', `event '${id}' has no failed delivery (it is ${outcome.event.status}); nothing was changed`, {
          details: [{ path: 'id', message: 'only failed deliveries are retried' }],
        });
      case 'retried':
        ctx.logger.info('event retry', { eventId: id, deliveries: outcome.deliveries });
        return c.json({ retried: outcome.deliveries, event: outcome.event }, 200);
    }
  });
}

/** base64url of `[createdAt, id]`: opaque to clients, checked on the way back. */
export function encodeCursor(position: { createdAt: string; id: string }): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string): { createdAt: string; id: string } | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== 'string' || typeof id !== 'string' || !EVENT_ID.test(id)) return null;
    const ms = Date.parse(createdAt);
    if (!Number.isFinite(ms) || new Date(ms).toISOString() !== createdAt) return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}

function notFound(id: string): ApiError {
  return new ApiError('not_found', `no event '${id.slice(0, 128)}'`, { details: [{ path: 'id', message: 'unknown event' }] });
}
