// Prometheus metrics (prom-client), one registry per app so several apps (tests) never share
// counters: requests and latency by route and status, evaluations, redemptions, voids,
// rejections by reason, and the served ruleset version as the label of an info gauge.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Rejection } from '../domain/types.js';
import type { AttemptRecord, ClaimedDelivery, EventType, OutboxStats, OutboxStore } from '../events/types.js';

export interface Metrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  duration: Histogram<'method' | 'route' | 'status'>;
  evaluations: Counter<'limits_checked'>;
  redemptions: Counter<'outcome'>;
  voids: Counter<'outcome'>;
  rejections: Counter<'reason'>;
  rulesetInfo: Gauge<'version'>;
  reloads: Counter<'outcome'>;
  /** Webhook delivery attempts recorded by this process, by event type and outcome (delivered, retry, failed). */
  webhookAttempts: Counter<'type' | 'outcome'>;
  /**
   * Reads the outbox on every scrape (pending deliveries by type, the oldest pending delivery's
   * age): cheap index reads of the pending rows only.
   */
  watchOutbox(read: () => Promise<OutboxStats>, now: () => number): void;
  /** Sets the info gauge to the served version (the previous label is removed). */
  setRuleset(version: string): void;
  countRejections(rejected: readonly Rejection[]): void;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'discounts_' });
  const registers = [registry];
  const requests = new Counter({ name: 'discounts_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] as const, registers });
  const duration = new Histogram({
    name: 'discounts_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const evaluations = new Counter({ name: 'discounts_evaluations_total', help: 'Carts priced by POST /v1/evaluate', labelNames: ['limits_checked'] as const, registers });
  const redemptions = new Counter({ name: 'discounts_redemptions_total', help: 'POST /v1/redemptions outcomes (committed, replay, conflict, price_changed, clock_skew)', labelNames: ['outcome'] as const, registers });
  const voids = new Counter({ name: 'discounts_voids_total', help: 'Voids (voided, already_voided)', labelNames: ['outcome'] as const, registers });
  const rejections = new Counter({ name: 'discounts_rejections_total', help: 'Discounts rejected in evaluate and redemption responses, by reason', labelNames: ['reason'] as const, registers });
  const rulesetInfo = new Gauge({ name: 'discounts_ruleset_info', help: 'The served ruleset (value 1, version as label)', labelNames: ['version'] as const, registers });
  const reloads = new Counter({ name: 'discounts_ruleset_reloads_total', help: 'Ruleset reloads (ok, refused)', labelNames: ['outcome'] as const, registers });
  const webhookAttempts = new Counter({
    name: 'discounts_webhook_attempts_total',
    help: 'Webhook delivery attempts recorded by this instance, by event type and outcome (delivered, retry, failed)',
    labelNames: ['type', 'outcome'] as const,
    registers,
  });
  let outbox: { read: () => Promise<OutboxStats>; now: () => number } | null = null;
  // Read on every scrape by each gauge (two index reads of the pending rows each); a database that
  // is down leaves the series out of that scrape.
  const stats = (): Promise<OutboxStats | null> =>
    outbox
      ? outbox.read().then(
          (s) => s,
          () => null,
        )
      : Promise.resolve(null);
  const pending = new Gauge({
    name: 'discounts_webhook_deliveries_pending',
    help: 'Webhook deliveries waiting to be delivered (all stores of the database), by event type; read from the database on scrape',
    labelNames: ['type'] as const,
    registers,
    async collect() {
      this.reset();
      const s = await stats();
      if (!s) return;
      for (const t of s.pendingByType) this.set({ type: t.type }, t.count);
    },
  });
  const oldest = new Gauge({
    name: 'discounts_webhook_oldest_pending_seconds',
    help: "Age of the oldest pending webhook delivery (0 when none is pending); read from the database on scrape",
    registers,
    async collect() {
      this.reset();
      const s = await stats();
      if (!s || !outbox) return;
      const created = s.oldestPendingCreatedAt === null ? null : Date.parse(s.oldestPendingCreatedAt);
      this.set(created === null ? 0 : Math.max(0, (outbox.now() - created) / 1000));
    },
  });
  void pending;
  void oldest;
  return {
    registry,
    requests,
    duration,
    evaluations,
    redemptions,
    voids,
    rejections,
    rulesetInfo,
    reloads,
    webhookAttempts,
    watchOutbox(read, now) {
      outbox = { read, now };
    },
    setRuleset(version) {
      rulesetInfo.reset();
      rulesetInfo.set({ version }, 1);
    },
    countRejections(rejected) {
      for (const r of rejected) rejections.inc({ reason: r.reason });
    },
  };
}

/**
 * The outbox as the dispatcher should get it: every recorded attempt is counted in
 * discounts_webhook_attempts_total by the type of the event its claim carried.
 */
export function countingOutbox(inner: OutboxStore, metrics: Pick<Metrics, 'webhookAttempts'>): OutboxStore {
  const types = new Map<string, EventType>();
  return {
    async claimDeliveries(options) {
      const claimed: ClaimedDelivery[] = await inner.claimDeliveries(options);
      for (const d of claimed) {
        // Bounded: a claim never recorded (a stopped dispatcher) must not grow the map forever.
        if (types.size >= 10_000) types.delete(types.keys().next().value!);
        types.set(d.deliveryId, d.eventType);
      }
      return claimed;
    },
    async recordAttempt(deliveryId: string, attempt: AttemptRecord) {
      await inner.recordAttempt(deliveryId, attempt);
      const type = types.get(deliveryId);
      types.delete(deliveryId);
      metrics.webhookAttempts.inc({ type: type ?? 'unknown', outcome: attempt.outcome });
    },
  };
}
