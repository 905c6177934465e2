// The pure events builder: which events a commit and a void give, their targets and expiry, the
// body's fixed key order and bytes, and what the schemas in schemas/ accept.

import { describe, expect, it } from 'vitest';
import { committedEvents, deliveriesFor, subscriptionsOf, voidedEvents, EVENT_TTL_MS } from '../../src/events/build.js';
import { EVENT_ID, randomEventId } from '../../src/events/ids.js';
import type { WebhookSubscription } from '../../src/events/types.js';
import { apiValidators } from '../../src/http/schemas.js';
import type { RedemptionRecord } from '../../src/store/types.js';

const pos = (discountId: string) => ({ system: 'blaze', mode: 'trigger-reward', discountId, action: 'trigger-reward' });
const RECORD: RedemptionRecord = {
  transactionId: 'b-1',
  status: 'committed',
  committedAt: '2026-11-20T18:00:00.000Z',
  rulesetVersion: 'v1',
  currency: 'USD',
  subtotal: 6000,
  discountTotal: 900,
  total: 5100,
  lines: [
    { id: 'v', subtotal: 4000, discount: 789, total: 3211 },
    { id: 't', subtotal: 2000, discount: 111, total: 1889 },
  ],
  applied: [
    { discountId: 'vapes-15', name: '15% off vapes', type: 'percentage', code: null, amount: 600, allocations: [{ lineId: 'v', amount: 600 }], funding: null, pos: pos('BZ-15') },
    { discountId: 'manual', name: 'Manual', type: 'fixed', code: 'TAKE3', amount: 300, allocations: [{ lineId: 'v', amount: 189 }, { lineId: 't', amount: 111 }], funding: null, pos: { system: 'blaze', mode: 'static-only', action: 'apply-manual-amount' } },
  ],
  rejected: [],
  events: [],
};
const SUBS: WebhookSubscription[] = [
  { url: 'https://a.example/pos', events: ['pos.reward.trigger', 'pos.reward.reverse'], secretEnv: 'A', secretEnvPrevious: null, expireMinutes: 5 },
  { url: 'https://b.example/all', events: ['redemption.committed', 'redemption.voided', 'pos.reward.trigger', 'pos.reward.reverse'], secretEnv: 'B', secretEnvPrevious: 'B_OLD', expireMinutes: 15 },
];
const counter = () => {
  let n = 0;
  return () => `evt_${String(++n).padStart(32, '0')}`;
};

describe('committedEvents / voidedEvents', () => {
  it('gives one trigger per trigger-reward discount, then redemption.committed, each with its targets', () => {
    const events = committedEvents({ record: RECORD, customerId: 'c-9' }, { store: 's', subscriptions: SUBS, newId: counter() });
    expect(events.map((e) => [e.body.id, e.body.type, e.deliveries.map((d) => [d.url, d.expiresAt])])).toEqual([
      [
        `evt_${'1'.padStart(32, '0')}`,
        'pos.reward.trigger',
        [
          ['https://a.example/pos', '2026-11-20T18:05:00.000Z'],
          ['https://b.example/all', '2026-11-20T18:15:00.000Z'],
        ],
      ],
      [`evt_${'2'.padStart(32, '0')}`, 'redemption.committed', [['https://b.example/all', '2026-11-23T18:00:00.000Z']]],
    ]);
    const [trigger, committed] = events;
    expect(trigger.body.data).toEqual({ transactionId: 'b-1', customerId: 'c-9', discountId: 'vapes-15', code: null, posSystem: 'blaze', posDiscountId: 'BZ-15', amount: 600, currency: 'USD' });
    expect(trigger.bodyText).toBe(JSON.stringify(trigger.body));
    expect(Object.keys(JSON.parse(committed.bodyText))).toEqual(['id', 'type', 'createdAt', 'store', 'rulesetVersion', 'data']);
    expect(committed.deliveries[0]).toEqual({ url: 'https://b.example/all', secretEnv: 'B', secretEnvPrevious: 'B_OLD', expiresAt: '2026-11-23T18:00:00.000Z' });
    expect(committed.transactionId).toBe('b-1');
    expect(apiValidators.PosRewardTriggerEvent(trigger.body)).toBe(true);
    expect(apiValidators.RedemptionCommittedEvent(committed.body)).toBe(true);
    expect(apiValidators.RedemptionVoidedEvent(committed.body)).toBe(false);
    // The same inputs, the same bytes.
    const again = committedEvents({ record: RECORD, customerId: 'c-9' }, { store: 's', subscriptions: SUBS, newId: counter() });
    expect(again.map((e) => e.bodyText)).toEqual(events.map((e) => e.bodyText));
  });

  it('a void gives pos.reward.reverse for the same discounts, then redemption.voided; only for a voided record', () => {
    const voided: RedemptionRecord = { ...RECORD, status: 'voided', voidedAt: '2026-11-21T09:00:00.000Z', voidReason: null, voidDate: '2026-11-21' };
    const events = voidedEvents({ record: voided, customerId: null }, { store: 's', subscriptions: SUBS, newId: counter() });
    expect(events.map((e) => [e.body.type, e.body.createdAt, e.deliveries.length])).toEqual([
      ['pos.reward.reverse', '2026-11-21T09:00:00.000Z', 2],
      ['redemption.voided', '2026-11-21T09:00:00.000Z', 1],
    ]);
    expect(events[0].body.data).toMatchObject({ customerId: null, posDiscountId: 'BZ-15' });
    expect(events[1].body.data).toMatchObject({ voidedAt: '2026-11-21T09:00:00.000Z', voidReason: null, voidDate: '2026-11-21', committedAt: RECORD.committedAt });
    expect(apiValidators.PosRewardReverseEvent(events[0].body)).toBe(true);
    expect(apiValidators.RedemptionVoidedEvent(events[1].body)).toBe(true);
    expect(() => voidedEvents({ record: RECORD, customerId: null }, { store: 's', subscriptions: SUBS, newId: counter() })).toThrow('not voided');
  });

  it('writes no event that no subscription wants', () => {
    expect(committedEvents({ record: RECORD, customerId: null }, { store: 's', subscriptions: [], newId: counter() })).toEqual([]);
    const onlyCommitted = committedEvents({ record: RECORD, customerId: null }, { store: 's', subscriptions: [{ ...SUBS[1], events: ['redemption.committed'] }], newId: counter() });
    expect(onlyCommitted.map((e) => e.body.type)).toEqual(['redemption.committed']);
    expect(deliveriesFor('redemption.voided', RECORD.committedAt, [SUBS[0]])).toEqual([]);
    expect(Date.parse(deliveriesFor('redemption.voided', RECORD.committedAt, [SUBS[1]])[0].expiresAt) - Date.parse(RECORD.committedAt)).toBe(EVENT_TTL_MS);
    expect(() => deliveriesFor('redemption.voided', 'yesterday', SUBS)).toThrow(RangeError);
  });

  it('reads the subscriptions from the settings, none when there is no webhooks key', () => {
    expect(subscriptionsOf({ editor: { autoReload: false } })).toEqual([]);
    expect(subscriptionsOf({ webhooks: SUBS })).toBe(SUBS);
  });

  it('random event ids look like evt_ and 32 hex digits and do not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, randomEventId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(EVENT_ID);
  });
});
