// Prometheus metrics (prom-client), one registry per app so several apps (tests) never share
// counters: requests and latency by route and status, evaluations, redemptions, voids,
// rejections by reason, and the served ruleset version as the label of an info gauge.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Rejection } from '../domain/types.js';

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
    setRuleset(version) {
      rulesetInfo.reset();
      rulesetInfo.set({ version }, 1);
    },
    countRejections(rejected) {
      for (const r of rejected) rejections.inc({ reason: r.reason });
    },
  };
}
