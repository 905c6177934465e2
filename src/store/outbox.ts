// The transactional outbox over Kysely<Database> (issue 15): tables events, deliveries and
// attempts (migration 0006_outbox). The same SQL for SQLite and PostgreSQL; the one dialect detail
// is whether the claim's selection may take row locks and skip locked rows (PostgreSQL:
// FOR UPDATE SKIP LOCKED, from DialectHandle.skipLocked).
//
// - writeEvents() runs inside the ledger's own transaction (redeem, void; a savepoint of a group
//   commit): the events and one delivery row per target, or nothing when that transaction rolls
//   back. An event's `seq` orders it within its transaction (commit events 0.., a void's after).
// - claimDeliveries() is a short transaction of its own: due pending deliveries whose lease is
//   absent or lapsed and whose earlier deliveries of the same (store, transaction, url) are all
//   delivered or failed, leased with a conditional update (two claimers never both get one while
//   its lease holds: on PostgreSQL the second waits for the first's row lock, then finds the lease
//   set, or skips the locked rows altogether).
// - recordAttempt() and retryEvent() lock the event's row first (a no-op update: PostgreSQL row
//   lock, SQLite's write lock), so the event's summary status is recomputed from committed
//   delivery states, never from a snapshot another recorder is changing.

import { sql, type Kysely, type Transaction } from 'kysely';
import type {
  AttemptRecord,
  ClaimedDelivery,
  DeliveryDetail,
  DeliveryStatus,
  EventBody,
  EventDetail,
  EventListQuery,
  EventPage,
  EventSummary,
  EventType,
  NewEvent,
  Outbox,
  OutboxStats,
  RedemptionEvent,
  RetryOutcome,
} from '../events/types.js';
import type { Database, DeliveriesTable } from './schema.js';
import type { Db, ShapeCache } from './shapes.js';

/** Rows per multi-row INSERT (each delivery row has 16 parameters). */
const CHUNK = 50;
/** Longest error text kept per attempt. */
const MAX_ERROR = 2000;

export type Guard = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

// ---------------------------------------------------------------------------
// Inside the ledger transaction

/** Writes the events and their deliveries; returns them as the redemption record lists them. */
export async function writeEvents(q: ShapeCache, trx: Transaction<Database>, store: string, transactionId: string, events: readonly NewEvent[]): Promise<RedemptionEvent[]> {
  if (!events.length) return [];
  const { rows } = await q.run(trx, 'events-max-seq', [store, transactionId], (db, [store, transactionId]) =>
    db
      .selectFrom('events')
      .select((eb) => eb.fn.max('seq').as('m'))
      .where('store', '=', store)
      .where('transaction_id', '=', transactionId),
  );
  const top = rows[0]?.m;
  const base = top === null || top === undefined ? 0 : Number(top) + 1;
  const eventRows = events.map((e, i) => {
    if (e.transactionId !== transactionId || e.body.store !== store) throw new Error(`outbox: event ${e.body.id} is not of ${store}/${transactionId}`);
    if (!e.deliveries.length) throw new Error(`outbox: event ${e.body.id} has no delivery`);
    return [e.body.id, store, transactionId, base + i, e.body.type, isoOf(e.body.createdAt), e.body.rulesetVersion, e.bodyText];
  });
  const deliveryRows = events.flatMap((e, i) =>
    e.deliveries.map((d, k) => [
      deliveryId(e.body.id, k),
      e.body.id,
      store,
      transactionId,
      base + i,
      e.body.type,
      d.url,
      d.secretEnv,
      d.secretEnvPrevious,
      isoOf(e.body.createdAt),
      isoOf(d.expiresAt),
      isoOf(e.body.createdAt),
    ]),
  );
  for (const part of chunks(eventRows))
    await q.run(trx, `insert-events:${part.length}`, part.flat(), (db, a) =>
      db.insertInto('events').values(
        part.map((_, i) => ({
          id: a[i * 8],
          store: a[i * 8 + 1],
          transaction_id: a[i * 8 + 2],
          seq: a[i * 8 + 3],
          type: a[i * 8 + 4],
          created_at: a[i * 8 + 5],
          ruleset_version: a[i * 8 + 6],
          body: a[i * 8 + 7],
          status: 'pending' as const,
        })),
      ),
    );
  for (const part of chunks(deliveryRows))
    await q.run(trx, `insert-deliveries:${part.length}`, part.flat(), (db, a) =>
      db.insertInto('deliveries').values(
        part.map((_, i) => ({
          id: a[i * 12],
          event_id: a[i * 12 + 1],
          store: a[i * 12 + 2],
          transaction_id: a[i * 12 + 3],
          seq: a[i * 12 + 4],
          event_type: a[i * 12 + 5],
          url: a[i * 12 + 6],
          secret_env: a[i * 12 + 7],
          secret_env_previous: a[i * 12 + 8],
          status: 'pending' as const,
          attempts: 0,
          created_at: a[i * 12 + 9],
          expires_at: a[i * 12 + 10],
          next_attempt_at: a[i * 12 + 11],
          lease_until: null,
          last_attempt_at: null,
          last_status_code: null,
          last_error: null,
        })),
      ),
    );
  return events.map((e) => ({ id: e.body.id, type: e.body.type, status: 'pending' }));
}

/** The events of one transaction in their order (the redemption record's `events`). */
export async function transactionEvents(q: ShapeCache, db: Db, store: string, transactionId: string): Promise<RedemptionEvent[]> {
  const { rows } = await q.run(db, 'transaction-events', [store, transactionId], (db, [store, transactionId]) =>
    db.selectFrom('events').select(['id', 'type', 'status', 'seq']).where('store', '=', store).where('transaction_id', '=', transactionId),
  );
  return rows
    .sort((a, b) => Number(a.seq) - Number(b.seq))
    .map((r) => ({ id: r.id, type: r.type as EventType, status: r.status }));
}

// ---------------------------------------------------------------------------
// The dispatcher's side and the admin reads

export class KyselyOutbox implements Outbox {
  readonly #db: Kysely<Database>;
  readonly #guard: Guard;
  readonly #skipLocked: boolean;
  readonly #retryable: (error: unknown) => boolean;

  constructor(options: { db: Kysely<Database>; guard: Guard; skipLocked: boolean; retryable: (error: unknown) => boolean }) {
    this.#db = options.db;
    this.#guard = options.guard;
    this.#skipLocked = options.skipLocked;
    this.#retryable = options.retryable;
  }

  /** A write transaction, run again when the database aborted it (deadlock, serialization). */
  async #write<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(fn);
      } catch (error) {
        if (!this.#retryable(error) || attempt >= 5) throw error;
      }
    }
  }

  claimDeliveries(options: { now: string; leaseMs: number; limit: number }): Promise<ClaimedDelivery[]> {
    const now = isoOf(options.now);
    if (!Number.isInteger(options.leaseMs) || options.leaseMs < 1) throw new RangeError(`claimDeliveries: leaseMs must be a positive integer, got ${options.leaseMs}`);
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new RangeError(`claimDeliveries: limit must be a positive integer, got ${options.limit}`);
    const leaseUntil = new Date(Date.parse(now) + options.leaseMs).toISOString();
    return this.#guard('claim deliveries', () =>
      this.#write(async (trx) => {
        let select = trx
          .selectFrom('deliveries as d')
          .select(['d.id', 'd.event_id', 'd.event_type', 'd.transaction_id', 'd.url', 'd.secret_env', 'd.secret_env_previous', 'd.attempts', 'd.created_at', 'd.expires_at', 'd.next_attempt_at'])
          .where('d.status', '=', 'pending')
          .where('d.next_attempt_at', '<=', now)
          .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<=', now)]))
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom('deliveries as p')
                  .select('p.id')
                  .whereRef('p.store', '=', 'd.store')
                  .whereRef('p.transaction_id', '=', 'd.transaction_id')
                  .whereRef('p.url', '=', 'd.url')
                  .whereRef('p.seq', '<', 'd.seq')
                  .where('p.status', '=', 'pending'),
              ),
            ),
          )
          .orderBy('d.next_attempt_at')
          .orderBy('d.id')
          .limit(options.limit);
        if (this.#skipLocked) select = select.forUpdate().skipLocked();
        const candidates = await select.execute();
        if (!candidates.length) return [];
        const claimed = await trx
          .updateTable('deliveries')
          .set({ lease_until: leaseUntil })
          .where(
            'id',
            'in',
            candidates.map((c) => c.id),
          )
          .where('status', '=', 'pending')
          .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
          .returning('id')
          .execute();
        const won = new Set(claimed.map((c) => c.id));
        const kept = candidates.filter((c) => won.has(c.id));
        if (!kept.length) return [];
        const bodies = new Map<string, string>();
        for (const part of chunks([...new Set(kept.map((c) => c.event_id))])) {
          const rows = await trx.selectFrom('events').select(['id', 'body']).where('id', 'in', part).execute();
          for (const r of rows) bodies.set(r.id, r.body);
        }
        return kept.map(
          (c): ClaimedDelivery => ({
            deliveryId: c.id,
            eventId: c.event_id,
            eventType: c.event_type as EventType,
            transactionId: c.transaction_id,
            url: c.url,
            secretEnv: c.secret_env,
            secretEnvPrevious: c.secret_env_previous,
            bodyText: bodies.get(c.event_id)!,
            attempts: Number(c.attempts),
            createdAt: c.created_at,
            expiresAt: c.expires_at,
            leaseUntil,
          }),
        );
      }),
    );
  }

  recordAttempt(deliveryId: string, attempt: AttemptRecord): Promise<void> {
    const at = isoOf(attempt.at);
    if (attempt.outcome === 'retry' && attempt.nextAttemptAt === null) throw new TypeError(`recordAttempt ${deliveryId}: a retry needs nextAttemptAt`);
    const next = attempt.nextAttemptAt === null ? null : isoOf(attempt.nextAttemptAt);
    const durationMs = Math.max(0, Math.round(attempt.durationMs));
    const error = attempt.error === null ? null : attempt.error.slice(0, MAX_ERROR);
    return this.#guard('record attempt', () =>
      this.#write(async (trx) => {
        const found = await trx.selectFrom('deliveries').select('event_id').where('id', '=', deliveryId).executeTakeFirst();
        if (!found) throw new Error(`recordAttempt: no delivery ${deliveryId}`);
        await lockEvent(trx, found.event_id);
        const d = await trx.selectFrom('deliveries').select(['status', 'lease_until']).where('id', '=', deliveryId).executeTakeFirstOrThrow();
        const last = await trx
          .selectFrom('attempts')
          .select((eb) => eb.fn.max('number').as('n'))
          .where('delivery_id', '=', deliveryId)
          .executeTakeFirst();
        const number = (last?.n === null || last?.n === undefined ? 0 : Number(last.n)) + 1;
        await trx
          .insertInto('attempts')
          .values({ delivery_id: deliveryId, number, at, status_code: attempt.statusCode, duration_ms: durationMs, error, outcome: attempt.outcome })
          .execute();
        // A claim that lapsed and was taken again meanwhile does not decide the state (unless it delivered).
        const stale = attempt.leaseUntil !== undefined && d.lease_until !== isoOf(attempt.leaseUntil);
        const changes: Partial<Record<keyof DeliveriesTable, unknown>> = {
          attempts: sql`attempts + 1`,
          last_attempt_at: at,
          last_status_code: attempt.statusCode,
          last_error: error,
        };
        if (attempt.outcome === 'delivered') {
          Object.assign(changes, { status: 'delivered' });
          if (!stale) changes.lease_until = null;
        } else if (d.status === 'pending' && !stale) {
          Object.assign(changes, { status: attempt.outcome === 'retry' ? 'pending' : 'failed', lease_until: null });
          if (next !== null) changes.next_attempt_at = next;
        }
        await trx.updateTable('deliveries').set(changes as never).where('id', '=', deliveryId).execute();
        await refreshEventStatus(trx, found.event_id);
      }),
    );
  }

  listEvents(query: EventListQuery): Promise<EventPage> {
    if (!Number.isInteger(query.limit) || query.limit < 1) throw new RangeError(`listEvents: limit must be a positive integer, got ${query.limit}`);
    return this.#guard('list events', async () => {
      let select = this.#db
        .selectFrom('events')
        .select(['id', 'type', 'status', 'created_at', 'transaction_id', 'ruleset_version'])
        .where('store', '=', query.store);
      if (query.status) select = select.where('status', '=', query.status);
      if (query.type) select = select.where('type', '=', query.type);
      const after = query.after;
      if (after) {
        const createdAt = isoOf(after.createdAt);
        select = select.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', after.id)])]));
      }
      const rows = await select.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(query.limit + 1).execute();
      // PostgreSQL may collate text differently from SQLite: the order is decided here, byte-wise.
      rows.sort((a, b) => byString(b.created_at, a.created_at) || byString(b.id, a.id));
      const page = rows.slice(0, query.limit);
      const counts = await deliveryCounts(this.#db, page.map((r) => r.id));
      const events = page.map(
        (r): EventSummary => ({
          id: r.id,
          type: r.type as EventType,
          status: r.status,
          createdAt: r.created_at,
          transactionId: r.transaction_id,
          rulesetVersion: r.ruleset_version,
          deliveryCounts: counts.get(r.id) ?? { pending: 0, delivered: 0, failed: 0 },
        }),
      );
      const last = page[page.length - 1];
      return { events, next: rows.length > query.limit && last ? { createdAt: last.created_at, id: last.id } : null };
    });
  }

  getEvent(store: string, id: string): Promise<EventDetail | null> {
    return this.#guard('read event', () => readEvent(this.#db, store, id));
  }

  retryEvent(store: string, id: string, now: string): Promise<RetryOutcome> {
    const at = isoOf(now);
    return this.#guard('retry event', async () => {
      const retried = await this.#write(async (trx) => {
        const locked = await trx.updateTable('events').set({ status: sql`status` }).where('id', '=', id).where('store', '=', store).executeTakeFirst();
        if (Number(locked.numUpdatedRows) !== 1) return null;
        const failed = await trx.selectFrom('deliveries').select(['id', 'created_at', 'expires_at']).where('event_id', '=', id).where('status', '=', 'failed').execute();
        for (const d of failed) {
          // A fresh window as long as the first (3 days, or expireMinutes for pos.reward.*), from now.
          const window = Math.max(0, Date.parse(d.expires_at) - Date.parse(d.created_at));
          await trx
            .updateTable('deliveries')
            .set({ status: 'pending', attempts: 0, next_attempt_at: at, lease_until: null, expires_at: new Date(Date.parse(at) + window).toISOString() })
            .where('id', '=', d.id)
            .where('status', '=', 'failed')
            .execute();
        }
        if (failed.length) await refreshEventStatus(trx, id);
        return failed.length;
      });
      if (retried === null) return { kind: 'not_found' };
      const event = await readEvent(this.#db, store, id);
      if (!event) return { kind: 'not_found' };
      return retried ? { kind: 'retried', deliveries: retried, event } : { kind: 'not_failed', event };
    });
  }

  stats(): Promise<OutboxStats> {
    return this.#guard('outbox stats', async () => {
      const byType = await this.#db
        .selectFrom('deliveries')
        .select((eb) => ['event_type', eb.fn.countAll().as('n')])
        .where('status', '=', 'pending')
        .groupBy('event_type')
        .execute();
      const oldest = await this.#db
        .selectFrom('deliveries')
        .select((eb) => eb.fn.min('created_at').as('m'))
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return {
        pendingByType: byType.map((r) => ({ type: r.event_type as EventType, count: Number(r.n) })).sort((a, b) => byString(a.type, b.type)),
        oldestPendingCreatedAt: (oldest?.m as string | null | undefined) ?? null,
      };
    });
  }
}

// ---------------------------------------------------------------------------

async function readEvent(db: Db, store: string, id: string): Promise<EventDetail | null> {
  const e = await db.selectFrom('events').selectAll().where('id', '=', id).where('store', '=', store).executeTakeFirst();
  if (!e) return null;
  const deliveries = await db.selectFrom('deliveries').selectAll().where('event_id', '=', id).execute();
  deliveries.sort((a, b) => byString(a.id, b.id));
  const attempts = deliveries.length
    ? await db
        .selectFrom('attempts')
        .selectAll()
        .where(
          'delivery_id',
          'in',
          deliveries.map((d) => d.id),
        )
        .execute()
    : [];
  attempts.sort((a, b) => byString(a.delivery_id, b.delivery_id) || Number(a.number) - Number(b.number));
  const deliveryList = deliveries.map(
    (d): DeliveryDetail => ({
      id: d.id,
      url: d.url,
      status: d.status,
      attemptCount: Number(d.attempts),
      nextAttemptAt: d.status === 'pending' ? d.next_attempt_at : null,
      expiresAt: d.expires_at,
      leaseUntil: d.status === 'pending' ? d.lease_until : null,
      lastAttemptAt: d.last_attempt_at,
      lastStatusCode: d.last_status_code === null ? null : Number(d.last_status_code),
      lastError: d.last_error,
      attempts: attempts
        .filter((a) => a.delivery_id === d.id)
        .map((a) => ({
          number: Number(a.number),
          at: a.at,
          statusCode: a.status_code === null ? null : Number(a.status_code),
          durationMs: Number(a.duration_ms),
          error: a.error,
          outcome: a.outcome,
        })),
    }),
  );
  const counts = { pending: 0, delivered: 0, failed: 0 };
  for (const d of deliveries) counts[d.status]++;
  return {
    id: e.id,
    type: e.type as EventType,
    status: e.status,
    createdAt: e.created_at,
    transactionId: e.transaction_id,
    rulesetVersion: e.ruleset_version,
    deliveryCounts: counts,
    store: e.store,
    body: JSON.parse(e.body) as EventBody,
    deliveries: deliveryList,
  };
}

async function deliveryCounts(db: Db, eventIds: readonly string[]): Promise<Map<string, { pending: number; delivered: number; failed: number }>> {
  const out = new Map<string, { pending: number; delivered: number; failed: number }>();
  for (const part of chunks(eventIds)) {
    const rows = await db
      .selectFrom('deliveries')
      .select((eb) => ['event_id', 'status', eb.fn.countAll().as('n')])
      .where('event_id', 'in', part)
      .groupBy(['event_id', 'status'])
      .execute();
    for (const r of rows) {
      let c = out.get(r.event_id);
      if (!c) out.set(r.event_id, (c = { pending: 0, delivered: 0, failed: 0 }));
      c[r.status] = Number(r.n);
    }
  }
  return out;
}

/** Takes the event's row lock (PostgreSQL; SQLite's transaction already holds the write lock). */
async function lockEvent(trx: Transaction<Database>, eventId: string): Promise<void> {
  await trx.updateTable('events').set({ status: sql`status` }).where('id', '=', eventId).execute();
}

/** The event's status from its deliveries' (the event row is locked by the caller). */
async function refreshEventStatus(trx: Transaction<Database>, eventId: string): Promise<void> {
  const rows = await trx.selectFrom('deliveries').select('status').where('event_id', '=', eventId).execute();
  await trx
    .updateTable('events')
    .set({ status: summaryStatus(rows.map((r) => r.status)) })
    .where('id', '=', eventId)
    .execute();
}

/** pending while any delivery is pending; else failed when any failed; else delivered. */
export function summaryStatus(statuses: readonly DeliveryStatus[]): DeliveryStatus {
  if (statuses.includes('pending')) return 'pending';
  if (statuses.includes('failed')) return 'failed';
  return 'delivered';
}

/** `dlv_<event id without evt_>_<index>`, the index zero-padded so ids sort in subscription order. */
export function deliveryId(eventId: string, index: number): string {
  return `dlv_${eventId.replace(/^evt_/, '')}_${String(index).padStart(3, '0')}`;
}

/** The instant in the one text form every comparison relies on (ISO 8601, UTC, milliseconds). */
function isoOf(value: string): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new RangeError(`outbox: '${value}' is not an ISO 8601 instant`);
  return new Date(ms).toISOString();
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}
