// finishedDiscounts: pure; which discounts are finished at an instant.
import { describe, expect, it } from 'vitest';
import { finishedDiscounts } from '../../src/ruleset/cleanup.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-02T12:00:00Z');
const d = (id: string, endMs: number | null, usageLimit: number | null = null) => ({
  id,
  source: `rules/${id}.yaml`,
  usageLimit,
  schedule: endMs === null ? null : { start: null, end: 'x', startMs: null, endMs, days: null, hours: null },
});

describe('finishedDiscounts', () => {
  it('a schedule that ended more than graceDays ago; exactly graceDays ago is not yet', () => {
    const list = [d('b-old', NOW - 31 * DAY), d('a-edge', NOW - 30 * DAY), d('c-recent', NOW - DAY), d('d-open', null), d('e-future', NOW + DAY)];
    expect(finishedDiscounts(list, NOW, 30, null)).toEqual([
      { id: 'b-old', source: 'rules/b-old.yaml', reason: 'schedule_ended', since: new Date(NOW - 31 * DAY).toISOString(), message: `its schedule ended ${new Date(NOW - 31 * DAY).toISOString()}, more than 30 days ago` },
    ]);
    expect(finishedDiscounts(list, NOW + 1, 30, null).map((f) => f.id)).toEqual(['a-edge', 'b-old']);
    expect(finishedDiscounts(list, NOW, 0, null).map((f) => f.id)).toEqual(['a-edge', 'b-old', 'c-recent']);
  });

  it('a usage limit used up more than graceDays ago, from the ledger; without usage only schedules count', () => {
    const list = [d('used-up', null, 5), d('not-yet', null, 5), d('recent', null, 1), d('never', null, 1), d('both', NOW - 40 * DAY, 1)];
    const usage = new Map([
      ['used-up', { used: 5, lastUseAt: new Date(NOW - 45 * DAY).toISOString() }],
      ['not-yet', { used: 4, lastUseAt: new Date(NOW - 45 * DAY).toISOString() }],
      ['recent', { used: 1, lastUseAt: new Date(NOW - 2 * DAY).toISOString() }],
      ['both', { used: 1, lastUseAt: new Date(NOW - 50 * DAY).toISOString() }],
    ]);
    const out = finishedDiscounts(list, NOW, 30, usage);
    expect(out.map((f) => [f.id, f.reason])).toEqual([
      ['both', 'usage_limit_reached'],
      ['used-up', 'usage_limit_reached'],
    ]);
    expect(out[1].message).toBe(`its usage limit of 5 was used up ${new Date(NOW - 45 * DAY).toISOString()}, more than 30 days ago`);
    expect(finishedDiscounts(list, NOW, 30, null).map((f) => [f.id, f.reason])).toEqual([['both', 'schedule_ended']]);
  });
});
