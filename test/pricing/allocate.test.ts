import { describe, expect, it } from 'vitest';
import { allocateByWeights, allocateWithCaps } from '../../src/pricing/allocate.js';
import { matchBogo } from '../../src/pricing/bogo.js';

describe('allocateByWeights', () => {
  it('splits by largest remainder, ties to the earlier line', () => {
    expect(allocateByWeights(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocateByWeights(2, [1, 1, 1])).toEqual([1, 1, 0]);
    expect(allocateByWeights(1000, [3500, 3600, 1200, 300])).toEqual([407, 419, 139, 35]);
    expect(allocateByWeights(7, [0, 5, 0])).toEqual([0, 7, 0]);
  });
  it('is exact with huge weights (BigInt path)', () => {
    const w = [5e14, 3e14 + 1, 2e14 - 1];
    const out = allocateByWeights(9_007_199_254, w);
    expect(out.reduce((a, b) => a + b, 0)).toBe(9_007_199_254);
  });
  it('refuses an amount with nothing to carry it', () => {
    expect(() => allocateByWeights(5, [0, 0])).toThrow(RangeError);
  });
});

describe('allocateWithCaps', () => {
  it('re-shares the excess over a line cap', () => {
    // $20 over 3000/200/700 with caps 3000/100/699 (see test/cases/eval-headroom-reshare)
    expect(allocateWithCaps(2000, [3000, 200, 700], [3000, 100, 699]).amounts).toEqual([1541, 100, 359]);
  });
  it('fills every cap when the amount equals the total headroom', () => {
    expect(allocateWithCaps(10, [5, 5, 5], [2, 3, 5]).amounts).toEqual([2, 3, 5]);
  });
  it('gives nothing to lines with no remaining amount', () => {
    expect(allocateWithCaps(10, [0, 10], [0, 10]).amounts).toEqual([0, 10]);
  });
});

describe('matchBogo', () => {
  const line = (unitPrice: number, available: number, buy = true, reward = true, rewardValue = unitPrice) => ({ unitPrice, available, inBuySet: buy, inRewardSet: reward, rewardValue });
  it('rewards the cheapest units and buys with the most expensive', () => {
    const m = matchBogo([line(10, 1), line(9, 1), line(8, 1), line(7, 1), line(6, 1), line(5, 1)], 2, 1, null);
    expect(m.applications).toBe(2);
    expect(m.rewardUnits).toEqual([0, 0, 0, 0, 1, 1]);
  });
  it('on equal prices the later line is the reward', () => {
    const m = matchBogo([line(5, 1), line(5, 1), line(5, 1)], 2, 1, null);
    expect(m.rewardUnits).toEqual([0, 0, 1]);
  });
  it('stops at maxApplications and when units run out', () => {
    expect(matchBogo([line(5, 9)], 2, 1, 2).applications).toBe(2);
    expect(matchBogo([line(5, 8)], 2, 1, null).applications).toBe(2);
    expect(matchBogo([line(5, 2)], 2, 1, null).applications).toBe(0);
  });
  it('a $0 unit is neither a purchase nor a reward; a unit worth no reward is bought, not rewarded', () => {
    // A free sample in the cart does not block the deal and does not count as a purchase.
    expect(matchBogo([line(1000, 1), line(0, 1), line(800, 1)], 1, 1, null).rewardUnits).toEqual([0, 0, 1]);
    expect(matchBogo([line(1000, 1), line(0, 3)], 1, 1, null).applications).toBe(0);
    // A unit already at its floor (reward value 0) can still be bought.
    const m = matchBogo([line(1, 1, true, true, 0), line(900, 1)], 1, 1, null);
    expect(m.rewardUnits).toEqual([0, 1]);
    expect(m.consumed).toEqual([1, 1]);
  });
  it('finds the application when the only reward candidate is also the only extra buy unit elsewhere', () => {
    // Buy any item, get a pre-roll free: a gummy (buy only) and a pre-roll (both sets).
    const m = matchBogo([line(1500, 1, true, false), line(600, 1, true, true)], 1, 1, null);
    expect(m.applications).toBe(1);
    expect(m.rewardUnits).toEqual([0, 1]);
    // Two pre-rolls and two gummies: two applications, the pre-rolls free.
    const two = matchBogo([line(1500, 2, true, false), line(600, 2, true, true)], 1, 1, null);
    expect(two.applications).toBe(2);
    expect(two.rewardUnits).toEqual([0, 2]);
  });
  it('keeps enough buy-set units to buy with: rewards from the buy set are capped', () => {
    // buy 2 get 1, reward set = pre-rolls (also in the buy set), plus one gummy: 3 units, one application,
    // the reward is the cheapest pre-roll and the other two are bought.
    const m = matchBogo([line(2000, 1, true, false), line(500, 1), line(400, 1)], 2, 1, null);
    expect(m.applications).toBe(1);
    expect(m.rewardUnits).toEqual([0, 0, 1]);
    expect(m.consumed).toEqual([1, 1, 1]);
  });
  it('handles a separate reward set', () => {
    const m = matchBogo([line(4000, 3, true, false), line(701, 2, false, true)], 2, 1, null);
    expect(m.applications).toBe(1);
    expect(m.rewardUnits).toEqual([0, 1]);
    expect(m.consumed).toEqual([2, 1]);
  });
});
