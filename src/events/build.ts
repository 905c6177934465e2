// The events of a ledger change (issue 15), as pure functions of the stored record: a committed
// redemption gives `pos.reward.trigger` per applied discount whose POS action is
// `trigger-reward`, then `redemption.committed`; a void gives `pos.reward.reverse` for the same
// discounts, then `redemption.voided`. The POS events come first in their transaction: they are
// what the counter waits for, and delivery is ordered per (subscription, transaction).
//
// Each event gets one delivery per subscription whose `events` list its type (the targets are
// fixed here, at write time: a reload changes only later events), expiring 3 days after the event
// for redemption.* and `expireMinutes` after it for pos.reward.*. An event no subscription wants is
// not written at all. The id comes from `newId` (random in the service, a counter in tests), so the
// builder itself reads no clock and no randomness: the same inputs give the same events, byte for
// byte (key order is fixed by construction).

import type { AppliedDiscount, LineResult } from '../domain/types.js';
import type { RedemptionRecord } from '../store/types.js';
import type { EventBody, EventType, NewDelivery, NewEvent, WebhookSubscription } from './types.js';

/** How long a redemption.* delivery is tried (then failed). */
export const EVENT_TTL_MS = 3 * 24 * 60 * 60 * 1000;

export interface EventContext {
  /** The store id (`store:` of the policy) written into every body. */
  store: string;
  /** The store policy's webhook subscriptions (ruleset.settings.webhooks). */
  subscriptions: readonly WebhookSubscription[];
  /** A new unique event id (`evt_...`), fixed at write time and kept across every retry. */
  newId: () => string;
}

/** Summary of a redemption in a redemption.* event. */
export interface RedemptionEventData {
  transactionId: string;
  customerId: string | null;
  committedAt: string;
  currency: string;
  subtotal: number;
  discountTotal: number;
  total: number;
  lines: LineResult[];
  applied: AppliedDiscount[];
}

export interface RedemptionVoidedData extends RedemptionEventData {
  voidedAt: string;
  voidReason: string | null;
  voidDate: string;
}

/** pos.reward.trigger and pos.reward.reverse: what the POS needs to apply or take back the reward. */
export interface PosRewardData {
  transactionId: string;
  customerId: string | null;
  discountId: string;
  code: string | null;
  /** The POS profile id (`pos:` of the store policy), e.g. treez. */
  posSystem: string;
  /** The reward's id in the POS (`pos.discountId` of the rule). */
  posDiscountId: string | null;
  /** The discount's amount in this redemption (minor units). */
  amount: number;
  currency: string;
}

export interface BuildInput {
  record: RedemptionRecord;
  /** The redemption's customer (null when none). */
  customerId: string | null;
}

/** The events of a newly committed redemption. */
export function committedEvents(input: BuildInput, ctx: EventContext): NewEvent[] {
  const { record } = input;
  const at = record.committedAt;
  const events: NewEvent[] = [];
  for (const d of rewardDiscounts(record)) push(events, ctx, 'pos.reward.trigger', at, record, rewardData(input, d));
  push(events, ctx, 'redemption.committed', at, record, redemptionData(input));
  return events;
}

/** The events of a void (called once, by the void that changed the record). */
export function voidedEvents(input: BuildInput, ctx: EventContext): NewEvent[] {
  const { record } = input;
  if (record.status !== 'voided' || record.voidedAt === undefined) throw new Error(`voidedEvents: ${record.transactionId} is not voided`);
  const at = record.voidedAt;
  const events: NewEvent[] = [];
  for (const d of rewardDiscounts(record)) push(events, ctx, 'pos.reward.reverse', at, record, rewardData(input, d));
  const data: RedemptionVoidedData = {
    ...redemptionData(input),
    voidedAt: at,
    voidReason: record.voidReason ?? null,
    voidDate: record.voidDate ?? '',
  };
  push(events, ctx, 'redemption.voided', at, record, data);
  return events;
}

/** The targets of an event of this type created at `createdAt`: one per subscription that wants it. */
export function deliveriesFor(type: EventType, createdAt: string, subscriptions: readonly WebhookSubscription[]): NewDelivery[] {
  const created = Date.parse(createdAt);
  if (!Number.isFinite(created)) throw new RangeError(`deliveriesFor: createdAt '${createdAt}' is not an instant`);
  const out: NewDelivery[] = [];
  for (const s of subscriptions) {
    if (!s.events.includes(type)) continue;
    const ttl = type.startsWith('pos.reward.') ? s.expireMinutes * 60_000 : EVENT_TTL_MS;
    out.push({ url: s.url, secretEnv: s.secretEnv, secretEnvPrevious: s.secretEnvPrevious, expiresAt: new Date(created + ttl).toISOString() });
  }
  return out;
}

function push(events: NewEvent[], ctx: EventContext, type: EventType, createdAt: string, record: RedemptionRecord, data: unknown): void {
  const deliveries = deliveriesFor(type, createdAt, ctx.subscriptions);
  if (!deliveries.length) return;
  const body: EventBody = { id: ctx.newId(), type, createdAt, store: ctx.store, rulesetVersion: record.rulesetVersion, data };
  events.push({ body, bodyText: JSON.stringify(body), transactionId: record.transactionId, deliveries });
}

/** Applied discounts the POS triggers as rewards, in the record's `applied` order. */
function rewardDiscounts(record: RedemptionRecord): AppliedDiscount[] {
  return record.applied.filter((d) => d.pos?.action === 'trigger-reward');
}

function rewardData(input: BuildInput, d: AppliedDiscount): PosRewardData {
  return {
    transactionId: input.record.transactionId,
    customerId: input.customerId,
    discountId: d.discountId,
    code: d.code,
    posSystem: d.pos!.system,
    posDiscountId: d.pos!.discountId ?? null,
    amount: d.amount,
    currency: input.record.currency,
  };
}

function redemptionData(input: BuildInput): RedemptionEventData {
  const r = input.record;
  return {
    transactionId: r.transactionId,
    customerId: input.customerId,
    committedAt: r.committedAt,
    currency: r.currency,
    subtotal: r.subtotal,
    discountTotal: r.discountTotal,
    total: r.total,
    lines: r.lines,
    applied: r.applied,
  };
}

/**
 * The subscriptions of a store's settings (`ruleset.settings.webhooks`, once the settings carry
 * the `webhooks:` key; none until then).
 */
export function subscriptionsOf(settings: object): readonly WebhookSubscription[] {
  const webhooks = (settings as { webhooks?: unknown }).webhooks;
  return Array.isArray(webhooks) ? (webhooks as WebhookSubscription[]) : [];
}
